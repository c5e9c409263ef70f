"""grafana/dashboard-linter's own rule cases (tests/linter_parity/cases.json,
taken from its lint/rule_*_test.go, Apache-2.0), for all 17 of its rules:
tb-dash reports a finding of the rule exactly when the linter does, in the
grafana profile (the linter's conventions there are warnings; the verdict
is what counts)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tonebridge_dash import lint
from tonebridge_dash.lint.fix import fix_dashboard
from tonebridge_dash.model import Rendered

CASES = json.loads((Path(__file__).parent / "linter_parity" / "cases.json").read_text())["cases"]


@pytest.mark.parametrize("case", CASES, ids=[f"{c['rule']}:{c['case']}" for c in CASES])
def test_rule_agrees_with_dashboard_linter(case):
    result = lint.validate([Rendered.of(case["dashboard"])], profile="grafana")
    found = [f for f in result.findings if f.rule == case["rule"]]
    assert bool(found) == case["finding"], [f.message for f in found]


# dashboard-linter's 17 rules (lint/rules.go, NewRuleSet), by tb-dash's names: its own without "-rule".
LINTER_RULES = {"template-datasource", "template-job", "template-instance", "template-label-promql",
                "template-on-time-change-reload", "panel-datasource", "panel-title-description", "panel-units",
                "panel-no-targets", "target-logql", "target-logql-auto", "target-promql", "target-rate-interval",
                "target-job", "target-instance", "target-counter-agg", "uneditable-dashboard"}


def test_every_linter_rule_has_its_cases():
    assert {c["rule"] for c in CASES} == LINTER_RULES <= set(lint.RULE_NAMES)
    assert len(CASES) == 113


def test_fix_makes_the_fixable_rules_pass():
    case = next(c for c in CASES if c["case"] == "autofix")
    data = json.loads(json.dumps(case["dashboard"]))
    data["editable"] = True
    data["panels"] = [{"title": "p", "type": "timeseries", "targets": [{"refId": "A", "expr": "sum(rate(up[5m]))"}]}]
    changes = fix_dashboard(data)
    assert len(changes) == 3
    assert data["editable"] is False and data["templating"]["list"][1]["refresh"] == 2
    assert data["panels"][0]["targets"][0]["expr"] == "sum(rate(up[$__rate_interval]))"
    result = lint.validate([Rendered.of(data)], profile="house")
    assert not {f.rule for f in result.findings} & {"uneditable-dashboard", "template-on-time-change-reload",
                                                     "target-rate-interval"}
