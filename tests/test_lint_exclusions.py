"""Exclusions down to a target: the settings' validate.exclude with
``target``, and dashboard-linter's ``.lint`` file beside dashboard files
(dashboard, panel and targetIdx entries; warnings; a rule with no entries)."""

from __future__ import annotations

import json

import pytest

from tonebridge_dash import lint
from tonebridge_dash.errors import SettingsError
from tonebridge_dash.model import Rendered
from tonebridge_dash.settings import from_mapping

SELECTOR = 'http_requests_total{job=~"$job", instance=~"$instance"}'
DASHBOARD = {
    "title": "Apollo Server", "uid": "apollo", "editable": False, "schemaVersion": 39,
    "templating": {"list": [{"type": "datasource", "name": "datasource", "label": "Data source",
                             "query": "prometheus"}]},
    "panels": [{
        "id": 1, "type": "timeseries", "title": "Requests Per Second", "description": "requests per second",
        "datasource": {"type": "prometheus", "uid": "${datasource}"}, "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8},
        "fieldConfig": {"defaults": {"unit": "reqps"}, "overrides": []},
        "targets": [
            {"refId": "A", "expr": f"sum(rate({SELECTOR}[$__rate_interval]))"},
            {"refId": "B", "expr": 'sum(rate(http_requests_total{job=~"$job"}[$__rate_interval]))'},
            {"refId": "C", "expr": 'sum(rate(http_requests_total{job=~"$job"}[$__rate_interval]))'},
        ],
    }],
}


def _validate(cfg=None):
    return lint.validate([Rendered.of(json.loads(json.dumps(DASHBOARD)), "apollo.json")], cfg, profile="grafana")


def _targets(findings, rule="target-instance"):
    return sorted(f.target for f in findings if f.rule == rule)


def test_findings_of_target_rules_carry_the_targets_index():
    result = _validate()
    assert _targets(result.findings) == [1, 2]
    assert all(f.target is None for f in result.findings if f.rule.startswith("template-"))
    assert {"target": 1}.items() <= next(f.to_json() for f in result.findings if f.rule == "target-instance").items()


def test_a_target_exclusion_hides_only_that_targets_finding():
    cfg = from_mapping({"validate": {"exclude": [
        {"rule": "target-instance", "dashboard": "apollo", "panel": "Requests Per Second", "target": 2,
         "reason": "a total across all instances"}]}})
    result = _validate(cfg)
    assert _targets(result.findings) == [1]
    assert [(f.rule, f.target, reason) for f, reason in result.excluded] == [
        ("target-instance", 2, "a total across all instances")]
    # without target: the panel's every finding of the rule, as before
    cfg = from_mapping({"validate": {"exclude": [
        {"rule": "target-instance", "panel": "Requests Per Second", "reason": "totals"}]}})
    assert _targets(_validate(cfg).findings) == []


@pytest.mark.parametrize("value", [-1, "2", 1.5, True])
def test_a_bad_target_index_is_a_one_line_settings_error(value):
    with pytest.raises(SettingsError) as e:
        from_mapping({"validate": {"exclude": [{"rule": "target-job", "target": value, "reason": "r"}]}},
                     "tb-dash.yaml")
    message = str(e.value)
    assert "\n" not in message and message.startswith("tb-dash.yaml: key 'validate.exclude.0.target'"), message


def _write(tmp_path, lint_file: str | None):
    (tmp_path / "apollo.json").write_text(json.dumps(DASHBOARD), encoding="utf-8")
    if lint_file is not None:
        (tmp_path / ".lint").write_text(lint_file, encoding="utf-8")


LINT_FILE = """\
exclusions:
  template-job-rule:
  target-instance-rule:
    reason: totals are across all instances
    entries:
      - dashboard: Apollo Server
        panel: Requests Per Second
        targetIdx: 2
      - dashboard: Another Dashboard
        panel: Requests Per Second
        targetIdx: 1
warnings:
  panel-no-targets:
"""


def test_a_lint_file_excludes_by_dashboard_panel_and_target(tb, tmp_path):
    _write(tmp_path, None)
    before = json.loads(tb("validate", tmp_path, "--format", "json").out)
    assert {(f["rule"], f["target"]) for f in before["findings"]} >= {
        ("template-job", None), ("target-instance", 1), ("target-instance", 2)}

    _write(tmp_path, LINT_FILE)
    for where in (tmp_path, tmp_path / "apollo.json"):  # a directory, or the file itself
        r = tb("validate", where, "--format", "json")
        assert r.code == 0 and r.err == "", r.err
        report = json.loads(r.out)
        found = {(f["rule"], f["target"]) for f in report["findings"]}
        assert ("target-instance", 1) in found and ("target-instance", 2) not in found
        assert "template-job" not in {rule for rule, _ in found}  # no entries: the whole rule
        assert sorted((f["rule"], f["target"]) for f in report["excluded_findings"]) == [
            ("target-instance", 2), ("template-job", None)]
        assert "totals are across all instances" in next(
            f["reason"] for f in report["excluded_findings"] if f["rule"] == "target-instance")


def test_a_lint_file_downgrades_to_warnings(tb, tmp_path):
    data = json.loads(json.dumps(DASHBOARD))
    data["panels"][0]["targets"][0]["expr"] = "sum(rate(x[5m]"  # a target-promql error
    (tmp_path / "apollo.json").write_text(json.dumps(data), encoding="utf-8")
    assert tb("validate", tmp_path, "--format", "json").code == 1
    (tmp_path / ".lint").write_text("warnings:\n  target-promql-rule:\n", encoding="utf-8")
    r = tb("validate", tmp_path, "--format", "json")
    assert r.code == 0
    assert [f["severity"] for f in json.loads(r.out)["findings"] if f["rule"] == "target-promql"] == ["warning"]


@pytest.mark.parametrize("text, says", [
    ("exclusions: [\n", "invalid YAML at line 2"),
    ("exclusions:\n  - template-job-rule\n", "exclusions: expected a mapping of rule names"),
    ("exclusions:\n  no-such-rule:\n", "unknown rule 'no-such-rule'"),
    ("exclusion:\n  template-job-rule:\n", "unknown key 'exclusion'"),
    ("exclusions:\n  target-job:\n    entries:\n      - targetIdx: two\n", "targetIdx: expected a target index"),
    ("exclusions:\n  target-job:\n    entries:\n      - pannel: x\n", "unknown key 'pannel'"),
    ("- a list\n", "expected a mapping with exclusions and warnings"),
])
def test_a_malformed_lint_file_is_one_line_and_exit_2(tb, tmp_path, text, says):
    _write(tmp_path, text)
    r = tb("validate", tmp_path, "--format", "json")
    assert r.code == 2, r.out + r.err
    assert r.out == ""
    assert len(r.err.strip().splitlines()) == 1 and r.err.startswith("tb-dash: error: "), r.err
    assert ".lint" in r.err and says in r.err, r.err
