"""Validation against Grafana's official JSON Schemas (vendored in
``schemas/grafana``; see the NOTICE there).

The dashboard schema checks the dashboard model; each panel's ``options``
and ``fieldConfig.defaults.custom`` are checked against its plugin's schema,
and each Prometheus target against the Prometheus query schema.

Validators are compiled once per machine (fastjsonschema turns a schema into
Python code, about 10x faster than interpreting it; ``compiled`` keeps that
code in the user's cache). When the compiled
validator rejects a document, the slower ``jsonschema`` validator is run on
that part to list every error with its path.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from ..model import PROMETHEUS, walk_panels

SCHEMA_DIR = Path(__file__).parent.parent / "schemas" / "grafana"

# Panel plugin id -> its schema file; the plugins tb-dash knows how to check.
PANEL_PLUGINS = ("timeseries", "stat", "gauge", "bargauge", "table", "heatmap", "piechart", "text", "logs", "barchart")
# Datasource plugins whose targets are checked: their schema file and its query definition.
QUERY_SCHEMAS = {PROMETHEUS: "Dataquery", "elasticsearch": "dataquery"}


@dataclass(frozen=True)
class SchemaIssue:
    path: str  # a JSON path inside the dashboard, e.g. panels[3].options.legend
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


# Errata: definitions where the generated JSON Schema is stricter than the
# Grafana source it is generated from, relaxed when loaded (the files stay
# unchanged). In Grafana's CUE schema an override property's value and a
# field matcher's options are ``_`` (any): a unit string, a decimals number,
# a mappings list; a column name for ``byName``. A query variable's query is
# a string or its datasource's object (Prometheus: ``{qryType, query,
# refId}``); an export carries ``__inputs``, ``__requires``, ``__elements``.
_ANY: dict = {}
_ERRATA = {("dashboard", "DynamicConfigValue", "value"): _ANY, ("dashboard", "MatcherConfig", "options"): _ANY,
           ("dashboard", "VariableModel", "query"): _ANY, ("dashboard", "Dashboard", "__inputs"): _ANY,
           ("dashboard", "Dashboard", "__requires"): _ANY, ("dashboard", "Dashboard", "__elements"): _ANY}
# The v2 schemas (dashboardv2beta1, dashboardv2) are generated the same way: an
# override property's value, a matcher's options and an annotation's legacy
# options are ``_``/``{...}`` in the CUE source (a unit string, a list of links,
# a legacy annotation's ``type: "dashboard"``), objects in the generated file.
for _v2 in ("dashboardv2beta1", "dashboardv2"):
    _ERRATA |= {(_v2, "DynamicConfigValue", "value"): _ANY, (_v2, "MatcherConfig", "options"): _ANY,
                (_v2, "AnnotationQuerySpec", "legacyOptions"): {"type": "object"}}
# What Grafana itself writes and loads where the schema says otherwise, accepted
# when ``lenient`` only (our own content keeps to the schema): the table's
# footer editor stores ``fields: ""`` (its default, "all number fields").
_LENIENT_ERRATA = {("table", "TableFooterOptions", "fields"): {"anyOf": [{"type": "array", "items": {"type": "string"}},
                                                                        {"type": "string"}]}}


def _loosen(node: Any, lenient: bool) -> Any:
    """The schema as Grafana applies it. Always: ``oneOf`` read as ``anyOf``
    (a cell option ``{"type": "auto"}`` matches several shapes, which
    ``oneOf`` refuses). ``lenient``: what Grafana accepts on load, filling
    or migrating the rest: no required keys (each has a default), unknown
    keys kept, any enum value, ``null`` for any value, a datasource given by
    name or variable string, a number or string where the other is meant."""
    if isinstance(node, list):
        return [_loosen(v, lenient) for v in node]
    if not isinstance(node, dict):
        return node
    out = {("anyOf" if k == "oneOf" else k): _loosen(v, lenient) for k, v in node.items()}
    if lenient:
        for key in ("required", "enum", "additionalProperties", "minimum", "maximum", "minItems", "maxItems",
                    "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "pattern", "format"):
            if key in out and not (key == "additionalProperties" and isinstance(out[key], dict) and out[key]):
                del out[key]
        kind = out.get("type")
        if isinstance(kind, str) and kind != "null":
            kinds = {kind, "null"} | ({"number", "boolean"} if kind == "string" else set())  # gnetId, refresh
            out["type"] = sorted(kinds)
    return out


@lru_cache(maxsize=None)
def _load(name: str, lenient: bool = False) -> dict:
    doc = json.loads((SCHEMA_DIR / f"{name}.jsonschema.json").read_text(encoding="utf-8"))
    for (file, definition, prop), schema in (_ERRATA | (_LENIENT_ERRATA if lenient else {})).items():
        if file == name:
            doc["definitions"][definition]["properties"][prop] = schema
    doc = _loosen(doc, lenient)
    if lenient and "DataSourceRef" in doc.get("definitions", {}):
        doc["definitions"]["DataSourceRef"] = {"anyOf": [doc["definitions"]["DataSourceRef"], {"type": "string"}]}
    return doc


def _definition(name: str, definition: str | None, lenient: bool = False) -> dict | None:
    """A schema whose root is one definition of file ``name`` (or the file's
    own root); None when the file has no such definition."""
    doc = _load(name, lenient)
    defs = doc.get("definitions", {})
    if definition is None:
        return doc
    if definition not in defs:
        return None
    return {"$schema": doc.get("$schema", "http://json-schema.org/draft-07/schema#"),
            "$ref": f"#/definitions/{definition}", "definitions": defs}


@dataclass
class _Validator:
    schema: dict
    name: str = "schema"
    _fast: Callable[[Any], Any] | None = None
    _slow: Any = None

    def errors(self, instance: Any, path: str, every: bool = True) -> list[SchemaIssue]:
        """The schema's errors in ``instance``; without ``every``, the first
        the compiled validator meets (no second pass: fast)."""
        if self._fast is None:
            from ..compiled import validator

            self._fast = validator(self.schema, self.name)
        try:
            self._fast(instance)
            return []
        except Exception as e:  # fastjsonschema.JsonSchemaValueException, or a quirk
            if not every:
                where = [p for p in getattr(e, "path", ["data"])[1:]]
                message = _sorted_sets(str(getattr(e, "message", e)).replace("data.", "", 1))
                return [SchemaIssue(_join(path, where), message)]
        if self._slow is None:
            import jsonschema

            self._slow = jsonschema.Draft7Validator(self.schema)
        found = []
        for e in sorted(self._slow.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path))):
            e = _deepest(e)
            found.append(SchemaIssue(_join(path, e.absolute_path), _short(e)))
        return found or [SchemaIssue(path, "rejected by the schema")]


_SET = re.compile(r"\{('(?:[^'\\]|\\.)*'(?:, '(?:[^'\\]|\\.)*')+)\}")


def _sorted_sets(message: str) -> str:
    """The compiled validator names extra keys as a Python set, whose order
    changes from process to process: sorted, the same report every time."""
    return _SET.sub(lambda m: "{" + ", ".join(sorted(re.findall(r"'(?:[^'\\]|\\.)*'", m.group(1)))) + "}", message)


def _deepest(error):
    """For "matches none of oneOf": the error of the branch meant. A panel
    is checked as a Panel and as a RowPanel; a branch whose discriminator
    (a ``const`` such as ``"type": "row"``) fails is not the one meant, and
    of the rest the one with the fewest errors is."""
    while error.validator in ("oneOf", "anyOf") and error.context:
        branches: dict = {}
        for e in error.context:
            branches.setdefault(e.relative_schema_path[0], []).append(e)
        meant = [errs for errs in branches.values()
                 if not any(e.validator == "const" and len(e.relative_path) <= 1 for e in errs)]
        errs = min(meant or list(branches.values()), key=len)
        error = min(errs, key=lambda e: -len(e.absolute_path))
    return error


def _short(error) -> str:
    if error.validator == "additionalProperties":
        return error.message.replace("Additional properties are not allowed", "unknown key(s)")
    if error.validator in ("oneOf", "anyOf"):
        return f"{_trim(error.instance)} matches none of the allowed shapes"
    return error.message if len(error.message) < 200 else error.message[:197] + "..."


def _trim(value: Any) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) < 80 else text[:77] + "..."


def _join(base: str, parts) -> str:
    out = base
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(dashboard)"


@lru_cache(maxsize=None)
def _validator(name: str, definition: str | None, lenient: bool = False) -> _Validator | None:
    schema = _definition(name, definition, lenient)
    return None if schema is None else _Validator(schema, f"{name}.{definition or 'root'}.{lenient}")


def definition_validator(name: str, definition: str) -> _Validator | None:
    """The validator of one definition of a vendored schema file (strict)."""
    return _validator(name, definition)


def dashboard_validator(lenient: bool = False) -> _Validator:
    return _validator("dashboard", None, lenient)


def validate_dashboard(dashboard: dict, lenient: bool = False, every: bool = True) -> list[SchemaIssue]:
    """Every schema error of one dashboard JSON; an empty list when valid.
    ``lenient``: only what Grafana itself would refuse (``_loosen``); the
    rest of the strict schema's errors are what Grafana fixes on load.
    Without ``every``: at most the first error of each part (fast)."""
    issues = dashboard_validator(lenient).errors(dashboard, "", every)
    for path, panel in walk_panels(dashboard):
        issues.extend(validate_panel(panel, path, lenient, every))
    return issues


def validate_panel(panel: dict, path: str, lenient: bool = False, every: bool = True) -> list[SchemaIssue]:
    """The plugin-specific parts of one panel: options, custom field config
    and its Prometheus and Elasticsearch targets."""
    kind = panel.get("type")
    issues: list[SchemaIssue] = []
    if kind in PANEL_PLUGINS:
        options = _validator(kind, "Options", lenient)
        if options is not None and "options" in panel:
            issues += options.errors(panel["options"], f"{path}.options", every)
        custom = _validator(kind, "FieldConfig", lenient)
        # A fieldConfig or defaults that is not an object is the dashboard schema's to report.
        field_config = panel.get("fieldConfig")
        defaults = field_config.get("defaults") if isinstance(field_config, dict) else None
        if custom is not None and isinstance(defaults, dict) and "custom" in defaults:
            issues += custom.errors(defaults["custom"], f"{path}.fieldConfig.defaults.custom", every)
    targets = panel.get("targets")
    for k, t in enumerate(targets if isinstance(targets, list) else []):
        ds = t.get("datasource") if isinstance(t, dict) else None
        if isinstance(ds, dict) and isinstance(ds.get("type"), str) and ds["type"] in QUERY_SCHEMAS:
            query = _validator(ds["type"], QUERY_SCHEMAS[ds["type"]], lenient)
            issues += query.errors(t, f"{path}.targets[{k}]", every)
    return issues
