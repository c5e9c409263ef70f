"""Grafana's answers as the project's own exceptions.

One function, ``error_for``, turns an HTTP status and body into a typed
``GrafanaError`` carrying Grafana's own message. The rule from the API
contract: branch on the status plus the body's ``status``/``messageId``, and
ignore keys we do not know. Bodies that are not JSON (a reverse proxy's HTML
page) are reduced to a short, readable line.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

from ..errors import TbDashError

# What a P3 Grafana answers instead of 412 when a save would overwrite.
P3_CONFLICT = "Dashboard already exists. Use overwrite flag to update."


class GrafanaError(TbDashError):
    """Grafana (or something in front of it) refused or failed a request."""

    def __init__(self, message: str, *, status: int | None = None, grafana_message: str = "",
                 grafana_status: str = "", message_id: str = "", request: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.grafana_message = grafana_message
        self.grafana_status = grafana_status  # the body's "status" key, e.g. version-mismatch
        self.message_id = message_id  # the body's "messageId", e.g. api-key.invalid
        self.request = request  # "GET /api/search", no query string, no credentials
        # A write whose answer was lost (a timeout, a dropped connection, 502 or
        # 504): Grafana may have done it. Read back before doing it again.
        self.maybe_applied = False


class Unauthorized(GrafanaError):
    """401: missing, wrong, expired or revoked credentials."""


class Forbidden(GrafanaError):
    """403: the credentials lack a permission (Grafana names it), or a quota."""


class NotFound(GrafanaError):
    """404."""


class BadRequest(GrafanaError):
    """400 or 422: Grafana rejected what was sent."""


class FolderNotFound(BadRequest):
    """400 ``folder not found`` on a dashboard save."""


class Conflict(GrafanaError):
    """409: something with the same uid exists (e.g. a folder created concurrently)."""


class VersionConflict(Conflict):
    """412 (P1/P2), or the P3 409: the dashboard changed since the version sent."""


class TooLarge(GrafanaError):
    """413: the dashboard is over Grafana's (or a proxy's) body size limit."""


class RateLimited(GrafanaError):
    """429 that did not go away within the retry budget."""


class ServerError(GrafanaError):
    """5xx, after the retries that were allowed."""


class Unreachable(GrafanaError):
    """No HTTP answer: connection refused or dropped, DNS, TLS or a timeout."""


class UnexpectedResponse(GrafanaError):
    """A 2xx answer whose body is not what the API documents."""


_BY_STATUS: dict[int, type[GrafanaError]] = {
    400: BadRequest, 401: Unauthorized, 403: Forbidden, 404: NotFound, 409: Conflict,
    412: VersionConflict, 413: TooLarge, 422: BadRequest, 429: RateLimited,
}

_HINTS = {
    Unauthorized: "check GRAFANA_TOKEN, --token-file or GRAFANA_USER/GRAFANA_PASSWORD",
    Forbidden: "the credentials need more permissions",
}

_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)
_TAGS = re.compile(r"<[^>]+>")


def parse_body(text: str, content_type: str = "") -> tuple[Any, bool]:
    """The body as JSON when it is JSON; otherwise ``(text, False)``."""
    if text and (text.lstrip()[:1] in "{[" or "json" in content_type):
        try:
            return json.loads(text), True
        except ValueError:
            pass
    return text, False


def summarize_text(text: str, content_type: str = "") -> str:
    """A one-line summary of a non-JSON body (HTML title, or its first words)."""
    m = _TITLE.search(text)
    raw = m.group(1) if m else _TAGS.sub(" ", text)
    line = " ".join(html.unescape(raw).split())
    if len(line) > 120:
        line = line[:117] + "..."
    kind = (content_type.split(";")[0].strip() or "unknown type")
    return f"non-JSON {kind} answer: {line}" if line else f"empty {kind} answer"


def error_for(status: int, text: str, content_type: str, request: str) -> GrafanaError:
    """The typed exception for one error answer."""
    body, is_json = parse_body(text, content_type)
    fields = body if is_json and isinstance(body, dict) else {}
    grafana_message = str(fields.get("message") or "")
    grafana_status = str(fields.get("status") or "")
    if fields.get("kind") == "Status":  # /apis: a Kubernetes Status, whose "status" is only "Failure"
        grafana_status = str(fields.get("reason") or "")
    message_id = str(fields.get("messageId") or "")
    cls = _BY_STATUS.get(status, ServerError if status >= 500 else GrafanaError)
    if cls is BadRequest and grafana_message.lower() == "folder not found":
        cls = FolderNotFound
    elif status == 409 and grafana_message == P3_CONFLICT:
        cls = VersionConflict
    if grafana_message:
        detail = grafana_message
    elif is_json:  # no message (e.g. the health check's {"database": "failing"}): show the body
        detail = json.dumps(body, sort_keys=True) if body not in ({}, [], None) else ""
        detail = detail if len(detail) <= 120 else detail[:117] + "..."
    else:
        detail = summarize_text(text, content_type)
    tag = f" ({grafana_status or message_id})" if (grafana_status or message_id) else ""
    line = f"{request}: Grafana answered {status}" + (f": {detail}{tag}" if detail else tag)
    hint = _HINTS.get(cls)
    if hint:
        line += f"; {hint}"
    return cls(line, status=status, grafana_message=grafana_message,
               grafana_status=grafana_status, message_id=message_id, request=request)
