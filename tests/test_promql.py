"""Grafana's variables substituted as Grafana would, variable queries split,
and the syntax tree walked with each node's ancestors."""

from __future__ import annotations

import promql_parser as pp
import pytest

from tonebridge_dash.durations import seconds
from tonebridge_dash.prometheus import promql

CHECK = promql.Values.for_check()


@pytest.mark.parametrize("variable, text", [
    ({"current": {"value": ["$__all"]}, "allValue": ".+"}, ".+"),
    ({"current": {"value": ["$__all"]}}, ".*"),
    ({"current": {"value": "api"}}, "api"),
    ({"current": {"value": ["api"]}}, "api"),
    ({"current": {"value": ["a", "b.c"]}}, r"(a|b\\.c)"),
    ({"type": "datasource", "current": {"value": "prometheus"}}, "prometheus"),
    ({"type": "constant", "query": "tonebridge"}, "tonebridge"),
])
def test_variable_value(variable, text):
    assert promql.variable_value(variable) == text


def test_several_values_become_a_regex_that_parses():
    value = promql.variable_value({"current": {"value": ["a", "b.c"]}})
    selector = promql.parse(f'up{{job=~"{value}"}}')
    assert selector.matchers.matchers[0].value == r"(a|b\.c)"


def test_every_variable_syntax_is_substituted():
    s = promql.substitute('x{a=~"$a", b=~"${b}", c=~"${c:regex}", d=~"[[d]]"}[$__rate_interval] '
                          '$__range $__range_s $__interval_ms', {"a": "1", "b": "2", "c": "3", "d": "4"}, CHECK)
    assert s.text == 'x{a=~"1", b=~"2", c=~"3", d=~"4"}[1m] 6h 21600 60000'
    assert s.undefined == ()


def test_an_undefined_variable_is_reported_and_left_parseable():
    s = promql.substitute('x{job=~"$service"} * $factor', {}, CHECK)
    assert s.undefined == ("service", "factor")
    promql.parse(s.text)


def test_syntax_error_is_one_line():
    with pytest.raises(promql.PromQLSyntaxError) as e:
        promql.parse("sum(rate(x[5m])")
    assert "\n" not in str(e.value) and str(e.value)


@pytest.mark.parametrize("query, promql_text, label", [
    ("label_values(up{job=~\"$job\"}, instance)", 'up{job=~"$job"}', "instance"),
    ({"query": "label_values(up, job)", "refId": "A"}, "up", "job"),
    ("label_values(job)", None, None),
    ("label_names()", None, None),
    ("metrics(tonebridge_.*)", None, None),
    ("query_result(topk(5, up))", "topk(5, up)", None),
    ("sum by (job) (up)", "sum by (job) (up)", None),
])
def test_variable_query(query, promql_text, label):
    vq = promql.variable_query(query)
    assert (vq.promql, vq.label) == (promql_text, label)


def test_dashboard_range_and_durations():
    assert promql.dashboard_range({"time": {"from": "now-24h", "to": "now"}}) == "24h"
    assert promql.dashboard_range({"time": {"from": "2026-01-01T00:00:00Z", "to": "now"}}) == "6h"
    assert seconds("1h30m") == 5400
    with pytest.raises(ValueError):
        seconds("5 minutes")


def test_walk_gives_ancestors_and_metric_names():
    expr = promql.parse('sum(rate(a_total[5m])) / on(x) group_left b + {__name__="d"}')
    rates = [parents for node, parents in promql.walk(expr) if isinstance(node, pp.MatrixSelector)]
    assert [promql.function_name(p[-1]) for p in rates] == ["rate"]
    assert promql.metric_names(expr) == ["a_total", "b", "d"]
