"""Fill in what Grafana fills in: the keys its JSON Schemas require that an
exported dashboard leaves out because Grafana supplies their defaults when
it loads one (a link's ``tooltip``, a heatmap's ``showValue``, a
transformation's ``options``...).

``complete`` walks a dashboard against Grafana's dashboard schema and each
panel against its plugin's schema and adds every required key that is
missing and has a default there (or is an object whose own required keys
do): nothing present is changed. It also removes Angular's ``$$hashKey``
bookkeeping, which Grafana never stores.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from typing import Any

from ..model import as_list
from ..dashboard.schema import PANEL_PLUGINS, SCHEMA_DIR

_MAX_DEPTH = 12
# Required keys without a default in the schema: what Grafana's editors start from.
_FALLBACK = {"icon": "external link"}
_EMPTY = {"object": {}, "array": [], "string": "", "boolean": False}


@lru_cache(maxsize=None)
def _schema(name: str) -> dict:
    return json.loads((SCHEMA_DIR / f"{name}.jsonschema.json").read_text(encoding="utf-8"))


def _resolve(schema: dict, defs: dict) -> dict:
    """``schema`` with its ``$ref`` and ``allOf`` parts merged in."""
    for _ in range(_MAX_DEPTH):
        ref = schema.get("$ref")
        if not isinstance(ref, str) or not ref.startswith("#/definitions/"):
            break
        schema = {**defs.get(ref.rsplit("/", 1)[-1], {}), **{k: v for k, v in schema.items() if k != "$ref"}}
    if "allOf" in schema:
        merged: dict = {"properties": {}, "required": []}
        for part in [schema] + [_resolve(s, defs) for s in schema["allOf"] if isinstance(s, dict)]:
            merged["properties"].update(part.get("properties", {}))
            merged["required"] += part.get("required", [])
            if "type" in part:
                merged["type"] = part["type"]
        return merged
    return schema


def _fill(value: Any, schema: dict, defs: dict, depth: int = 0) -> None:
    if depth > _MAX_DEPTH:
        return
    schema = _resolve(schema, defs)
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for key in schema.get("required", []):
            if key in value or key not in props:
                continue
            prop = _resolve(props[key], defs)
            if "default" in prop:
                value[key] = copy.deepcopy(prop["default"])
            elif key in _FALLBACK:
                value[key] = copy.deepcopy(_FALLBACK[key])
            elif prop.get("enum"):
                value[key] = prop["enum"][0]
            elif prop.get("type") in _EMPTY:
                value[key] = copy.deepcopy(_EMPTY[prop["type"]])
        for key, item in value.items():
            if key in props:
                _fill(item, props[key], defs, depth + 1)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            _fill(item, schema["items"], defs, depth + 1)


def _strip_hash_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_hash_keys(v) for k, v in value.items() if k != "$$hashKey"}
    if isinstance(value, list):
        return [_strip_hash_keys(v) for v in value]
    return value


def complete(d: dict) -> dict:
    """``d`` with Grafana's required defaults filled in (a new dict)."""
    d = _strip_hash_keys(d)
    defs = _schema("dashboard").get("definitions", {})
    props = _resolve({"$ref": "#/definitions/Dashboard"}, defs).get("properties", {})
    for key in ("links", "annotations", "templating", "time", "timepicker"):
        if key in d and key in props:
            _fill(d[key], props[key], defs)
    for p in as_list(d.get("panels")):
        if isinstance(p, dict):
            _panel(p, defs)
            for child in as_list(p.get("panels")):
                if isinstance(child, dict):
                    _panel(child, defs)
    return d


def _panel(p: dict, defs: dict) -> None:
    if p.get("type") == "row":
        return
    props = _resolve({"$ref": "#/definitions/Panel"}, defs).get("properties", {})
    for key in ("transformations", "links", "fieldConfig", "gridPos"):
        if key in p and key in props:
            _fill(p[key], props[key], defs)
    kind = p.get("type")
    if kind not in PANEL_PLUGINS:
        return
    plugin = _schema(kind)
    plugin_defs = plugin.get("definitions", {})
    if isinstance(p.get("options"), dict) and "Options" in plugin_defs:
        _fill(p["options"], plugin_defs["Options"], plugin_defs)
    defaults = p.get("fieldConfig", {}).get("defaults") if isinstance(p.get("fieldConfig"), dict) else None
    if isinstance(defaults, dict) and isinstance(defaults.get("custom"), dict) and "FieldConfig" in plugin_defs:
        _fill(defaults["custom"], plugin_defs["FieldConfig"], plugin_defs)
