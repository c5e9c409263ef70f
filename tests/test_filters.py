"""Filters never blank a panel: on every dashboard, each filter variable set
to each one of its values (the others at All), every panel query still
returns data from the real Prometheus over the synthetic traffic (every
gateway metric from two replicas, the LLM metrics from their own job)."""

from __future__ import annotations

import pytest

from tonebridge_dash.model import template_variables
from tonebridge_dash.prometheus import promql

from as_grafana import ALL, choices, query


@pytest.mark.parametrize("uid", ["tb-overview", "tb-application", "tb-business", "tb-system", "tb-slo"])
def test_no_filter_choice_blanks_a_panel(rendered, prometheus, uid):
    data = rendered[uid].data
    values = promql.Values.for_check("1m", "1m", promql.dashboard_range(data))
    all_values = {v["name"]: ALL for v in template_variables(data) if v.get("type") == "query"}
    blank = []
    for name, value in choices(prometheus.url, data, prometheus.end):
        chosen = {**all_values, name: promql.regex_escape(value)}  # as Grafana escapes a value
        for t in promql.targets(data, uid):
            expr = promql.substitute(t.expr, chosen, values).text
            if not query(prometheus.url, expr, prometheus.end):
                blank.append(f"{t.panel} [{t.ref_id}] with {name}={value}")
    assert not blank, f"{uid}: {len(blank)} panel queries show No data: " + "; ".join(blank[:8])
