"""dashboard-linter's variable expansion (lint/variables.go): Grafana's
variables replaced by sample values so that PromQL parses, as the linter
does before it parses a target or a variable's query."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote_plus, urlencode

from ..model import as_list, as_object
from ..prometheus import promql

# Grafana's global variables and the sample values the linter gives them;
# durations that promql-parser can hold (the linter's own are beyond its
# range), $__rate_interval as the marker target-rate-interval looks for.
_FROM = datetime(2020, 7, 13, 20, 19, 9, 254000, tzinfo=timezone.utc)
_GLOBALS: dict[str, Any] = {
    "__rate_interval": promql.RATE_INTERVAL_MARKER, "__interval": "4867856ms", "__interval_ms": "7781188786",
    "__range_ms": "6737667980", "__range_s": "9397795485", "__range": "6069770ms", "__dashboard": "AwREbnft",
    "__from": _FROM, "__to": _FROM, "__name": "name", "__org": 42, "__org.name": "orgname", "__user.id": 42,
    "__user.login": "user", "__user.email": "user@test.com", "timeFilter": "time > now() - 7d",
    "__timeFilter": "time > now() - 7d", "__auto": "12345ms",
}
_VARIABLE = re.compile(r"\$([0-9A-Za-z_]+)|\$\{([^}]+)\}|\[\[([^\[\]]+)\]\]")
_MAX_DEPTH = 32  # a variable whose value names another, and so on


def _string_value(name: str, value: Any, kind: str, fmt: str) -> str:
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        if kind == "date":
            if fmt == "seconds":
                return str(int(value.timestamp()))
            if fmt != "iso":  # a moment.js format: Grafana formats the date; any number parses
                return str(int(value.timestamp()))
            return value.strftime("%Y-%m-%dT%H:%M:%SZ")
        return value.strftime("%Y-%m-%dT%H:%M:%SZ") if fmt == "date" else str(int(value.timestamp() * 1000))
    v = str(value)
    format_of = _FORMATS.get(fmt)  # only the one asked for is made
    return v if format_of is None else format_of(name, [v, v, v])  # a multi-value variable: three values


_FORMATS = {
    "csv": lambda name, three: ",".join(three), "raw": lambda name, three: ",".join(three),
    "doublequote": lambda name, three: '"' + '","'.join(three) + '"',
    "glob": lambda name, three: "{" + ",".join(three) + "}",
    "json": lambda name, three: json.dumps(three, separators=(",", ":")),
    "lucene": lambda name, three: '("' + '" OR "'.join(three) + '")',
    "percentencode": lambda name, three: quote_plus(",".join(three)),
    "pipe": lambda name, three: "|".join(three), "regex": lambda name, three: "|".join(three),
    "singlequote": lambda name, three: "'" + "','".join(three) + "'",
    "sqlstring": lambda name, three: "'" + "','".join(three) + "'",
    "text": lambda name, three: " + ".join(three),
    "queryparam": lambda name, three: urlencode([("var-" + name, x) for x in three]),
}


def _first(value: Any) -> str:
    """A current or option value as the linter reads it: a string, or the
    first of a list (anything else reads as empty here; the linter fails)."""
    if isinstance(value, list):
        value = value[0] if value else ""
    return value if isinstance(value, str) else ""


def _sample_value(s: str, templates: list[dict], depth: int) -> str:
    parts = s.split(":")
    if len(parts) > 3:
        raise ValueError(f"unknown variable format: {s}")
    name, kind, fmt = (parts + ["", ""])[:3] if len(parts) != 2 else (parts[0], "", parts[1])
    if name in _GLOBALS:
        return _string_value(name, _GLOBALS[name], kind, fmt)
    if name.startswith("__auto_interval"):
        return "10s"
    for v in templates:
        if v.get("name") != name:
            continue
        others = [o for o in templates if o.get("name") != name]
        current = _first(as_object(v.get("current")).get("value"))
        if current:
            return expand_variables(current, others, depth + 1)
        options = as_list(v.get("options"))
        if options:
            return expand_variables(_first(as_object(options[0]).get("value")), others, depth + 1)
    return _string_value(name, name, kind, fmt)


def expand_variables(expr: str, templates: list[dict], depth: int = 0) -> str:
    """``expr`` with Grafana's variables (``$var``, ``${var:format}``,
    ``[[var]]``) replaced by sample values outside double-quoted strings,
    as dashboard-linter does before it parses PromQL; ValueError for a
    variable format it does not know."""
    if depth > _MAX_DEPTH:
        raise ValueError("variables refer to each other too deeply")
    parts = expr.split('"')
    for i in range(0, len(parts), 2):  # outside double quotes
        parts[i] = _VARIABLE.sub(lambda m: _sample_value(m.group(1) or m.group(2) or m.group(3), templates, depth),
                                 parts[i])
    return '"'.join(parts)
