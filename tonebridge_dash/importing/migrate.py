"""Dashboard JSON from anywhere -> the current Grafana model, migrated the
way Grafana migrates a dashboard it loads.

``unwrap`` takes what people export: the dashboard itself, the API's
``{"dashboard": ..., "meta": ...}``, a Kubernetes resource of Grafana's
``/apis`` (``v0alpha1``/``v1beta1``, whose ``spec`` is the classic model) or
grafana-operator's ``GrafanaDashboard`` (``spec.json``); a v2 dashboard
(``v2beta1``/``v2``) is first converted to its classic equivalent
(``dashboard.v2.to_v1``, a note for each thing it cannot hold). ``migrate`` then
applies Grafana's schema migrations that change what a panel shows:

- ``rows[]`` (schemaVersion < 16) -> row panels and ``gridPos``, with
  Grafana's own placement (spans on 12 columns, heights in pixels);
- ``graph`` -> ``timeseries``, ``singlestat`` -> ``stat`` (or ``gauge``),
  the Angular table (``table-old``, or ``table`` with ``styles``) -> ``table``
  (``legacy_panels``);
- datasource names, ``$var`` strings and an export's ``${DS_...}`` inputs ->
  ``{"type", "uid"}`` references, every Prometheus one to the dashboard's
  ``datasource`` variable (added when missing);
- old value mappings, legend and tooltip options, ``__inputs`` constants.

What has no exact counterpart is kept as close as Grafana keeps it and
listed in ``Migrated.notes``: nothing is dropped without a note.
"""

from __future__ import annotations

import copy
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from ..dashboard.v2 import is_v2, to_v1
from ..errors import UsageError
from ..model import GRID_COLUMNS, PROMETHEUS, as_list, as_object, ref_id
from .legacy_panels import LEGACY, upgrade_mappings

DATASOURCE_VARIABLE = "datasource"
DATASOURCE = {"type": PROMETHEUS, "uid": "${" + DATASOURCE_VARIABLE + "}"}
MIN_SCHEMA_VERSION = 0  # older than 16 still goes through the rows migration
SPECIAL_DATASOURCES = {
    "-- Grafana --": {"type": "grafana", "uid": "-- Grafana --"},
    "grafana": {"type": "grafana", "uid": "-- Grafana --"},
    "-- Mixed --": {"type": "datasource", "uid": "-- Mixed --"},
    "-- Dashboard --": {"type": "datasource", "uid": "-- Dashboard --"},
}
LEGACY_FIELD_KEYS = {"nullValueMode"}
_VAR = re.compile(r"^\$\{?([A-Za-z0-9_]+)(?::[a-z]+)?\}?\Z")
# Grafana's grid before 16: 12 columns, heights in pixels (30px cells + 8px margin).
DEFAULT_ROW_HEIGHT, DEFAULT_SPAN, MIN_PANEL_HEIGHT, HEIGHT_STEP = 250, 4, 90, 38


class ImportInputError(UsageError):
    """Dashboard JSON that cannot be imported (exit 2)."""


@dataclass
class Migrated:
    dashboard: dict
    notes: list[str] = field(default_factory=list)  # what was approximated, one line each


def unwrap(doc: Any, where: str) -> dict:
    """The classic dashboard model inside ``doc``."""
    if not isinstance(doc, dict):
        raise ImportInputError(f"{where}: expected a dashboard JSON object, not {type(doc).__name__}")
    if "apiVersion" in doc and isinstance(doc.get("spec"), dict):
        spec = doc["spec"]
        if isinstance(spec.get("json"), str):  # grafana-operator's GrafanaDashboard
            try:
                inner = json.loads(spec["json"])
            except ValueError as e:
                raise ImportInputError(f"{where}: spec.json is not JSON ({e})") from None
            return unwrap(inner, where)
        if "elements" in spec or "layout" in spec:
            raise ImportInputError(f"{where}: {doc.get('apiVersion')} is the v2 dashboard schema (elements and "
                                   "layout); export the dashboard as classic JSON (v1beta1 or 'Export for sharing')")
        out = dict(spec)
        name = as_object(doc.get("metadata")).get("name")
        if isinstance(name, str) and not out.get("uid"):
            out["uid"] = name
        return out
    if isinstance(doc.get("dashboard"), dict) and "panels" not in doc and "rows" not in doc:
        return doc["dashboard"]
    if not any(k in doc for k in ("panels", "rows", "title", "templating")):
        raise ImportInputError(f"{where}: not a Grafana dashboard (no panels, rows or title)")
    return doc


def migrate(doc: Any, where: str = "dashboard", keep: bool = True) -> Migrated:
    """The current model of the dashboard in ``doc``; ``doc`` is not
    modified unless ``keep`` is false (a caller that drops it spares the copy)."""
    replaced: list[int] = []
    v2_notes: list[str] = []
    if is_v2(doc):  # a v2 dashboard: its classic equivalent, and what that cannot hold
        doc, v2_notes = to_v1(doc)
    d = _plain_copy(unwrap(doc, where), replaced) if keep else unwrap(doc, where)
    m = Migrated(d, [f"v2: {n}" for n in v2_notes])
    if replaced:
        m.notes.append(f"lone surrogates (not characters) in {len(replaced)} texts: U+FFFD, as Grafana reads them")
    version = d.get("schemaVersion")
    if not isinstance(version, (int, float)) or isinstance(version, bool):
        version = 16 if "panels" in d else 0
    if not isinstance(d.get("title"), str):
        d["title"] = str(d.get("title") or "Imported dashboard")
    inputs = _inputs(d, m)
    if d.get("rows") is not None:
        if version >= 16 and d.get("panels"):
            m.notes.append("both rows[] and panels[]: rows[] placed below the panels")
        d["panels"] = as_list(d.get("panels")) + _rows_to_panels(as_list(d.pop("rows")))
    d["panels"] = [p for p in as_list(d.get("panels")) if isinstance(p, dict)]
    names = _datasource_names(d, inputs)
    refs = _Refs(names, inputs, m)
    _templating(d, refs)
    for p in d["panels"]:
        _panel(p, refs, m)
        for child in as_list(p.get("panels")):
            if isinstance(child, dict):
                _panel(child, refs, m)
        if p.get("type") == "row":
            p["panels"] = [c for c in as_list(p.get("panels")) if isinstance(c, dict)]
    for a in as_list(as_object(d.get("annotations")).get("list")):
        if isinstance(a, dict) and "datasource" in a:
            a["datasource"] = refs.ref(a["datasource"], "annotation " + str(a.get("name", "")))
    d["panels"].sort(key=_position)
    d["schemaVersion"] = 41
    for key in ("__inputs", "__requires", "__elements", "id", "version", "rows", "style", "hideControls",
                "sharedCrosshair", "gnetId", "iteration"):
        d.pop(key, None)
    return m


def _plain_copy(value: Any, replaced: list[int]) -> Any:
    """A deep copy of decoded JSON (dicts, lists, scalars), several times
    faster than ``copy.deepcopy``; anything else is copied by it. A lone
    surrogate (JSON's ``"\\ud800"``, which no UTF-8 file can hold) becomes
    U+FFFD, as Grafana's decoder makes it; ``replaced`` counts them."""
    if isinstance(value, dict):
        return {(k if k.isascii() else _plain_copy(k, replaced)): _plain_copy(v, replaced) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_copy(v, replaced) for v in value]
    if isinstance(value, str):
        if value.isascii() or not _SURROGATE.search(value):
            return value
        replaced.append(1)
        return _SURROGATE.sub("\ufffd", value)
    if value is None or isinstance(value, (int, float, bool)):
        return value
    return copy.deepcopy(value)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _position(p: dict) -> tuple:
    pos = as_object(p.get("gridPos"))
    return (_num(pos.get("y")), _num(pos.get("x")))


def _num(v: Any) -> float:
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else 0


# --- __inputs -------------------------------------------------------------------
def _inputs(d: dict, m: Migrated) -> dict[str, str]:
    """``${DS_X}`` input name -> plugin id for datasource inputs; constants
    (``${VAR_X}``) are replaced by their value everywhere, as the import
    dialog does."""
    out: dict[str, str] = {}
    constants: dict[str, str] = {}
    for i in as_list(d.get("__inputs")):
        if not isinstance(i, dict) or not isinstance(i.get("name"), str):
            continue
        if i.get("type") == "datasource":
            out[i["name"]] = str(i.get("pluginId") or PROMETHEUS)
        elif i.get("type") == "constant":
            constants[i["name"]] = str(i.get("value", ""))
    if constants:
        text = json.dumps({k: v for k, v in d.items() if k != "__inputs"})
        for name, value in constants.items():
            text = text.replace("${" + name + "}", json.dumps(value)[1:-1])
        d.update(json.loads(text))
        m.notes.append("export constants " + ", ".join(sorted(constants)) + " replaced by their values")
    return out


# --- rows[] -> gridPos (Grafana's upgradeToGridLayout) ----------------------------
def _grid_height(height: Any) -> int:
    if isinstance(height, str):
        digits = re.match(r"\s*(\d+)", height)
        height = int(digits.group(1)) if digits else DEFAULT_ROW_HEIGHT
    if not isinstance(height, (int, float)) or isinstance(height, bool):
        height = DEFAULT_ROW_HEIGHT
    return math.ceil(max(height, MIN_PANEL_HEIGHT) / HEIGHT_STEP)


class _RowArea:
    """Where the next panel of an old row goes: Grafana's RowArea."""

    def __init__(self, height: int, y: int) -> None:
        self.area = [0] * GRID_COLUMNS
        self.height, self.y = height, y

    def add(self, pos: dict) -> None:
        for i in range(pos["x"], min(pos["x"] + pos["w"], GRID_COLUMNS)):
            bottom = pos["y"] + pos["h"] - self.y
            if not self.area[i] or bottom > self.area[i]:
                self.area[i] = bottom

    def place(self, width: int, again: bool = False) -> tuple[int, int]:
        start = end = None
        for i in range(GRID_COLUMNS - 1, -1, -1):
            if self.height - self.area[i] > 0:
                if end is None:
                    end = i
                elif i < GRID_COLUMNS - 1 and self.area[i] <= self.area[i + 1]:
                    start = i
                else:
                    break
            else:
                break
        if start is not None and end is not None and end - start >= width - 1:
            return start, max(self.area[start:])
        if again:
            return 0, max(self.area)
        self.y += self.height
        self.area = [0] * GRID_COLUMNS
        return self.place(width, True)


def _rows_to_panels(rows: list) -> list[dict]:
    rows = [r for r in rows if isinstance(r, dict) and not r.get("repeatIteration")]
    ids = [p.get("id") for r in rows for p in as_list(r.get("panels")) if isinstance(p, dict)]
    next_id = max([i for i in ids if isinstance(i, int)] + [0]) + 1
    show_rows = any(r.get("collapse") or r.get("showTitle") or r.get("repeat") for r in rows)
    out: list[dict] = []
    y = 0
    for r in rows:
        height = _grid_height(r.get("height", DEFAULT_ROW_HEIGHT))
        row_panel = None
        if show_rows:
            row_panel = {"id": next_id, "type": "row", "title": str(r.get("title") or ""),
                         "collapsed": bool(r.get("collapse")), "panels": [],
                         "gridPos": {"x": 0, "y": y, "w": GRID_COLUMNS, "h": 1}}
            if r.get("repeat"):
                row_panel["repeat"] = r["repeat"]
            next_id += 1
            y += 1
            out.append(row_panel)
        area = _RowArea(height, y)
        for p in as_list(r.get("panels")):
            if not isinstance(p, dict):
                continue
            span = p.pop("span", None)
            span = span if isinstance(span, (int, float)) and not isinstance(span, bool) and span > 0 else DEFAULT_SPAN
            width = min(int(math.floor(span)) * GRID_COLUMNS // 12, GRID_COLUMNS) or 1
            h = _grid_height(p.pop("height")) if p.get("height") not in (None, "") else height
            p.pop("height", None)
            x, dy = area.place(width)
            y = area.y
            p["gridPos"] = {"x": x, "y": y + dy, "w": width, "h": h}
            area.add(p["gridPos"])
            if isinstance(p.get("minSpan"), (int, float)):
                p["maxPerRow"] = max(1, min(12, int(12 // max(p.pop("minSpan"), 1))))
            (row_panel["panels"] if row_panel is not None and row_panel["collapsed"] else out).append(p)
        if not (row_panel is not None and row_panel["collapsed"]):
            y += height
    return out


# --- datasources ------------------------------------------------------------------
def _datasource_names(d: dict, inputs: dict[str, str]) -> dict[str, str]:
    """Variable or input name -> the plugin its datasources are of."""
    names = {name: plugin for name, plugin in inputs.items()}
    for v in as_list(as_object(d.get("templating")).get("list")):
        if isinstance(v, dict) and v.get("type") == "datasource" and isinstance(v.get("name"), str):
            names[v["name"]] = str(v.get("query") or PROMETHEUS)
    return names


class _Refs:
    def __init__(self, names: dict[str, str], inputs: dict[str, str], m: Migrated) -> None:
        self.names, self.inputs, self.m = names, inputs, m
        self.extra: dict[str, str] = {}  # non-Prometheus inputs -> the variables added for them
        self.seen: set[str] = set()

    def note(self, text: str) -> None:
        if text not in self.seen:
            self.seen.add(text)
            self.m.notes.append(text)

    def ref(self, ds: Any, where: str) -> Any:
        """Grafana's migration 33/36 of one datasource reference."""
        if ds is None or ds == "" or ds == "default":
            return DATASOURCE
        if isinstance(ds, dict):
            uid, kind = ds.get("uid"), ds.get("type")
            if isinstance(uid, str) and uid in SPECIAL_DATASOURCES:
                return SPECIAL_DATASOURCES[uid]
            if isinstance(uid, str) and _VAR.match(uid):
                return self.ref(uid, where) if kind in (None, PROMETHEUS) or _VAR.match(uid).group(1) in self.inputs \
                    else ds
            if kind in (None, PROMETHEUS):
                if uid is not None:
                    self.note(f"Prometheus datasource uid {uid!r} -> the datasource variable")
                return DATASOURCE
            return ds
        if not isinstance(ds, str):
            return ds
        if ds in SPECIAL_DATASOURCES:
            return SPECIAL_DATASOURCES[ds]
        var = _VAR.match(ds)
        if var:
            plugin = self.names.get(var.group(1), PROMETHEUS)
            if plugin == PROMETHEUS:
                return DATASOURCE
            name = var.group(1).lower()
            self.extra[name] = plugin
            self.note(f"{plugin} datasource input {var.group(1)} -> a datasource variable '{name}'")
            return {"type": plugin, "uid": "${" + name + "}"}
        self.note(f"datasource {ds!r} (a name) -> the datasource variable")
        return DATASOURCE


def _templating(d: dict, refs: _Refs) -> None:
    templating = d.setdefault("templating", {})
    if not isinstance(templating, dict):
        d["templating"] = templating = {}
    variables = [v for v in as_list(templating.get("list")) if isinstance(v, dict)]
    prometheus_sources = [v for v in variables
                          if v.get("type") == "datasource" and str(v.get("query") or PROMETHEUS) == PROMETHEUS]
    if prometheus_sources:
        first = prometheus_sources[0]
        if first.get("name") != DATASOURCE_VARIABLE:
            refs.note(f"datasource variable '{first.get('name')}' renamed '{DATASOURCE_VARIABLE}'")
            first["name"] = DATASOURCE_VARIABLE
        for extra in prometheus_sources[1:]:
            refs.note(f"second Prometheus datasource variable '{extra.get('name')}' kept; its panels use "
                      f"'{DATASOURCE_VARIABLE}'")
    for v in variables:
        if "datasource" in v and v.get("type") != "datasource":
            v["datasource"] = refs.ref(v["datasource"], f"variable {v.get('name')}")
        if v.get("type") == "query" and isinstance(v.get("query"), dict):
            query = v["query"].get("query")
            if isinstance(query, str):
                v["query"] = query
        if v.get("type") in ("query", "custom") and v.get("refresh") == 0 and v.get("type") == "query":
            v["refresh"] = 1  # migration 29: "never" became "on dashboard load"
        if v.get("type") == "datasource":
            v.pop("datasource", None)
    templating["list"] = variables
    _datasource_variables(templating, refs, bool(prometheus_sources))


def _datasource_variables(templating: dict, refs: _Refs, has_prometheus: bool) -> None:
    added = []
    if not has_prometheus:
        added.append({"type": "datasource", "name": DATASOURCE_VARIABLE, "label": "Data source",
                      "query": PROMETHEUS, "hide": 0, "refresh": 1, "options": [], "current": {}})
    for name, plugin in refs.extra.items():
        added.append({"type": "datasource", "name": name, "label": name, "query": plugin, "hide": 0,
                      "refresh": 1, "options": [], "current": {}})
    templating["list"] = added + templating["list"]


# --- panels -----------------------------------------------------------------------
def _panel(p: dict, refs: _Refs, m: Migrated) -> None:
    title = str(p.get("title") or "")
    where = f"panel '{title or p.get('id', '?')}'"
    kind = p.get("type")
    if kind == "row":
        p.pop("datasource", None)
        return
    if not isinstance(kind, str):
        p["type"] = kind = "text"
        refs.note(f"{where}: no type; imported as a text panel")
    targets = [t for t in as_list(p.get("targets")) if isinstance(t, dict)]
    has_queries = bool(targets) or "datasource" in p
    if has_queries:
        p["datasource"] = refs.ref(p.get("datasource"), where)
    used = {t.get("refId") for t in targets}
    letters = (ref_id(i) for i in range(len(targets) * 2 + 1))
    for t in targets:
        if "datasource" in t:
            t["datasource"] = refs.ref(t["datasource"], where)
        if not isinstance(t.get("refId"), str) or not t["refId"]:  # Grafana's ensureQueryIds
            t["refId"] = next(x for x in letters if x not in used)
    if "targets" in p:
        p["targets"] = targets
    if kind == "table" and "styles" in p:
        kind = "table-old"
    migrate_panel = LEGACY.get(kind)
    if migrate_panel is not None:
        for note in migrate_panel(p):
            m.notes.append(f"{where}: {note}")
    elif kind == "text2":
        p["type"] = "text"
    options = p.get("options")
    if isinstance(options, dict):
        legend = options.get("legend")
        if isinstance(legend, dict) and legend.get("displayMode") == "hidden":  # migration 37
            legend["displayMode"], legend["showLegend"] = "list", False
        if "tooltipOptions" in options and "tooltip" not in options:  # migration 30
            options["tooltip"] = options.pop("tooltipOptions")
    defaults = as_object(as_object(p.get("fieldConfig")).get("defaults"))
    for key in LEGACY_FIELD_KEYS & set(defaults):
        refs.note(f"{where}: field option {key} (Grafana 7) not kept: the current panels have none")
        defaults.pop(key)
    if isinstance(defaults.get("mappings"), list):
        defaults["mappings"] = upgrade_mappings(defaults["mappings"])
