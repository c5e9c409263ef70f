"""A v2 dashboard -> the classic model, where it has a classic equivalent.

The inverse of ``to_v2``: elements placed back on the 24-column grid (a
``RowsLayout``'s rows as row panels, ``y`` absolute again, collapsed rows
holding their panels), queries back to targets with their datasource, the
typed variables and annotations back to their classic numbers and keys.
What the classic model cannot hold (tabs, an auto grid, conditional
rendering, rows inside rows, section variables...) is approximated and
named in one note per item, so nothing changes silently."""

from __future__ import annotations

import copy
from typing import Any

from ...model import GRID_COLUMNS
from .common import ANGULAR, LEGACY_STRING, MIXED, boolean, integer, is_number, lst, obj, string
from .to_v2 import NotADashboard, is_v2, readable
from .v1_fields import annotations_to_v1, fields_to_v1, links_to_v1, time_to_v1, variables_to_v1

SCHEMA_VERSION = 42  # the classic schema version Grafana's v2 -> v1 conversion writes
# An auto grid's row heights in grid units, as Grafana's v2 -> v1 conversion
# places them (168, 320 and 512 px; a grid unit is 30 px plus an 8 px margin).
AUTO_ROW_HEIGHTS = {"short": 5, "standard": 9, "tall": 14}
GRID_UNIT_PX = 38
DASHBOARD_DATASOURCE = "-- Dashboard --"  # a query on another panel's results


class _Panels:
    """The classic panels being placed, and the notes about them."""

    def __init__(self, elements: dict, notes: list[str]) -> None:
        self.elements, self.notes = elements, notes
        ids = [integer(obj(e, "spec"), "id") for e in elements.values() if isinstance(e, dict)]
        self.next_id = max(ids, default=0) + 1
        self.used: set[str] = set()
        self.seen_ids: set[int] = set()

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def panel(self, item: dict, y: int, where: str) -> dict | None:
        name = string(obj(item, "element"), "name")
        element = self.elements.get(name)
        if not isinstance(element, dict):
            self.notes.append(f"{where}: element {name!r} does not exist: left out")
            return None
        p = panel_of(element, name)
        if name in self.used or p.get("id") in self.seen_ids:
            p["id"] = self.new_id()
            self.notes.append(f"{where}: element {name!r} placed a second time: a copy with id {p['id']}")
        self.used.add(name)
        self.seen_ids.add(p["id"])
        p["gridPos"] = {"h": integer(item, "height", 3), "w": integer(item, "width", 6), "x": integer(item, "x"),
                        "y": y}
        repeat = obj(item, "repeat")
        if string(repeat, "value"):
            p["repeat"] = repeat["value"]
            if string(repeat, "direction"):
                p["repeatDirection"] = repeat["direction"]
            if is_number(repeat.get("maxPerRow")):
                p["maxPerRow"] = int(repeat["maxPerRow"])
        if "conditionalRendering" in item:
            self.notes.append(f"{where}: conditional rendering of panel '{p.get('title', name)}' has no classic "
                              "equivalent: always shown")
        return p


def to_v1(v2: dict) -> tuple[dict, list[str]]:
    """The classic model of a v2 resource (or bare v2 spec) and the notes on
    what could not be carried over, one line each. The input is unchanged."""
    if not is_v2(v2):
        raise ValueError("not a v2 dashboard (no elements and layout)")
    v2 = readable(v2)
    if "apiVersion" in v2 and not isinstance(v2.get("spec"), dict):
        raise NotADashboard(f"{v2['apiVersion']}: spec is not an object")
    resource = v2 if "apiVersion" in v2 else {"spec": v2}
    spec = copy.deepcopy(resource["spec"])
    notes: list[str] = []
    d: dict[str, Any] = {}
    uid = string(obj(resource, "metadata"), "name")
    if uid:
        d["uid"] = uid
    d["title"] = string(spec, "title")
    if string(spec, "description"):
        d["description"] = spec["description"]
    d["tags"] = [t for t in lst(spec, "tags") if isinstance(t, str)]
    d["editable"] = boolean(spec, "editable", True)
    d["graphTooltip"] = {"Crosshair": 1, "Tooltip": 2}.get(string(spec, "cursorSync"), 0)
    d["liveNow"] = boolean(spec, "liveNow")
    if boolean(spec, "preload"):
        d["preload"] = True
    if is_number(spec.get("revision")):
        d["revision"] = int(spec["revision"])
    d.update(time_to_v1(obj(spec, "timeSettings")))
    d["links"] = links_to_v1(lst(spec, "links"))
    d["annotations"] = {"list": annotations_to_v1(lst(spec, "annotations"), notes)}
    variables = lst(spec, "variables")
    elements = spec.get("elements") if isinstance(spec.get("elements"), dict) else {}
    placer = _Panels(elements, notes)
    d["panels"] = _layout(obj(spec, "layout"), placer, variables)
    for name in elements:
        if name not in placer.used:
            notes.append(f"element {name!r}: not placed by the layout: left out")
    d["templating"] = {"list": variables_to_v1(variables, notes)}
    d["schemaVersion"] = SCHEMA_VERSION
    return d, notes


# --- layout -----------------------------------------------------------------------
def _layout(layout: dict, placer: _Panels, variables: list) -> list[dict]:
    kind, spec = string(layout, "kind"), obj(layout, "spec")
    if kind == "RowsLayout":
        return _rows(lst(spec, "rows"), placer, variables, "row")
    if kind == "TabsLayout":
        tabs = [t for t in lst(spec, "tabs") if isinstance(t, dict)]
        titles = ", ".join(repr(string(obj(t, "spec"), "title")) for t in tabs)
        placer.notes.append(f"tabs {titles}: the classic model has no tabs: each tab becomes a row")
        return _rows(tabs, placer, variables, "tab")
    return _flat(layout, placer, 0, "layout")[0]


def _flat(layout: dict, placer: _Panels, top: int, where: str) -> tuple[list[dict], int]:
    """The panels of a grid or auto grid with ``y`` from ``top``, and the
    grid's bottom; a nested rows or tabs layout is flattened into it."""
    kind, spec = string(layout, "kind"), obj(layout, "spec")
    panels: list[dict] = []
    bottom = top
    if kind == "GridLayout":
        for item in lst(spec, "items"):
            p = placer.panel(obj(item, "spec"), top + integer(obj(item, "spec"), "y"), where)
            if p is not None:
                panels.append(p)
                bottom = max(bottom, p["gridPos"]["y"] + p["gridPos"]["h"])
    elif kind == "AutoGridLayout":
        columns = max(1, min(integer(spec, "maxColumnCount", 3) or 3, GRID_COLUMNS))
        width = GRID_COLUMNS // columns
        mode, custom = string(spec, "rowHeightMode", "standard"), integer(spec, "rowHeight")
        height = AUTO_ROW_HEIGHTS.get(mode) or (-(-custom // GRID_UNIT_PX) if mode == "custom" and custom > 0 else 9)
        placer.notes.append(f"{where}: auto grid placed as a fixed grid of {columns} columns, {height} units high")
        for i, item in enumerate(lst(spec, "items")):
            item_spec = dict(obj(item, "spec"))
            item_spec.update(x=(i % columns) * width, width=width, height=height)
            if string(obj(item_spec, "repeat"), "value"):  # an auto grid repeats across, as many as it has columns
                item_spec["repeat"] = dict(item_spec["repeat"], direction="h", maxPerRow=columns)
            p = placer.panel(item_spec, top + (i // columns) * height, where)
            if p is not None:
                panels.append(p)
                bottom = max(bottom, p["gridPos"]["y"] + height)
    elif kind in ("RowsLayout", "TabsLayout"):
        placer.notes.append(f"{where}: {kind} inside a row has no classic equivalent: its panels are flattened")
        key = "rows" if kind == "RowsLayout" else "tabs"
        for section in lst(spec, key):
            inner, bottom = _flat(obj(obj(section, "spec"), "layout"), placer, bottom, where)
            panels += inner
    return panels, bottom


def _rows(rows: list, placer: _Panels, variables: list, what: str) -> list[dict]:
    panels: list[dict] = []
    y = 0
    for i, row in enumerate(r for r in rows if isinstance(r, dict)):
        spec = obj(row, "spec")
        title = string(spec, "title")
        where = f"{what} '{title}'" if title else f"{what} {i + 1}"
        collapsed = boolean(spec, "collapse")
        for key, text in (("conditionalRendering", "conditional rendering (always shown)"),
                          ("fillScreen", "fill-screen height"), ("variables", "section variables (made "
                                                                                  "dashboard variables)")):
            if spec.get(key):
                placer.notes.append(f"{where}: {text} has no classic equivalent")
        variables.extend(v for v in lst(spec, "variables") if isinstance(v, dict))
        if boolean(spec, "hideHeader") and not title and i == 0 and not collapsed:
            inner, y = _flat(obj(spec, "layout"), placer, y, where)
            panels += inner
            continue
        if boolean(spec, "hideHeader"):
            placer.notes.append(f"{where}: a hidden row header is shown in the classic model")
        row_panel: dict[str, Any] = {"collapsed": collapsed, "gridPos": {"h": 1, "w": GRID_COLUMNS, "x": 0, "y": y},
                                     "id": placer.new_id(), "panels": [], "title": title, "type": "row"}
        repeat = obj(spec, "repeat")
        if string(repeat, "value"):
            row_panel["repeat"] = repeat["value"]
        panels.append(row_panel)
        inner, bottom = _flat(obj(spec, "layout"), placer, y + 1, where)
        if collapsed:
            row_panel["panels"] = inner
            y += 1
        else:
            panels += inner
            y = max(bottom, y + 1)
    return panels


# --- elements ---------------------------------------------------------------------
def panel_of(element: dict, name: str) -> dict:
    """One v2 element as a classic panel (without its position)."""
    spec = obj(element, "spec")
    pid = integer(spec, "id") if is_number(spec.get("id")) else integer({"i": name.rpartition("-")[2]}, "i")
    if element.get("kind") == "LibraryPanel":
        lib = obj(spec, "libraryPanel")
        return {"id": pid, "libraryPanel": {"name": string(lib, "name"), "uid": string(lib, "uid")},
                "title": string(spec, "title")}
    viz, data = obj(spec, "vizConfig"), obj(obj(spec, "data"), "spec")
    p: dict[str, Any] = {"id": pid, "type": string(viz, "group") or string(viz, "kind"), "title": string(spec, "title")}
    if string(spec, "description"):
        p["description"] = spec["description"]
    if lst(spec, "links"):
        p["links"] = lst(spec, "links")
    if string(viz, "version"):
        p["pluginVersion"] = viz["version"]
    if boolean(spec, "transparent"):
        p["transparent"] = True
    options = dict(obj(obj(viz, "spec"), "options"))
    angular = options.pop(ANGULAR, None)
    if isinstance(angular, dict):
        for k, v in obj(angular, "originalOptions").items():
            p.setdefault(k, v)
        if string(angular, "autoMigrateFrom"):
            p["autoMigrateFrom"] = angular["autoMigrateFrom"]
    p["options"] = options
    p["fieldConfig"] = fields_to_v1(obj(obj(viz, "spec"), "fieldConfig"))
    targets, sources = [], []
    for q in lst(data, "queries"):
        qs = obj(q, "spec")
        query = obj(qs, "query")
        group, uid = string(query, "group"), string(obj(query, "datasource"), "name")
        source = ({"type": group} if group else {}) | ({"uid": uid} if uid else {})
        sources.append(source)
        target: dict[str, Any] = {"datasource": source} if source else {}
        target["refId"] = string(qs, "refId", "A")
        if boolean(qs, "hidden"):
            target["hide"] = True
        body = dict(obj(query, "spec"))
        if isinstance(body.get(LEGACY_STRING), str):
            target["query"] = body.pop(LEGACY_STRING)
        target.update(body)
        targets.append(target)
    if sources:
        p["datasource"] = _panel_datasource(sources)
        p["targets"] = targets
    transformations = []
    for t in (t for t in lst(data, "transformations") if isinstance(t, dict)):
        ts = obj(t, "spec")
        tid = string(t, "group") if t.get("kind") == "Transformation" else string(ts, "id") or string(t, "kind")
        item = {"id": tid, "options": ts.get("options", {})}
        item.update({k: ts[k] for k in ("disabled", "filter", "topic") if k in ts})
        transformations.append(item)
    if transformations:
        p["transformations"] = transformations
    p.update(obj(data, "queryOptions"))
    return p


def _panel_datasource(sources: list[dict]) -> dict:
    """The panel's datasource as Grafana sets it from its queries': theirs
    when they share one, else the mixed datasource (so too for several
    queries on other panels' results)."""
    if sum(s.get("uid") == DASHBOARD_DATASOURCE for s in sources) > 1 or any(s != sources[0] for s in sources):
        return {"type": "mixed", "uid": MIXED}
    if sources[0].get("uid") == DASHBOARD_DATASOURCE:
        return {"type": "datasource", "uid": DASHBOARD_DATASOURCE}
    return sources[0]
