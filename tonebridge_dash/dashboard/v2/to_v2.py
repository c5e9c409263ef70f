"""Classic dashboard JSON -> a ``dashboard.grafana.app`` v2beta1/v2 resource,
the way Grafana's own converter does it (``apps/dashboard/pkg/migration/
conversion``, v1beta1 -> v2alpha1 -> v2beta1; its golden test files are the
reference): panels become ``elements`` named ``panel-<id>``, placed by a
``GridLayout`` with the same positions, or a ``RowsLayout`` when the
dashboard has rows (a row's panels in its own grid, ``y`` counted from the
row; panels above the first row in a leading row without header; collapsed
rows kept with their panels). Queries become ``PanelQuery``/``DataQuery``,
variables and annotations typed kinds (``fields``).

The input is the current classic model (what ``render`` writes, or what
``importing.migrate`` makes of an older one); a wrapper (``{"dashboard":
...}``) or a classic resource (v0alpha1/v1beta1/v1) is unwrapped here."""

from __future__ import annotations

import copy
from typing import Any

from ...model import ref_id
from .common import (ANGULAR, CLASSIC_VERSIONS, DEFAULT_DATASOURCE_TYPE, GRAFANA_DATASOURCE_UID, GROUP, MIXED,
                     READ_VERSIONS, VERSIONS, boolean, integer, is_number, is_template_variable, lst, obj, string)
from .alpha import upgrade
from .fields import annotations_to_v2, dashboard_links, data_query, fields_to_v2, time_settings, variables_to_v2

ROW_HEIGHT = 1  # a classic row panel's height in grid units
# Panel keys of the schema; any other key of a panel is an Angular panel's
# option, kept under options.__angularMigration for the frontend's migration.
KNOWN_PANEL_KEYS = {"type", "id", "pluginVersion", "targets", "title", "description", "transparent", "datasource",
                    "gridPos", "links", "repeat", "repeatDirection", "maxPerRow", "maxDataPoints",
                    "transformations", "interval", "timeFrom", "timeShift", "hideTimeOverride", "timeCompare",
                    "libraryPanel", "cacheTimeout", "queryCachingTTL", "options", "fieldConfig", "autoMigrateFrom"}
ANGULAR_PANELS = {"table-old": "table", "singlestat": "stat", "grafana-singlestat-panel": "stat",
                  "grafana-piechart-panel": "piechart", "grafana-worldmap-panel": "geomap",
                  "natel-discrete-panel": "state-timeline"}


class NotADashboard(ValueError):
    """Input that is no dashboard of any version."""


def api_version(version: str) -> str:
    return f"{GROUP}/{version}"


def version_of(doc: Any) -> str | None:
    """The version of a ``dashboard.grafana.app`` resource, else None."""
    if isinstance(doc, dict) and isinstance(doc.get("apiVersion"), str) and doc["apiVersion"].startswith(GROUP + "/"):
        return doc["apiVersion"].split("/", 1)[1]
    return None


def is_v2(doc: Any) -> bool:
    """A v2 dashboard: a resource of a v2 version, or a bare v2 spec
    (``elements`` and ``layout``, no ``panels``)."""
    if not isinstance(doc, dict):
        return False
    version = version_of(doc)
    if version is not None:
        return version.startswith("v2")
    spec = doc.get("spec") if isinstance(doc.get("spec"), dict) and "apiVersion" in doc else doc
    return isinstance(spec, dict) and "elements" in spec and "layout" in spec and "panels" not in spec


def classic_of(doc: Any) -> tuple[dict, dict]:
    """The classic model inside ``doc`` and the metadata to keep (a
    resource's name, labels and annotations)."""
    if not isinstance(doc, dict):
        raise NotADashboard(f"expected a JSON object, not {type(doc).__name__}")
    meta: dict = {}
    if "apiVersion" in doc and isinstance(doc.get("spec"), dict):
        version = version_of(doc)
        if version is not None and version not in CLASSIC_VERSIONS:
            raise NotADashboard(f"{doc['apiVersion']} is not a classic dashboard resource")
        metadata = obj(doc, "metadata")
        meta = {k: copy.deepcopy(metadata[k]) for k in ("name", "namespace", "labels", "annotations")
                if metadata.get(k)}
        doc = doc["spec"]
    if isinstance(doc.get("dashboard"), dict) and "panels" not in doc:
        doc = doc["dashboard"]
    if not any(k in doc for k in ("panels", "rows", "title", "templating")):
        raise NotADashboard("not a Grafana dashboard (no panels, rows or title)")
    return doc, meta


def to_v2(classic: dict, version: str = "v2beta1") -> dict:
    """The ``dashboard.grafana.app/<version>`` resource of a classic
    dashboard (the input is not modified). A v2 resource is returned as
    ``version`` (v2beta1 and v2 share their shape)."""
    if version not in VERSIONS:
        raise ValueError(f"unknown v2 version {version!r} (versions: {', '.join(VERSIONS)})")
    if is_v2(classic):
        classic = readable(classic)
        out = copy.deepcopy(classic if "spec" in classic and "apiVersion" in classic
                            else {"kind": "Dashboard", "metadata": {}, "spec": classic})
        out["apiVersion"] = api_version(version)
        out.setdefault("kind", "Dashboard")
        if not isinstance(out.get("spec"), dict):
            raise NotADashboard(f"{out['apiVersion']}: spec is not an object")
        _transformations_as(out["spec"], version)
        return out
    dashboard, meta = classic_of(classic)
    if isinstance(dashboard.get("rows"), list) and dashboard["rows"] and not dashboard.get("panels"):
        raise NotADashboard("legacy rows[] (schemaVersion < 16): migrate it to panels first "
                            "(importing.migrate; tb-dash migrate does)")
    dashboard = copy.deepcopy(dashboard)
    name = meta.pop("name", None) or string(dashboard, "uid")
    spec = spec_of(dashboard)
    _transformations_as(spec, version)
    return {"apiVersion": api_version(version), "kind": "Dashboard", "metadata": {"name": name, **meta},
            "spec": spec}


def _transformations_as(spec: dict, version: str) -> None:
    """Transformations in the shape of ``version``: v2beta1 names the kind
    by the transformation's id (``{kind: id, spec: {id, options}}``), v2
    has ``{kind: Transformation, group: id, spec: {options}}``."""
    for element in (spec.get("elements") or {}).values() if isinstance(spec.get("elements"), dict) else ():
        data = obj(obj(obj(element, "spec"), "data"), "spec")
        for i, t in enumerate(lst(data, "transformations")):
            if not isinstance(t, dict):
                continue
            inner = dict(obj(t, "spec"))
            tid = string(t, "group") if t.get("kind") == "Transformation" else string(inner, "id") or string(t, "kind")
            inner.pop("id", None)
            inner.setdefault("options", {})
            data["transformations"][i] = ({"kind": "Transformation", "group": tid, "spec": inner} if version == "v2"
                                          else {"kind": tid, "spec": {"id": tid, **inner}})


def readable(doc: dict) -> dict:
    """A v2 document of a version tb-dash reads, v2alpha1 upgraded to v2beta1."""
    version = version_of(doc)
    if version is not None and version not in READ_VERSIONS:
        raise NotADashboard(f"{doc['apiVersion']}: tb-dash reads {', '.join(READ_VERSIONS)}")
    return upgrade(doc)


def spec_of(d: dict) -> dict:
    """The v2beta1 spec of a classic dashboard (``d`` is changed: ids given)."""
    _unique_ids(d)
    spec: dict[str, Any] = {"annotations": annotations_to_v2(d),
                            "cursorSync": {1: "Crosshair", 2: "Tooltip"}.get(integer(d, "graphTooltip"), "Off")}
    if string(d, "description"):
        spec["description"] = d["description"]
    spec["editable"] = boolean(d, "editable", True)
    elements, layout = _elements_and_layout(d)
    spec.update(elements=elements, layout=layout, links=dashboard_links(d), liveNow=boolean(d, "liveNow"),
                preload=boolean(d, "preload"))
    if is_number(d.get("revision")):
        spec["revision"] = int(d["revision"])
    spec.update(tags=[t for t in lst(d, "tags") if isinstance(t, str)], timeSettings=time_settings(d),
                title=string(d, "title"), variables=variables_to_v2(d))
    return spec


def _unique_ids(d: dict) -> None:
    """Every panel (rows' panels too) gets an id no other panel has, as
    Grafana ensures before converting: element names come from ids."""
    panels = [p for p in lst(d, "panels") if isinstance(p, dict)]
    panels += [c for p in panels if p.get("type") == "row" for c in lst(p, "panels") if isinstance(c, dict)]
    used = {int(p["id"]) for p in panels if is_number(p.get("id"))}
    next_id = max(used, default=0) + 1
    seen: set[int] = set()
    for p in panels:
        pid = int(p["id"]) if is_number(p.get("id")) else None
        if pid is None or pid in seen:
            p["id"], pid = next_id, next_id
            next_id += 1
        seen.add(pid)


# --- layout -----------------------------------------------------------------------
def _elements_and_layout(d: dict) -> tuple[dict, dict]:
    panels = [p for p in lst(d, "panels") if isinstance(p, dict)]
    elements: dict[str, dict] = {}
    if not any(p.get("type") == "row" for p in panels):
        items = [_item(p, _add(elements, p)) for p in panels]
        return elements, _grid(items)
    rows: list[dict] = []
    row: dict | None = None
    row_y = 0
    for p in panels:
        if p.get("type") == "row":
            row_y = integer(obj(p, "gridPos"), "y") if "gridPos" in p else row_y
            if row is not None:
                rows.append(row)
            children = [c for c in lst(p, "panels") if isinstance(c, dict)]
            items = [_item(c, _add(elements, c), _y_in_row(c, row_y)) for c in children]
            row = _row(p, items)
        else:
            name = _add(elements, p)
            if row is None:  # panels above the first row: a row without header
                row_y = -1
                row = {"kind": "RowsLayoutRow", "spec": {"title": "", "collapse": False, "hideHeader": True,
                                                         "layout": _grid([_item(p, name, 0)])}}
            else:
                row["spec"]["layout"]["spec"]["items"].append(_item(p, name, _y_in_row(p, row_y)))
    if row is not None:
        rows.append(row)
    return elements, {"kind": "RowsLayout", "spec": {"rows": rows}}


def _grid(items: list[dict]) -> dict:
    return {"kind": "GridLayout", "spec": {"items": items}}


def _y_in_row(p: dict, row_y: int) -> int:
    return integer(obj(p, "gridPos"), "y") - row_y - ROW_HEIGHT if isinstance(p.get("gridPos"), dict) else 0


def _row(p: dict, items: list[dict]) -> dict:
    spec: dict[str, Any] = {"title": string(p, "title"), "collapse": boolean(p, "collapsed")}
    if string(p, "repeat"):
        spec["repeat"] = {"mode": "variable", "value": p["repeat"]}
    spec["layout"] = _grid(items)
    return {"kind": "RowsLayoutRow", "spec": spec}


def _item(p: dict, name: str, y: int | None = None) -> dict:
    pos = p.get("gridPos") if isinstance(p.get("gridPos"), dict) else None
    x, py, w, h = (integer(pos, "x"), integer(pos, "y"), integer(pos, "w", 6), integer(pos, "h", 3)) if pos \
        else (0, 0, 6, 3)
    spec: dict[str, Any] = {"x": x, "y": py if y is None else y, "width": w, "height": h,
                            "element": {"kind": "ElementReference", "name": name}}
    if string(p, "repeat"):
        repeat: dict[str, Any] = {"mode": "variable", "value": p["repeat"]}
        if p.get("repeatDirection") in ("h", "v"):
            repeat["direction"] = p["repeatDirection"]
        if integer(p, "maxPerRow") > 0:
            repeat["maxPerRow"] = integer(p, "maxPerRow")
        spec["repeat"] = repeat
    return {"kind": "GridLayoutItem", "spec": spec}


# --- elements ---------------------------------------------------------------------
def _add(elements: dict, p: dict) -> str:
    name = f"panel-{integer(p, 'id')}"
    elements[name] = element_of(p)
    return name


def element_of(p: dict) -> dict:
    """One classic panel as a v2 element (Panel or LibraryPanel)."""
    pid = integer(p, "id")
    if isinstance(p.get("libraryPanel"), dict):
        lib = p["libraryPanel"]
        return {"kind": "LibraryPanel", "spec": {"id": pid, "title": string(p, "title"),
                                                 "libraryPanel": {"uid": string(lib, "uid"),
                                                                  "name": string(lib, "name")}}}
    spec: dict[str, Any] = {"id": pid, "title": string(p, "title"), "description": string(p, "description"),
                            "links": _data_links(p),
                            "data": {"kind": "QueryGroup", "spec": {"queries": _queries(p),
                                                                    "transformations": _transformations(p),
                                                                    "queryOptions": _query_options(p)}},
                            "vizConfig": _viz_config(p)}
    if boolean(p, "transparent"):
        spec["transparent"] = True
    return {"kind": "Panel", "spec": spec}


def _data_links(p: dict) -> list[dict]:
    out = []
    for link in lst(p, "links"):
        if isinstance(link, dict):
            item: dict[str, Any] = {"title": string(link, "title"), "url": string(link, "url").replace("\ufeff", "")}
            if "targetBlank" in link:
                item["targetBlank"] = boolean(link, "targetBlank")
            out.append(item)
    return out


def _ref(ds: Any) -> tuple[str, str] | None:
    """(type, uid) of a classic datasource reference as Grafana resolves it;
    None when there is none (absent, ``{}``, a name that is no variable)."""
    if isinstance(ds, str):
        return ("", ds) if is_template_variable(ds) else None
    if not isinstance(ds, dict):
        return None
    uid, kind = string(ds, "uid"), string(ds, "type")
    if not uid and not kind:
        return None
    if uid and not kind and not is_template_variable(uid):
        kind = DEFAULT_DATASOURCE_TYPE
    if kind == "datasource" and not uid:
        uid = GRAFANA_DATASOURCE_UID
    return kind, uid


def _queries(p: dict) -> list[dict]:
    targets = [t for t in lst(p, "targets") if isinstance(t, dict)]
    panel = _ref(p.get("datasource"))
    used = {string(t, "refId") for t in targets}
    letters = (ref_id(i) for i in range(10_000))
    out = []
    for t in targets:
        ref = string(t, "refId") or next(x for x in letters if x not in used)
        used.add(ref)
        kind, uid = _ref(t.get("datasource")) or ("", "")
        if panel and panel[1] and panel[1] != MIXED and (
                (not kind and not uid) or (uid != "__expr__" and uid != panel[1])):
            kind, uid = panel
        elif panel and panel[0] == "datasource" and not kind and not uid:
            kind, uid = "datasource", GRAFANA_DATASOURCE_UID
        spec = {k: v for k, v in t.items() if k not in ("refId", "hide", "datasource")}
        out.append({"kind": "PanelQuery", "spec": {"query": data_query(kind, uid, spec),
                                                   "refId": ref, "hidden": boolean(t, "hide")}})
    return out


def _transformations(p: dict) -> list[dict]:
    out = []
    for t in lst(p, "transformations"):
        if not isinstance(t, dict):
            continue
        tid = string(t, "id")
        spec: dict[str, Any] = {"id": tid, "options": t["options"] if "options" in t else {}}
        if t.get("disabled") is True:
            spec["disabled"] = True
        if isinstance(t.get("filter"), dict):
            spec["filter"] = {"id": string(t["filter"], "id"), "options": t["filter"].get("options")}
        if isinstance(t.get("topic"), str):
            spec["topic"] = t["topic"]
        out.append({"kind": tid, "spec": spec})
    return out


def _query_options(p: dict) -> dict:
    out: dict[str, Any] = {}
    if string(p, "cacheTimeout"):
        out["cacheTimeout"] = p["cacheTimeout"]
    if integer(p, "maxDataPoints") > 0:
        out["maxDataPoints"] = integer(p, "maxDataPoints")
    if string(p, "interval"):
        out["interval"] = p["interval"]
    if boolean(p, "hideTimeOverride"):
        out["hideTimeOverride"] = True
    ttl = p.get("queryCachingTTL")
    if is_number(ttl) or (isinstance(ttl, str) and ttl.strip().lstrip("-").isdigit()):
        out["queryCachingTTL"] = int(ttl)
    for key in ("timeFrom", "timeShift"):
        if string(p, key):
            out[key] = p[key]
    if isinstance(p.get("timeCompare"), str) and p["timeCompare"]:
        out["timeCompare"] = p["timeCompare"]
    return out


def _graph_target(p: dict) -> str:
    """What Grafana migrates a graph panel to: by its x-axis mode."""
    mode = string(obj(p, "xaxis"), "mode")
    if mode == "series":  # bars per series: a bar gauge when the legend showed values
        return "bargauge" if boolean(obj(p, "legend"), "values") else "barchart"
    return "histogram" if mode == "histogram" else "timeseries"


def _viz_config(p: dict) -> dict:
    kind = string(p, "type", "timeseries") or "timeseries"
    options = dict(obj(p, "options"))
    original = {k: v for k, v in p.items() if k not in KNOWN_PANEL_KEYS}
    migrated_from = string(p, "autoMigrateFrom")
    if not migrated_from:
        target = _graph_target(p) if kind in ("graph", "graphite") else ANGULAR_PANELS.get(kind, "")
        if target:
            migrated_from, kind = kind, target
        elif original:
            migrated_from = kind
    if migrated_from:
        options[ANGULAR] = {"autoMigrateFrom": migrated_from, "originalOptions": original}
    return {"kind": "VizConfig", "group": kind, "version": string(p, "pluginVersion"),
            "spec": {"options": _no_bom(options), "fieldConfig": fields_to_v2(obj(p, "fieldConfig"))}}


def _no_bom(v: Any) -> Any:
    if isinstance(v, str):
        return v.replace("\ufeff", "")
    if isinstance(v, dict):
        return {k: _no_bom(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_no_bom(x) for x in v]
    return v
