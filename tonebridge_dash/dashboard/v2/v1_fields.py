"""The typed parts of a v2 dashboard back to their classic form: variables
(kinds to types, enum names to numbers), annotations, links, time settings
and a panel's field config. The inverse of ``fields``."""

from __future__ import annotations

from typing import Any

from .common import (HIDE, LEGACY_STRING, REFRESH, SORT, VARIABLE_KINDS, boolean, integer, is_number, lst,
                     number_of, obj, string)
from .fields import AUTO_REFRESH_INTERVALS

TYPES = {kind: t for t, kind in VARIABLE_KINDS.items()}


def time_to_v1(ts: dict) -> dict:
    out: dict[str, Any] = {"time": {"from": string(ts, "from", "now-6h"), "to": string(ts, "to", "now")},
                           "refresh": string(ts, "autoRefresh"),
                           "fiscalYearStartMonth": integer(ts, "fiscalYearStartMonth")}
    if isinstance(ts.get("timezone"), str):
        out["timezone"] = ts["timezone"]
    if string(ts, "weekStart"):
        out["weekStart"] = ts["weekStart"]
    intervals = [s for s in lst(ts, "autoRefreshIntervals") if isinstance(s, str)]
    picker: dict[str, Any] = {"hidden": boolean(ts, "hideTimepicker"),
                              "refresh_intervals": intervals or list(AUTO_REFRESH_INTERVALS)}
    if string(ts, "nowDelay"):
        picker["nowDelay"] = ts["nowDelay"]
    if isinstance(ts.get("quickRanges"), list):
        picker["quick_ranges"] = ts["quickRanges"]
    out["timepicker"] = picker
    return out


def links_to_v1(links: list) -> list[dict]:
    """Dashboard links have the same keys in both models."""
    return [dict(link) for link in links if isinstance(link, dict)]


def _source(group: str, ref: Any) -> dict:
    name = string(ref, "name")
    return ({"type": group} if group else {}) | ({"uid": name} if name else {})


def annotations_to_v1(annotations: list, notes: list[str]) -> list[dict]:
    out = []
    for a in annotations:
        spec = obj(a, "spec")
        query = obj(spec, "query")
        item: dict[str, Any] = {"name": string(spec, "name"), "enable": boolean(spec, "enable"),
                                "hide": boolean(spec, "hide"), "iconColor": string(spec, "iconColor")}
        source = _source(string(query, "group"), obj(query, "datasource"))
        if source:
            item["datasource"] = source
        if obj(query, "spec"):
            item["target"] = obj(query, "spec")
        if boolean(spec, "builtIn"):
            item["builtIn"] = 1
        if isinstance(spec.get("filter"), dict):
            item["filter"] = {"exclude": boolean(spec["filter"], "exclude"), "ids": lst(spec["filter"], "ids")}
        if isinstance(spec.get("mappings"), dict):
            item["mappings"] = spec["mappings"]
        if spec.get("placement"):
            notes.append(f"annotation '{item['name']}': its placement has no classic equivalent")
        item.update(obj(spec, "legacyOptions"))
        out.append(item)
    return out


def _current(c: Any) -> dict:
    return {"text": c.get("text", ""), "value": c.get("value", "")} if isinstance(c, dict) else {}


def variables_to_v1(variables: list, notes: list[str]) -> list[dict]:
    out = []
    for v in variables:
        kind, spec = string(v, "kind"), obj(v, "spec")
        if kind not in TYPES:
            notes.append(f"variable '{string(spec, 'name')}': kind {kind!r} has no classic type: left out")
            continue
        t = TYPES[kind]
        item: dict[str, Any] = {"type": t, "name": string(spec, "name")}
        for key in ("label", "description"):
            if string(spec, key):
                item[key] = spec[key]
        item.update(hide=number_of(HIDE, spec.get("hide")), skipUrlSync=boolean(spec, "skipUrlSync"))
        if "current" in spec and t != "switch":
            item["current"] = _current(spec["current"])
        for key in ("options", "staticOptions", "staticOptionsOrder", "multi", "includeAll", "allValue",
                    "allowCustomValue", "regex", "regexApplyTo", "definition", "auto", "auto_min", "auto_count",
                    "valuesFormat", "baseFilters", "filters", "defaultKeys", "defaultValue"):
            if key in spec:
                item[key] = spec[key]
        if "refresh" in spec:
            item["refresh"] = number_of(REFRESH, spec["refresh"])
        if "sort" in spec:
            item["sort"] = number_of(SORT, spec["sort"])
        if t == "query":
            query = obj(spec, "query")
            body = obj(query, "spec")
            item["query"] = body[LEGACY_STRING] if set(body) == {LEGACY_STRING} else body if body else ""
            source = _source(string(query, "group"), obj(query, "datasource"))
            if source:
                item["datasource"] = source
        elif t == "datasource":
            item["query"] = string(spec, "pluginId")
        elif t in ("adhoc", "groupby"):
            source = _source(string(v, "group"), obj(v, "datasource"))
            if source:
                item["datasource"] = source
        elif t == "switch":
            on, off = string(spec, "enabledValue", "true"), string(spec, "disabledValue", "false")
            current = string(spec, "current", off)
            item["current"] = {"text": current, "value": current}
            item["options"] = [{"selected": current == on, "text": on, "value": on},
                               {"selected": current != on, "text": off, "value": off}]
        else:
            item["query"] = spec.get("query", "")
        out.append(item)
    return out


def fields_to_v1(fc: dict) -> dict:
    defaults = dict(obj(fc, "defaults"))
    if isinstance(defaults.get("thresholds"), dict):
        t = defaults["thresholds"]
        defaults["thresholds"] = {"mode": string(t, "mode", "absolute"),
                                  "steps": [{"color": string(s, "color"),
                                             "value": s.get("value") if is_number(s.get("value")) else None}
                                            for s in lst(t, "steps") if isinstance(s, dict)]}
    return {"defaults": defaults, "overrides": [o for o in lst(fc, "overrides") if isinstance(o, dict)]}
