"""An Elasticsearch test double whose matching is Lucene's own.

A threaded HTTP server on 127.0.0.1 (ephemeral port) answering what Grafana's
Elasticsearch datasource asks: ``GET /`` (an 8.x version), ``POST /_msearch``
and ``POST /<index>/_msearch`` (NDJSON, answered by
``tonebridge_dash.elasticsearch.evaluate``), ``GET /<index>/_mapping`` and
``GET /<index>/_field_caps?fields=*``, with index patterns (``tonebridge-*``,
comma lists) resolved against the index names. Its store is a ``LogStore``
over a Lucene session; records are indexed with Elasticsearch's dynamic
mapping. It counts requests per route. ``authorization`` makes it refuse
(401) a request without that ``Authorization`` header, as a secured cluster
does; ``unavailable`` answers that many requests 503 first, as an
overloaded one does.

Run it by hand (needs java, javac and liblucene8-java):
``python tests/elasticsearch_emulator.py --port 9200 records.ndjson``
(each line ``{"_index": ..., ...record}``).
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterable
from urllib.parse import parse_qs, unquote, urlsplit

from tonebridge_dash.elasticsearch.evaluate import RequestError, msearch
from tonebridge_dash.elasticsearch.lucene import LuceneSession, unavailable
from tonebridge_dash.elasticsearch.mapping import KEYWORD_SUFFIX, TEXT
from tonebridge_dash.elasticsearch.store import IndexNotFound, LogStore, glob_match

VERSION = "8.11.0"
MAX_BODY_BYTES = 16 * 1024 * 1024
JSON_TYPE = "application/json"


def lucene_session() -> LuceneSession:
    """A Lucene session for a test; a skip naming what is missing (under
    CI=true, where .ci/run installs it, conftest makes it a failure)."""
    import pytest

    reason = unavailable()
    if reason is not None:
        pytest.skip(f"Lucene not installed here ({reason}); .ci/run installs it")
    return LuceneSession()


def es_error(status: int, kind: str, reason: str, **extra: Any) -> tuple[int, dict]:
    root = {"type": kind, "reason": reason, **extra}
    return status, {"error": {"root_cause": [root], **root}, "status": status}


class ElasticsearchEmulator:
    """Serves ``store``; ``now_ms`` fixes "now" for date math (None: the clock)."""

    def __init__(self, store: LogStore, *, now_ms: int | None = None, authorization: str | None = None,
                 unavailable: int = 0) -> None:
        self.store = store
        self.now_ms = now_ms
        self.authorization = authorization
        self.unavailable = unavailable
        self.counts: Counter[str] = Counter()
        self.requests: list[tuple[str, str, bytes]] = []
        self.lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def add(self, index: str, records: Iterable[dict]) -> None:
        with self.lock:
            self.store.add(index, records)

    # -- lifecycle --

    def start(self) -> "ElasticsearchEmulator":
        emulator = self

        class Handler(_Handler):
            emu = emulator

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                         name="elasticsearch-emulator", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "ElasticsearchEmulator":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the emulator first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- routes --

    def answer(self, method: str, target: str, body: bytes, authorization: str | None = None) -> tuple[int, Any]:
        parts = urlsplit(target)
        segments = [unquote(s) for s in parts.path.split("/") if s]
        query = parse_qs(parts.query)
        route = f"{method} /" + "/".join(s if s.startswith("_") else "<index>" for s in segments)
        with self.lock:
            self.counts[route] += 1
            self.requests.append((method, target, body))
            if self.unavailable > 0:
                self.unavailable -= 1
                return es_error(503, "cluster_block_exception", "blocked by: [SERVICE_UNAVAILABLE/2/no master];")
        if self.authorization is not None and authorization != self.authorization:
            return es_error(401, "security_exception", "missing authentication credentials for REST request")
        if method in ("GET", "HEAD") and not segments:
            return 200, self.info()
        if method in ("POST", "GET") and segments[-1:] == ["_msearch"] and len(segments) <= 2:
            return self.msearch(body, default_index=segments[0] if len(segments) == 2 else None)
        if method == "GET" and len(segments) == 2 and segments[1] == "_mapping":
            return self.mapping(segments[0])
        if method == "GET" and len(segments) == 2 and segments[1] == "_field_caps":
            return self.field_caps(segments[0], ",".join(query.get("fields", ["*"])))
        return es_error(405 if segments and segments[-1].startswith("_") else 404, "illegal_argument_exception",
                        f"no handler found for uri [{parts.path}] and method [{method}]")

    def info(self) -> dict:
        return {"name": "emulated", "cluster_name": "tb-dash-test", "cluster_uuid": "tb-dash-emulated-cluster",
                "version": {"number": VERSION, "build_flavor": "default", "build_type": "deb",
                            "lucene_version": "8.7.0", "minimum_wire_compatibility_version": "7.17.0",
                            "minimum_index_compatibility_version": "7.0.0"},
                "tagline": "You Know, for Search"}

    def msearch(self, body: bytes, default_index: str | None) -> tuple[int, Any]:
        try:
            text = body.decode("utf-8")
            if default_index is not None:
                lines = text.splitlines()
                for i in range(0, len(lines) - 1, 2):  # a header without an index takes the path's
                    header = json.loads(lines[i]) if lines[i].strip() else {}
                    header.setdefault("index", default_index)
                    lines[i] = json.dumps(header)
                text = "\n".join(lines) + "\n"
            with self.lock:
                return 200, msearch(self.store, text, now_ms=self.now_ms)
        except UnicodeDecodeError:
            return es_error(400, "x_content_parse_exception", "the body is not UTF-8")
        except json.JSONDecodeError as e:
            return es_error(400, "x_content_parse_exception", f"a line is not JSON: {e.msg}")
        except RequestError as e:
            return es_error(e.status, e.kind, e.reason)

    def _indexes(self, expression: str) -> list[str]:
        return self.store.resolve(expression)

    def mapping(self, expression: str) -> tuple[int, Any]:
        try:
            names = self._indexes(expression)
        except IndexNotFound as e:
            return es_error(404, "index_not_found_exception", f"no such index [{e.name}]", index=e.name)
        return 200, {n: {"mappings": {"properties": self.store.mappings[n].properties()}} for n in names}

    def field_caps(self, expression: str, fields: str) -> tuple[int, Any]:
        try:
            names = self._indexes(expression)
        except IndexNotFound as e:
            return es_error(404, "index_not_found_exception", f"no such index [{e.name}]", index=e.name)
        patterns = [p for p in fields.split(",") if p]
        by_field: dict[str, dict[str, list[str]]] = {}
        for name in names:
            for field, kind in self.store.mappings[name].types.items():
                if any(glob_match(p, field) for p in patterns):
                    by_field.setdefault(field, {}).setdefault(kind, []).append(name)
        out: dict[str, dict] = {}
        for field, kinds in by_field.items():
            out[field] = {}
            for kind, indexes in kinds.items():
                entry = {"type": kind, "metadata_field": False, "searchable": True, "aggregatable": kind != TEXT}
                if len(kinds) > 1:
                    entry["indices"] = indexes
                out[field][kind] = entry
        for parent in {f.rsplit(".", 1)[0] for f in out if "." in f and not f.endswith(KEYWORD_SUFFIX)}:
            out.setdefault(parent, {"object": {"type": "object", "metadata_field": False,
                                               "searchable": False, "aggregatable": False}})
        return 200, {"indices": names, "fields": out}


class _Handler(BaseHTTPRequestHandler):
    emu: ElasticsearchEmulator
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "Elasticsearch-emulated"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def _handle(self) -> None:
        length = self.headers.get("Content-Length")
        if length is None and self.headers.get("Transfer-Encoding"):
            status, body = es_error(411, "illegal_argument_exception", "a body needs a Content-Length")
        elif length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
            status, body = es_error(413, "illegal_argument_exception", "the body is too large")
        else:
            data = self.rfile.read(int(length)) if length else b""
            status, body = self.emu.answer(self.command, self.path, data, self.headers.get("Authorization"))
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", f"{JSON_TYPE}; charset=UTF-8")
        self.send_header("X-elastic-product", "Elasticsearch")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = _handle


def main() -> None:  # pragma: no cover - a manual aid
    import argparse

    p = argparse.ArgumentParser(description="Run the Elasticsearch emulator.")
    p.add_argument("--port", type=int, default=9200)
    p.add_argument("records", nargs="*", help="NDJSON files of records, each with its _index")
    a = p.parse_args()
    with LuceneSession() as session:
        store = LogStore(session)
        by_index: dict[str, list[dict]] = {}
        for path in a.records:
            with open(path, encoding="utf-8") as f:
                for line in f:
                    if line.strip():
                        record = json.loads(line)
                        by_index.setdefault(record.pop("_index", "logs"), []).append(record)
        for index, records in by_index.items():
            store.add(index, records)
        emulator = ElasticsearchEmulator(store)

        class Handler(_Handler):
            emu = emulator

        server = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
        server.daemon_threads = True
        print(f"Elasticsearch emulator on http://127.0.0.1:{a.port}")
        server.serve_forever()


if __name__ == "__main__":  # pragma: no cover
    main()
