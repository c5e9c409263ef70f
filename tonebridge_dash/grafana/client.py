"""GrafanaClient: the only code that speaks HTTP to Grafana.

One ``requests.Session`` (safe to share between the push's worker threads:
its connection pool is thread-safe and it keeps no cookies), a base URL,
credentials, ``X-Grafana-Org-Id``, a User-Agent, a timeout on every request
and TLS verification unless asked otherwise. Requests that are safe to repeat
(GET, and the dashboard upsert with ``overwrite``) are retried on connection
errors and 429/502/503/504 with exponential backoff, honouring
``Retry-After``, bounded in attempts and in total time. Every failure leaves
as a ``GrafanaError``; no ``requests`` exception escapes.
"""

from __future__ import annotations

import email.utils
import logging
import random
import threading
import time
from dataclasses import dataclass
from http.cookiejar import DefaultCookiePolicy
from typing import Any, Callable, Iterable
from urllib.parse import quote, urlsplit

import requests
from requests.adapters import HTTPAdapter

from .. import __version__
from ..errors import UsageError, redact_url
from . import answers
from .errors import GrafanaError, Unreachable, UnexpectedResponse, error_for, parse_body

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 502, 503, 504})
NOT_TAKEN = frozenset({429, 503})  # answers that say the request was not carried out
NOT_SENT = ("connection refused", "host name not found", "no route to host", "connection timed out")
USER_AGENT = f"tb-dash/{__version__} python-requests/{requests.__version__}"


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try a request that is safe to repeat.

    ``attempts`` counts the first try; ``budget`` bounds the time from the
    first try to giving up, so a Grafana that answers 502 forever fails in
    about ``budget`` seconds at most (with the defaults: 5 tries, about 4 s
    of waiting).
    """

    attempts: int = 5
    backoff: float = 0.25  # the first wait; it doubles on every retry
    max_delay: float = 4.0
    budget: float = 20.0

    def delay(self, retry: int, retry_after: float | None) -> float:
        """Seconds to wait before retry number ``retry`` (1-based)."""
        if retry_after is not None:
            return max(0.0, retry_after)
        base = min(self.max_delay, self.backoff * 2 ** (retry - 1))
        return base * random.uniform(0.5, 1.0)  # jitter: the workers do not retry in step


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """``Retry-After`` in seconds (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _transport_reason(exc: Exception) -> str:
    text = str(exc)
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS verification failed; pass --ca-cert FILE, or --insecure to skip verification"
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "connection timed out"
    if isinstance(exc, requests.exceptions.Timeout):
        return "no answer within the timeout"
    for needle, reason in (("Connection refused", "connection refused"),
                           ("Name or service not known", "host name not found"),
                           ("nodename nor servname", "host name not found"),
                           ("Failed to resolve", "host name not found"),
                           ("No route to host", "no route to host"),
                           ("timed out", "no answer within the timeout")):
        if needle in text:
            return reason
    if isinstance(exc, (requests.exceptions.ChunkedEncodingError,
                        requests.exceptions.ConnectionError)):
        return "connection dropped before a complete answer"
    return exc.__class__.__name__


def _check_base_url(url: str) -> str:
    """The base URL API paths are appended to: no credentials, no query
    string or fragment (appended paths would land in them); never quoted
    with its secrets."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # e.g. an unclosed IPv6 bracket
        parts, host = None, None
    if parts is None or parts.scheme not in ("http", "https") or not host:
        raise UsageError("Grafana URL must start with http:// or https:// and name a host, "
                         f"not {redact_url(url)!r}")
    if "@" in parts.netloc:
        raise UsageError("put credentials in GRAFANA_TOKEN, --token-file or "
                         "GRAFANA_USER/GRAFANA_PASSWORD, not in the Grafana URL")
    if parts.query or parts.fragment or url.rstrip("/").endswith(("?", "#")):
        raise UsageError(f"the Grafana URL must not have a query string or fragment ({redact_url(url)}); "
                         "put a token in GRAFANA_TOKEN or --token-file")
    return url.rstrip("/")


class GrafanaClient:
    """Grafana's HTTP API, as tb-dash uses it.

    ``verify`` is True (system CAs), a path to a CA bundle, or False.
    ``timeout`` is seconds, or a (connect, read) pair.
    """

    def __init__(self, base_url: str, *, auth: requests.auth.AuthBase | None = None,
                 org_id: int | None = None, timeout: float | tuple[float, float] = (5.0, 30.0),
                 verify: bool | str = True, retry: RetryPolicy = RetryPolicy(),
                 pool_size: int = 16, sleep: Callable[[float], None] = time.sleep) -> None:
        self.base_url = _check_base_url(base_url)
        self.timeout = timeout
        self.retry = retry
        self._sleep = sleep
        self._lock = threading.Lock()
        self.retries_done = 0
        s = requests.Session()
        s.auth = auth
        s.verify = verify
        s.trust_env = False  # no ~/.netrc credentials, no proxies from the environment
        s.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        s.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
        if org_id is not None:
            s.headers["X-Grafana-Org-Id"] = str(int(org_id))
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool_size, max_retries=0)
        s.mount("http://", adapter)
        s.mount("https://", adapter)
        self.session = s

    def __repr__(self) -> str:
        return f"GrafanaClient({redact_url(self.base_url)!r})"

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> "GrafanaClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def url_for(self, path: str) -> str:
        """An absolute URL for a path Grafana returned (e.g. ``/d/<uid>/<slug>``),
        percent-encoded; "" when the path would leave this Grafana
        (``@evil.example/``, ``.evil.example/`` or ``//host`` change the host)."""
        if not isinstance(path, str) or not path.startswith("/") or path.startswith("//"):
            return ""
        url = self.base_url + quote(path, safe="/%-._~!$&'*+,;=:@?#")
        parts, base = urlsplit(url), urlsplit(self.base_url)
        return url if (parts.scheme, parts.netloc) == (base.scheme, base.netloc) else ""

    # -- transport ---------------------------------------------------------

    def request(self, method: str, path: str, *, params: Any = None, json: Any = None,
                retry_safe: bool | None = None) -> Any:
        """One API call: the decoded JSON answer, or a ``GrafanaError``.

        A request that is safe to repeat is retried on connection errors and
        429/502/503/504. One that is not (a write that Grafana may refuse,
        such as a save carrying a version) is repeated only when it certainly
        was not carried out: 429 or 503 (Grafana, or a proxy, did not take it)
        or a connection that was never made; any other failure is raised at
        once, marked ``maybe_applied`` when it might have been carried out."""
        safe = method in ("GET", "HEAD") if retry_safe is None else retry_safe
        what = f"{method} {path}"
        start = time.monotonic()
        for attempt in range(1, self.retry.attempts + 1):
            try:
                r = self.session.request(method, self.base_url + path, params=params, json=json,
                                         timeout=self._timeout(start, attempt))
            except requests.exceptions.RequestException as e:
                reason = _transport_reason(e)
                failure: GrafanaError = Unreachable(
                    f"{what}: cannot reach Grafana at {redact_url(self.base_url)} ({reason})", request=what)
                sent = reason not in NOT_SENT and not isinstance(e, requests.exceptions.ConnectTimeout)
                failure.maybe_applied = sent and not safe
                tls = isinstance(e, requests.exceptions.SSLError)
                if tls or failure.maybe_applied or not self._wait(attempt, start, None, what, reason):
                    raise self._after(failure, attempt, start) from None
                continue
            if r.status_code in RETRY_STATUSES:
                failure = self._error(r, what)
                failure.maybe_applied = not safe and r.status_code not in NOT_TAKEN
                wait_hint = parse_retry_after(r.headers.get("Retry-After"))
                if not failure.maybe_applied and self._wait(attempt, start, wait_hint, what, str(r.status_code)):
                    r.close()
                    continue
                raise self._after(failure, attempt, start) from None
            if r.status_code >= 400:
                raise self._error(r, what) from None
            return self._decode(r, what)
        raise AssertionError("unreachable")  # pragma: no cover

    def _timeout(self, start: float, attempt: int) -> float | tuple[float, float]:
        """The first attempt waits the whole timeout; a retry only what is
        left of the retry budget, so that a request and its retries end
        within the budget (or the first timeout, when that is longer)."""
        if attempt == 1:
            return self.timeout
        left = max(0.05, self.retry.budget - (time.monotonic() - start))
        pair = self.timeout if isinstance(self.timeout, tuple) else (self.timeout, self.timeout)
        return (min(pair[0], left), min(pair[1], left))

    def _wait(self, attempt: int, start: float, retry_after: float | None, what: str, reason: str) -> bool:
        """Sleep before the next attempt; False when no attempt is left."""
        policy = self.retry
        if attempt >= policy.attempts:
            return False
        delay = policy.delay(attempt, retry_after)
        if time.monotonic() - start + delay > policy.budget:
            return False
        log.info("%s: %s; retrying in %.2f s (attempt %d of %d)", what, reason, delay,
                 attempt + 1, policy.attempts)
        with self._lock:
            self.retries_done += 1
        self._sleep(delay)
        return True

    @staticmethod
    def _after(error: GrafanaError, attempt: int, start: float) -> GrafanaError:
        if attempt > 1:
            error.args = (f"{error.message} (gave up after {attempt} attempts in "
                          f"{time.monotonic() - start:.1f} s)",)
        return error

    @staticmethod
    def _error(r: requests.Response, what: str) -> GrafanaError:
        return error_for(r.status_code, r.text, r.headers.get("Content-Type", ""), what)

    @staticmethod
    def _decode(r: requests.Response, what: str) -> Any:
        if not r.content:
            return None
        body, is_json = parse_body(r.text, r.headers.get("Content-Type", ""))
        if not is_json:
            raise UnexpectedResponse(
                f"{what}: Grafana answered {r.status_code} without JSON; is the URL "
                "Grafana's (and not a login page or a proxy)?", status=r.status_code, request=what)
        return body

    # -- endpoints ---------------------------------------------------------

    def health(self) -> dict:
        return self.request("GET", "/api/health")

    def search(self, *, type: str | None = None, query: str | None = None,
               tags: Iterable[str] = (), folder_uids: Iterable[str] = (),
               dashboard_uids: Iterable[str] = (), limit: int = 5000, page: int | None = None) -> list:
        params = [("type", type), ("query", query), ("limit", limit), ("page", page)]
        params += [("tag", t) for t in tags] + [("folderUIDs", u) for u in folder_uids]
        params += [("dashboardUIDs", u) for u in dashboard_uids]
        return self.request("GET", "/api/search", params=[(k, v) for k, v in params if v is not None])

    def get_dashboard(self, uid: str) -> dict:
        """``{"dashboard": {...}, "meta": {...}}``."""
        return self.request("GET", f"/api/dashboards/uid/{quote(uid, safe='')}")

    def dashboard_versions(self, uid: str, limit: int = 1) -> list[dict]:
        """The newest ``limit`` versions, newest first. Grafana <= 9 answered a
        bare list; newer ones wrap it in ``{"versions": [...]}``."""
        path = f"/api/dashboards/uid/{quote(uid, safe='')}/versions"
        return answers.versions(self.request("GET", path, params={"limit": limit}), f"GET {path}")

    def save_dashboard(self, dashboard: dict, *, folder_uid: str | None = None, message: str = "",
                       overwrite: bool = True) -> dict:
        """Create or update. With ``overwrite`` the call is idempotent, so it is
        retried; without, Grafana refuses it (412, or 409) when the dashboard
        exists at another version than the one in ``dashboard``."""
        body = {"dashboard": dashboard, "overwrite": overwrite, "message": message}
        if folder_uid is not None:
            body["folderUid"] = folder_uid
        return self.request("POST", "/api/dashboards/db", json=body, retry_safe=overwrite)

    def delete_dashboard(self, uid: str) -> dict:
        return self.request("DELETE", f"/api/dashboards/uid/{quote(uid, safe='')}")

    def get_folder(self, uid: str) -> dict:
        return self.request("GET", f"/api/folders/{quote(uid, safe='')}")

    def create_folder(self, uid: str, title: str, parent_uid: str | None = None) -> dict:
        body = {"uid": uid, "title": title}
        if parent_uid:
            body["parentUid"] = parent_uid
        return self.request("POST", "/api/folders", json=body)

    def folders(self, parent_uid: str | None = None, limit: int = 1000) -> list:
        params = {"limit": limit, **({"parentUid": parent_uid} if parent_uid else {})}
        return self.request("GET", "/api/folders", params=params)

    def datasource_by_name(self, name: str) -> dict:
        return self.request("GET", f"/api/datasources/name/{quote(name, safe='')}")

    def datasource_by_uid(self, uid: str) -> dict:
        return self.request("GET", f"/api/datasources/uid/{quote(uid, safe='')}")
