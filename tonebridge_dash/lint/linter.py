"""grafana/dashboard-linter's rules with its semantics.

Five rules are the linter's only: ``template-on-time-change-reload``,
``target-job``, ``target-instance``, ``target-logql`` and
``target-logql-auto``, here. The other twelve have a house version in
``rules`` (the project's stricter conventions) and the linter's version in
``ported``, which the grafana profile runs instead (``Rule.linter``).

Targets are parsed as the linter parses them: ``expand.expand_variables``
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

import re
from typing import Any, Iterator

import promql_parser as pp

from ..prometheus import promql
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

_LOGQL_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|`[^`]*`|[{}()\[\]]|,|=~|!~|!=|\|=|\|~|=|[^\s{}()\[\],"`=!|~]+|\S')
_MATCHER = re.compile(r'\s*[A-Za-z_]\w*\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|`[^`]*`)\s*\Z')


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

