"""dashboard-linter's version of the twelve rules the house profile has
its own of (``rules``): the grafana profile runs these instead
(``Rule.linter``). Each follows the linter's lint/rule_*.go, down to which
panel types it looks at and when it does not apply (a dashboard whose first
datasource variable does not list Prometheus, for most); what Grafana
would refuse stays an error, the linter's conventions are warnings.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

import promql_parser as pp

from ..findings import ERROR, WARNING
from ..model import as_list, as_object
from ..prometheus import promql
from .expand import expand_variables
from .linter import (LINTER_COUNTER_FUNCTIONS, LINTER_DATASOURCE_PANELS, LINTER_PANELS, LINTER_QUERY_PANELS,
                     LINTER_RATE_FUNCTIONS, LINTER_VARIABLE_FUNCTIONS, PROMETHEUS, _prometheus_dashboard)
from .units import CUSTOM_UNIT, UNITS
from .view import Dashboard, Issue, ref as _ref


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
