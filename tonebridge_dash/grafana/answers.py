"""Grafana's answers, checked before they are used.

What push and diff read from an answer goes into file names (a backup is
``<uid>.v<version>.<time>.json``), into URLs printed for people and into
decisions (which version to save over). So every field is checked for the
type the API contract documents, and a uid for what Grafana accepts as one:
anything else becomes one ``UnexpectedResponse`` line naming the request,
never a traceback, a path outside its directory or a link to another host.
"""

from __future__ import annotations

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
