"""Filters never blank a panel: on every dashboard, each filter variable set
to each one of its values (the others at All), every panel query still
returns data from the real Prometheus over the synthetic traffic (every
gateway metric from two replicas, the LLM metrics from their own job)."""

from __future__ import annotations


import pytest
import requests

from tonebridge_dash.model import template_variables
from tonebridge_dash.prometheus import promql


def _query(url: str, expr: str, at: float) -> list:
    answer = requests.get(f"{url}/api/v1/query", params={"query": expr, "time": at}, timeout=10).json()
    assert answer["status"] == "success", (expr, answer)
    return answer["data"]["result"]


def _choices(url: str, data: dict, at: float) -> list[tuple[str, str]]:
    """(variable, one of its values) for every filter variable of the dashboard,
    its values as Grafana lists them (``label_values``) with the others at All."""
    everything = {v["name"]: ".+" for v in template_variables(data) if v.get("type") == "query"}
    out = []
    for v in template_variables(data):
        if v.get("type") != "query":
            continue
        vq = promql.variable_query(v.get("query"))
        text = promql.substitute(promql.variable_check_query(vq), everything, promql.Values.for_check()).text
        values = sorted({s["metric"][vq.label] for s in _query(url, text, at)})
        assert values, f"variable {v['name']} has no values"
        out += [(v["name"], value) for value in values]
    return out


@pytest.mark.parametrize("uid", ["tb-overview", "tb-application", "tb-business", "tb-system", "tb-slo"])
def test_no_filter_choice_blanks_a_panel(rendered, prometheus, uid):
    data = rendered[uid].data
    values = promql.Values.for_check("1m", "1m", promql.dashboard_range(data))
    all_values = {v["name"]: ".+" for v in template_variables(data) if v.get("type") == "query"}
    blank = []
    for name, value in _choices(prometheus.url, data, prometheus.end):
        chosen = {**all_values, name: promql.regex_escape(value)}  # as Grafana escapes a value
        for t in promql.targets(data, uid):
            expr = promql.substitute(t.expr, chosen, values).text
            if not _query(prometheus.url, expr, prometheus.end):
                blank.append(f"{t.panel} [{t.ref_id}] with {name}={value}")
    assert not blank, f"{uid}: {len(blank)} panel queries show No data: " + "; ".join(blank[:8])
