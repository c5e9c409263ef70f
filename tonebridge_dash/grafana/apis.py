"""Grafana's versioned ``/apis`` (``dashboard.grafana.app``) as a push target.

``ApisClient`` wraps a ``GrafanaClient`` and answers the few calls that
plan, push, prune and diff make (``search``, ``get_dashboard``,
``dashboard_versions``, ``save_dashboard``, ``delete_dashboard``) in the
shape of the legacy ``/api``, so the push is the same code whichever API
carries it: the same plan, refusals, backups, summary and exit codes.

What differs underneath:

- one paginated list (``limit``/``continue``) gives every live dashboard
  with its ``resourceVersion``, ``generation`` and annotations; the first
  read of each dashboard comes from it, so a push that changes nothing
  makes a constant number of requests. A read after that (a conflict, a
  prune's last look) asks the server again;
- the "newest version" that tells tb-dash's saves from a person's is made
  from the annotations: tb-dash writes the content hash as
  ``grafana.app/sourceChecksum`` (and its usual message as
  ``grafana.app/message``); a live spec whose hash is not that checksum was
  changed by someone else (``grafana.app/updatedBy``, at
  ``grafana.app/updatedTimestamp``);
- create is a POST, update a PUT carrying the ``resourceVersion`` that was
  read: a 409 is someone else's change in between (or a create that finds
  the name taken), raised as ``VersionConflict`` and refused like a hand
  edit. Nothing is ever written without the version it was judged on;
- the folder and message are annotations; ``grafana.app/managedBy`` and
  ``grafana.app/managerId`` mark the dashboard as managed by tb-dash, so
  Grafana's UI tells editors (edits stay allowed: tb-dash refuses to
  overwrite them instead);
- a dry run sends the writes with ``dryRun=All``: the server validates them
  and stores nothing;
- v2 dashboards (``at_version``): the client reads and writes the resources
  of that version. Grafana stores each dashboard in the version it was
  saved in and converts it for a read in another, saying so in
  ``status.conversion`` (``storedVersion``; ``failed`` when it could not,
  and then the stored version is read instead). A converted dashboard is
  compared as converted; whether someone changed it since tb-dash wrote it
  is judged on the version it is stored in (the checksum was of that one),
  so a dashboard is never taken for a hand edit only because it is stored
  in the other format. ``keep_stored``: every read gives the version stored
  (``pull`` writes what Grafana holds).
"""

from __future__ import annotations

import threading
from typing import Any, Iterable
from urllib.parse import quote

from . import answers
from .answers import unexpected
from .errors import Conflict, Forbidden, NotFound, UnexpectedResponse, VersionConflict
from ..model import as_object, is_resource
from .hashing import HASHED_MESSAGE, MESSAGE_PREFIX, content_hash

GROUP = "dashboard.grafana.app"
CLASSIC_VERSIONS = ("v1", "v1beta1", "v0alpha1")  # the classic JSON model as ``spec``, preferred first
V2_VERSIONS = ("v2", "v2beta1", "v2alpha1")  # elements and layouts
FALLBACK_VERSION = "v1beta1"
PAGE_LIMIT = 500

ANNO_FOLDER = "grafana.app/folder"
ANNO_MESSAGE = "grafana.app/message"
ANNO_UPDATED_BY = "grafana.app/updatedBy"
ANNO_UPDATED = "grafana.app/updatedTimestamp"
ANNO_CREATED_BY = "grafana.app/createdBy"
ANNO_MANAGER_KIND = "grafana.app/managedBy"
ANNO_MANAGER_ID = "grafana.app/managerId"
ANNO_MANAGER_EDITS = "grafana.app/managerAllowsEdits"
ANNO_CHECKSUM = "grafana.app/sourceChecksum"
MANAGER_KIND = "kubectl"  # Grafana's kind for a generic API client (repo, terraform, plugin are others)
MANAGER_ID = "tb-dash"


def namespace_for(org_id: int | None) -> str:
    """``default`` for org 1, ``org-<id>`` for the others."""
    return "default" if not org_id or org_id == 1 else f"org-{int(org_id)}"


def served_version(client) -> str | None:
    """The classic-model version of ``dashboard.grafana.app`` the server
    lists in ``GET /apis`` (``FALLBACK_VERSION`` when it lists only v2
    ones), or None when it does not list the group."""
    try:
        body = client.request("GET", "/apis")
    except (NotFound, Forbidden):  # a Grafana before 12, or discovery not allowed to this token
        return None
    groups = answers.obj(body, "GET /apis", "the API group list").get("groups")
    for group in answers.objects(groups if groups is not None else [], "GET /apis", "the groups"):
        if group.get("name") != GROUP:
            continue
        versions = [v.get("version") for v in answers.objects(group.get("versions") or [], "GET /apis",
                                                                "the group's versions")]
        return next((v for v in CLASSIC_VERSIONS if v in versions), FALLBACK_VERSION if versions else None)
    return None


def choose(client, mode: str) -> "ApisClient | None":
    """The ``--api`` choice: an ``ApisClient`` for ``/apis``, None for the
    legacy ``/api``. ``auto`` takes ``/apis`` when the server lists the
    dashboard group; ``apis`` insists (the list request says so clearly
    when the server does not serve it)."""
    if mode == "legacy":
        return None
    version = served_version(client)
    if version is None and mode == "auto":
        return None
    return guessed(client, version or FALLBACK_VERSION)


def guessed(client, version: str = FALLBACK_VERSION) -> "ApisClient":
    """An ``ApisClient`` at ``version`` in the client's org's namespace, with
    no request made (``choose`` discovers the version)."""
    org = client.session.headers.get("X-Grafana-Org-Id")
    return ApisClient(client, version, namespace_for(int(org) if org else None))


def same_form(a: str, b: str) -> bool:
    """Whether two versions hold a dashboard in the same form (the classic
    ones all hold the classic model)."""
    return a == b or (a in CLASSIC_VERSIONS and b in CLASSIC_VERSIONS)


def slug(title: str) -> str:
    out = "".join(c if c.isalnum() else "-" for c in title.lower())
    return "-".join(p for p in out.split("-") if p)


class ApisClient:
    """The calls push, prune and diff make, carried by ``/apis``."""

    server_dry_run = True  # dry runs send the writes with dryRun=All

    def __init__(self, client, version: str, namespace: str = "default", keep_stored: bool = False) -> None:
        self.client = client
        self.version = version
        self.namespace = namespace
        self.keep_stored = keep_stored
        self.path = self.path_at(version)
        self._lock = threading.Lock()
        self._listed: dict[str, dict] | None = None  # name -> item, from the one list
        self._unread: set[str] = set()  # listed, not yet handed out by get_dashboard
        self._seen: dict[str, dict] = {}  # name -> the item read last (its resourceVersion, annotations)
        self._stored: dict[str, dict] = {}  # name -> the item read in the version it is stored in
        self._form: dict[str, str] = {}  # name -> the version get_dashboard handed it out in

    def path_at(self, version: str) -> str:
        return f"/apis/{GROUP}/{quote(version, safe='')}/namespaces/{quote(self.namespace, safe='')}/dashboards"

    def at_version(self, version: str, keep_stored: bool | None = None) -> "ApisClient":
        """This client reading and writing the resources of ``version`` (a
        v2 version for v2 dashboards)."""
        keep = self.keep_stored if keep_stored is None else keep_stored
        if (version, keep) == (self.version, self.keep_stored):
            return self
        return ApisClient(self.client, version, self.namespace, keep)

    # -- what the GrafanaClient has, passed through --

    def __getattr__(self, name: str) -> Any:  # health, folders, url_for, base_url, retries_done...
        return getattr(self.client, name)

    def __enter__(self) -> "ApisClient":
        return self

    def __exit__(self, *exc) -> None:
        self.client.close()

    def __repr__(self) -> str:
        return f"ApisClient({self.client!r}, {self.version!r}, {self.namespace!r})"

    # -- reading --

    def _item(self, value: Any, request: str) -> dict:
        item = answers.obj(value, request, "a dashboard resource")
        meta = answers.obj(item.get("metadata"), request, "metadata")
        answers.uid_of(meta.get("name"), request)
        answers.text(meta.get("resourceVersion"), request, "metadata.resourceVersion")
        answers.number(meta.get("generation"), request, "metadata.generation")
        notes = answers.obj(meta.get("annotations") or {}, request, "metadata.annotations")
        for key, value in notes.items():
            answers.text(value, request, f"the annotation {key}")
        spec = answers.obj(item.get("spec"), request, "the spec")
        answers.text(spec.get("title"), request, "spec.title")
        conversion = answers.obj(as_object(item.get("status")).get("conversion") or {}, request,
                                 "status.conversion")
        answers.text(conversion.get("storedVersion"), request, "status.conversion.storedVersion")
        return item

    def stored_version(self, item: dict) -> tuple[str, bool]:
        """The version ``item`` is stored in, and whether Grafana failed to
        convert it to the version it was read in (its spec is then empty)."""
        conversion = as_object(as_object(item.get("status")).get("conversion"))
        return str(conversion.get("storedVersion") or self.version), conversion.get("failed") is True

    def _read_stored(self, uid: str, version: str) -> dict:
        """The dashboard in the version it is stored in (read once)."""
        with self._lock:
            item = self._stored.get(uid)
        if item is None or item.get("apiVersion") != f"{GROUP}/{version}":
            path = f"{self.path_at(version)}/{quote(uid, safe='')}"
            item = self._item(self.client.request("GET", path), f"GET {path}")
            with self._lock:
                self._stored[uid] = item
        return item

    @staticmethod
    def data_of(item: dict, version: str) -> dict:
        """A resource as the dashboard JSON the push compares: the classic
        model (``uid``, ``version`` the generation) or the v2 resource."""
        meta = item["metadata"]
        if version in CLASSIC_VERSIONS:
            return {**item["spec"], "uid": meta["name"], "version": meta.get("generation") or 0}
        return {"apiVersion": f"{GROUP}/{version}", "kind": "Dashboard", "metadata": {"name": meta["name"]},
                "spec": item["spec"]}

    def first_page(self) -> Any:
        """The list's first page, as the server answered it: read by the
        command while discovery is under way, for ``list_all(first=...)``
        when the version discovered is this client's."""
        return self.client.request("GET", self.path, params={"limit": PAGE_LIMIT})

    def list_all(self, first: Any = None) -> dict[str, dict]:
        """Every dashboard of the namespace, page after page; once per push.
        ``first``: the first page's answer, already read (``first_page``)."""
        with self._lock:
            if self._listed is not None:
                return self._listed
        request = f"GET {self.path}"
        items: dict[str, dict] = {}
        token = ""
        for _ in range(100_000):  # a server that hands out continue tokens for ever is stopped
            params = {"limit": PAGE_LIMIT, **({"continue": token} if token else {})}
            if first is not None:
                answer, first = first, None
            else:
                try:
                    answer = self.client.request("GET", self.path, params=params)
                except NotFound as e:
                    if self.version not in V2_VERSIONS:
                        raise
                    e.args = (f"{e.message}; this Grafana does not serve {GROUP}/{self.version} "
                              "(Grafana 12 serves v2beta1, Grafana 13 v2: set dashboards.schema to match)",)
                    raise
            body = answers.obj(answer, request, "the list")
            rows = body.get("items")
            for value in answers.objects(rows if rows is not None else [], request, "the items"):
                item = self._item(value, request)
                items[item["metadata"]["name"]] = item
            meta = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
            token = answers.text(meta.get("continue"), request, "metadata.continue")
            if not token:
                break
        else:
            raise unexpected(request, "continue tokens without end")
        with self._lock:
            self._listed, self._unread = items, set(items)
            self._seen.update(items)
        return items

    def search(self, *, type: str | None = None, dashboard_uids: Iterable[str] = (),
               folder_uids: Iterable[str] = (), **_: Any) -> list[dict]:
        """``/api/search``'s hits, from the one list."""
        uids, folders = set(dashboard_uids), {"" if f == "general" else f for f in folder_uids}
        hits = []
        for name, item in sorted(self.list_all().items()):
            folder = (item["metadata"].get("annotations") or {}).get(ANNO_FOLDER, "")
            if (uids and name not in uids) or (folders and folder not in folders):
                continue
            title = str(item["spec"].get("title") or "")
            hits.append({"uid": name, "title": title, "type": "dash-db", "folderUid": folder,
                         "url": f"/d/{name}/{slug(title)}"})
        return hits

    def get_dashboard(self, uid: str) -> dict:
        """``/api/dashboards/uid/<uid>``'s answer: from the list the first
        time, from the server after that."""
        with self._lock:
            item = self._listed.get(uid) if self._listed is not None and uid in self._unread else None
            self._unread.discard(uid)
        if item is None:
            request = f"GET {self.path}/{uid}"
            item = self._item(self.client.request("GET", f"{self.path}/{quote(uid, safe='')}"), request)
            with self._lock:
                self._seen[uid] = item
                self._stored.pop(uid, None)  # read afresh too, when it is needed
        meta, spec = item["metadata"], item["spec"]
        notes = meta.get("annotations") or {}
        generation = meta.get("generation") or 0
        stored, failed = self.stored_version(item)
        form = stored if (failed or self.keep_stored) and not same_form(stored, self.version) else self.version
        data = self.data_of(self._read_stored(uid, stored) if form != self.version else item, form)
        with self._lock:
            self._form[uid] = form
        title = str(spec.get("title") or data.get("title") or as_object(data.get("spec")).get("title") or "")
        return {"dashboard": data,
                "meta": {"folderUid": notes.get(ANNO_FOLDER, ""), "folderTitle": "", "version": generation,
                         "url": f"/d/{meta['name']}/{slug(title)}",
                         "updatedBy": notes.get(ANNO_UPDATED_BY, ""), "updated": notes.get(ANNO_UPDATED, "")}}

    def dashboard_versions(self, uid: str, limit: int = 1) -> list[dict]:
        """The newest version, as the annotations of the last read describe
        it: its message names the content hash tb-dash wrote (the checksum
        of a resource tb-dash manages, else a tb-dash message), so a spec
        changed since by anyone does not match it."""
        with self._lock:
            item = self._seen.get(uid)
        if item is None:
            return []
        meta = item["metadata"]
        notes = meta.get("annotations") or {}
        message = notes.get(ANNO_MESSAGE, "")
        if notes.get(ANNO_MANAGER_ID) == MANAGER_ID and notes.get(ANNO_CHECKSUM):
            tail = message[len(MESSAGE_PREFIX) + 12:] if HASHED_MESSAGE.match(message) else ""
            message = f"{MESSAGE_PREFIX}{self._checksum(uid, item, notes[ANNO_CHECKSUM])}{tail}"
        return [{"version": meta.get("generation") or 0, "message": message,
                 "createdBy": notes.get(ANNO_UPDATED_BY) or notes.get(ANNO_CREATED_BY, ""),
                 "created": notes.get(ANNO_UPDATED) or meta.get("creationTimestamp", "")}][:limit]

    def _checksum(self, uid: str, item: dict, checksum: str) -> str:
        """The checksum tb-dash wrote, for the form the dashboard was handed
        out in: written in the version it is stored in, so when Grafana
        converted it for this read, the stored one is what it is judged on;
        unchanged since, it is the hash of the converted one."""
        stored, _ = self.stored_version(item)
        with self._lock:
            form = self._form.get(uid, self.version)
        if same_form(form, stored):
            return checksum
        if content_hash(self.data_of(self._read_stored(uid, stored), stored)) != checksum:
            return checksum  # changed since tb-dash wrote it
        return content_hash(self.data_of(item, form))

    # -- writing --

    def save_dashboard(self, dashboard: dict, *, folder_uid: str | None = None, message: str = "",
                       overwrite: bool = False, dry_run: bool = False) -> dict:
        """Create (no ``version`` in ``dashboard``) or update over the
        resourceVersion read with that version. ``overwrite`` is not
        honoured: /apis never writes without the version it judged."""
        version = self.version
        if is_resource(dashboard):  # a v2 dashboard: its spec, written in its own version
            version = str(dashboard["apiVersion"]).rpartition("/")[2]
            uid = answers.uid_of(as_object(dashboard.get("metadata")).get("name"), "save")
            spec = dashboard["spec"]
        else:
            uid = answers.uid_of(dashboard.get("uid"), "save")
            spec = {k: v for k, v in dashboard.items() if k not in ("id", "version")}
        path_here = self.path_at(version)
        notes = {ANNO_FOLDER: folder_uid or "", ANNO_MESSAGE: message, ANNO_MANAGER_KIND: MANAGER_KIND,
                 ANNO_MANAGER_ID: MANAGER_ID, ANNO_MANAGER_EDITS: "true"}
        hashed = HASHED_MESSAGE.match(message)
        if hashed:
            notes[ANNO_CHECKSUM] = hashed.group(1)
        meta: dict[str, Any] = {"name": uid, "annotations": {k: v for k, v in notes.items() if v}}
        params = {"dryRun": "All"} if dry_run else None
        if dashboard.get("version") is None:
            method, path = "POST", path_here
        else:
            with self._lock:
                seen = self._seen.get(uid)
            if seen is None:
                raise UnexpectedResponse(f"PUT {path_here}/{uid}: no resourceVersion was read; not saved")
            meta["resourceVersion"] = seen["metadata"].get("resourceVersion")
            method, path = "PUT", f"{path_here}/{quote(uid, safe='')}"
        body = {"apiVersion": f"{GROUP}/{version}", "kind": "Dashboard", "metadata": meta, "spec": spec}
        try:
            answer = self.client.request(method, path, params=params, json=body, retry_safe=False)
        except Conflict as e:  # changed since it was read, or created meanwhile
            raise VersionConflict(e.message, status=e.status, grafana_message=e.grafana_message,
                                  grafana_status=e.grafana_status, request=e.request) from None
        generation = answer.get("metadata", {}).get("generation") if isinstance(answer, dict) else None
        with self._lock:
            self._stored.pop(uid, None)
        return {"uid": uid, "url": f"/d/{uid}/{slug(str(spec.get('title') or ''))}", "version": generation}

    def delete_dashboard(self, uid: str) -> dict:
        """Delete, on the precondition that it is still the resourceVersion
        read last (a 409 otherwise)."""
        with self._lock:
            seen = self._seen.get(uid)
        body = None
        if seen is not None:
            body = {"kind": "DeleteOptions", "apiVersion": "v1",
                    "preconditions": {"resourceVersion": seen["metadata"].get("resourceVersion")}}
        try:
            return self.client.request("DELETE", f"{self.path}/{quote(uid, safe='')}", json=body)
        except Conflict as e:
            raise VersionConflict(e.message, status=e.status, request=e.request) from None
