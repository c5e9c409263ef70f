"""What the preview server accepts of a request, and what every answer
says to the browser about the page.

The server listens on 127.0.0.1, but a web page in the same browser can
still reach it: through a name of its own that resolves to 127.0.0.1 (DNS
rebinding: the request then carries that name as ``Host``) or by sending
requests across origins. Only ``127.0.0.1:PORT`` and ``localhost:PORT``
may name it, a request from another origin is refused, and a body is read
only as far as a well-formed ``Content-Length`` says, up to a limit.

The page's Content-Security-Policy is the second wall behind the text
panel's sanitizer: a dashboard can run no script (no inline script, no
handler, no eval), load nothing from another origin, and neither move the
page's base URL nor post a form.
"""

from __future__ import annotations

import re
from email.message import Message

BODY_LIMIT = 4 * 1024 * 1024  # a form of PromQL; far more than a page sends
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
    "font-src 'self'", "base-uri 'none'", "form-action 'none'", "object-src 'none'", "frame-ancestors 'none'",
])
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",  # no <img>/<script> of another origin reads an answer
}
_LENGTH = re.compile(r"[0-9]{1,15}")
_FORM = re.compile(r"application/x-www-form-urlencoded\s*(;\s*charset\s*=\s*\"?utf-8\"?\s*)?", re.IGNORECASE)


class Refused(Exception):
    """A request the server does not serve: its status and why."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


def _one(headers: Message, name: str) -> str | None:
    values = headers.get_all(name) or []
    if len(values) > 1:
        raise Refused(400, f"more than one {name} header")
    return values[0].strip() if values else None


def check_origin(headers: Message, port: int) -> None:
    """Refuse a request that names another host or comes from another origin."""
    names = (f"127.0.0.1:{port}", f"localhost:{port}")
    host = _one(headers, "Host")
    if host is None or host.lower() not in names:
        raise Refused(403, f"the preview answers only to http://127.0.0.1:{port}/ and http://localhost:{port}/")
    origin = _one(headers, "Origin")
    if origin is not None and origin.lower() not in {f"http://{n}" for n in names}:
        raise Refused(403, "requests from another origin are refused")
    site, mode = _one(headers, "Sec-Fetch-Site"), _one(headers, "Sec-Fetch-Mode")
    if site in ("cross-site", "same-site") and mode != "navigate":  # another site's page fetching from here
        raise Refused(403, "requests from another origin are refused")


def body_length(headers: Message, method: str) -> int:
    """The length of the request's body, from its one ``Content-Length``."""
    if headers.get_all("Transfer-Encoding"):
        raise Refused(501, "Transfer-Encoding is not supported: send Content-Length")
    values = {v.strip() for v in headers.get_all("Content-Length") or []}
    if not values:
        return 0
    if len(values) > 1 or not _LENGTH.fullmatch(next(iter(values))):
        raise Refused(400, "Content-Length must be one decimal number")
    length = int(values.pop())
    if length > BODY_LIMIT:
        raise Refused(413, f"a body may hold at most {BODY_LIMIT} bytes")
    if length and method in ("GET", "HEAD"):
        raise Refused(400, f"a {method} request has no body")
    if method == "POST" and not _FORM.fullmatch((headers.get("Content-Type") or "").strip()):
        raise Refused(415, "a POST body must be application/x-www-form-urlencoded")
    return length
