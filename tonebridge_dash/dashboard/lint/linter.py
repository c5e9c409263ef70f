"""grafana/dashboard-linter's rules with its semantics.

Five rules are the linter's only: ``template-on-time-change-reload``,
``target-job``, ``target-instance``, ``target-logql`` and
``target-logql-auto``. The other twelve have a house version in ``rules``
(the project's stricter conventions); the functions ``linter_*`` here are
the linter's version of each, which the grafana profile runs instead
(``Rule.linter``). Each follows lint/rule_*.go of the linter, down to which
panel types it looks at and when it does not apply (a dashboard whose first
datasource variable does not list Prometheus, for most).

Targets are parsed as the linter parses them: ``expand_variables``
replaces Grafana's variables outside double-quoted strings with sample
values (a variable's current value, else its first option, else its own
name), then the PromQL is parsed (``view._check_targets``, once per target).

A target is a Loki target when the dashboard's first datasource variable
lists Loki datasources or the target's own datasource is of type ``loki``
(the linter's test); Loki targets are checked as LogQL, never as PromQL.
LogQL is checked by a small scanner (no LogQL parser exists for Python):
quotes, brackets and stream selectors ``{label op "value", ...}`` must be
well formed, and an expression must read at least one stream.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Any, Iterator
from urllib.parse import quote_plus, urlencode

import promql_parser as pp

from ...findings import ERROR, WARNING
from ...model import as_list, as_object
from ...prometheus import promql
from .units import CUSTOM_UNIT, UNITS
from .view import Dashboard, Issue, ref as _ref

LOKI = "loki"
PROMETHEUS = "prometheus"
# The panel types dashboard-linter's target rules look at (panelHasQueries).
LINTER_QUERY_PANELS = ("singlestat", "gauge", "table", "stat", "state-timeline", "timeseries")
# The panel types its panel rules look at (title/description, units, no targets).
LINTER_PANELS = ("stat", "singlestat", "graph", "table", "timeseries", "gauge")
# The panel types panel-datasource-rule looks at.
LINTER_DATASOURCE_PANELS = ("singlestat", "graph", "table", "timeseries")
LINTER_COUNTER_FUNCTIONS = ("rate", "irate", "increase")
LINTER_RATE_FUNCTIONS = ("rate", "irate")
# The variable query functions template-label-promql-rule accepts.
LINTER_VARIABLE_FUNCTIONS = ("label_names", "label_values", "metrics", "query_result")

# --- the linter's variable expansion (lint/variables.go) ----------------------
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
_LOGQL_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|`[^`]*`|[{}()\[\]]|,|=~|!~|!=|\|=|\|~|=|[^\s{}()\[\],"`=!|~]+|\S')
_MATCHER = re.compile(r'\s*[A-Za-z_]\w*\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|`[^`]*`)\s*$')


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
    three = [v, v, v]  # a multi-value variable: three values, formatted
    formats = {
        "csv": ",".join(three), "raw": ",".join(three), "doublequote": '"' + '","'.join(three) + '"',
        "glob": "{" + ",".join(three) + "}", "json": json.dumps(three, separators=(",", ":")),
        "lucene": '("' + '" OR "'.join(three) + '")', "percentencode": quote_plus(",".join(three)),
        "pipe": "|".join(three), "regex": "|".join(three), "singlequote": "'" + "','".join(three) + "'",
        "sqlstring": "'" + "','".join(three) + "'", "text": " + ".join(three),
        "queryparam": urlencode([("var-" + name, x) for x in three]),
    }
    return formats.get(fmt, v)


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


def is_loki(d: Dashboard, t: dict) -> bool:
    ds = d.datasource_variable()
    if ds is not None and ds.get("query") == LOKI:
        return True
    return isinstance(t.get("datasource"), dict) and t["datasource"].get("type") == LOKI


def _prometheus_dashboard(d: Dashboard) -> bool:
    ds = d.datasource_variable()
    return ds is not None and ds.get("query") == "prometheus"


def rule_template_on_time_change_reload(d: Dashboard) -> Iterator[Issue]:
    for v in d.templating():
        if v.get("type") == "query" and v.get("refresh") != 2:
            yield Issue(None, f"variable '{v.get('name')}' should be refreshed on time range change (refresh 2), "
                              f"is {v.get('refresh', 0)!r}")


def _targets(d: Dashboard) -> Iterator[tuple[dict, int, dict]]:
    for p in d.panels:
        targets = p.get("targets")
        for i, t in enumerate(targets if isinstance(targets, list) else []):
            if isinstance(t, dict):
                yield p, i, t


def _matcher_problem(selector: Any, name: str) -> str | None:
    """checkForMatcher: a ``name=~"$name"`` matcher on the selector, else why not."""
    problem = f"{name} selector not found"
    for m in selector.matchers.matchers:
        if m.name != name:
            continue
        if m.op == pp.MatchOp.Re and m.value == f"${name}":
            return None
        if m.op != pp.MatchOp.Re:
            problem = f"{name} selector is {_OPS.get(str(m.op), m.op)}, not =~"
        if m.value != f"${name}":
            problem = f"{name} selector is {m.value}, not ${name}"
    return problem


_OPS = {"MatchOp.Equal": "=", "MatchOp.NotEqual": "!=", "MatchOp.NotRe": "!~", "MatchOp.Re": "=~"}


def _required_matcher(d: Dashboard, p: dict, t: dict, expr: Any, name: str) -> Iterator[Issue]:
    if not _prometheus_dashboard(d) or expr is None or isinstance(expr, promql.PromQLSyntaxError):
        return  # invalid PromQL is target-promql's to report
    for n, _ in promql.walk(expr):
        if isinstance(n, pp.VectorSelector):
            problem = _matcher_problem(n, name)
            if problem:
                yield Issue(p, f"target {_ref(t)}: {problem}")


def rule_target_job(d: Dashboard, p: dict, t: dict, expr: Any, undefined: tuple) -> Iterator[Issue]:
    return _required_matcher(d, p, t, expr, "job")


def rule_target_instance(d: Dashboard, p: dict, t: dict, expr: Any, undefined: tuple) -> Iterator[Issue]:
    return _required_matcher(d, p, t, expr, "instance")


# --- the linter's version of the rules the house profile has its own of ---------
def _datasource_uid(raw: Any) -> tuple[str, str | None]:
    """GetDataSource: the uid of a datasource reference, and why it is
    invalid (a string is a uid; an object needs a string uid)."""
    if raw is None:
        return "", None
    if isinstance(raw, str):
        return raw, None
    if isinstance(raw, dict):
        uid = raw.get("uid")
        if "uid" not in raw:
            return "", "missing uid field"
        if not isinstance(uid, str):
            return "", "invalid uid field type, should be string"
        return uid, None
    return "", f"invalid type {raw!r}"


def linter_template_datasource(d: Dashboard) -> Iterator[Issue]:
    """template-datasource-rule: a datasource variable named
    ``<query>_datasource`` and labelled ``<Query> data source``, or, when it
    is the only one, ``datasource`` / ``Data source`` (a label: a warning)."""
    variables = [v for v in d.templating() if str(v.get("type", "")).lower() == "datasource"]
    if not variables:
        yield Issue(None, "has no datasource variable")
    for v in variables:
        query = str(v.get("query") or "") if not isinstance(v.get("query"), dict) else ""
        names = {f"{query.lower()}_datasource"} | ({"datasource"} if len(variables) == 1 else set())
        labels = {f"{query.title()} data source"} | ({"Data source"} if len(variables) == 1 else set())
        if v.get("name", "") not in names:
            yield Issue(None, f"datasource variable is named {v.get('name', '')!r}, should be "
                              f"{' or '.join(repr(n) for n in sorted(names))}")
        if v.get("label", "") not in labels:
            yield Issue(None, f"datasource variable is labelled {v.get('label', '')!r}, should be "
                              f"{' or '.join(repr(n) for n in sorted(labels))}", WARNING)


def _template(d: Dashboard, name: str) -> dict | None:
    return next((v for v in d.templating() if v.get("name") == name), None)


def _linter_filter_template(d: Dashboard, name: str) -> Iterator[Issue]:
    """checkTemplate of template-job-rule and template-instance-rule."""
    if not _prometheus_dashboard(d):
        return
    v = _template(d, name)
    if v is None:
        yield Issue(None, f"has no '{name}' variable")
        return
    uid, invalid = _datasource_uid(v.get("datasource"))
    if invalid:
        yield Issue(None, f"'{name}' variable has an invalid datasource: {invalid}")
    if uid not in ("$datasource", "${datasource}", "$prometheus_datasource", "${prometheus_datasource}"):
        yield Issue(None, f"'{name}' variable queries datasource {uid!r}, should use '$datasource'")
    if v.get("type") != "query":
        yield Issue(None, f"'{name}' variable is of type {v.get('type', '')!r}, should be a Prometheus query")
    if v.get("label", "") != name.title():
        yield Issue(None, f"'{name}' variable is labelled {v.get('label', '')!r}, should be {name.title()!r}",
                    WARNING)
    if v.get("multi") is not True:
        yield Issue(None, f"'{name}' variable should allow several values (multi)")
    if v.get("allValue", "") != ".+":
        yield Issue(None, f"'{name}' variable's allValue is {v.get('allValue', '')!r}, should be '.+'")


def linter_template_job(d: Dashboard) -> Iterator[Issue]:
    return _linter_filter_template(d, "job")


def linter_template_instance(d: Dashboard) -> Iterator[Issue]:
    return _linter_filter_template(d, "instance")


_TEMPLATED_LABEL = re.compile(r"([a-z_]+)\((.+)\)")


def _top_level_comma(text: str) -> int:
    """Where the last comma outside brackets and strings is, or -1."""
    depth, quote, at = 0, "", -1
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote and text[i - 1] != "\\" else quote
        elif ch in "\"'`":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            at = i
    return at


def linter_template_label_promql(d: Dashboard) -> Iterator[Issue]:
    """template-label-promql-rule: on a Prometheus dashboard every query
    variable is ``label_names(...)``, ``label_values(...)``, ``metrics(...)``
    or ``query_result(...)``, and the PromQL inside parses (for
    ``label_values(selector, label)``, the selector). What Grafana accepts
    otherwise (a plain expression, an unknown function) is a warning; PromQL
    that does not parse is an error."""
    if not _prometheus_dashboard(d):
        return
    templates = d.templating()
    for v in templates:
        if v.get("type") != "query":
            continue
        raw = v.get("query")
        query = str(as_object(raw).get("query") or "") if isinstance(raw, dict) else str(raw or "")
        m = _TEMPLATED_LABEL.search(query)
        if m is None:
            yield Issue(None, f"variable '{v.get('name')}' query {query!r} is not label_values(...), "
                              "query_result(...), label_names(...) or metrics(...)", WARNING)
            continue
        function, inner = m.group(1), m.group(2)
        if function not in LINTER_VARIABLE_FUNCTIONS:
            yield Issue(None, f"variable '{v.get('name')}' query uses {function}(), not label_values, "
                              "query_result, label_names or metrics", WARNING)
            continue
        if function in ("label_names", "metrics"):
            continue  # a matcher or a regex, not an expression
        comma = _top_level_comma(inner) if function == "label_values" else -1
        text = inner[:comma] if comma >= 0 else inner
        try:
            promql.parse(expand_variables(text, templates))
        except (promql.PromQLSyntaxError, ValueError) as e:
            yield Issue(None, f"variable '{v.get('name')}' query is not valid PromQL: {e}", ERROR)


def linter_panel_datasource(d: Dashboard) -> Iterator[Issue]:
    """panel-datasource-rule: singlestat, graph, table and timeseries panels
    use a datasource variable (``$name`` or ``${name}``) as their uid."""
    refs = {f(v.get("name", "")) for v in d.templating() if str(v.get("type", "")).lower() == "datasource"
            for f in ("${}".format, "${{{}}}".format)}
    for p in d.panels:
        if p.get("type") not in LINTER_DATASOURCE_PANELS:
            continue
        uid, invalid = _datasource_uid(p.get("datasource"))
        if invalid:
            yield Issue(p, f"has an invalid datasource: {invalid}")
        if uid not in refs:
            yield Issue(p, f"does not use a datasource variable, uses {uid!r}")


def linter_panel_title_description(d: Dashboard) -> Iterator[Issue]:
    for p in d.panels:
        if p.get("type") in LINTER_PANELS and (not p.get("title") or not p.get("description")):
            yield Issue(p, f"has no title or no description (title {p.get('title', '')!r}, "
                           f"description {p.get('description', '')!r})")


def linter_panel_units(d: Dashboard) -> Iterator[Issue]:
    """panel-units-rule: stat, singlestat, graph, table, time series and
    gauge panels have a unit: the last unit override, else the default's.
    Not for a panel with value mappings (an override's, or the defaults'
    ``mappings`` key, even empty) or a stat panel that shows non-numeric
    fields (``options.reduceOptions.fields``). Grafana's custom units
    (``suffix:...``) count as units."""
    for p in d.panels:
        if p.get("type") not in LINTER_PANELS:
            continue
        reduce = as_object(as_object(p.get("options")).get("reduceOptions")).get("fields")
        if p.get("type") == "stat" and isinstance(reduce, str) and reduce:
            continue
        field_config = as_object(p.get("fieldConfig"))
        defaults = as_object(field_config.get("defaults"))
        properties = [prop for o in as_list(field_config.get("overrides"))
                      for prop in as_list(as_object(o).get("properties")) if isinstance(prop, dict)]
        if defaults.get("mappings") is not None or any(
                prop.get("id") == "mappings" and prop.get("value") is not None for prop in properties):
            continue
        unit = next((prop.get("value") for prop in reversed(properties) if prop.get("id") == "unit"), "") or ""
        unit = unit or defaults.get("unit") or ""
        if not isinstance(unit, str) or unit not in UNITS and not CUSTOM_UNIT.match(unit):
            yield Issue(p, f"has no unit or one Grafana does not know: {unit!r}")


def linter_panel_no_targets(d: Dashboard) -> Iterator[Issue]:
    """panel-no-targets-rule: the panel has a ``targets`` list (even empty)."""
    for p in d.panels:
        if p.get("type") in LINTER_PANELS and not isinstance(p.get("targets"), list):
            yield Issue(p, f"is a {p.get('type')} panel with no targets")


def linter_uneditable_dashboard(d: Dashboard) -> Iterator[Issue]:
    """uneditable-dashboard: ``editable: true`` (a missing key is not)."""
    if d.cfg is not None and getattr(d.cfg.dashboards, "editable", False):
        return
    if d.data.get("editable") is True:
        yield Issue(None, "is editable in the UI (editable: true); set editable: false")


def _linter_prometheus_target(d: Dashboard, p: dict) -> bool:
    """Where the linter's target-promql and target-rate-interval apply."""
    return _prometheus_dashboard(d) and p.get("type") in LINTER_QUERY_PANELS


def linter_target_promql(d: Dashboard, p: dict, t: dict, expr: Any, undefined: tuple) -> Iterator[Issue]:
    """target-promql-rule: a Prometheus query that does not parse (an
    error, on any panel); on a query panel of a Prometheus dashboard, a
    target with no query that does not name an existing panel (a
    warning: Grafana runs nothing for it)."""
    if isinstance(expr, promql.PromQLSyntaxError):
        yield Issue(p, f"target {_ref(t)} is not valid PromQL: {expr}", ERROR)
        return
    if expr is not None or not _linter_prometheus_target(d, p) or t.get("expr"):
        return
    panel_id = t.get("panelId")
    if isinstance(panel_id, int) and not isinstance(panel_id, bool) and panel_id > 0:
        if any(isinstance(o, dict) and o.get("id") == panel_id for o in as_list(d.data.get("panels"))):
            return
        yield Issue(p, f"target {_ref(t)} refers to panel {panel_id}, which does not exist", WARNING)
        return
    ds = t.get("datasource") if isinstance(t.get("datasource"), dict) else p.get("datasource")
    if isinstance(ds, dict) and ds.get("type") not in (None, PROMETHEUS):
        return  # a query of another datasource on a mixed panel
    yield Issue(p, f"target {_ref(t)} has no query", WARNING)


def linter_target_rate_interval(d: Dashboard, p: dict, t: dict, expr: Any, undefined: tuple) -> Iterator[Issue]:
    """target-rate-interval-rule: on a query panel of a Prometheus
    dashboard, a range selector is ``[$__rate_interval]`` when it is the
    argument of rate() or irate(), and is a function's argument at all."""
    if expr is None or isinstance(expr, promql.PromQLSyntaxError) or not _linter_prometheus_target(d, p):
        return
    for node, parents in promql.walk(expr):
        if not isinstance(node, pp.MatrixSelector) or node.range == promql.RATE_INTERVAL_MARKER_DELTA or not parents:
            continue
        fn = promql.function_name(parents[-1])
        if fn is None:
            yield Issue(p, f"target {_ref(t)}: a range [{pp.display_duration(node.range)}] outside a function")
            return
        if fn in LINTER_RATE_FUNCTIONS:
            yield Issue(p, f"target {_ref(t)}: {fn}() over a fixed range [{pp.display_duration(node.range)}], "
                           "not [$__rate_interval]")
            return


def _counter_name(selector: Any) -> str | None:
    """The counter a selector reads as the linter sees it: the selector
    printed ends in ``_total`` (a name and no other matcher, offset or @)."""
    if selector.name and selector.name.endswith("_total") and not selector.matchers.matchers \
            and not selector.offset and selector.at is None:
        return selector.name
    return None


def linter_target_counter_agg(d: Dashboard, p: dict, t: dict, expr: Any, undefined: tuple) -> Iterator[Issue]:
    """target-counter-agg-rule: a ``*_total`` selector is the range of
    rate(), irate() or increase(); on every target of every panel."""
    if expr is None or isinstance(expr, promql.PromQLSyntaxError):
        return
    for node, parents in promql.walk(expr):
        if not isinstance(node, pp.VectorSelector) or not _counter_name(node):
            continue
        if not (len(parents) >= 2 and isinstance(parents[-1], pp.MatrixSelector)
                and promql.function_name(parents[-2]) in LINTER_COUNTER_FUNCTIONS):
            yield Issue(p, f"target {_ref(t)}: counter '{node.name}' is not inside rate(), irate() or increase()")
            return


def logql_problem(expr: str) -> str | None:
    """Why ``expr`` is not LogQL, or None: quotes closed, brackets balanced
    and nested, each ``{...}`` a list of ``label op "value"`` matchers, at
    least one stream selector."""
    stack: list[tuple[str, int]] = []
    streams = 0
    for m in _LOGQL_TOKEN.finditer(expr):
        tok, at = m.group(0), m.start()
        if tok[0] in "\"`" and (len(tok) < 2 or tok[-1] != tok[0]):
            return f"unterminated string at col {at + 1}"
        if tok in "([{" and len(tok) == 1:
            if stack and stack[-1][0] == "{":
                return f"unexpected {tok!r} inside a stream selector at col {at + 1}"
            stack.append((tok, at))
        elif tok in ")]}" and len(tok) == 1:
            if not stack or "([{"[")]}".index(tok)] != stack[-1][0]:
                return f"unexpected {tok!r} at col {at + 1}"
            opener, start = stack.pop()
            if opener == "{":
                streams += 1
                body = expr[start + 1:at]
                if body.strip() and not all(_MATCHER.match(part) for part in _split_matchers(body)):
                    return f"invalid stream selector {{{body}}} at col {start + 1}"
    if stack:
        return f"unclosed {stack[-1][0]!r} at col {stack[-1][1] + 1}"
    return None if streams else "no stream selector {...}"


def _split_matchers(body: str) -> list[str]:
    parts, current, quote = [], "", ""
    for ch in body:
        if quote:
            quote = "" if ch == quote and not current.endswith("\\") else quote
        elif ch in "\"`":
            quote = ch
        elif ch == ",":
            parts.append(current)
            current = ""
            continue
        current += ch
    return parts + [current]


def _loki_targets(d: Dashboard) -> Iterator[tuple[dict, int, dict, str]]:
    for p, i, t in _targets(d):
        if t.get("hide") or not is_loki(d, t) or p.get("type") not in LINTER_QUERY_PANELS:
            continue
        yield p, i, t, t.get("expr") if isinstance(t.get("expr"), str) else ""


def rule_target_logql(d: Dashboard) -> Iterator[Issue]:
    ids = {p.get("id") for p in d.panels if isinstance(p.get("id"), int)}
    for p, i, t, expr in _loki_targets(d):
        if not expr:
            panel_id = t.get("panelId")
            if isinstance(panel_id, int) and panel_id > 0 and panel_id not in ids:
                yield Issue(p, f"target {_ref(t)} refers to panel {panel_id}, which does not exist", target=i)
            continue
        problem = logql_problem(expr)
        if problem:
            yield Issue(p, f"target {_ref(t)} is not valid LogQL: {problem}", target=i)


_RANGE = re.compile(r'"(?:[^"\\]|\\.)*"|`[^`]*`|\[([^\[\]]*)\]')


def rule_target_logql_auto(d: Dashboard) -> Iterator[Issue]:
    for p, i, t, expr in _loki_targets(d):
        problem = logql_problem(expr)
        if problem:
            yield Issue(p, f"target {_ref(t)} is not valid LogQL: {problem}", target=i)
            continue
        fixed = [m.group(1) for m in _RANGE.finditer(expr) if m.group(1) is not None]
        if fixed and "$__auto" not in expr:
            yield Issue(p, f"target {_ref(t)} uses a fixed range [{fixed[0].strip()}], not [$__auto]", target=i)

