"""Angular panels -> their current plugins, as Grafana migrates them when it
loads an old dashboard: ``graph`` -> ``timeseries``, ``singlestat`` ->
``stat`` (``gauge`` when it showed one), the Angular table -> ``table``,
``grafana-piechart-panel`` -> ``piechart``.

Each migration edits the panel in place and returns what it approximated,
one short line each; keys it has no counterpart for are named there, never
dropped silently.
"""

from __future__ import annotations

from typing import Any, Callable

from ..model import as_list, as_object

# Legacy reducer names -> the current ones (Grafana's getReducerForValueName / legend values).
REDUCERS = {"avg": "mean", "current": "lastNotNull", "max": "max", "min": "min", "total": "sum",
            "first": "firstNotNull", "delta": "delta", "diff": "diff", "range": "range",
            "last_time": "lastNotNull", "name": "lastNotNull", "count": "count"}
_LEGEND_CALCS = (("min", "min"), ("max", "max"), ("avg", "mean"), ("current", "lastNotNull"), ("total", "sum"))
# Keys of the Angular models that carry nothing the current plugins show.
_COSMETIC = {
    "aliasColors", "bars", "dashLength", "dashes", "fill", "fillGradient", "hiddenSeries", "legend", "lines",
    "linewidth", "nullPointMode", "percentage", "pointradius", "points", "renderer", "seriesOverrides",
    "spaceLength", "stack", "steppedLine", "thresholds", "timeRegions", "tooltip", "xaxis", "yaxes", "yaxis",
    "options", "decimals", "format", "colorBackground", "colorValue", "colors", "gauge", "mappingType",
    "mappingTypes", "valueMaps", "rangeMaps", "nullText", "postfixFontSize", "prefixFontSize", "sparkline",
    "tableColumn", "valueFontSize", "valueName", "maxValue", "minValue", "styles", "transform", "columns",
    "sort", "fontSize", "showHeader", "scroll", "pageSize", "cacheTimeout", "colorPrefix", "colorPostfix",
    "height", "error", "isNew", "editable", "span", "minSpan", "legendType", "combine", "strokeWidth",
    "pieType", "valueName", "breakPoint", "aliasColors", "format", "nullPointMode", "fieldConfig",
}


def _number(v: Any) -> float | int | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return v
    if isinstance(v, str):
        try:
            f = float(v.strip())
        except ValueError:
            return None
        if f != f or f in (float("inf"), float("-inf")):
            return None  # "nan", "inf": no number JSON can hold
        return int(f) if f.is_integer() and "." not in v else f
    return None


def _drop(p: dict, keep: set[str] = frozenset()) -> None:
    for key in _COSMETIC - keep:
        p.pop(key, None)


def upgrade_mappings(mappings: list) -> list:
    """Old ``{type: 1, value, text}`` / ``{type: 2, from, to, text}`` mappings
    -> the current ``value``/``range``/``special`` ones (migration 30)."""
    out: list = []
    values: dict = {}
    for m in mappings:
        if not isinstance(m, dict):
            continue
        kind = m.get("type")
        if isinstance(kind, str) and kind in ("value", "range", "special", "regex"):
            out.append(m)
            continue
        text = str(m.get("text", ""))
        if kind in (1, "1", None) and "value" in m:
            value = str(m.get("value"))
            if value == "null":
                out.append({"type": "special", "options": {"match": "null", "result": {"text": text}}})
            else:
                values[value] = {"text": text}
        elif kind in (2, "2"):
            low, high = m.get("from"), m.get("to")
            if low == "null" and high == "null":
                out.append({"type": "special", "options": {"match": "null", "result": {"text": text}}})
            else:
                out.append({"type": "range", "options": {"from": _number(low), "to": _number(high),
                                                         "result": {"text": text}}})
    if values:
        out.insert(0, {"type": "value", "options": {k: {**v, "index": i} for i, (k, v) in enumerate(values.items())}})
    return out


def _field_config(p: dict) -> tuple[dict, list]:
    fc = as_object(p.get("fieldConfig"))
    defaults = dict(as_object(fc.get("defaults")))
    return defaults, list(as_list(fc.get("overrides")))


def _steps(values: list, colors: list) -> list[dict]:
    """Steps from singlestat's ``"70,80"`` and its three colours."""
    colors = [c for c in colors if isinstance(c, str)] or ["green", "orange", "red"]
    steps = [{"color": colors[0], "value": None}]
    for i, v in enumerate(values):
        steps.append({"color": colors[min(i + 1, len(colors) - 1)], "value": v})
    return steps


# --- graph -> timeseries ------------------------------------------------------
def graph(p: dict) -> list[str]:
    notes: list[str] = []
    defaults, overrides = _field_config(p)
    custom = dict(as_object(defaults.get("custom")))
    yaxes = [a for a in as_list(p.get("yaxes")) if isinstance(a, dict)] or [{}]
    left = yaxes[0]
    right = yaxes[1] if len(yaxes) > 1 else {}
    if isinstance(left.get("format"), str):
        defaults.setdefault("unit", left["format"])
    for key in ("min", "max"):
        n = _number(left.get(key))
        if n is not None:
            defaults.setdefault(key, n)
    decimals = _number(left.get("decimals")) if left.get("decimals") is not None else _number(p.get("decimals"))
    if decimals is not None:
        defaults.setdefault("decimals", decimals)
    if isinstance(left.get("label"), str) and left["label"]:
        custom["axisLabel"] = left["label"]
    log = _number(left.get("logBase"))
    if log and log > 1:
        custom["scaleDistribution"] = {"type": "log", "log": log}
    bars, lines, points = bool(p.get("bars")), p.get("lines", True) is not False, bool(p.get("points"))
    custom["drawStyle"] = "bars" if bars and not lines else ("points" if points and not lines else "line")
    custom["lineWidth"] = _number(p.get("linewidth")) if _number(p.get("linewidth")) is not None else 1
    fill = _number(p.get("fill"))
    custom["fillOpacity"] = fill * 10 if fill is not None else 10
    if _number(p.get("fillGradient")):
        custom["gradientMode"] = "opacity"
    custom["showPoints"] = "always" if points else "never"
    if points and _number(p.get("pointradius")):
        custom["pointSize"] = _number(p.get("pointradius")) * 2 + 1
    custom["spanNulls"] = p.get("nullPointMode") == "connected"
    if p.get("steppedLine"):
        custom["lineInterpolation"] = "stepAfter"
    if p.get("dashes"):
        custom["lineStyle"] = {"fill": "dash", "dash": [_number(p.get("dashLength")) or 10,
                                                        _number(p.get("spaceLength")) or 10]}
    if p.get("stack"):
        custom["stacking"] = {"mode": "percent" if p.get("percentage") else "normal", "group": "A"}
    if p.get("nullPointMode") == "null as zero":
        notes.append("null as zero shown as gaps")
    defaults["custom"] = custom
    _graph_thresholds(p, defaults, custom, notes)
    overrides += _series_overrides(p, right, notes)
    for alias, color in as_object(p.get("aliasColors")).items():
        if isinstance(color, str):
            overrides.append({"matcher": {"id": "byName", "options": alias},
                              "properties": [{"id": "color", "value": {"mode": "fixed", "fixedColor": color}}]})
    options = {"legend": _legend(p), "tooltip": _tooltip(p)}
    xaxis = as_object(p.get("xaxis"))
    if xaxis.get("mode") in ("series", "histogram"):
        notes.append(f"x-axis mode '{xaxis['mode']}' shown as a time series")
    if p.get("timeRegions"):
        notes.append("time regions not kept")
    _drop(p)
    p["options"] = options
    p["fieldConfig"] = {"defaults": defaults, "overrides": overrides}
    p["type"] = "timeseries"
    return notes


def _legend(p: dict) -> dict:
    legend = as_object(p.get("legend"))
    calcs = [calc for key, calc in _LEGEND_CALCS if legend.get(key) and legend.get("values", True)]
    out = {"showLegend": legend.get("show", True) is not False,
           "displayMode": "table" if legend.get("alignAsTable") else "list",
           "placement": "right" if legend.get("rightSide") else "bottom", "calcs": calcs}
    sort = legend.get("sort")
    if isinstance(sort, str) and sort:
        out["sortBy"] = dict(_LEGEND_CALCS).get(sort, sort).replace("lastNotNull", "Last *")
        out["sortDesc"] = bool(legend.get("sortDesc"))
    return out


def _tooltip(p: dict) -> dict:
    tooltip = as_object(p.get("tooltip"))
    sort = {1: "asc", 2: "desc"}.get(tooltip.get("sort"), "none")
    return {"mode": "multi" if tooltip.get("shared", True) else "single", "sort": sort}


def _graph_thresholds(p: dict, defaults: dict, custom: dict, notes: list[str]) -> None:
    thresholds = [t for t in as_list(p.get("thresholds")) if isinstance(t, dict) and _number(t.get("value")) is not None]
    if not thresholds:
        return
    colors = {"critical": "red", "warning": "orange", "ok": "green"}
    steps = [{"color": "transparent", "value": None}]
    for t in sorted(thresholds, key=lambda t: _number(t["value"])):
        color = t.get("fillColor") or t.get("lineColor") if t.get("colorMode") == "custom" else \
            colors.get(t.get("colorMode"), "red")
        steps.append({"color": color or "red", "value": _number(t["value"])})
    defaults["thresholds"] = {"mode": "absolute", "steps": steps}
    fill = any(t.get("fill") for t in thresholds)
    line = any(t.get("line", True) for t in thresholds)
    custom["thresholdsStyle"] = {"mode": "line+area" if fill and line else ("area" if fill else "line")}
    if any(t.get("op") == "lt" for t in thresholds):
        notes.append("'below' thresholds drawn as steps upward")


def _series_overrides(p: dict, right: dict, notes: list[str]) -> list[dict]:
    out = []
    for o in as_list(p.get("seriesOverrides")):
        if not isinstance(o, dict) or not isinstance(o.get("alias"), str):
            continue
        alias = o["alias"]
        regex = len(alias) > 1 and alias.startswith("/") and alias.rfind("/") > 0
        matcher = {"id": "byRegexp", "options": alias[1:alias.rfind("/")]} if regex else \
            {"id": "byName", "options": alias}
        props = []
        for key, value in o.items():
            prop = _override_property(key, value, right)
            if prop is None and key not in ("alias", "$$hashKey"):
                notes.append(f"series override '{alias}': {key} not kept")
            props.extend(prop or [])
        if props:
            out.append({"matcher": matcher, "properties": props})
    return out


def _override_property(key: str, value: Any, right: dict) -> list[dict] | None:
    custom = {"fill": lambda v: [("custom.fillOpacity", (_number(v) or 0) * 10)],
              "linewidth": lambda v: [("custom.lineWidth", _number(v) or 0)],
              "lines": lambda v: [] if v else [("custom.lineWidth", 0)],
              "bars": lambda v: [("custom.drawStyle", "bars")] if v else [],
              "points": lambda v: [("custom.showPoints", "always" if v else "never")],
              "stack": lambda v: [("custom.stacking", {"mode": "normal" if v else "none", "group": "A"})],
              "transform": lambda v: [("custom.transform", "negative-Y")] if v == "negative-Y" else [],
              "legend": lambda v: [] if v else [("custom.hideFrom", {"legend": True, "tooltip": False,
                                                                     "viz": False})],
              "hideTooltip": lambda v: [("custom.hideFrom", {"legend": False, "tooltip": True,
                                                             "viz": False})] if v else [],
              "dashes": lambda v: [("custom.lineStyle", {"fill": "dash", "dash": [10, 10]})] if v else [],
              "steppedLine": lambda v: [("custom.lineInterpolation", "stepAfter")] if v else [],
              "color": lambda v: [("color", {"mode": "fixed", "fixedColor": v})],
              "zindex": lambda v: []}
    if key == "yaxis":
        if value != 2:
            return []
        props = [{"id": "custom.axisPlacement", "value": "right"}]
        if isinstance(right.get("format"), str):
            props.append({"id": "unit", "value": right["format"]})
        return props
    make = custom.get(key)
    if make is None:
        return None
    return [{"id": i, "value": v} for i, v in make(value)]


# --- singlestat -> stat / gauge ---------------------------------------------------
def singlestat(p: dict) -> list[str]:
    notes: list[str] = []
    defaults, overrides = _field_config(p)
    gauge = as_object(p.get("gauge"))
    if isinstance(p.get("format"), str):
        defaults.setdefault("unit", p["format"])
    decimals = _number(p.get("decimals"))
    if decimals is not None:
        defaults.setdefault("decimals", decimals)
    values = [n for n in (_number(v) for v in str(p.get("thresholds") or "").split(",")) if n is not None]
    defaults["thresholds"] = {"mode": "absolute", "steps": _steps(values, as_list(p.get("colors")))}
    mappings = upgrade_mappings(as_list(p.get("valueMaps")) + [dict(m, type=2) for m in as_list(p.get("rangeMaps"))
                                                               if isinstance(m, dict)]
                                if p.get("mappingType") in (1, 2, None) else [])
    if mappings:
        defaults["mappings"] = mappings
    if isinstance(p.get("nullText"), str) and p["nullText"]:
        defaults["noValue"] = p["nullText"]
    for key, source in (("min", "minValue"), ("max", "maxValue")):
        n = _number(gauge.get(source))
        if gauge.get("show") and n is not None:
            defaults.setdefault(key, n)
    calc = REDUCERS.get(str(p.get("valueName") or "avg"), "mean")
    reduce = {"calcs": [calc], "fields": "", "values": False}
    column = p.get("tableColumn")
    if isinstance(column, str) and column:
        reduce["fields"] = f"/^{column}$/"
    for key in ("prefix", "postfix"):
        if isinstance(p.get(key), str) and p[key].strip():
            notes.append(f"{key} {p[key]!r} not shown (a unit or a value mapping can say it)")
    if gauge.get("show"):
        p["type"] = "gauge"
        options = {"reduceOptions": reduce, "showThresholdMarkers": gauge.get("thresholdMarkers", True) is not False,
                        "showThresholdLabels": bool(gauge.get("thresholdLabels")), "orientation": "auto"}
    else:
        p["type"] = "stat"
        color = "background" if p.get("colorBackground") else ("value" if p.get("colorValue") else "none")
        options = {"reduceOptions": reduce, "colorMode": color,
                        "graphMode": "area" if as_object(p.get("sparkline")).get("show") else "none",
                        "justifyMode": "auto", "textMode": "auto", "orientation": "horizontal"}
    for key in ("prefix", "postfix"):
        p.pop(key, None)
    _drop(p)
    p["options"] = options
    p["fieldConfig"] = {"defaults": defaults, "overrides": overrides}
    return notes


# --- the Angular table -> table ---------------------------------------------------
def table(p: dict) -> list[str]:
    notes: list[str] = []
    defaults, overrides = _field_config(p)
    custom = dict(as_object(defaults.get("custom")))
    for style in as_list(p.get("styles")):
        if not isinstance(style, dict):
            continue
        pattern = str(style.get("pattern", ""))
        props = _style_properties(style, notes)
        if pattern in ("/.*/", ""):
            for prop in props:
                if prop["id"].startswith("custom."):
                    custom[prop["id"][7:]] = prop["value"]
                elif prop["id"] != "displayName":
                    defaults[prop["id"]] = prop["value"]
            continue
        regex = pattern.startswith("/") and pattern.rfind("/") > 0
        matcher = {"id": "byRegexp", "options": pattern[1:pattern.rfind("/")]} if regex else \
            {"id": "byName", "options": pattern}
        if props:
            overrides.append({"matcher": matcher, "properties": props})
    transformations = list(as_list(p.get("transformations")))
    transform = p.get("transform")
    if transform == "table":
        transformations.append({"id": "merge", "options": {}})
    elif transform == "timeseries_aggregations":
        calcs = [REDUCERS.get(str(as_object(c).get("value")), "lastNotNull") for c in as_list(p.get("columns"))]
        transformations.append({"id": "reduce", "options": {"reducers": calcs or ["lastNotNull"]}})
    elif transform == "timeseries_to_columns":
        transformations.append({"id": "seriesToColumns", "options": {}})
    elif transform not in (None, "timeseries_to_rows"):
        notes.append(f"table transform '{transform}' not kept")
    if transformations:
        p["transformations"] = transformations
    sort = as_object(p.get("sort"))
    options = {"showHeader": p.get("showHeader", True) is not False}
    if isinstance(sort.get("col"), int):
        notes.append("sort by column number not kept (columns are named now)")
    defaults["custom"] = custom
    _drop(p)
    p["options"] = options
    p["fieldConfig"] = {"defaults": defaults, "overrides": overrides}
    p["type"] = "table"
    return notes


def _style_properties(style: dict, notes: list[str]) -> list[dict]:
    props: list[dict] = []
    kind = style.get("type")
    if kind == "hidden":
        return [{"id": "custom.hidden", "value": True}]
    if isinstance(style.get("alias"), str) and style["alias"]:
        props.append({"id": "displayName", "value": style["alias"]})
    if kind == "date":
        props.append({"id": "unit", "value": f"time: {style.get('dateFormat') or 'YYYY-MM-DD HH:mm:ss'}"})
    elif kind == "number" and isinstance(style.get("unit"), str):
        props.append({"id": "unit", "value": style["unit"]})
    if _number(style.get("decimals")) is not None:
        props.append({"id": "decimals", "value": _number(style["decimals"])})
    if style.get("align") not in (None, "", "auto"):
        props.append({"id": "custom.align", "value": style["align"]})
    values = [n for n in (_number(v) for v in as_list(style.get("thresholds"))) if n is not None]
    if values:
        props.append({"id": "thresholds", "value": {"mode": "absolute",
                                                    "steps": _steps(values, as_list(style.get("colors")))}})
    if style.get("colorMode"):
        notes.append(f"column '{style.get('pattern')}': {style['colorMode']} colouring shown as plain text")
    if style.get("link") and isinstance(style.get("linkUrl"), str):
        props.append({"id": "links", "value": [{"title": str(style.get("linkTooltip") or ""),
                                                "url": style["linkUrl"].replace("$__cell_", "${__data.fields["),
                                                "targetBlank": bool(style.get("linkTargetBlank"))}]})
        if "$__cell_" in style["linkUrl"]:
            notes.append(f"column '{style.get('pattern')}': link's $__cell_N kept as written")
            props[-1]["value"][0]["url"] = style["linkUrl"]
    if style.get("mappingType") or style.get("valueMaps"):
        maps = upgrade_mappings(as_list(style.get("valueMaps")) + as_list(style.get("rangeMaps")))
        if maps:
            props.append({"id": "mappings", "value": maps})
    return props


def piechart(p: dict) -> list[str]:
    defaults, overrides = _field_config(p)
    if isinstance(p.get("format"), str):
        defaults.setdefault("unit", p["format"])
    calc = REDUCERS.get(str(p.get("valueName") or "current"), "lastNotNull")
    legend = as_object(p.get("legend"))
    options = {"reduceOptions": {"calcs": [calc], "fields": "", "values": False},
                    "pieType": "donut" if p.get("pieType") == "donut" else "pie",
                    "legend": {"showLegend": legend.get("show", True) is not False, "displayMode": "list",
                               "placement": "right", "calcs": [], "values": []},
                    "tooltip": {"mode": "single", "sort": "none"}}
    _drop(p)
    p["options"] = options
    p["fieldConfig"] = {"defaults": defaults, "overrides": overrides}
    p["type"] = "piechart"
    return []


LEGACY: dict[str, Callable[[dict], list[str]]] = {
    "graph": graph, "singlestat": singlestat, "grafana-singlestat-panel": singlestat, "table-old": table,
    "grafana-piechart-panel": piechart,
}
