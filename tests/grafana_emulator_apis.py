"""The emulator's versioned ``/apis/dashboard.grafana.app`` routes (the
contract's §12), mixed into ``GrafanaEmulator``; they share its store, so a
dashboard saved through one API is read through the other.

Followed from Grafana's source (``pkg/registry/apis/dashboard``,
``pkg/apimachinery/utils/meta.go``, the unified storage's list): discovery
(``GET /apis``, ``GET /apis/dashboard.grafana.app``), a list paginated by
count and by bytes with ``continue`` tokens, get, create (201; 409
AlreadyExists), update (a stale ``resourceVersion``: 409 Conflict; none:
last writer wins), delete with an optional resourceVersion precondition,
``dryRun=All``, errors as Kubernetes ``Status`` objects, and the annotations
Grafana keeps (createdBy, updatedBy, updatedTimestamp, folder, message,
manager and source properties). ``generation`` is the dashboard's version:
it rises only when the spec changes; ``resourceVersion`` on every write.

Versions (``apps/dashboard/pkg/migration/conversion``): a dashboard is
stored in the version it was saved in (the legacy /api saves v1beta1) and
converted for a read in another, with ``status.conversion`` saying so
(``storedVersion``, ``failed``, ``error``; a failed conversion gives an
empty spec and the caller reads the stored version); classic and v2 convert
with tb-dash's own conversion (``dashboard.v2``), v2beta1 and v2 differ in
their transformations' shape only (``v2beta1_to_v2.go``). A v2 spec is checked against the v2 schema when saved. The legacy
``/api`` answers a read of a v2 dashboard with 406 and where to read it.
``failing_conversions``: the names whose conversions fail.
"""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

GROUP = "dashboard.grafana.app"
VERSIONS = ("v1beta1", "v0alpha1", "v2beta1", "v2alpha1")  # what 12.x's register.go serves
VERSIONS_13 = ("v1beta1", "v0alpha1", "v2", "v2beta1", "v2alpha1")  # 13.x adds v2, its default format
CLASSIC = ("v0alpha1", "v1beta1", "v1")
RESOURCE = f"dashboards.{GROUP}"
KEPT_ANNOTATIONS = ("grafana.app/folder", "grafana.app/message", "grafana.app/managedBy",
                    "grafana.app/managerId", "grafana.app/managerAllowsEdits", "grafana.app/managerSuspended",
                    "grafana.app/sourcePath", "grafana.app/sourceChecksum", "grafana.app/sourceTimestamp")
DEFAULT_LIMIT = 50
MAX_PAGE_BYTES = 2 * 1024 * 1024
APIS_PREFIX = r"^/apis/dashboard\.grafana\.app/([^/]+)/namespaces/([^/]+)/dashboards"
APIS_ROUTES = [
    ("GET", r"^/apis/?$", "GET /apis"),
    ("GET", r"^/apis/dashboard\.grafana\.app/?$", "GET /apis/dashboard.grafana.app"),
    ("GET", APIS_PREFIX + r"/?$", "GET /apis/dashboards"),
    ("POST", APIS_PREFIX + r"/?$", "POST /apis/dashboards"),
    ("GET", APIS_PREFIX + r"/([^/]+)/?$", "GET /apis/dashboards/:name"),
    ("PUT", APIS_PREFIX + r"/([^/]+)/?$", "PUT /apis/dashboards/:name"),
    ("DELETE", APIS_PREFIX + r"/([^/]+)/?$", "DELETE /apis/dashboards/:name"),
]


class Encoded:
    """An answer with its JSON text already made (a list's items are each
    encoded once, not again for the whole page); ``value`` is what a
    rewrite is given."""

    def __init__(self, value: Any, text: str) -> None:
        self.value, self.text = value, text


def status(code: int, reason: str, message: str, name: str = "") -> Exception:
    """A Kubernetes ``Status`` failure, as the apiserver answers errors."""
    from grafana_emulator import Reply

    details = {"name": name, "group": GROUP, "kind": "dashboards"} if name else {}
    return Reply(code, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                        "message": message, "reason": reason, **({"details": details} if details else {}),
                        "code": code})


def identity(who) -> str:
    return who.name if ":" in who.name else f"user:{who.name}"


class ApisRoutes:
    """The ``/apis`` half of ``GrafanaEmulator`` (which provides ``lock``,
    ``orgs``, ``profile``, ``folder_of``...)."""

    apis_enabled: bool | None = None  # None: served from Grafana 12 (P2 with 12.x, P3)
    apis_page_bytes = MAX_PAGE_BYTES
    apis_versions: tuple[str, ...] | None = None  # what discovery lists, the first preferred; None: by version
    failing_conversions: frozenset[str] = frozenset()
    next_rv = 1000

    def served_versions(self) -> tuple[str, ...]:
        if self.apis_versions is not None:
            return self.apis_versions
        return VERSIONS_13 if self.grafana_version.startswith("13.") else VERSIONS

    @staticmethod
    def family(version: str) -> str:
        return "v1" if version in CLASSIC else "v2"

    def converted(self, d, version: str) -> tuple[dict, dict | None]:
        """``d``'s spec as ``version`` shows it, and the status Grafana sets
        (None when it is read in the version it is stored in)."""
        from tonebridge_dash.dashboard.v2 import to_v1, to_v2

        spec = {k: v for k, v in d.data.items() if k not in ("id", "uid", "version")}
        stored = d.stored_version
        if version == stored:
            return spec, None
        if d.uid in self.failing_conversions:
            return {"title": ""}, {"storedVersion": stored, "failed": True,
                                   "error": f"conversion from {stored} to {version} failed"}
        target = "v2beta1" if version == "v2alpha1" else version
        if self.family(stored) == self.family(version) == "v2":  # v2beta1 <-> v2: the transformations' shape
            spec = to_v2({"apiVersion": f"{GROUP}/{stored}", "kind": "Dashboard", "metadata": {"name": d.uid},
                          "spec": spec}, target)["spec"]
        elif self.family(stored) != self.family(version):
            if self.family(version) == "v2":
                spec = to_v2({**spec, "uid": d.uid}, target)["spec"]
            else:
                classic, _ = to_v1({"apiVersion": f"{GROUP}/{stored}", "kind": "Dashboard",
                                    "metadata": {"name": d.uid}, "spec": spec})
                spec = {k: v for k, v in classic.items() if k not in ("id", "uid", "version")}
        return spec, {"storedVersion": stored, "failed": False}

    def serves_apis(self) -> bool:
        if self.apis_enabled is not None:
            return self.apis_enabled
        return self.profile != "P1" and not self.grafana_version.startswith("11.")

    def bump_rv(self) -> str:
        self.next_rv += 1
        return str(self.next_rv)

    def annotate_save(self, stored, message: str, who, created: bool) -> None:
        """What every save (through either API) records in the annotations."""
        notes = stored.annotations
        if created:
            notes["grafana.app/createdBy"] = identity(who)
        notes["grafana.app/updatedBy"] = identity(who)
        notes["grafana.app/updatedTimestamp"] = stored.updated
        notes["grafana.app/folder"] = stored.folder_uid
        notes["grafana.app/message"] = message
        for key in [k for k, v in notes.items() if not v]:
            del notes[key]
        stored.resource_version = self.bump_rv()

    # -- shapes --

    def resource(self, org, d, version: str) -> dict:
        spec, conversion = self.converted(d, version)
        status = {"status": {"conversion": conversion}} if conversion is not None else {}
        return {**status, "kind": "Dashboard", "apiVersion": f"{GROUP}/{version}",
                "metadata": {"name": d.uid, "namespace": self.namespace_of(org),
                             "uid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{org.id}/{d.uid}/{d.id}")),
                             "resourceVersion": d.resource_version or self.bump_rv(),
                             "generation": d.version, "creationTimestamp": d.created,
                             "labels": {"grafana.app/deprecatedInternalID": str(d.id)},
                             "annotations": dict(d.annotations)},
                "spec": spec}

    @staticmethod
    def namespace_of(org) -> str:
        return "default" if org.id == 1 else f"org-{org.id}"

    def group_document(self) -> dict:
        versions = [{"groupVersion": f"{GROUP}/{v}", "version": v} for v in self.served_versions()]
        return {"kind": "APIGroup", "apiVersion": "v1", "name": GROUP, "versions": versions,
                "preferredVersion": versions[0]}

    # -- routes --

    def apis_dispatch(self, route: str, args: tuple[str, ...], org, who, query, body) -> tuple[int, Any]:
        from grafana_emulator import fail

        if not self.serves_apis():
            raise fail(404, "Not found")
        if route == "GET /apis":
            return 200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
                self.group_document(),
                {"name": "folder.grafana.app", "versions": [
                    {"groupVersion": "folder.grafana.app/v1beta1", "version": "v1beta1"}]}]}
        if route == "GET /apis/dashboard.grafana.app":
            return 200, self.group_document()
        version, namespace, *rest = args
        if version not in self.served_versions():
            raise fail(404, "404 page not found")
        if namespace != self.namespace_of(org):
            raise status(403, "Forbidden", f"namespace {namespace!r} does not match the caller's org")
        name = rest[0] if rest else ""
        dry = query.get("dryRun", [""])[0] == "All"
        if route == "GET /apis/dashboards":
            return 200, self.apis_list(org, version, query)
        if route == "GET /apis/dashboards/:name":
            d = org.dashboards.get(name)
            if d is None:
                raise status(404, "NotFound", f'{RESOURCE} "{name}" not found', name)
            return 200, self.resource(org, d, version)
        if not who.can_write:
            verb = {"POST": "create", "PUT": "update", "DELETE": "delete"}[route.split()[0]]
            raise status(403, "Forbidden", f'{RESOURCE} "{name}" is forbidden: User "{who.name}" cannot '
                                            f'{verb} resource "dashboards" in API group "{GROUP}"', name)
        if route == "DELETE /apis/dashboards/:name":
            return 200, self.apis_delete(org, name, body, dry)
        if not isinstance(body, dict) or not isinstance(body.get("metadata"), dict) \
                or not isinstance(body.get("spec"), dict):
            raise status(400, "BadRequest", "the body must be a Dashboard with metadata and spec")
        if route == "POST /apis/dashboards":
            return 201, self.apis_save(org, version, body, who, None, dry)
        if body["metadata"].get("name") != name:
            raise status(400, "BadRequest", f"the name of the object ({body['metadata'].get('name')}) does "
                                            f"not match the name on the URL ({name})")
        existing = org.dashboards.get(name)
        if existing is None:
            raise status(404, "NotFound", f'{RESOURCE} "{name}" not found', name)
        return 200, self.apis_save(org, version, body, who, existing, dry)

    def apis_list(self, org, version: str, query) -> dict:
        from grafana_emulator import _int

        limit = _int(query, "limit", DEFAULT_LIMIT) or DEFAULT_LIMIT
        token = query.get("continue", [""])[0]
        with self.lock:
            self.apis_lists.append((version, bool(token)))
        start = 0
        if token:
            try:
                start = int(json.loads(base64.b64decode(token))["o"])
            except (ValueError, KeyError, TypeError):
                raise status(400, "BadRequest", "invalid continue token")
        names = sorted(org.dashboards)
        items, texts, size, i = [], [], 0, start
        while i < len(names) and len(items) < limit and size < self.apis_page_bytes:
            item = self.resource(org, org.dashboards[names[i]], version)
            texts.append(json.dumps(item))  # each item encoded once, as the storage keeps it
            size += len(texts[-1])
            items.append(item)
            i += 1
        more = i < len(names)
        token = base64.b64encode(json.dumps({"o": i, "rv": self.next_rv}).encode()).decode() if more else ""
        answer = {"kind": "DashboardList", "apiVersion": f"{GROUP}/{version}",
                  "metadata": {"resourceVersion": str(self.next_rv), "continue": token}, "items": items}
        head = json.dumps({**answer, "items": []})
        return Encoded(answer, f"{head[:-3]}[{','.join(texts)}]}}")

    def apis_save(self, org, version: str, body: dict, who, existing, dry: bool) -> dict:
        """POST (``existing`` None) or PUT, with the admission checks."""
        from grafana_emulator import StoredDashboard, UID_RE, now_iso

        meta, spec = body["metadata"], dict(body["spec"])
        name = meta.get("name") if isinstance(meta.get("name"), str) else ""
        if existing is None and not name and isinstance(meta.get("generateName"), str):
            name = meta["generateName"] + uuid.uuid4().hex[:8]
        notes = meta.get("annotations") if isinstance(meta.get("annotations"), dict) else {}
        title = spec.get("title") if isinstance(spec.get("title"), str) else ""
        message = notes.get("grafana.app/message", "")
        if not title.strip():
            raise status(400, "BadRequest", "Dashboard title cannot be empty", name)
        if self.family(version) == "v2":
            from tonebridge_dash.dashboard.v2 import validate_v2

            issues = validate_v2({"apiVersion": f"{GROUP}/{version}", "kind": "Dashboard",
                                  "metadata": {"name": name or "x"}, "spec": spec})
            if issues:
                raise status(400, "BadRequest", f"Dashboard.{GROUP} \"{name}\" is invalid: {issues[0]}", name)
        if not name or not UID_RE.match(name) or len(name) > 40:
            raise status(400, "BadRequest", f"invalid dashboard name {name!r}", name)
        if not isinstance(message, str) or len(message) > 500:
            raise status(400, "BadRequest", "message too long, max 500 characters", name)
        folder = notes.get("grafana.app/folder", "") or ""
        if not dry and folder and folder not in org.folders:
            raise status(404, "NotFound", f'folders.folder.grafana.app "{folder}" not found', name)
        if existing is None and name in org.dashboards:
            raise status(409, "AlreadyExists", f'{RESOURCE} "{name}" already exists', name)
        rv = meta.get("resourceVersion")
        if existing is not None and rv and rv != existing.resource_version:
            raise status(409, "Conflict", f'Operation cannot be fulfilled on {RESOURCE} "{name}": the object '
                                          "has been modified; please apply your changes to the latest version "
                                          "and try again", name)
        if existing is not None and existing.provisioned:
            raise status(403, "Forbidden", "Cannot save provisioned dashboard", name)
        if existing is None and not dry and org.quota is not None and len(org.dashboards) >= org.quota:
            raise status(403, "Forbidden", "Quota reached", name)
        spec.pop("id", None), spec.pop("version", None)
        if dry:
            stamp = now_iso()
            ghost = StoredDashboard(id=existing.id if existing else 0, uid=name, data={**spec, "uid": name},
                                    folder_uid=folder, version=(existing.version if existing else 0) + 1,
                                    created=stamp, created_by=who.name, updated=stamp, updated_by=who.name)
            ghost.annotations = {k: v for k, v in notes.items() if k in KEPT_ANNOTATIONS}
            ghost.resource_version = existing.resource_version if existing else "0"
            ghost.stored_version = version
            return self.resource(org, ghost, version)
        created = existing is None
        if created:
            stamp = now_iso()
            existing = StoredDashboard(id=org.new_id(), uid=name, data={}, folder_uid=folder, version=0,
                                       created=stamp, created_by=who.name, updated=stamp, updated_by=who.name)
            org.dashboards[name] = existing
        old = {k: v for k, v in existing.data.items() if k not in ("id", "uid", "version")}
        if existing.stored_version != version:
            old = None  # stored in another version: saved in this one from now on
        kept = {k: v for k, v in existing.annotations.items() if k not in KEPT_ANNOTATIONS}
        existing.annotations = {**kept, **{k: v for k, v in notes.items()
                                          if k in KEPT_ANNOTATIONS and isinstance(v, str)}}
        existing.folder_uid = folder
        existing.updated, existing.updated_by = now_iso(), who.name
        if created or spec != old:  # generation rises only when the spec changes
            existing.version += 1
            existing.data = {**spec, "id": existing.id, "uid": name, "version": existing.version}
            existing.stored_version = version
            self.record_version(org, existing, message, who)
        self.annotate_save(existing, message, who, created)
        return self.resource(org, existing, version)

    def record_version(self, org, d, message: str, who) -> None:
        rows = org.versions.setdefault(d.uid, [])
        rows.append({"id": org.next_version_id, "dashboardId": d.id, "uid": d.uid,
                     "parentVersion": d.version - 1, "restoredFrom": 0, "version": d.version,
                     "created": d.updated, "createdBy": who.name, "message": message})
        org.next_version_id += 1
        org.snapshots[(d.uid, d.version)] = d.data

    def apis_delete(self, org, name: str, body: Any, dry: bool) -> dict:
        d = org.dashboards.get(name)
        if d is None:
            raise status(404, "NotFound", f'{RESOURCE} "{name}" not found', name)
        pre = body.get("preconditions") if isinstance(body, dict) else None
        rv = pre.get("resourceVersion") if isinstance(pre, dict) else None
        if rv and rv != d.resource_version:
            raise status(409, "Conflict", f'Operation cannot be fulfilled on {RESOURCE} "{name}": the '
                                          "ResourceVersion in the precondition does not match the ResourceVersion "
                                          "in record. The object might have been modified", name)
        if d.provisioned:
            raise status(403, "Forbidden", "provisioned dashboard cannot be deleted", name)
        if not dry:
            del org.dashboards[name]
            for version in org.versions.pop(name, []):
                org.snapshots.pop((name, version["version"]), None)
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                "details": {"name": name, "group": GROUP, "kind": "dashboards"}}

    def apis_ui_save(self, uid: str, change, *, user: str = "alice", message: str = "", org_id: int = 1,
                     version: str | None = None) -> dict:
        """A person saving in a UI that talks /apis (at ``version``, else the
        preferred one): read the resource, change its spec, PUT it back with
        the resourceVersion read (annotations kept)."""
        from grafana_emulator import Principal

        version = version or self.served_versions()[0]
        with self.lock:
            org = self.orgs[org_id]
            item = self.resource(org, org.dashboards[uid], version)
            change(item["spec"])
            item["metadata"]["annotations"]["grafana.app/message"] = message
            return self.apis_save(org, version, item, Principal(name=user), org.dashboards[uid], False)
