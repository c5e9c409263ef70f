"""Grafana's answers, checked before they are used.

What push and diff read from an answer goes into file names (a backup is
``<uid>.v<version>.<time>.json``), into URLs printed for people and into
decisions (which version to save over). So every field is checked for the
type the API contract documents, and a uid for what Grafana accepts as one:
anything else becomes one ``UnexpectedResponse`` line naming the request,
never a traceback, a path outside its directory or a link to another host.
"""

from __future__ import annotations

import json
from typing import Any

from ..model import UID_RE
from .errors import UnexpectedResponse


def unexpected(request: str, what: str) -> UnexpectedResponse:
    return UnexpectedResponse(f"{request}: Grafana answered {what}; refused", request=request)


def uid_of(value: Any, request: str) -> str:
    """A dashboard uid from an answer: 1-40 characters of a-z, A-Z, 0-9, _
    and -, so never a path (``../x``, ``/abs``) once it names a file."""
    if not isinstance(value, str) or not UID_RE.match(value):
        raise unexpected(request, f"the dashboard uid {value!r}, which is not a valid uid")
    return value


def url_path(value: Any, fallback: str) -> str:
    """A path on Grafana (``/d/<uid>/<slug>``) from an answer, or ``fallback``:
    appended to the base URL, anything not starting with one ``/`` (``@host``,
    ``.host``, ``//host``, a full URL) would point somewhere else."""
    if (isinstance(value, str) and value.startswith("/") and not value.startswith("//")
            and value.isprintable() and " " not in value and "\\" not in value):
        return value
    return fallback


def shown(value: Any, limit: int = 60) -> str:
    """A value from an answer, short and on one line."""
    try:
        text = json.dumps(value, sort_keys=True, ensure_ascii=True)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def obj(value: Any, request: str, what: str) -> dict:
    if not isinstance(value, dict):
        raise unexpected(request, f"{what} {shown(value)}, not an object")
    return value


def objects(value: Any, request: str, what: str) -> list[dict]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise unexpected(request, f"{what} {shown(value)}, not a list of objects")
    return value


def text(value: Any, request: str, what: str) -> str:
    """A string field; missing (None) is the empty string."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise unexpected(request, f"{what} {shown(value)}, not a string")
    return value


def number(value: Any, request: str, what: str) -> int:
    """A whole number >= 0 (a version); missing (None) is 0."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise unexpected(request, f"{what} {shown(value)}, not a whole number")
    return value


def health(body: Any) -> dict:
    """GET /api/health: an object; a ``version`` that is not a string is
    treated as hidden (``hide_version``)."""
    body = obj(body, "GET /api/health", "the health check")
    return body if isinstance(body.get("version"), str) else {k: v for k, v in body.items() if k != "version"}


def search_hits(body: Any) -> list[dict]:
    """GET /api/search: a list of hits, each with a valid uid and a title."""
    request = "GET /api/search"
    hits = objects(body, request, "the search result")
    for hit in hits:
        uid_of(hit.get("uid"), request)
        text(hit.get("title"), request, "a hit's title")
    return hits


def versions(body: Any, request: str) -> list[dict]:
    """The version history, newest first. Grafana <= 9 answered a bare list;
    newer ones wrap it in ``{"versions": [...]}``."""
    rows = obj(body, request, "the version history").get("versions") if not isinstance(body, list) else body
    rows = objects(rows if rows is not None else [], request, "the versions")
    for v in rows:
        number(v.get("version"), request, "a version's number")
        for key in ("message", "createdBy", "created"):
            text(v.get(key), request, f"a version's {key}")
    return sorted(rows, key=lambda v: v.get("version") or 0, reverse=True)


def dashboard(body: Any, request: str) -> tuple[dict, dict, int]:
    """GET /api/dashboards/uid/<uid>: the dashboard JSON, its meta (folder
    and url checked to be strings) and its version."""
    body = obj(body, request, "the answer")
    data = obj(body.get("dashboard"), request, "the dashboard")
    meta = obj(body.get("meta") if body.get("meta") is not None else {}, request, "the meta")
    for key in ("folderUid", "folderTitle"):
        text(meta.get(key), request, f"meta.{key}")
    text(data.get("title"), request, "the title")
    version = data.get("version") if data.get("version") is not None else meta.get("version")
    return data, meta, number(version, request, "the version")


def saved_path(body: Any, uid: str) -> str:
    """The path of a saved dashboard. A 2xx answer to a save means it was
    saved, so an answer of another shape only loses the link's slug."""
    return url_path(body.get("url") if isinstance(body, dict) else None, f"/d/{uid}")
