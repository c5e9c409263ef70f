"""Small HTTP servers for the preview's tests: a Prometheus that answers
every query with a constant (the page draws without a real one), and a
recorder standing for another origin (an attacker's server), which notes
every request that reaches it."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class _Server:
    def __init__(self) -> None:
        self.requests: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802
                owner.requests.append(self.path)
                status, body, kind = owner.answer(self.path)
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_GET  # noqa: N815

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def answer(self, path: str) -> tuple[int, bytes, str]:
        return 200, b"seen", "text/plain"

    def __enter__(self):
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class Recorder(_Server):
    """Another origin: every request is recorded, the answer is empty."""


class FakePrometheus(_Server):
    """Prometheus's query API answering 1 for every query (a vector for
    ``query``, a line for ``query_range``); with ``hang``, a range query
    waits that many seconds first (a page that never finishes drawing)."""

    def __init__(self, hang: float = 0.0) -> None:
        super().__init__()
        self.hang = hang
        self.shown = self.url

    def answer(self, path: str) -> tuple[int, bytes, str]:
        parts = urlsplit(path)
        q = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if parts.path.endswith("/query_range"):
            if self.hang:
                time.sleep(self.hang)
            start, end = float(q.get("start", 0)), float(q.get("end", 60))
            step = max(float(q.get("step", 15) or 15), (end - start) / 50 or 1)
            points, t = [], start
            while t <= end:
                points.append([t, "1"])
                t += step
            data = {"resultType": "matrix", "result": [{"metric": {"job": "x"}, "values": points}]}
        elif parts.path.endswith("/query"):
            data = {"resultType": "vector", "result": [{"metric": {}, "value": [float(q.get("time", 0) or 0), "1"]}]}
        else:
            data = ["a", "b"]
        return 200, json.dumps({"status": "success", "data": data}).encode(), "application/json"
