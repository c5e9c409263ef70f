"""An emulator of Grafana's HTTP API as tb-dash uses it (the contract's §11).

A threaded HTTP server on 127.0.0.1 with an ephemeral port; it starts in a
few milliseconds. It answers with the status codes, bodies and messages of
the API contract: the dashboard save checks in P2's order (with P1's title
rule and P3's 409 behind the ``profile`` switch), the version rule and the
version history, folders, search with Grafana's sorting, health,
datasources, and auth with one store per org.

For tests it injects faults (latency, bursts of 5xx with or without
``Retry-After``, HTML error pages, dropped connections, slow bodies) and
counts the requests it received per route, so a test can assert how many
writes happened.

Run it by hand: ``python tests/grafana_emulator.py --port 3000 --token secret``.
"""

from __future__ import annotations

import base64
import copy
import http
import json
import re
import secrets
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, unquote, urlsplit

from grafana_emulator_apis import APIS_ROUTES, ApisRoutes, Encoded

JSON_TYPE = "application/json"
UID_RE = re.compile(r"^[a-zA-Z0-9\-_]*$")
MAX_BODY_BYTES = 16 * 1024 * 1024
P3_CONFLICT = "Dashboard already exists. Use overwrite flag to update."
NGINX_PAGE = ("<html>\r\n<head><title>{code} {phrase}</title></head>\r\n<body>\r\n"
              "<center><h1>{code} {phrase}</h1></center>\r\n<hr><center>nginx</center>\r\n"
              "</body>\r\n</html>\r\n")


def now_iso() -> str:
    return datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")


def slugify(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def errutil(status: int, message: str, message_id: str) -> tuple[int, dict]:
    """The body of an errutil error (auth and some folder errors)."""
    return status, {"extra": None, "message": message, "messageId": message_id,
                    "statusCode": status, "traceID": ""}


def access_denied(permissions: str) -> tuple[int, dict]:
    """The RBAC middleware's 403."""
    return 403, {"title": "Access denied",
                 "message": "You'll need additional permissions to perform this action. "
                            f"Permissions needed: {permissions}",
                 "accessErrorId": f"ACE{secrets.randbelow(10**10):010d}"}


class Reply(Exception):
    """Raised inside a route to answer at once with (status, body)."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(status)
        self.status, self.body = status, body


def fail(code: int, message: str, /, **extra: Any) -> Reply:
    """An error answer ``{"message": ..., **extra}`` (``extra`` may hold Grafana's "status")."""
    return Reply(code, {**extra, "message": message})


# -- state ------------------------------------------------------------------

@dataclass
class Principal:
    name: str  # what Grafana records as createdBy / updatedBy
    role: str = "Admin"  # Admin, Editor or Viewer
    org_id: int | None = None  # a token belongs to one org; a user to all here
    state: str = "ok"  # ok, expired or revoked (tokens)

    @property
    def can_write(self) -> bool:
        return self.role in ("Admin", "Editor")


@dataclass
class StoredFolder:
    id: int
    uid: str
    title: str
    parent_uid: str = ""
    version: int = 1
    created: str = field(default_factory=now_iso)
    created_by: str = "admin"


@dataclass
class StoredDashboard:
    id: int
    uid: str
    data: dict
    folder_uid: str
    version: int
    created: str
    created_by: str
    updated: str
    updated_by: str
    provisioned: bool = False
    plugin_id: str = ""
    annotations: dict[str, str] = field(default_factory=dict)  # what /apis shows in metadata.annotations
    resource_version: str = ""
    stored_version: str = "v1beta1"  # the dashboard.grafana.app version it was saved in (data is in its form)

    @property
    def title(self) -> str:
        return str(self.data.get("title", ""))


@dataclass
class Org:
    id: int
    dashboards: dict[str, StoredDashboard] = field(default_factory=dict)
    folders: dict[str, StoredFolder] = field(default_factory=dict)
    versions: dict[str, list[dict]] = field(default_factory=dict)  # uid -> oldest first
    snapshots: dict[tuple[str, int], dict] = field(default_factory=dict)
    next_id: int = 1
    next_version_id: int = 1
    quota: int | None = None
    denied_folders: set[str] = field(default_factory=set)

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def by_id(self, dashboard_id: int) -> StoredDashboard | None:
        return next((d for d in self.dashboards.values() if d.id == dashboard_id), None)

    def folder_by_id(self, folder_id: int) -> StoredFolder | None:
        return next((f for f in self.folders.values() if f.id == folder_id), None)


@dataclass
class Fault:
    status: int | None  # None: drop the connection without answering
    remaining: int | None  # None: forever
    retry_after: str | None = None
    html: bool = False
    route: str | None = None  # e.g. "POST /api/dashboards/db"; None: every route but health
    late: float = 0.0  # > 0: handle the request, then hold its answer this many seconds

    def matches(self, route: str) -> bool:
        if self.route is None:
            return route not in ("GET /api/health", "HEAD /api/health")
        return self.route == route


# -- the server ---------------------------------------------------------------

class GrafanaEmulator(ApisRoutes):
    """``with GrafanaEmulator() as g: ...`` starts it; ``g.url`` is its base URL.

    ``profile``: "P1" (Grafana <= 11.2), "P2" (11.3 to 13.0, default) or "P3"
    (version conflicts answer 409). ``tokens`` maps a token to a Principal.
    """

    def __init__(self, profile: str = "P2", *, token: str | None = "test-token",
                 latency: float = 0.0, version: str | None = None) -> None:
        if profile not in ("P1", "P2", "P3"):
            raise ValueError(f"unknown profile {profile!r}")
        self.profile = profile
        self.grafana_version = version or {"P1": "11.2.0", "P2": "12.2.0", "P3": "13.1.0"}[profile]
        self.latency = latency
        self.slow_body = 0.0
        self.max_body_bytes: int | None = None if profile == "P1" else MAX_BODY_BYTES
        self.versions_as_list = False  # Grafana <= 9 answered the versions as a bare list
        self.dashboard_restore = False  # Grafana's dashboardRestore flag: deletes go to Recently deleted
        self.database_ok = True
        self.internal_errors: list[str] = []
        self.lock = threading.RLock()
        self.counts: Counter[str] = Counter()
        self.last_headers: dict[str, dict[str, str]] = {}  # route -> headers of its latest request
        self.faults: list[Fault] = []
        self.rewrites: dict[str, Callable[[Any], Any]] = {}  # route -> change of its 2xx answers
        # (route, what happens before it, whether before its latency too), once each
        self.hooks: list[tuple[str, Callable[[], Any], bool]] = []
        self.apis_lists: list[tuple[str, bool]] = []  # each /apis list page: (version, whether a continuation)
        self.tokens: dict[str, Principal] = {}
        self.users: dict[str, tuple[str, Principal]] = {}
        self.orgs: dict[int, Org] = {1: Org(1)}
        self.datasources: dict[int, list[dict]] = {1: [{
            "id": 1, "uid": "prometheus", "orgId": 1, "name": "Prometheus", "type": "prometheus",
            "typeLogoUrl": "public/app/plugins/datasource/prometheus/img/prometheus_logo.svg",
            "access": "proxy", "url": "http://prometheus:9090", "user": "", "database": "",
            "basicAuth": False, "basicAuthUser": "", "withCredentials": False, "isDefault": True,
            "jsonData": {}, "secureJsonFields": {}, "version": 1, "readOnly": False}]}
        if token:
            self.add_token(token)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --

    def start(self) -> "GrafanaEmulator":
        emulator = self

        class Handler(_Handler):
            emu = emulator

        server = _Server(("127.0.0.1", 0), Handler, bind_and_activate=False)
        server.request_queue_size = 128
        server.daemon_threads = True
        server.server_bind()
        server.server_activate()
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                                        name="grafana-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server.close_connections()
            self._server = None

    def __enter__(self) -> "GrafanaEmulator":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the emulator first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- set-up helpers for tests --

    def add_token(self, token: str, *, org_id: int = 1, role: str = "Admin",
                  name: str = "sa-1-tb-dash", state: str = "ok") -> None:
        self.tokens[token] = Principal(name=name, role=role, org_id=org_id, state=state)

    def add_user(self, user: str, password: str, role: str = "Admin") -> None:
        self.users[user] = (password, Principal(name=user, role=role))

    def add_org(self, org_id: int) -> Org:
        with self.lock:
            return self.orgs.setdefault(org_id, Org(org_id))

    def org(self, org_id: int = 1) -> Org:
        return self.orgs[org_id]

    def add_folder(self, uid: str, title: str, org_id: int = 1) -> StoredFolder:
        with self.lock:
            org = self.orgs[org_id]
            folder = StoredFolder(id=org.new_id(), uid=uid, title=title)
            org.folders[uid] = folder
            return folder

    def ui_save(self, uid: str, change: Callable[[dict], None], *, user: str = "alice",
                message: str = "", org_id: int = 1) -> dict:
        """What a person saving in the UI does: load, change, save with the
        version they loaded (no overwrite)."""
        with self.lock:
            stored = self.orgs[org_id].dashboards[uid]
            data = copy.deepcopy(stored.data)
            change(data)
            body = {"dashboard": data, "folderUid": stored.folder_uid, "message": message,
                    "overwrite": False}
            return self.save_dashboard(self.orgs[org_id], body, Principal(name=user))

    def dashboard(self, uid: str, org_id: int = 1) -> dict | None:
        with self.lock:
            d = self.orgs[org_id].dashboards.get(uid)
            return None if d is None else copy.deepcopy(d.data)

    def folder_of(self, uid: str, org_id: int = 1) -> str | None:
        with self.lock:
            d = self.orgs[org_id].dashboards.get(uid)
            return None if d is None else d.folder_uid

    def history(self, uid: str, org_id: int = 1) -> list[dict]:
        """The version history, newest first (as the API answers it)."""
        with self.lock:
            return [dict(v) for v in reversed(self.orgs[org_id].versions.get(uid, []))]

    # -- faults and counters --

    def fail_next(self, n: int | None, status: int = 503, *, retry_after: str | int | None = None,
                  html: bool = False, route: str | None = None) -> None:
        """The next ``n`` matching requests (None: all of them) get ``status``."""
        with self.lock:
            self.faults.append(Fault(status, n, None if retry_after is None else str(retry_after),
                                     html, route))

    def answer_late(self, seconds: float, n: int | None = 1, route: str | None = None) -> None:
        """Carry out the next ``n`` matching requests, then hold each answer
        ``seconds``: longer than the client waits, it is done but its answer lost."""
        with self.lock:
            self.faults.append(Fault(200, n, route=route, late=seconds))

    def drop_next(self, n: int | None = 1, route: str | None = None) -> None:
        """Close the connection on the next ``n`` matching requests, answering nothing."""
        with self.lock:
            self.faults.append(Fault(None, n, route=route))

    def rewrite(self, route: str, change: Callable[[Any], Any]) -> None:
        """Send ``change(body)`` instead of each successful answer of ``route``
        (e.g. "GET /api/dashboards/uid/:uid"): a Grafana, or something in
        front of it, that answers what the contract does not say."""
        with self.lock:
            self.rewrites[route] = change

    def before(self, route: str, action: Callable[[], Any], times: int = 1, on_arrival: bool = False) -> None:
        """Run ``action`` (e.g. a ``ui_save``) just before the next ``times``
        requests of ``route`` are handled: what someone else does between two
        requests of a client. ``on_arrival``: as soon as the request is
        read, before the latency added to it (requests sent at the same time
        are then still in flight)."""
        with self.lock:
            self.hooks.extend([(route, action, on_arrival)] * times)

    def _run_hook(self, route: str, on_arrival: bool = False) -> None:
        with self.lock:
            hook = next((h for h in self.hooks if h[0] == route and h[2] == on_arrival), None)
            if hook is not None:
                self.hooks.remove(hook)
        if hook is not None:
            hook[1]()

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def reset_counts(self) -> None:
        with self.lock:
            self.counts.clear()
            self.apis_lists.clear()

    def writes(self) -> int:
        """Requests received that change state (POST, PUT, PATCH, DELETE)."""
        with self.lock:
            return sum(n for route, n in self.counts.items()
                       if route.split()[0] in ("POST", "PUT", "PATCH", "DELETE"))

    def total_requests(self) -> int:
        with self.lock:
            return sum(self.counts.values())

    def _take_fault(self, route: str) -> Fault | None:
        with self.lock:
            for f in self.faults:
                if f.matches(route) and (f.remaining is None or f.remaining > 0):
                    if f.remaining is not None:
                        f.remaining -= 1
                    return f
            return None

    # -- auth --

    def authenticate(self, headers, query: dict[str, list[str]]) -> tuple[Principal, Org]:
        header = headers.get("Authorization", "")
        token = None
        principal = None
        if header.startswith("Bearer "):
            token = header[len("Bearer "):].strip()
        elif header.startswith("Basic "):
            try:
                user, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
            except (ValueError, UnicodeDecodeError):
                raise Reply(*errutil(401, "Unauthorized", "auth.unauthorized"))
            if user == "api_key":
                token = password
            else:
                known = self.users.get(user)
                if known is None or not secrets.compare_digest(known[0], password):
                    raise Reply(*errutil(401, "Invalid username or password", "password-auth.failed"))
                principal = known[1]
        else:
            raise Reply(*errutil(401, "Unauthorized", "auth.unauthorized"))
        if token is not None:
            principal = self.tokens.get(token)
            if principal is None:
                raise Reply(*errutil(401, "Invalid API key", "api-key.invalid"))
            if principal.state == "expired":
                raise Reply(*errutil(401, "Expired API key", "api-key.expired"))
            if principal.state == "revoked":
                raise Reply(*errutil(401, "Revoked API key", "api-key.revoked"))
        assert principal is not None
        org_id = principal.org_id or 1
        for candidate in (query.get("targetOrgId", [None])[0], headers.get("X-Grafana-Org-Id")):
            if candidate is not None and candidate.strip().isdigit():
                org_id = int(candidate)
                break
        if principal.org_id is not None and org_id != principal.org_id:
            raise Reply(*errutil(401, "API key does not belong to the requested organization",
                                 "api-key.organization-mismatch"))
        org = self.orgs.get(org_id)
        if org is None:
            raise Reply(*errutil(401, "Unauthorized", "auth.unauthorized"))
        return principal, org

    # -- routes --

    def health(self) -> tuple[int, dict]:
        body = {"database": "ok" if self.database_ok else "failing",
                "version": self.grafana_version, "commit": "0123456789"}
        return (200 if self.database_ok else 503), body

    def save_dashboard(self, org: Org, body: Any, who: Principal, body_size: int | None = None) -> dict:
        """POST /api/dashboards/db, checks in the contract's order. ``body`` is
        the parsed request, owned by the emulator from here on (stored dashboards
        are replaced on save, never changed in place, so they are not copied)."""
        if not isinstance(body, dict) or not isinstance(body.get("dashboard"), dict):
            raise fail(400, "bad request data")
        if body.get("isFolder") is True:
            raise fail(400, "Use folders endpoint for saving folders.")
        dash = body["dashboard"]
        dash_id = dash.get("id") if isinstance(dash.get("id"), int) and not isinstance(dash.get("id"), bool) else 0
        uid = dash.get("uid") if isinstance(dash.get("uid"), str) else ""
        has_version = bool(dash_id or uid) and isinstance(dash.get("version"), int)
        version = dash["version"] if has_version else 0
        title = dash.get("title") if isinstance(dash.get("title"), str) else ""
        message = body.get("message") if isinstance(body.get("message"), str) else ""
        overwrite = body.get("overwrite") is True
        p3 = self.profile == "P3"
        if p3 and not title:
            raise fail(400, "Dashboard spec is missing required title property")
        if not p3 and not title.strip():
            raise fail(400, "Dashboard title cannot be empty",
                       **({} if self.profile == "P1" else {"status": "empty-name"}))
        if len(title) > 5000:
            raise fail(400, "Dashboard title cannot contain more than 5 000 characters",
                       status="title-too-long")
        if len(message) > 500:
            raise fail(400, "message too long, max 500 characters")
        if not UID_RE.match(uid):
            raise fail(400, "uid contains illegal characters")
        if len(uid) > 40:
            raise fail(400, "uid too long, max 40 characters")
        folder_uid = self._target_folder(org, body)
        existing = None
        if dash_id:
            existing = org.by_id(dash_id)
            if existing is None:
                raise (fail(404, "Dashboard not found") if p3
                       else fail(404, "Dashboard not found", status="not-found"))
        if uid:
            same_uid = org.dashboards.get(uid)
            if existing is not None and same_uid is not None and same_uid.id != existing.id:
                raise fail(400, "A dashboard with the same uid already exists")
            if uid in org.folders:
                raise fail(400, "Dashboard cannot be changed to a folder")
            existing = existing or same_uid
        if self.profile == "P1":
            clash = next((d for d in org.dashboards.values() if d.folder_uid == folder_uid
                          and d.title.lower() == title.lower() and d is not existing), None)
            if clash is not None:
                if not overwrite:
                    raise fail(412, "A dashboard with the same name in the folder already exists",
                               status="name-exists")
                existing = clash  # P1 takes over the same-titled dashboard
        if existing is not None and not overwrite:
            if p3 and (not has_version or version != existing.version):
                raise fail(409, P3_CONFLICT)
            if not p3 and version != existing.version:
                raise fail(412, "The dashboard has been changed by someone else",
                           status="version-mismatch")
            if existing.plugin_id:
                raise Reply(412, {"status": "plugin-dashboard",
                                  "message": f"The dashboard belongs to plugin {existing.plugin_id}."})
        if not who.can_write or folder_uid in org.denied_folders:
            raise fail(403, "Access denied to save dashboard")
        if existing is not None and existing.provisioned:
            raise fail(400, "Cannot save provisioned dashboard")
        if existing is None and org.quota is not None and len(org.dashboards) >= org.quota:
            raise fail(403, "Quota reached")
        size = len(json.dumps(body)) if body_size is None else body_size
        if self.max_body_bytes is not None and size > self.max_body_bytes:
            raise fail(413, "Dashboard is too large, max is 16 MB")
        return self._store(org, dash, existing, folder_uid, message, who)

    def _target_folder(self, org: Org, body: dict) -> str:
        folder_uid = body.get("folderUid")
        if isinstance(folder_uid, str) and folder_uid not in ("", "general"):
            if folder_uid not in org.folders:
                raise fail(400, "folder not found")
            return folder_uid
        folder_id = body.get("folderId")
        if isinstance(folder_id, int) and folder_id > 0:
            folder = org.folder_by_id(folder_id)
            if folder is None:
                raise fail(400, "folder not found")
            return folder.uid
        return ""

    def _store(self, org: Org, dash: dict, existing: StoredDashboard | None, folder_uid: str,
               message: str, who: Principal) -> dict:
        stamp = now_iso()
        created = existing is None
        if existing is None:
            uid = dash.get("uid") or secrets.token_hex(7)
            existing = StoredDashboard(id=org.new_id(), uid=uid, data={}, folder_uid=folder_uid,
                                       version=0, created=stamp, created_by=who.name,
                                       updated=stamp, updated_by=who.name)
            org.dashboards[uid] = existing
        elif dash.get("uid") and dash["uid"] != existing.uid:  # P1 takeover under a new uid
            del org.dashboards[existing.uid]
            existing.uid = dash["uid"]
            org.dashboards[existing.uid] = existing
        parent = existing.version
        existing.version += 1
        dash.update(id=existing.id, uid=existing.uid, version=existing.version)
        existing.data, existing.folder_uid = dash, folder_uid
        existing.stored_version = "v1beta1"  # the legacy /api saves the classic model
        existing.updated, existing.updated_by = stamp, who.name
        org.versions.setdefault(existing.uid, []).append({
            "id": org.next_version_id, "dashboardId": existing.id, "uid": existing.uid,
            "parentVersion": parent, "restoredFrom": 0, "version": existing.version,
            "created": stamp, "createdBy": who.name, "message": message})
        org.next_version_id += 1
        org.snapshots[(existing.uid, existing.version)] = dash
        self.annotate_save(existing, message, who, created)
        slug = slugify(existing.title)
        return {"status": "success", "slug": slug, "version": existing.version, "id": existing.id,
                "uid": existing.uid, "url": f"/d/{existing.uid}/{slug}", "folderUid": folder_uid}

    def get_dashboard(self, org: Org, uid: str) -> dict:
        d = org.dashboards.get(uid)
        if d is None:
            raise fail(404, "Dashboard not found")
        if d.stored_version.startswith("v2"):  # pkg/api/dashboard.go: v2 is not served by /api
            raise fail(406, f"dashboard api version not supported, use /apis/dashboard.grafana.app/"
                            f"{d.stored_version}/namespaces/{self.namespace_of(org)}/dashboards/{uid} instead")
        folder = org.folders.get(d.folder_uid)
        slug = slugify(d.title)
        meta = {
            "type": "db", "canSave": True, "canEdit": True, "canAdmin": True, "canStar": True,
            "canDelete": True, "slug": slug, "url": f"/d/{d.uid}/{slug}",
            "expires": "0001-01-01T00:00:00Z", "created": d.created, "updated": d.updated,
            "updatedBy": d.updated_by, "createdBy": d.created_by, "version": d.version,
            "hasAcl": False, "isFolder": False, "folderId": folder.id if folder else 0,
            "folderUid": d.folder_uid, "folderTitle": folder.title if folder else "General",
            "folderUrl": f"/dashboards/f/{folder.uid}/{slugify(folder.title)}" if folder else "",
            "provisioned": d.provisioned, "provisionedExternalId": "",
            "annotationsPermissions": {"dashboard": {"canAdd": True, "canEdit": True, "canDelete": True},
                                       "organization": {"canAdd": True, "canEdit": True, "canDelete": True}},
        }
        return {"dashboard": d.data, "meta": meta}

    def versions(self, org: Org, uid: str, query: dict[str, list[str]]) -> Any:
        if uid not in org.dashboards:
            raise fail(404, "Dashboard not found")
        limit = _int(query, "limit", 1000)
        start = _int(query, "start", 0)
        rows = list(reversed(org.versions.get(uid, [])))[start:start + limit]
        rows = [dict(v) for v in rows]
        return rows if self.versions_as_list else {"continueToken": "", "versions": rows}

    def delete_dashboard(self, org: Org, uid: str, who: Principal) -> dict:
        """DELETE /api/dashboards/uid/:uid. The RBAC middleware answers before
        the handler looks the uid up; the dashboard goes with its version
        history. With ``dashboard_restore`` (Grafana's ``dashboardRestore``
        flag) the message says it moved to Recently deleted."""
        if not who.can_write:
            raise Reply(*access_denied("dashboards:delete"))
        if uid in org.folders:
            raise fail(400, "Use folders endpoint for deleting folders.")
        d = org.dashboards.get(uid)
        if d is None:
            raise fail(404, "Dashboard not found")
        if d.provisioned:
            raise fail(400, "provisioned dashboard cannot be deleted")
        del org.dashboards[uid]
        for version in org.versions.pop(uid, []):
            org.snapshots.pop((uid, version["version"]), None)
        said = "moved to Recently deleted" if self.dashboard_restore else "deleted"
        return {"title": d.title, "message": f"Dashboard {d.title} {said}", "uid": uid}

    def folder_dto(self, f: StoredFolder) -> dict:
        return {"id": f.id, "uid": f.uid, "title": f.title,
                "url": f"/dashboards/f/{f.uid}/{slugify(f.title)}", "hasAcl": False,
                "canSave": True, "canEdit": True, "canAdmin": True, "canDelete": True,
                "createdBy": f.created_by, "created": f.created, "updatedBy": f.created_by,
                "updated": f.created, "version": f.version, "parentUid": f.parent_uid, "parents": []}

    def get_folder(self, org: Org, uid: str) -> dict:
        if uid == "general":
            return {"id": 0, "uid": "general", "title": "General", "url": "", "hasAcl": False,
                    "canSave": True, "canEdit": True, "canAdmin": True, "canDelete": False,
                    "version": 0, "parentUid": "", "parents": []}
        f = org.folders.get(uid)
        if f is None:
            raise fail(404, "folder not found", status="not-found")
        return self.folder_dto(f)

    def list_folders(self, org: Org, query: dict[str, list[str]]) -> list:
        parent = query.get("parentUid", [""])[0]
        limit, page = _int(query, "limit", 1000), max(1, _int(query, "page", 1))
        rows = sorted((f for f in org.folders.values() if f.parent_uid == parent),
                      key=lambda f: f.title.lower())
        return [{"id": f.id, "uid": f.uid, "title": f.title,
                 **({"parentUid": f.parent_uid} if f.parent_uid else {})}
                for f in rows[(page - 1) * limit:page * limit]]

    def create_folder(self, org: Org, body: Any, who: Principal) -> dict:
        if not who.can_write:
            raise Reply(*errutil(403, "not enough permissions to create a folder in the selected location",
                                 "folders.forbiddenCreation"))
        if not isinstance(body, dict):
            raise fail(400, "bad request data")
        title = body.get("title") if isinstance(body.get("title"), str) else ""
        uid = body.get("uid") if isinstance(body.get("uid"), str) else ""
        parent = body.get("parentUid") if isinstance(body.get("parentUid"), str) else ""
        if not title.strip():
            raise fail(400, "folder title cannot be empty")
        if not UID_RE.match(uid):
            raise fail(400, "uid contains illegal characters")
        if len(uid) > 40:
            raise fail(400, "uid too long, max 40 characters")
        if parent and parent not in org.folders:
            raise fail(404, "folder not found", status="not-found")
        if uid and (uid in org.folders or uid in org.dashboards):
            raise fail(409, "a folder/dashboard with the same uid already exists")
        if self.profile == "P1" and any(f.title == title and f.parent_uid == parent
                                        for f in org.folders.values()):
            raise fail(409, "a folder with the same name already exists")
        folder = StoredFolder(id=org.new_id(), uid=uid or secrets.token_hex(7), title=title,
                              parent_uid=parent, created_by=who.name)
        org.folders[folder.uid] = folder
        return self.folder_dto(folder)

    def search(self, org: Org, q: dict[str, list[str]]) -> list:
        if (q.get("dashboardIds") or q.get("folderIds")) and (q.get("dashboardUIDs") or q.get("folderUIDs")):
            raise fail(400, "search supports UIDs or IDs, not both")
        limit, page = _int(q, "limit", 1000), max(1, _int(q, "page", 1))
        if limit > 5000:
            raise fail(422, "Limit is above maximum allowed (5000), use page parameter to access "
                            "hits beyond limit")
        kind = q.get("type", [""])[0]
        text = q.get("query", [""])[0].lower()
        tags = q.get("tag", [])
        folder_uids = {"" if u == "general" else u for u in q.get("folderUIDs", [])}
        dash_uids = set(q.get("dashboardUIDs", []))
        dash_ids = {int(i) for i in q.get("dashboardIds", []) if i.isdigit()}
        folder_ids = {int(i) for i in q.get("folderIds", []) if i.isdigit()}

        def keep(uid: str, ident: int, title: str, parent: str, parent_id: int) -> bool:
            return ((not dash_uids or uid in dash_uids) and (not dash_ids or ident in dash_ids)
                    and (not q.get("folderUIDs") or parent in folder_uids)
                    and (not folder_ids or parent_id in folder_ids)
                    and text in title.lower())

        hits: list[dict] = []
        if kind in ("", "dash-folder") and not tags:
            for f in sorted(org.folders.values(), key=lambda f: f.title.lower()):
                parent = org.folders.get(f.parent_uid)
                if keep(f.uid, f.id, f.title, f.parent_uid, parent.id if parent else 0):
                    hits.append(self._hit(org, f.id, f.uid, f.title, "dash-folder", [], parent))
        if kind in ("", "dash-db"):
            for d in sorted(org.dashboards.values(), key=lambda d: d.title.lower()):
                folder = org.folders.get(d.folder_uid)
                dtags = [t for t in d.data.get("tags") or [] if isinstance(t, str)]
                if keep(d.uid, d.id, d.title, d.folder_uid, folder.id if folder else 0) \
                        and all(t in dtags for t in tags):
                    hits.append(self._hit(org, d.id, d.uid, d.title, "dash-db", dtags, folder))
        return hits[(page - 1) * limit:page * limit]

    @staticmethod
    def _hit(org: Org, ident: int, uid: str, title: str, kind: str, tags: list[str],
             folder: StoredFolder | None) -> dict:
        slug = slugify(title)
        url = f"/dashboards/f/{uid}/{slug}" if kind == "dash-folder" else f"/d/{uid}/{slug}"
        hit = {"id": ident, "uid": uid, "orgId": org.id, "title": title, "uri": f"db/{slug}",
               "url": url, "slug": "", "type": kind, "tags": tags, "isStarred": False,
               "sortMeta": 0, "isDeleted": False}
        if folder is not None:
            hit.update(folderId=folder.id, folderUid=folder.uid, folderTitle=folder.title,
                       folderUrl=f"/dashboards/f/{folder.uid}/{slugify(folder.title)}")
        return hit

    def datasource(self, org: Org, key: str, value: str) -> dict:
        for ds in self.datasources.get(org.id, []):
            if ds[key] == value:
                return copy.deepcopy(ds)
        raise fail(404, "Data source not found")

    # -- dispatch --

    ROUTES: list[tuple[str, re.Pattern, str]] = [
        (m, re.compile(p), name) for m, p, name in [
            ("POST", r"^/api/dashboards/db/?$", "POST /api/dashboards/db"),
            ("GET", r"^/api/dashboards/uid/([^/]+)/versions/?$", "GET /api/dashboards/uid/:uid/versions"),
            ("GET", r"^/api/dashboards/uid/([^/]+)/?$", "GET /api/dashboards/uid/:uid"),
            ("DELETE", r"^/api/dashboards/uid/([^/]+)/?$", "DELETE /api/dashboards/uid/:uid"),
            ("GET", r"^/api/folders/?$", "GET /api/folders"),
            ("POST", r"^/api/folders/?$", "POST /api/folders"),
            ("GET", r"^/api/folders/([^/]+)/?$", "GET /api/folders/:uid"),
            ("GET", r"^/api/search/?$", "GET /api/search"),
            ("GET", r"^/api/datasources/name/([^/]+)/?$", "GET /api/datasources/name/:name"),
            ("GET", r"^/api/datasources/uid/([^/]+)/?$", "GET /api/datasources/uid/:uid"),
            ("GET", r"^/api/health/?$", "GET /api/health"),
            ("HEAD", r"^/api/health/?$", "HEAD /api/health"),
            *APIS_ROUTES,
        ]
    ]

    def route_of(self, method: str, path: str) -> tuple[str, tuple[str, ...]]:
        for m, pattern, name in self.ROUTES:
            match = pattern.match(path)
            if m == method and match:
                return name, tuple(unquote(g) for g in match.groups())
        return f"{method} (unknown)", ()

    def dispatch(self, route: str, args: tuple[str, ...], headers, query, body: Any,
                 body_size: int = 0) -> tuple[int, Any]:
        if route in ("GET /api/health", "HEAD /api/health"):
            return self.health()
        who, org = self.authenticate(headers, query)
        with self.lock:
            if route.split()[-1].startswith("/apis"):
                return self.apis_dispatch(route, args, org, who, query, body)
            if route == "POST /api/dashboards/db":
                if not who.can_write:
                    raise Reply(*access_denied("any(dashboards:create, dashboards:write)"))
                return 200, self.save_dashboard(org, body, who, body_size)
            handlers: dict[str, Callable[[], Any]] = {
                "GET /api/dashboards/uid/:uid": lambda: self.get_dashboard(org, args[0]),
                "GET /api/dashboards/uid/:uid/versions": lambda: self.versions(org, args[0], query),
                "DELETE /api/dashboards/uid/:uid": lambda: self.delete_dashboard(org, args[0], who),
                "GET /api/folders": lambda: self.list_folders(org, query),
                "POST /api/folders": lambda: self.create_folder(org, body, who),
                "GET /api/folders/:uid": lambda: self.get_folder(org, args[0]),
                "GET /api/search": lambda: self.search(org, query),
                "GET /api/datasources/name/:name": lambda: self.datasource(org, "name", args[0]),
                "GET /api/datasources/uid/:uid": lambda: self.datasource(org, "uid", args[0]),
            }
            handler = handlers.get(route)
            if handler is None:
                raise fail(404, "Not found")
            return 200, handler()


def _int(query: dict[str, list[str]], key: str, default: int) -> int:
    value = query.get(key, [""])[0]
    return int(value) if value.lstrip("-").isdigit() else default


class _Server(ThreadingHTTPServer):
    """Remembers its open connections, so that stop() also ends the kept-alive ones."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.open_connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()

    def process_request(self, request, client_address) -> None:
        with self.connections_lock:
            self.open_connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:
        with self.connections_lock:
            self.open_connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self.connections_lock:
            for conn in list(self.open_connections):
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self.open_connections.clear()


class _Handler(BaseHTTPRequestHandler):
    emu: GrafanaEmulator
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else headers and body in two writes cost a delayed ACK (~40 ms)
    server_version = "Grafana"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def _handle(self) -> None:
        emu = self.emu
        parts = urlsplit(self.path)
        route, args = emu.route_of(self.command, parts.path)
        with emu.lock:
            emu.counts[route] += 1
            emu.last_headers[route] = dict(self.headers)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        emu._run_hook(route, on_arrival=True)
        if emu.latency:
            time.sleep(emu.latency)
        fault = emu._take_fault(route)
        if fault is not None and fault.status is None:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        late = fault.late if fault is not None else 0.0
        if fault is not None and not late:
            self._fault(fault)
            return
        query = parse_qs(parts.query, keep_blank_values=True)
        emu._run_hook(route)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = _BAD_JSON
        try:
            if body is _BAD_JSON and self.command == "POST":
                raise fail(400, "bad request data")
            status, payload = emu.dispatch(route, args, self.headers, query, body, len(raw))
        except Reply as r:
            status, payload = r.status, r.body
        except Exception as e:  # an emulator bug: answer like Grafana, and keep it for the tests
            emu.internal_errors.append(f"{route}: {e!r}")
            status, payload = 500, {"message": "Internal Server Error"}
        change = emu.rewrites.get(route)
        encoded = payload.text if isinstance(payload, Encoded) else None
        payload = payload.value if isinstance(payload, Encoded) else payload
        if change is not None and status < 300:
            payload, encoded = change(copy.deepcopy(payload)), None
        pretty = route.endswith("/api/health")
        text = encoded if encoded is not None else json.dumps(payload, indent=2 if pretty else None)
        if late:
            time.sleep(late)
        try:
            self._send(status, text.encode("utf-8"), JSON_TYPE + ("; charset=UTF-8" if pretty else ""))
        except OSError:  # the client stopped waiting (a late answer, a timeout)
            self.close_connection = True

    def _fault(self, fault: Fault) -> None:
        status = fault.status or 503
        phrase = http.HTTPStatus(status).phrase
        if fault.html:
            payload, ctype = NGINX_PAGE.format(code=status, phrase=phrase).encode(), "text/html"
        else:
            payload, ctype = json.dumps({"message": phrase}).encode(), JSON_TYPE
        extra = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
        self._send(status, payload, ctype, extra)

    def _send(self, status: int, payload: bytes, ctype: str, extra: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command == "HEAD":
            return
        if self.emu.slow_body:
            half = len(payload) // 2
            self.wfile.write(payload[:half])
            self.wfile.flush()
            time.sleep(self.emu.slow_body)
            self.wfile.write(payload[half:])
        else:
            self.wfile.write(payload)

    do_GET = do_POST = do_DELETE = do_HEAD = do_PUT = do_PATCH = _handle


_BAD_JSON = object()


def main() -> None:  # pragma: no cover - a manual aid
    import argparse

    p = argparse.ArgumentParser(description="Run the Grafana emulator.")
    p.add_argument("--port", type=int, default=3000)
    p.add_argument("--token", default="secret")
    p.add_argument("--profile", default="P2", choices=["P1", "P2", "P3"])
    p.add_argument("--latency", type=float, default=0.0, help="seconds added to every request")
    a = p.parse_args()
    emu = GrafanaEmulator(a.profile, token=a.token, latency=a.latency)

    class Handler(_Handler):
        pass

    Handler.emu = emu
    server = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    server.daemon_threads = True
    print(f"Grafana emulator ({a.profile}) on http://127.0.0.1:{a.port}")
    server.serve_forever()


if __name__ == "__main__":  # pragma: no cover
    main()
