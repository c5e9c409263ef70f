"""Normalize: grafanalib's output -> the current Grafana dashboard model.

grafanalib emits schemaVersion 12, legacy keys (``rows``, ``style``,
``sharedCrosshair``, panel ``span``/``error``...), nulls, datasources as
strings and, for some panels, option layouts from Grafana 6/7. This one step
turns that into what Grafana 11-13 stores and what its JSON Schemas accept:

- ``schemaVersion`` from the settings (39-42), no ``id``/``version``;
- only keys of the current model, no nulls (the base threshold step keeps
  its ``null``: Grafana reads it as -Infinity);
- datasource references ``{"type", "uid"}`` on panels, targets and
  variables;
- Prometheus targets carry ``range``/``instant`` and ``editorMode: code``;
- per-plugin options completed with Grafana's defaults, legacy layouts
  migrated (bargauge ``fieldOptions``, table ``displayMode``);
- Angular panel types are refused: Grafana 11+ cannot show them.
"""

from __future__ import annotations

from typing import Any

from ..errors import TbDashError

SCHEMA_VERSIONS = range(39, 43)
DEFAULT_SCHEMA_VERSION = 41

# Angular panel types that Grafana 11+ no longer renders.
ANGULAR_TYPES = {
    "graph": "timeseries", "singlestat": "stat", "table-old": "table",
    "grafana-piechart-panel": "piechart", "grafana-worldmap-panel": "geomap",
    "natel-discrete-panel": "state-timeline", "flant-statusmap-panel": "status-history",
}

DASHBOARD_KEYS = {
    "uid", "title", "description", "tags", "timezone", "editable", "graphTooltip", "time",
    "timepicker", "fiscalYearStartMonth", "liveNow", "weekStart", "refresh", "schemaVersion",
    "panels", "templating", "annotations", "links", "preload",
}
PANEL_KEYS = {
    "type", "id", "pluginVersion", "targets", "title", "description", "transparent", "datasource",
    "gridPos", "links", "repeat", "repeatDirection", "maxPerRow", "maxDataPoints", "transformations",
    "interval", "timeFrom", "timeShift", "hideTimeOverride", "timeCompare", "libraryPanel",
    "cacheTimeout", "queryCachingTTL", "options", "fieldConfig",
}
ROW_KEYS = {"type", "collapsed", "title", "datasource", "gridPos", "id", "panels", "repeat"}
TARGET_KEYS = {
    "datasource", "editorMode", "exemplar", "expr", "format", "hide", "instant", "interval",
    "legendFormat", "range", "refId", "queryType",
}
VARIABLE_KEYS = {
    "type", "name", "label", "hide", "skipUrlSync", "description", "query", "datasource", "current",
    "multi", "allowCustomValue", "options", "refresh", "sort", "includeAll", "allValue", "regex",
    "definition",
}
INTERVAL_VARIABLE_KEYS = {"auto", "auto_min", "auto_count"}
TIMEPICKER_KEYS = {"hidden", "refresh_intervals", "nowDelay"}
ALL = "$__all"

# Options the current plugins require, filled in where the panel has none.
_LEGEND = {"displayMode": "list", "placement": "bottom", "showLegend": True, "calcs": []}
_TOOLTIP = {"mode": "single", "sort": "none"}
_REDUCE = {"calcs": ["lastNotNull"], "fields": "", "values": False}
OPTION_DEFAULTS: dict[str, dict[str, Any]] = {
    "timeseries": {"legend": _LEGEND, "tooltip": _TOOLTIP},
    "stat": {"graphMode": "area", "colorMode": "value", "justifyMode": "auto", "textMode": "auto",
             "wideLayout": True, "showPercentChange": False, "reduceOptions": _REDUCE,
             "percentChangeColorMode": "standard", "orientation": "auto"},
    "bargauge": {"displayMode": "gradient", "valueMode": "color", "namePlacement": "auto",
                 "showUnfilled": True, "sizing": "auto", "minVizWidth": 8, "minVizHeight": 16,
                 "maxVizHeight": 300, "legend": {**_LEGEND, "showLegend": False}, "reduceOptions": _REDUCE, "orientation": "horizontal"},
    "gauge": {"showThresholdLabels": False, "showThresholdMarkers": True, "sizing": "auto",
              "minVizWidth": 75, "minVizHeight": 75, "reduceOptions": _REDUCE, "orientation": "auto"},
    "piechart": {"pieType": "pie", "tooltip": _TOOLTIP, "reduceOptions": _REDUCE,
                 "legend": {**_LEGEND, "values": []}, "orientation": "auto"},
    "table": {"frameIndex": 0, "showHeader": True, "cellHeight": "sm",
              "footer": {"show": False, "reducer": ["sum"], "countRows": False}},
    "text": {"mode": "markdown", "content": ""},
}


class NormalizeError(TbDashError):
    """A dashboard that cannot be turned into the current model."""


def normalize(raw: dict, schema_version: int = DEFAULT_SCHEMA_VERSION) -> dict:
    """The current Grafana model of ``raw`` (grafanalib's ``to_json_data``
    output, already plain JSON). ``raw`` is not modified."""
    _supported(schema_version)
    return _current(_drop_nulls(raw), schema_version)


def normalize_built(dashboard: Any, schema_version: int = DEFAULT_SCHEMA_VERSION) -> dict:
    """``normalize(plain(dashboard))`` of a grafanalib dashboard, with one
    walk of it instead of two (``plain`` leaves its nulls out on the way)."""
    plain_json = plain(dashboard, nulls=False)
    _supported(schema_version)
    return _current(plain_json, schema_version)


def _supported(schema_version: int) -> None:
    if schema_version not in SCHEMA_VERSIONS:
        raise NormalizeError(f"schemaVersion {schema_version} is not supported (39-42)")


def _current(raw: dict, schema_version: int) -> dict:
    """``normalize`` of ``raw`` without nulls, a copy of its own (changed in place)."""
    d = {k: v for k, v in raw.items() if k in DASHBOARD_KEYS}
    title = d.get("title", "?")
    d["schemaVersion"] = schema_version
    if not d.get("refresh"):
        d.pop("refresh", None)
    d["timepicker"] = {k: v for k, v in d.get("timepicker", {}).items() if k in TIMEPICKER_KEYS}
    d.setdefault("annotations", {"list": []})
    variables = d.get("templating", {}).get("list", [])
    d["templating"] = {"list": [_variable(v) for v in variables]}
    d["panels"] = [_any_panel(p, title) for p in d.get("panels", [])]
    return d


_SCALARS = frozenset((str, int, float, bool, type(None)))


def plain(obj: Any, nulls: bool = True) -> Any:
    """grafanalib objects -> plain JSON values (what its encoder does, without
    a round trip through a string); without ``nulls``, what ``_drop_nulls``
    then leaves of them."""
    kind = type(obj)
    if kind in _SCALARS:
        return obj
    if kind is not dict and kind is not list:  # neither has to_json_data: spare the look-up
        while hasattr(obj, "to_json_data"):
            obj = obj.to_json_data()
    if isinstance(obj, dict):
        out = {k if type(k) is str else str(k): plain(v, nulls) for k, v in obj.items()}
        if not nulls:
            for k in [k for k, v in out.items() if v is None and k != "value"]:
                del out[k]
        return out
    if isinstance(obj, (list, tuple)):
        return [plain(v, nulls) for v in obj]
    return obj


def _drop_nulls(value: Any) -> Any:
    """Remove null members and empty-string legacy placeholders, recursively,
    except the base threshold step's ``value: null``."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if v is None and k != "value":
                continue
            out[k] = _drop_nulls(v)
        return out
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def datasource_ref(ds: Any, default_type: str = "prometheus") -> dict | None:
    """``"${datasource}"`` or a name -> ``{"type", "uid"}``."""
    if ds is None or ds == "":
        return None
    if isinstance(ds, dict):
        return {k: ds[k] for k in ("type", "uid") if k in ds}
    return {"type": default_type, "uid": str(ds)}


def _variable(v: dict) -> dict:
    keys = VARIABLE_KEYS | (INTERVAL_VARIABLE_KEYS if v.get("type") == "interval" else set())
    out = {k: val for k, val in v.items() if k in keys}
    if "datasource" in out:
        out["datasource"] = datasource_ref(out["datasource"])
    if out.get("type") == "query" and isinstance(out.get("query"), str):
        out.setdefault("definition", out["query"])
    current = out.get("current")
    if isinstance(current, dict):
        value = current.get("value")
        if value is None or value == "":
            out.pop("current")
        else:
            text = current.get("text", value)
            if value == ALL:
                text = "All"
            if out.get("multi") and not isinstance(value, list):
                value, text = [value], [text]
            out["current"] = {"text": text, "value": value}
    for key in ("regex", "label", "allValue"):
        if out.get(key) == "":
            out.pop(key)
    out.setdefault("options", [])
    return out


def _any_panel(p: dict, dashboard: str) -> dict:
    if p.get("type") == "row":
        out = {k: v for k, v in p.items() if k in ROW_KEYS}
        out.setdefault("collapsed", False)
        out["panels"] = [_panel(c, dashboard) for c in p.get("panels", [])]
        out.pop("datasource", None)
        if not out.get("repeat"):
            out.pop("repeat", None)
        return out
    return _panel(p, dashboard)


def _panel(p: dict, dashboard: str) -> dict:
    kind = p.get("type")
    if kind in ANGULAR_TYPES:
        raise NormalizeError(
            f"dashboard '{dashboard}', panel '{p.get('title', '?')}': Angular panel type "
            f"'{kind}' is not supported by Grafana 11+; use '{ANGULAR_TYPES[kind]}'")
    out = {k: v for k, v in p.items() if k in PANEL_KEYS}
    for key in ("repeat", "repeatDirection", "interval", "timeFrom", "timeShift", "description"):
        if out.get(key) in ("", None):
            out.pop(key, None)
    for key, default in (("transparent", False), ("hideTimeOverride", False)):
        if out.get(key) == default:
            out.pop(key)
    for key in ("links", "transformations"):
        if out.get(key) == []:
            out.pop(key)
    if not out.get("repeat"):
        out.pop("maxPerRow", None)
    ds = datasource_ref(out.get("datasource"))
    if ds is None:
        out.pop("datasource", None)
    else:
        out["datasource"] = ds
    if "targets" in out:
        out["targets"] = [_target(t, ds) for t in out["targets"]]
    out["fieldConfig"] = _field_config(p.get("fieldConfig") or {})
    migrate = _MIGRATIONS.get(kind)
    if migrate is not None:
        migrate(p, out)
    defaults = OPTION_DEFAULTS.get(kind)
    if defaults is not None:
        out["options"] = _with_defaults(out.get("options") or {}, defaults)
    elif out.get("options") in ({}, []):
        out.pop("options")
    return out


def _with_defaults(options: dict, defaults: dict) -> dict:
    out = dict(options)
    for k, v in defaults.items():
        if k not in out:
            out[k] = v
        elif isinstance(v, dict) and isinstance(out[k], dict):
            out[k] = _with_defaults(out[k], v)
    return out


def promql_target(t: dict, ds: Any) -> bool:
    """Whether a target is a PromQL query (an ``expr`` of a Prometheus or the
    default datasource), whose keys are ``TARGET_KEYS``. Any other target
    (SQL's ``rawSql``, TestData's ``scenarioId``, a Loki query, the
    ``-- Dashboard --`` datasource's ``panelId``) holds its query in its own
    keys: they are all kept."""
    kind = ds.get("type") if isinstance(ds, dict) else None
    return "expr" in t and kind in (None, "prometheus")


def target_keys(t: dict, ds: Any) -> set[str] | None:
    """The keys of target ``t`` (of datasource ``ds``) the current model
    keeps; None: all of them (``promql_target``). A PromQL query's
    ``intervalFactor`` (its resolution, 1/N) is kept unless it comes with
    ``step``, as grafanalib writes both on every target."""
    if not promql_target(t, ds):
        return None
    return TARGET_KEYS if "step" in t else TARGET_KEYS | {"intervalFactor"}


def _target(t: dict, panel_ds: dict | None) -> dict:
    ds = datasource_ref(t.get("datasource")) or panel_ds
    keys = target_keys(t, ds)
    out = {k: v for k, v in t.items() if keys is None or k in keys}
    if ds is None:
        out.pop("datasource", None)
    else:
        out["datasource"] = ds
    if out.get("hide") is False:
        out.pop("hide")
    if out.get("interval") == "":
        out.pop("interval")
    factor = out.get("intervalFactor")
    if keys is not None and (not isinstance(factor, int) or isinstance(factor, bool) or factor <= 1):
        out.pop("intervalFactor", None)  # 1 is the default, and Grafana reads "" as 1
    if "expr" in out:
        instant = bool(out.get("instant", False))
        out["instant"] = instant
        out["range"] = not instant
        out.setdefault("editorMode", "code")
    if out.get("format") == "time_series":
        out.pop("format")
    return out


def _field_config(fc: dict) -> dict:
    defaults = dict(fc.get("defaults") or {})
    thresholds = defaults.get("thresholds")
    if isinstance(thresholds, dict):
        steps = thresholds.get("steps")
        if not isinstance(steps, list) or not steps:
            steps = [{"color": "green", "value": None}]
        defaults["thresholds"] = {"mode": thresholds.get("mode", "absolute"),
                                  "steps": [_step(s) for s in steps]}
    if defaults.get("custom") == {}:
        defaults.pop("custom")
    for key in ("mappings",):
        if defaults.get(key) == []:
            defaults.pop(key)
    custom = defaults.get("custom")
    if isinstance(custom, dict) and custom.get("stacking") == {}:
        custom["stacking"] = {"mode": "none", "group": "A"}
    return {"defaults": defaults, "overrides": list(fc.get("overrides") or [])}


def _step(s: Any) -> dict:
    if hasattr(s, "to_json_data"):
        s = s.to_json_data()
    value = s.get("value")
    if value == "null":  # grafanalib's Threshold writes the base step's value as a string
        value = None
    return {"color": s.get("color", "green"), "value": value}


# --- per-plugin migrations of grafanalib's legacy layouts --------------------
def _migrate_bargauge(raw: dict, out: dict) -> None:
    """Grafana 6 ``options.fieldOptions`` -> ``fieldConfig`` + ``reduceOptions``."""
    options = dict(out.get("options") or {})
    legacy = options.pop("fieldOptions", None) or {}
    options.pop("showThresholdLabels", None)
    options.pop("showThresholdMarkers", None)
    defaults = out["fieldConfig"]["defaults"]
    for key in ("decimals", "max", "min", "unit"):
        value = (legacy.get("defaults") or {}).get(key)
        if value is not None:
            defaults[key] = value
    steps = legacy.get("thresholds")
    if steps:
        defaults["thresholds"] = {"mode": "absolute", "steps": [_step(s) for s in steps]}
    reduce = {"calcs": list(legacy.get("calcs") or ["lastNotNull"]), "fields": "",
              "values": bool(legacy.get("values", False))}
    if legacy.get("limit") is not None:
        reduce["limit"] = legacy["limit"]
    options["reduceOptions"] = reduce
    out["options"] = options


def _migrate_table(raw: dict, out: dict) -> None:
    """Drop the deprecated ``custom.displayMode``. Its successor,
    ``custom.cellOptions``, cannot be written for the simple modes: Grafana's
    schema matches ``{"type": "color-text"}`` against several ``oneOf``
    shapes at once and rejects it, so cells keep Grafana's "auto" mode."""
    custom = out["fieldConfig"]["defaults"].setdefault("custom", {})
    custom.pop("displayMode", None)
    custom.setdefault("align", "auto")
    custom.setdefault("inspect", False)
    options = dict(out.get("options") or {})
    if options.get("sortBy") == []:
        options.pop("sortBy")
    out["options"] = options


def _migrate_stat(raw: dict, out: dict) -> None:
    reduce = (out.get("options") or {}).get("reduceOptions")
    if isinstance(reduce, dict) and reduce.get("fields") is None:
        reduce["fields"] = ""


_MIGRATIONS = {"bargauge": _migrate_bargauge, "table": _migrate_table, "stat": _migrate_stat}
