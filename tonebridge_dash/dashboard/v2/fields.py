"""The parts of a classic dashboard that v2 types one by one, as Grafana's
converter maps them: variables (typed kinds, enums by name), annotations
(``AnnotationQuery``), dashboard links, time settings and a panel's field
config (only the schema's keys; threshold steps with an explicit ``null``)."""

from __future__ import annotations

from typing import Any

from .common import (DEFAULT_DATASOURCE_TYPE, GRAFANA_DATASOURCE_UID, HIDE, LEGACY_STRING, REFRESH, SORT,
                     VARIABLE_KINDS, boolean, enum, integer, is_number, is_template_variable, lst, obj, string,
                     strings)

AUTO_REFRESH_INTERVALS = ["5s", "10s", "30s", "1m", "5m", "15m", "30m", "1h", "2h", "1d"]


def data_query(kind: str, uid: str, spec: Any) -> dict:
    """A v2beta1 ``DataQuery``: the datasource's type as group, its uid as name."""
    query: dict[str, Any] = {"kind": "DataQuery", "group": kind, "version": "v0"}
    if uid:
        query["datasource"] = {"name": uid}
    query["spec"] = spec
    return query


# --- time, links --------------------------------------------------------------------
def time_settings(d: dict) -> dict:
    out: dict[str, Any] = {}
    if string(d, "timezone"):  # "" (the browser's) is left out, as Grafana's converter does now
        out["timezone"] = d["timezone"]
    time = obj(d, "time")
    out.update(**{"from": string(time, "from") or "now-6h"}, to=string(time, "to") or "now",
               autoRefresh=string(d, "refresh"), autoRefreshIntervals=list(AUTO_REFRESH_INTERVALS),
               hideTimepicker=False, fiscalYearStartMonth=integer(d, "fiscalYearStartMonth"))
    if string(d, "weekStart"):
        out["weekStart"] = d["weekStart"]
    picker = obj(d, "timepicker")
    if strings(picker, "refresh_intervals"):
        out["autoRefreshIntervals"] = strings(picker, "refresh_intervals")
    out["hideTimepicker"] = boolean(picker, "hidden")
    if string(picker, "nowDelay"):
        out["nowDelay"] = picker["nowDelay"]
    if isinstance(picker.get("quick_ranges"), list):
        out["quickRanges"] = [{"display": string(q, "display"), "from": string(q, "from"), "to": string(q, "to")}
                              for q in picker["quick_ranges"] if isinstance(q, dict)]
    return out


def dashboard_links(d: dict) -> list[dict]:
    out = []
    for link in lst(d, "links"):
        if not isinstance(link, dict):
            continue
        item: dict[str, Any] = {"title": string(link, "title"), "type": string(link, "type", "link"),
                                "icon": string(link, "icon"), "tooltip": string(link, "tooltip")}
        if isinstance(link.get("url"), str):
            item["url"] = link["url"].replace("\ufeff", "")
        item.update(tags=strings(link, "tags"), asDropdown=boolean(link, "asDropdown"),
                    targetBlank=boolean(link, "targetBlank"), includeVars=boolean(link, "includeVars"),
                    keepTime=boolean(link, "keepTime"))
        if isinstance(link.get("placement"), str):
            item["placement"] = link["placement"]
        out.append(item)
    return out


# --- annotations --------------------------------------------------------------------
_ANNOTATION_KEYS = {"name", "datasource", "enable", "hide", "iconColor", "filter", "target", "builtIn", "type",
                    "mappings"}


def annotations_to_v2(d: dict) -> list[dict]:
    return [_annotation(a) for a in lst(obj(d, "annotations"), "list") if isinstance(a, dict)]


def _annotation(a: dict) -> dict:
    ds = obj(a, "datasource")
    uid, kind = string(ds, "uid"), string(ds, "type")
    target = a.get("target") if isinstance(a.get("target"), dict) else {}
    spec: dict[str, Any] = {"query": data_query(kind, uid if uid and kind else "", target),
                            "enable": boolean(a, "enable"), "hide": boolean(a, "hide"),
                            "iconColor": string(a, "iconColor"), "name": string(a, "name")}
    built_in = a.get("builtIn")
    if isinstance(built_in, bool) or is_number(built_in):
        spec["builtIn"] = bool(built_in)
    if isinstance(a.get("filter"), dict):
        f = a["filter"]
        spec["filter"] = ({"exclude": True} if boolean(f, "exclude") else {}) | {
            "ids": [int(i) for i in lst(f, "ids") if is_number(i) and 0 <= i <= 0xFFFFFFFF]}
    if isinstance(a.get("mappings"), dict):
        spec["mappings"] = _mappings(a["mappings"])
    legacy = {"type": a["type"]} if string(a, "type") else {}
    legacy.update({k: v for k, v in a.items() if k not in _ANNOTATION_KEYS})
    if legacy:
        spec["legacyOptions"] = legacy
    return {"kind": "AnnotationQuery", "spec": spec}


def _mappings(m: dict) -> dict:
    out = {}
    for key, value in m.items():
        if isinstance(value, str) and value:
            out[key] = {"source": "field", "value": value}
        elif isinstance(value, dict):
            item = {"source": string(value, "source") or "field"}
            for k in ("value", "regex"):
                if string(value, k):
                    item[k] = value[k]
            out[key] = item
    return out


# --- variables ----------------------------------------------------------------------
def variables_to_v2(d: dict) -> list[dict]:
    out = []
    for v in lst(obj(d, "templating"), "list"):
        if isinstance(v, dict) and string(v, "type") in VARIABLE_KINDS:
            out.append(_variable(v))
    return out


def _text_or_list(v: Any) -> Any:
    if isinstance(v, str):
        return v
    if isinstance(v, list):
        return [s for s in v if isinstance(s, str)]
    if isinstance(v, dict) and isinstance(v.get(LEGACY_STRING), str):
        return v[LEGACY_STRING]
    return ""


def _current(v: Any) -> dict:
    return {"text": _text_or_list(v.get("text")), "value": _text_or_list(v.get("value"))} if isinstance(v, dict) \
        else {"text": "", "value": ""}


def _options(v: Any) -> list[dict]:
    return [{"selected": boolean(o, "selected"), "text": _text_or_list(o.get("text")),
             "value": _text_or_list(o.get("value"))} for o in (v if isinstance(v, list) else []) if isinstance(o, dict)]


def _variable_source(v: dict) -> tuple[str, str]:
    ds = v.get("datasource")
    if isinstance(ds, dict):
        uid, kind = string(ds, "uid"), string(ds, "type")
        if uid and not kind and not is_template_variable(uid):
            kind = DEFAULT_DATASOURCE_TYPE
        elif not uid and not kind:
            kind = DEFAULT_DATASOURCE_TYPE
        if kind == "datasource" and not uid:
            uid = GRAFANA_DATASOURCE_UID
        return kind, uid
    if isinstance(ds, str) and is_template_variable(ds):
        return "", ds
    return DEFAULT_DATASOURCE_TYPE, ""


def _variable(v: dict) -> dict:
    kind = VARIABLE_KINDS[v["type"]]
    spec: dict[str, Any] = {"name": string(v, "name")}
    for key in ("label", "description"):
        if string(v, key):
            spec[key] = v[key]
    spec.update(hide=enum(HIDE, v.get("hide")), skipUrlSync=boolean(v, "skipUrlSync"))
    top: dict[str, Any] = {"kind": kind}
    t = v["type"]
    if t in ("query", "datasource", "custom", "constant", "interval", "textbox", "groupby"):
        spec["current"] = _current(v.get("current"))
    if t == "query":
        ds_kind, uid = _variable_source(v)
        query = v.get("query")
        query = ({LEGACY_STRING: query} if query else {}) if isinstance(query, str) else \
            (query if isinstance(query, dict) else {})
        spec.update(refresh=enum(REFRESH, v.get("refresh")), query=data_query(ds_kind, uid, query),
                    regex=string(v, "regex"), sort=enum(SORT, v.get("sort")))
        if v.get("regexApplyTo") in ("value", "text"):
            spec["regexApplyTo"] = v["regexApplyTo"]
        if isinstance(v.get("definition"), str):
            spec["definition"] = v["definition"]
        spec["options"] = _options(v.get("options"))
        if isinstance(v.get("staticOptions"), list):
            spec["staticOptions"] = _options(v["staticOptions"])
        if v.get("staticOptionsOrder") in ("before", "after", "sorted"):
            spec["staticOptionsOrder"] = v["staticOptionsOrder"]
        spec.update(multi=boolean(v, "multi"), includeAll=boolean(v, "includeAll"))
        if string(v, "allValue"):
            spec["allValue"] = v["allValue"]
        spec["allowCustomValue"] = boolean(v, "allowCustomValue", True)
    elif t == "datasource":
        spec.update(pluginId=string(v, "query", DEFAULT_DATASOURCE_TYPE), refresh=enum(REFRESH, v.get("refresh")),
                    regex=string(v, "regex"), options=_options(v.get("options")), multi=boolean(v, "multi"),
                    includeAll=boolean(v, "includeAll"))
        if string(v, "allValue"):
            spec["allValue"] = v["allValue"]
        spec["allowCustomValue"] = boolean(v, "allowCustomValue", True)
    elif t == "custom":
        spec.update(query=string(v, "query"), options=_options(v.get("options")), multi=boolean(v, "multi"),
                    includeAll=boolean(v, "includeAll"))
        if string(v, "allValue"):
            spec["allValue"] = v["allValue"]
        if v.get("valuesFormat") in ("csv", "json"):
            spec["valuesFormat"] = v["valuesFormat"]
        spec["allowCustomValue"] = boolean(v, "allowCustomValue", True)
    elif t == "constant":
        query = string(v, "query")
        if not isinstance(v.get("current"), dict):
            spec["current"] = {"text": query, "value": query}
        spec["query"] = query
    elif t == "interval":
        query = string(v, "query") or ",".join(
            s for o in lst(v, "options") if isinstance(o, dict)
            for s in [string(o, "value") if "value" in o else string(o, "text")] if s)
        spec.update(query=query, options=_options(v.get("options")), auto=boolean(v, "auto"),
                    auto_min=string(v, "auto_min"), auto_count=integer(v, "auto_count"),
                    refresh="onTimeRangeChanged")
    elif t == "textbox":
        spec["query"] = string(v, "query")
    elif t == "switch":
        spec.update(_switch(v))
    elif t in ("adhoc", "groupby"):
        ds_kind, uid = _variable_source(v)  # the kind's group and datasource: those of a reference with a uid
        top["group"] = ds_kind if uid else ""
        top["datasource"] = {"name": uid} if uid else {}
        if t == "adhoc":
            spec.update(baseFilters=_filters(v.get("baseFilters")), filters=_filters(v.get("filters")),
                        defaultKeys=_find_values(v.get("defaultKeys")),
                        allowCustomValue=boolean(v, "allowCustomValue", True))
        else:
            spec.update(options=_options(v.get("options")), multi=boolean(v, "multi", True))
            if isinstance(v.get("defaultValue"), dict):
                spec["defaultValue"] = _current(v["defaultValue"])
    top["spec"] = spec
    return top


def _switch(v: dict) -> dict:
    def value(o: Any) -> str:
        return string(o, "value") or string(o, "text")
    options = lst(v, "options")
    enabled = value(options[0]) if options else ""
    disabled = value(options[1]) if len(options) > 1 else ""
    enabled, disabled = enabled or "true", disabled or "false"
    return {"current": value(obj(v, "current")) or disabled, "enabledValue": enabled, "disabledValue": disabled}


def _filters(v: Any) -> list[dict]:
    out = []
    for f in v if isinstance(v, list) else []:
        if not isinstance(f, dict) or string(f, "origin") not in ("", "dashboard"):
            continue
        item: dict[str, Any] = {"key": string(f, "key"), "operator": string(f, "operator", "="),
                                "value": string(f, "value")}
        if string(f, "origin"):
            item["origin"] = "dashboard"
        for k in ("keyLabel", "condition"):
            if string(f, k):
                item[k] = f[k]
        for k in ("values", "valueLabels"):
            if strings(f, k):
                item[k] = strings(f, k)
        out.append(item)
    return out


def _find_values(v: Any) -> list[dict]:
    out = []
    for x in v if isinstance(v, list) else []:
        text = string(x, "text") if isinstance(x, dict) else x if isinstance(x, str) else ""
        if text or isinstance(x, str):
            out.append({"text": text, "value": text})
    return out


# --- field config -------------------------------------------------------------------
_NUMBERS, _STRINGS = ("decimals", "max", "min"), ("description", "displayName", "displayNameFromDS", "noValue",
                                                  "path", "unit")
_BOOLEANS = ("filterable", "writeable", "fieldMinMax")


def fields_to_v2(fc: dict) -> dict:
    d = obj(fc, "defaults")
    out: dict[str, Any] = {}
    if isinstance(d.get("thresholds"), dict):
        t = d["thresholds"]
        out["thresholds"] = {"mode": string(t, "mode") or "absolute",  # Grafana's default; the schema needs one
                             "steps": [{"value": s.get("value") if is_number(s.get("value")) else None,
                                        "color": string(s, "color")} for s in lst(t, "steps") if isinstance(s, dict)]}
    if isinstance(d.get("color"), dict):
        c = d["color"]
        out["color"] = {"mode": string(c, "mode")} | {k: c[k] for k in ("fixedColor", "seriesBy")
                                                      if isinstance(c.get(k), str)}
    if isinstance(d.get("custom"), dict) and d["custom"]:
        out["custom"] = d["custom"]
    for keys, test in ((_NUMBERS, is_number), (_STRINGS, lambda x: isinstance(x, str)),
                       (_BOOLEANS, lambda x: isinstance(x, bool))):
        out.update({k: d[k] for k in keys if test(d.get(k))})
    if isinstance(d.get("nullValueMode"), str):
        out["nullValueMode"] = d["nullValueMode"]
    if isinstance(d.get("links"), list):
        out["links"] = d["links"]
    if isinstance(d.get("actions"), list) and d["actions"]:
        out["actions"] = d["actions"]
    mappings = [m for m in (_mapping(x) for x in lst(d, "mappings")) if m]
    if mappings:
        out["mappings"] = mappings
    overrides = []
    for o in lst(fc, "overrides"):
        if not isinstance(o, dict):
            continue
        item: dict[str, Any] = {}
        if isinstance(o.get("__systemRef"), str):
            item["__systemRef"] = o["__systemRef"]
        m = obj(o, "matcher")
        item["matcher"] = {"id": string(m, "id")} | ({"options": m["options"]} if "options" in m else {})
        if isinstance(o.get("properties"), list):
            item["properties"] = [{"id": string(p, "id")} | ({"value": p["value"]} if "value" in p else {})
                                  for p in o["properties"] if isinstance(p, dict)]
        overrides.append(item)
    return {"defaults": out, "overrides": overrides}


def _result(r: Any) -> dict:
    out = {k: r[k] for k in ("text", "color", "icon") if isinstance(r, dict) and isinstance(r.get(k), str)}
    if isinstance(r, dict) and is_number(r.get("index")):
        out["index"] = int(r["index"])
    return out


def _mapping(m: Any) -> dict | None:
    kind, opts = string(m, "type"), obj(m, "options")
    if kind == "value":
        return {"type": "value", "options": {k: _result(v) for k, v in opts.items() if isinstance(v, dict)}}
    if kind == "range" and (opts.get("from") is not None or opts.get("to") is not None):
        r: dict[str, Any] = {k: opts[k] for k in ("from", "to") if is_number(opts.get(k))}
        return {"type": "range", "options": r | {"result": _result(opts.get("result"))}}
    if kind == "regex" and isinstance(m.get("options"), dict):
        return {"type": "regex", "options": {"pattern": string(opts, "pattern"), "result": _result(opts.get("result"))}}
    if kind == "special" and opts:
        return {"type": "special", "options": {"match": string(opts, "match"), "result": _result(opts.get("result"))}}
    return None
