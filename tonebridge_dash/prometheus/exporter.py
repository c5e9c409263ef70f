"""A live synthetic exporter: the synthetic traffic, carried on past the
backfilled history, served on 127.0.0.1 in Prometheus' text format.

``Continuation`` watches the OpenMetrics lines ``synthetic`` writes and
keeps, per series, its first and last sample. From the end of the history
on, a counter (and a histogram's or summary's ``_bucket``, ``_count`` and
``_sum``) keeps rising at its average rate over the history, and a gauge
(and a summary's quantiles) stays at its last value. ``Exporter`` serves
that at ``/metrics``; Prometheus scrapes it with ``honor_labels`` so that
every series keeps its own ``job`` and ``instance``.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RISING_SUFFIXES = ("_bucket", "_count", "_sum")


class Continuation:
    """Every series' first and last sample, and whether it rises."""

    def __init__(self) -> None:
        self._family_type: dict[str, str] = {}
        self.first: dict[str, tuple[float, float]] = {}  # series -> (value, unix seconds)
        self.last: dict[str, tuple[float, float]] = {}

    def line(self, line: str) -> None:
        """Take one OpenMetrics line (``# TYPE``, a sample, or anything else)."""
        if line.startswith("# TYPE "):
            _, _, family, kind = line.split(None, 3)
            self._family_type[family] = kind.strip()
            return
        if not line or line.startswith("#"):
            return
        series, value, stamp = line.rstrip("\n").rsplit(" ", 2)
        sample = (float(value), float(stamp))
        self.first.setdefault(series, sample)
        self.last[series] = sample

    def rises(self, series: str) -> bool:
        name = series.split("{", 1)[0]
        if self._family_type.get(name) in ("counter", "unknown"):  # "unknown": a counter without _total
            return True
        if name.endswith("_total") and self._family_type.get(name[: -len("_total")]) == "counter":
            return True
        base = next((name[: -len(s)] for s in RISING_SUFFIXES if name.endswith(s)), None)
        return base is not None and self._family_type.get(base) in ("histogram", "summary")

    def value(self, series: str, at: float) -> float:
        value, stamp = self.last[series]
        if not self.rises(series) or at <= stamp:
            return value
        first, since = self.first[series]
        rate = (value - first) / (stamp - since) if stamp > since else 0.0
        return value + max(rate, 0.0) * (at - stamp)

    def exposition(self, at: float | None = None) -> str:
        """Every series at ``at`` (default now), in the text format."""
        now = time.time() if at is None else at
        return "".join(f"{s} {self.value(s, now)!r}\n" for s in self.last)


class Exporter:
    """``/metrics`` of a ``Continuation`` on 127.0.0.1, in a thread."""

    def __init__(self, continuation: Continuation, port: int = 0) -> None:
        source = continuation

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the http.server API)
                if self.path.split("?", 1)[0] != "/metrics":
                    self.send_error(404)
                    return
                body = source.exposition().encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, name="tb-dash-exporter", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
