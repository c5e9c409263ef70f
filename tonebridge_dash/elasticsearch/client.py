"""The Elasticsearch HTTP calls ``check`` makes, in one place.

One ``requests.Session`` with a timeout on every call; a transport failure
or an overloaded cluster (429, 502, 503, 504) is retried a limited number
of times (``retries``, a short pause between) since every call reads only;
then it becomes ``ElasticsearchUnreachable``. Credentials come from the URL
(``https://user:password@host:9200``, as for Prometheus) or from the
environment only (``ELASTICSEARCH_API_KEY``, sent as ``Authorization:
ApiKey``); messages show the URL with them hidden, never the key.
"""

from __future__ import annotations

import os
import time
from typing import Any

from .. import __version__
from ..errors import EXIT_USAGE, TbDashError, clip, redact_url
from .msearch import MSEARCH_PATH

API_KEY_ENV = "ELASTICSEARCH_API_KEY"
RETRY_STATUSES = frozenset({429, 502, 503, 504})
RETRY_PAUSE_S = 0.25


class ElasticsearchUnreachable(TbDashError):
    """Elasticsearch did not answer, or answered something that is not its API."""

    exit_code = EXIT_USAGE


def error_reason(answer: Any) -> str:
    """Elasticsearch's error as one line: its type and reason, and the
    deepest cause (a query's parse error sits in ``caused_by``)."""
    error = answer.get("error") if isinstance(answer, dict) else None
    if isinstance(error, str):
        return error
    if not isinstance(error, dict):
        return "unknown error"
    node, parts = error, []
    roots = error.get("root_cause")
    if isinstance(roots, list) and roots and isinstance(roots[0], dict) and error.get("type") == \
            "search_phase_execution_exception":
        failed = error.get("failed_shards")
        node = failed[0].get("reason", roots[0]) if isinstance(failed, list) and failed and \
            isinstance(failed[0], dict) else roots[0]
    while isinstance(node, dict) and len(parts) < 4:
        parts.append(f"{node.get('type', 'error')}: {node.get('reason', '')}".strip())
        node = node.get("caused_by")
    return clip("; ".join(parts), 400)


class ElasticsearchClient:
    def __init__(self, url: str, timeout: float = 10.0, retries: int = 2, api_key: str | None = None) -> None:
        import requests

        if not url.startswith(("http://", "https://")):
            raise ElasticsearchUnreachable(f"--elasticsearch-url must start with http:// or https://, "
                                           f"not '{redact_url(url)}'")
        if "?" in url or "#" in url:
            raise ElasticsearchUnreachable(f"--elasticsearch-url must not have a query string or fragment "
                                           f"({redact_url(url)})")
        self.url = url.rstrip("/")
        self.shown = redact_url(self.url)
        self.timeout, self.retries = timeout, max(0, retries)
        self.session = requests.Session()
        self.session.headers["User-Agent"] = f"tb-dash/{__version__}"
        key = api_key if api_key is not None else os.environ.get(API_KEY_ENV)
        if key:
            self.session.headers["Authorization"] = f"ApiKey {key}"

    def _call(self, method: str, path: str, body: bytes | None = None) -> tuple[int, Any]:
        import requests

        headers = {"Content-Type": "application/x-ndjson"} if body is not None else {}
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                r = self.session.request(method, f"{self.url}/{path}", data=body, headers=headers,
                                         timeout=self.timeout)
            except requests.Timeout:
                if last:
                    raise ElasticsearchUnreachable(
                        f"{self.shown}/{path.split('?')[0]}: no answer within {self.timeout:g}s") from None
            except requests.RequestException as e:
                if last:
                    raise ElasticsearchUnreachable(
                        f"cannot reach Elasticsearch at {self.shown} ({e.__class__.__name__})") from None
            else:
                if r.status_code not in RETRY_STATUSES or last:
                    return self._decoded(r, path)
            time.sleep(RETRY_PAUSE_S * (attempt + 1))
        raise AssertionError("unreachable")  # pragma: no cover

    def _decoded(self, r, path: str) -> tuple[int, Any]:
        where = f"{self.shown}/{path.split('?')[0]}"
        if r.status_code in (401, 403):
            raise ElasticsearchUnreachable(f"{where}: HTTP {r.status_code}, the credentials were refused "
                                           f"(user:password in the URL, or {API_KEY_ENV})")
        try:
            answer = r.json()
        except ValueError:
            raise ElasticsearchUnreachable(f"{where}: HTTP {r.status_code}, not an Elasticsearch answer") from None
        if not isinstance(answer, dict):
            raise ElasticsearchUnreachable(f"{where}: HTTP {r.status_code}, not an Elasticsearch answer")
        return r.status_code, answer

    def info(self) -> dict:
        """``GET /``: the cluster's name and version (fails fast when unreachable)."""
        status, answer = self._call("GET", "")
        if status != 200 or "version" not in answer:
            raise ElasticsearchUnreachable(f"{self.shown}: HTTP {status}, not an Elasticsearch cluster "
                                           f"({error_reason(answer) if 'error' in answer else 'no version'})")
        return answer

    def field_types(self, index: str) -> dict[str, set[str]] | None:
        """Each field of ``index`` (a pattern) and its types, from
        ``_field_caps``; None when no index matches."""
        from urllib.parse import quote

        status, answer = self._call("GET", f"{quote(index, safe='*,-')}/_field_caps?fields=*&ignore_unavailable=true"
                                    "&allow_no_indices=true")
        if status == 404:
            return None
        if status != 200 or not isinstance(answer.get("fields"), dict):
            raise ElasticsearchUnreachable(f"{self.shown}: cannot read the fields of {clip(index, 80)}: "
                                           f"{error_reason(answer)}")
        if not answer.get("indices"):
            return None
        return {name: set(kinds) for name, kinds in answer["fields"].items() if isinstance(kinds, dict)}

    def msearch(self, ndjson: str) -> list[dict]:
        """``POST /_msearch``: one answer per search, errors in place."""
        status, answer = self._call("POST", MSEARCH_PATH, ndjson.encode("utf-8"))
        responses = answer.get("responses")
        if status != 200 or not isinstance(responses, list):
            raise ElasticsearchUnreachable(f"{self.shown}/_msearch: HTTP {status}: {error_reason(answer)}")
        return [r if isinstance(r, dict) else {"error": "not an object", "status": 500} for r in responses]
