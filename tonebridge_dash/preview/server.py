"""The preview server: the page, the dashboards' JSON and a same-origin
proxy to Prometheus, on 127.0.0.1, from the standard library's
``ThreadingHTTPServer``.

Routes: ``/`` (the list of dashboards), ``/d/<uid>`` (a dashboard's page),
``/api/dashboards[/<uid>]``, ``/api/config`` (the time to draw at, the
scrape interval, whether Elasticsearch panels are drawn),
``/api/prom/api/v1/...`` (Prometheus's read API, passed through, so the
browser never talks to another origin), ``/api/es/<uid>/<panel id>`` (a
panel's Elasticsearch queries, built and sent by the server: ``elastic``)
and ``/static/...`` (the page's files, package data).
"""

from __future__ import annotations

import html
import json
import re
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Mapping, Sequence
from urllib.parse import parse_qs, quote, urlsplit

from ..errors import UsageError, redact_url
from ..prometheus.client import PrometheusUnreachable
from .guard import HEADERS, Refused, body_length, check_origin
from .source import Previewed

STATIC = Path(__file__).resolve().parent / "static"
HOST = "127.0.0.1"
# The part of Prometheus's HTTP API the page reads; nothing else is passed on.
_PROMETHEUS_PATHS = re.compile(r"^api/v1/(query|query_range|series|labels|label/[a-zA-Z_][a-zA-Z0-9_]*/values)\Z")
_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
          ".css": "text/css; charset=utf-8", ".md": "text/plain; charset=utf-8", "": "text/plain; charset=utf-8"}


class PreviewError(UsageError):
    """The preview cannot start (a port in use, Prometheus unreachable...)."""


class Prometheus:
    """Passes the page's read queries on to one Prometheus (one pooled
    session; a transport failure becomes a Prometheus-shaped error the page
    shows on the panel, never an exception)."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        import requests
        from requests.adapters import HTTPAdapter

        if not url.startswith(("http://", "https://")) or "?" in url or "#" in url:
            raise PrometheusUnreachable(f"--prometheus-url must be an http(s) base URL without a query string, "
                                        f"not '{redact_url(url)}'")
        self.url = url.rstrip("/")
        self.shown = redact_url(self.url)
        self.timeout = timeout
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=16, pool_maxsize=16)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def forward(self, path: str, query: str, body: bytes | None, content_type: str | None) -> tuple[int, bytes]:
        import requests

        target = f"{self.url}/{path}" + (f"?{query}" if query else "")
        try:
            if body is None:
                r = self.session.get(target, timeout=self.timeout)
            else:
                r = self.session.post(target, data=body, timeout=self.timeout,
                                      headers={"Content-Type": content_type or "application/x-www-form-urlencoded"})
        except requests.Timeout:
            return _error(504, "timeout", f"Prometheus at {self.shown} did not answer within {self.timeout:g}s")
        except requests.RequestException as e:
            return _error(502, "unreachable", f"cannot reach Prometheus at {self.shown} ({e.__class__.__name__})")
        return r.status_code, r.content

    def check(self) -> None:
        """Raise ``PrometheusUnreachable`` unless the server answers a query."""
        status, body = self.forward("api/v1/query", "query=1", None, None)
        try:
            answer = json.loads(body)
        except ValueError:
            answer = None
        if status in (502, 504):
            raise PrometheusUnreachable(answer["error"])
        if not isinstance(answer, dict) or answer.get("status") != "success":
            raise PrometheusUnreachable(f"{self.shown}: HTTP {status}, not a Prometheus API answer")


def _error(status: int, kind: str, message: str) -> tuple[int, bytes]:
    return status, json.dumps({"status": "error", "errorType": kind, "error": message}).encode()


def index_page(dashboards: Sequence[Previewed]) -> bytes:
    items = "\n".join(f'<li><a href="/d/{quote(d.uid)}">{html.escape(d.title)}</a> '
                      f'<span class="uid">{html.escape(d.uid)}</span></li>' for d in dashboards)
    return (f'<!doctype html><html><head><meta charset="utf-8"><title>tb-dash preview</title><link rel="icon" href="data:,">'
            f'<link rel="stylesheet" href="/static/preview.css"></head>'
            f'<body class="index"><h1>Dashboards</h1><ul>{items}</ul></body></html>').encode()


class _Quiet(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        """A client gone or too slow is not news; anything else is one line, never a traceback."""
        import sys

        error = sys.exc_info()[1]
        if not isinstance(error, (ConnectionError, TimeoutError)):
            print(f"tb-dash: warning: preview server: {error.__class__.__name__}: {error}", file=sys.stderr)


class PreviewServer:
    """Context manager: the preview served on 127.0.0.1 in a background
    thread; ``url`` is its base URL, ``page(uid)`` a dashboard's page.
    A connection that sends nothing for ``request_timeout`` seconds is closed."""

    def __init__(self, dashboards: Sequence[Previewed], prometheus: Prometheus, at: float | None = None,
                 port: int = 0, scrape_interval: str = "15s", request_timeout: float = 30.0,
                 elasticsearch=None, es_sources: Mapping | None = None) -> None:
        self.dashboards = {d.uid: d for d in dashboards}
        self.order = list(dashboards)
        self.prometheus = prometheus
        self.elasticsearch = elasticsearch  # an ElasticsearchClient, or None: log panels show their queries
        self.es_sources = dict(es_sources or {})
        self.config = {"now": None if at is None else int(at * 1000), "scrapeInterval": scrape_interval,
                       "prometheus": prometheus.shown,
                       "elasticsearch": None if elasticsearch is None else elasticsearch.shown}
        try:
            self.httpd = _Quiet((HOST, port), _handler(self, request_timeout))
        except OSError as e:
            raise PreviewError(f"cannot listen on {HOST}:{port}: {e.strerror or e}") from None
        self.port = self.httpd.server_address[1]
        self.url = f"http://{HOST}:{self.port}"
        self._thread: threading.Thread | None = None

    def page(self, uid: str, **params: str) -> str:
        from urllib.parse import urlencode

        return f"{self.url}/d/{quote(uid)}" + (f"?{urlencode(params)}" if params else "")

    def __enter__(self) -> "PreviewServer":
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="tb-dash-preview", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


def _handler(preview: PreviewServer, request_timeout: float):
    class Handler(BaseHTTPRequestHandler):
        server_version = "tb-dash-preview"
        protocol_version = "HTTP/1.1"
        timeout = request_timeout  # a socket timeout: a client that stops sending frees its thread

        def log_message(self, format, *args):  # noqa: A002 (the base class's name)
            pass  # quiet: the page's requests are not news

        def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _json(self, value, status: int = 200) -> None:
            self._send(status, json.dumps(value).encode())

        def _not_found(self) -> None:
            self._send(404, b"not found", "text/plain; charset=utf-8")

        def end_headers(self) -> None:
            for name, value in HEADERS.items():  # on every answer, http.server's own errors too
                self.send_header(name, value)
            super().end_headers()

        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            if self._admitted() is not None:
                self._route(None)

        do_HEAD = do_GET  # noqa: N815

        def do_POST(self) -> None:  # noqa: N802
            length = self._admitted()
            if length is None:
                return
            body = self.rfile.read(length) if length else b""
            if len(body) < length:  # the client ended the connection mid-body
                self.close_connection = True
                return
            self._route(body)

        def _admitted(self) -> int | None:
            """The length of the body of a request that names this server, comes
            from its page and says its length plainly; else None, the request
            answered and the connection closed (a body left unread must not be
            taken for the next request)."""
            try:
                check_origin(self.headers, preview.port)
                return body_length(self.headers, self.command)
            except Refused as e:
                self.close_connection = True
                self._send(e.status, e.reason.encode(), "text/plain; charset=utf-8")
                return None

        def _route(self, body: bytes | None) -> None:
            parts = urlsplit(self.path)
            path = parts.path
            if path.startswith("/api/prom/"):
                rest = path[len("/api/prom/"):]
                if not _PROMETHEUS_PATHS.match(rest):
                    return self._not_found()
                status, answer = preview.prometheus.forward(rest, parts.query, body,
                                                            self.headers.get("Content-Type"))
                # A query Prometheus refuses is the panel's error, read from the JSON
                # (status "error"), not a failed load in the browser's console.
                return self._send(200 if answer.startswith(b"{") else status, answer)
            if body is not None:
                return self._send(HTTPStatus.METHOD_NOT_ALLOWED, b"", "text/plain")
            if path == "/":
                return self._send(200, index_page(preview.order), _TYPES[".html"])
            if path.startswith("/d/") and path[3:] in preview.dashboards:
                return self._send(200, (STATIC / "page.html").read_bytes(), _TYPES[".html"])
            if path == "/api/config":
                return self._json(preview.config)
            if path.startswith("/api/es/"):
                return self._elasticsearch(path[len("/api/es/"):], parts.query)
            if path == "/api/dashboards":
                return self._json([{"uid": d.uid, "title": d.title} for d in preview.order])
            if path.startswith("/api/dashboards/") and path[16:] in preview.dashboards:
                return self._json(preview.dashboards[path[16:]].data)
            if path.startswith("/static/"):
                return self._static(path[len("/static/"):])
            self._not_found()

        def _elasticsearch(self, rest: str, query: str) -> None:
            from .elastic import panel_frames

            uid, _, panel_id = rest.partition("/")
            found = preview.dashboards.get(uid)
            try:
                asked = parse_qs(query, max_num_fields=200)
                span = (int(asked["from"][0]), int(asked["to"][0]))
            except (KeyError, ValueError):
                return self._send(400, b"from and to (epoch milliseconds) are required", "text/plain; charset=utf-8")
            chosen = {k[4:]: v for k, v in asked.items() if k.startswith("var-")}
            answer = None if found is None else panel_frames(found.data, uid, panel_id, span, chosen,
                                                             preview.es_sources, preview.elasticsearch)
            return self._not_found() if answer is None else self._json(answer)

        def _static(self, name: str) -> None:
            f = (STATIC / name).resolve()
            if STATIC not in f.parents or not f.is_file():
                return self._not_found()
            self._send(200, f.read_bytes(), _TYPES.get(f.suffix, "application/octet-stream"))

    return Handler
