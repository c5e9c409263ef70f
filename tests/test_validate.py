"""tb-dash validate: every rule has a dashboard that breaks it and one that
does not; the project's own output passes; a broken copy on disk is
reported with exit 1, each problem named, no traceback."""

from __future__ import annotations

import copy
import json

import pytest

from tonebridge_dash import lint
from tonebridge_dash.model import Rendered
from tonebridge_dash.dashboard.render import write_dashboards
from tonebridge_dash.dashboard.render import build_all
from tonebridge_dash.findings import ERROR, WARNING
from tonebridge_dash.settings import from_mapping


@pytest.fixture(scope="module")
def project(cfg):
    return {r.uid: r for r in build_all(cfg, check=False)}


def _panel(data, title):
    return next(p for p in data["panels"] if p.get("title") == title)


def _var(data, name):
    return next(v for v in data["templating"]["list"] if v["name"] == name)


def _drop_var(data, name):
    data["templating"]["list"] = [v for v in data["templating"]["list"] if v["name"] != name]


def _set_expr(data, expr, title="Request rate"):
    _panel(data, title)["targets"][0]["expr"] = expr


# rule -> (mutation of tb-overview's JSON, words the finding's message holds, panel it names)
def _schema(d):
    d["graphTooltip"] = "shared"


def _uid_format(d):
    d["uid"] = "tonebridge overview!"


def _panel_id_unique(d):
    _panel(d, "Error rate (5xx share)")["id"] = _panel(d, "Request rate")["id"]


def _grid_bounds(d):
    _panel(d, "Active users")["gridPos"]["w"] = 30


def _panel_overlap(d):
    _panel(d, "Active users")["gridPos"] = dict(_panel(d, "Error rate (5xx share)")["gridPos"])


def _template_datasource(d):
    _drop_var(d, "datasource")


def _panel_datasource(d):
    _panel(d, "Request rate")["datasource"] = "Prometheus"


def _target_datasource(d):
    _panel(d, "Request rate")["targets"][0]["datasource"] = {"type": "prometheus", "uid": "prod-prometheus"}


def _template_job(d):
    _var(d, "job")["allValue"] = None


def _template_instance(d):
    _var(d, "instance")["multi"] = False


def _template_label_promql(d):
    _var(d, "instance")["query"] = 'label_values(tonebridge_requests_total{job=~"$job", instance)'


def _panel_title_description(d):
    _panel(d, "Request rate")["description"] = ""


def _panel_units(d):
    del _panel(d, "Request rate")["fieldConfig"]["defaults"]["unit"]


def _panel_no_targets(d):
    _panel(d, "Request rate")["targets"] = []


def _target_promql(d):
    _set_expr(d, 'sum (rate(tonebridge_requests_total{job=~"$job"}[$__rate_interval])')


def _target_rate_interval(d):
    _set_expr(d, 'sum (rate(tonebridge_requests_total{job=~"$job"}[5m]))')


def _target_counter_agg(d):
    _set_expr(d, 'sum (tonebridge_requests_total{job=~"$job", instance=~"$instance"})')


def _threshold_order(d):
    # critical (red) below warning (orange): what a settings file with the levels swapped would give
    steps = _panel(d, "Error rate (5xx share)")["fieldConfig"]["defaults"]["thresholds"]["steps"]
    steps[1]["value"], steps[2]["value"] = 0.05, 0.01


def _uneditable(d):
    d["editable"] = True


def _target_required_matchers(d):  # the content's settings require job on tonebridge_* selectors
    _set_expr(d, 'sum (rate(tonebridge_requests_total{instance=~"$instance"}[$__rate_interval]))')


def _template_unused(d):
    d["templating"]["list"].append({"type": "custom", "name": "region", "query": "eu,us"})


def _target_histogram_le(d):
    _set_expr(d, "histogram_quantile(0.95, sum by (job) (rate(tonebridge_request_duration_seconds_bucket"
                 '{job=~"$job"}[$__rate_interval])))')


BREAKS = {
    "schema": (_schema, "graphTooltip", ""),
    "uid-format": (_uid_format, "not valid for Grafana", ""),
    "panel-id-unique": (_panel_id_unique, "already used by panel 'Request rate'", "Error rate (5xx share)"),
    "grid-bounds": (_grid_bounds, "30 columns wide", "Active users"),
    "panel-overlap": (_panel_overlap, "overlaps panel 'Error rate (5xx share)'", "Active users"),
    "template-datasource": (_template_datasource, "no datasource variable", ""),
    "panel-datasource": (_panel_datasource, "the string 'Prometheus'", "Request rate"),
    "target-datasource": (_target_datasource, "'prod-prometheus'", "Request rate"),
    "template-job": (_template_job, "'job' variable's allValue", ""),
    "template-instance": (_template_instance, "'instance' variable should allow several values", ""),
    "template-label-promql": (_template_label_promql, "variable 'instance' query is not valid PromQL", ""),
    "panel-title-description": (_panel_title_description, "no description", "Request rate"),
    "panel-units": (_panel_units, "no unit", "Request rate"),
    "panel-no-targets": (_panel_no_targets, "no queries", "Request rate"),
    "target-promql": (_target_promql, "not valid PromQL", "Request rate"),
    "target-rate-interval": (_target_rate_interval, "fixed range [5m]", "Request rate"),
    "target-counter-agg": (_target_counter_agg, "counter 'tonebridge_requests_total'", "Request rate"),
    "uneditable-dashboard": (_uneditable, "editable", ""),
    "target-required-matchers": (_target_required_matchers, "'tonebridge_requests_total' has no job matcher",
                                 "Request rate"),
    "template-unused": (_template_unused, "variable 'region' (custom) is defined but nothing uses it", ""),
    "target-histogram-le": (_target_histogram_le, "through sum by (job), which drops the le label", "Request rate"),
    "threshold-order": (_threshold_order, "not in ascending order (orange from 0.05, red from 0.01)",
                        "Error rate (5xx share)"),
}


def _broken(project, mutate, uid="tb-overview") -> Rendered:
    r = project[uid]
    data = copy.deepcopy(r.data)
    mutate(data)
    return Rendered(str(data["uid"]), r.title, data)


def test_every_rule_has_a_breaking_case():
    # the five rules ported from dashboard-linter are broken by its own cases (test_linter_parity.py)
    linter = {"template-on-time-change-reload", "target-job", "target-instance", "target-logql", "target-logql-auto"}
    # the Elasticsearch target rules are broken by test_es_validate.py's cases
    elastic = {"target-es-time-field", "target-es-lucene", "target-es-aggregatable"}
    assert set(BREAKS) | {"uid-unique"} | linter | elastic == set(lint.RULE_NAMES)


@pytest.mark.parametrize("rule", sorted(BREAKS))
def test_rule_reports_the_dashboard_that_breaks_it(rule, project, cfg):
    mutate, words, panel = BREAKS[rule]
    result = lint.validate([_broken(project, mutate)], cfg)
    found = [f for f in result.findings if f.rule == rule]
    assert found, lint.format_text(result)
    assert any(words in f.message and f.panel == panel and f.dashboard in ("tb-overview", "tonebridge overview!")
               for f in found), [f.message for f in found]
    spec = next(r for r in lint.RULES if r.name == rule)
    assert all(f.hint == spec.hint for f in found)


@pytest.mark.parametrize("rule", sorted(lint.RULE_NAMES))
def test_rule_passes_the_project_dashboards(rule, project, cfg):
    result = lint.validate(list(project.values()), cfg)
    assert [f for f in result.findings if f.rule == rule] == []


def test_uid_unique_across_dashboards(project, cfg):
    twin = _broken(project, lambda d: d.update(uid="tb-overview"), uid="tb-system")
    result = lint.validate([project["tb-overview"], twin], cfg)
    assert [(f.rule, f.dashboard) for f in result.findings] == [("uid-unique", "tb-overview")]


def test_an_unknown_unit_is_an_error_a_missing_one_a_warning(project, cfg):
    missing = lint.validate([_broken(project, _panel_units)], cfg)
    assert [(f.rule, f.severity) for f in missing.findings] == [("panel-units", WARNING)]
    assert not missing.failed() and missing.failed(strict=True)

    def unknown(d):
        _panel(d, "Request rate")["fieldConfig"]["defaults"]["unit"] = "requests per second"

    bad = lint.validate([_broken(project, unknown)], cfg)
    assert [(f.rule, f.severity) for f in bad.findings] == [("panel-units", ERROR)]
    custom = lint.validate([_broken(project, lambda d: _panel(d, "Request rate")["fieldConfig"]["defaults"]
                                    .update(unit="suffix: req"))], cfg)
    assert custom.findings == []


def test_undefined_variable_is_a_target_promql_error(project, cfg):
    result = lint.validate([_broken(project, lambda d: _set_expr(
        d, 'sum (rate(tonebridge_requests_total{job=~"$service"}[$__rate_interval]))'))], cfg)
    assert [(f.rule, f.message) for f in result.findings] == [
        ("target-promql", "target [A] uses undefined variable(s) $service")]


def test_every_grafana_variable_syntax_is_substituted(project, cfg):
    expr = ('sum (rate(tonebridge_requests_total{job=~"${job}", instance=~"[[instance]]", endpoint=~"${job:regex}"}'
            '[$__rate_interval])) * $__range_s / $__interval_ms + 0 * sum(increase(up[$__range])) '
            '+ 0 * sum(max_over_time(up[$__interval]))')
    result = lint.validate([_broken(project, lambda d: _set_expr(d, expr))], cfg)
    assert result.findings == []


def test_rate_interval_rule_allows_fixed_windows_outside_rate(project, cfg):
    # increase over the range and active users' 5m definition are not rate windows
    result = lint.validate([_broken(project, lambda d: _set_expr(
        d, 'count(increase(tonebridge_user_activity{job=~"$job"}[5m]) > 0)'))], cfg)
    assert result.findings == []


def test_uneditable_rule_does_not_apply_when_settings_ask_for_editable(project):
    editable = from_mapping({"dashboards": {"editable": True}})
    result = lint.validate([_broken(project, _uneditable)], editable)
    assert result.findings == []


def test_exclusions_need_a_known_rule_and_carry_their_reason(project):
    cfg = from_mapping({"validate": {"exclude": [
        {"rule": "panel-units", "dashboard": "tb-overview", "panel": "Request rate",
         "reason": "a count without a unit reads better"}]}})
    result = lint.validate([_broken(project, _panel_units)], cfg)
    assert result.findings == []
    assert [(f.rule, reason) for f, reason in result.excluded] == [
        ("panel-units", "a count without a unit reads better")]
    other_panel = from_mapping({"validate": {"exclude": [
        {"rule": "panel-units", "panel": "Active users", "reason": "not this one"}]}})
    assert [f.rule for f in lint.validate([_broken(project, _panel_units)], other_panel).findings] == ["panel-units"]

    from tonebridge_dash.errors import UsageError

    typo = from_mapping({"validate": {"exclude": [{"rule": "panel-unit", "reason": "typo"}]}})
    with pytest.raises(UsageError, match="validate.exclude\\[0\\]: unknown rule 'panel-unit'"):
        lint.validate([], typo)


def test_text_output_groups_by_dashboard_and_json_is_machine_readable(project, cfg):
    result = lint.validate([_broken(project, _grid_bounds), project["tb-system"]], cfg)
    text = lint.format_text(result)
    lines = text.splitlines()
    assert lines[0] == "tb-overview  ToneBridge - Overview"
    assert "grid-bounds" in lines[1] and "Active users" in lines[1]
    assert "hint: reduce w or x" in lines[2]
    assert "tb-system  ToneBridge - System Health: ok" in lines
    assert lines[-1] == "validated 2 dashboards: 1 error(s), 0 warning(s)"
    data = result.to_json()
    assert data["ok"] is False and data["errors"] == 1
    assert data["findings"][0]["rule"] == "grid-bounds" and data["findings"][0]["panel_id"] is not None


# --- the command line -----------------------------------------------------------
def test_cli_exits_0_on_the_project(tb):
    r = tb("validate")
    assert r.code == 0, r.out + r.err
    assert "0 error(s)" in r.out


def test_cli_names_each_problem_of_a_broken_copy(tb, project, tmp_path):
    def broken(d):
        _set_expr(d, 'sum by (status (rate(tonebridge_requests_total[$__rate_interval]))')
        _panel(d, "Active users")["gridPos"] = dict(_panel(d, "Error rate (5xx share)")["gridPos"])
        _panel(d, "Response time (p95)")["datasource"] = "Prometheus"
        _panel(d, "Error rate (5xx share)")["gridPos"]["w"] = 30

    write_dashboards([_broken(project, broken), project["tb-system"]], tmp_path)
    r = tb("validate", tmp_path, "--profile", "house")
    assert r.code == 1
    assert "Traceback" not in r.err and r.err == ""
    for rule, panel in [("target-promql", "Request rate"), ("panel-overlap", "Active users"),
                        ("panel-datasource", "Response time (p95)"), ("grid-bounds", "Error rate (5xx share)")]:
        assert any(rule in line and panel in line for line in r.out.splitlines()), (rule, r.out)

    j = tb("validate", tmp_path, "--format", "json", "--profile", "house")
    assert j.code == 1
    rules = {f["rule"] for f in json.loads(j.out)["findings"]}
    assert {"target-promql", "panel-overlap", "panel-datasource", "grid-bounds"} <= rules


def test_cli_strict_fails_on_warnings(tb, project, tmp_path):
    write_dashboards([_broken(project, _panel_title_description)], tmp_path)
    assert tb("validate", tmp_path, "--profile", "house").code == 0
    assert tb("validate", tmp_path, "--profile", "house", "--strict").code == 1


def test_cli_missing_directory_is_a_usage_error(tb, tmp_path):
    r = tb("validate", tmp_path / "nowhere")
    assert r.code == 2
    assert r.err.startswith("tb-dash: error: ") and "not a directory" in r.err


def test_readme_lists_every_rule():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Validate", 1)[1].split("\n## ", 1)[0]
    for rule in lint.RULE_NAMES:
        assert f"`{rule}`" in section, rule


def _paths(value, prefix=()):
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return
    for key, child in items:
        yield prefix + (key,)
        yield from _paths(child, prefix + (key,))


def test_hand_edited_files_with_wrong_types_are_findings_not_crashes(project, cfg):
    """Replace random values of the project's dashboards with values of the
    wrong type; validate and check's planning must report, never raise."""
    import random

    from tonebridge_dash.prometheus import check

    rng = random.Random(7)
    junk = ["x", None, 5, 1.5, True, [], {}, [1], {"a": 1}, "$x", "sum(", [{"a": 1}]]
    for _ in range(300):
        base = rng.choice(list(project.values())).data
        paths = list(_paths(base))
        data = copy.deepcopy(base)
        for _ in range(rng.randint(1, 4)):
            *parents, last = rng.choice(paths)
            target = data
            try:
                for key in parents:
                    target = target[key]
                target[last] = rng.choice(junk)
            except (KeyError, IndexError, TypeError):
                pass  # an earlier replacement removed the path
        dashboards = [Rendered("fuzz", "fuzz", data)]
        lint.format_text(lint.validate(dashboards, cfg))
        check.plan(dashboards)


def test_cli_lists_the_rules(tb):
    r = tb("validate", "--list-rules")
    assert r.code == 0
    names = [line.split()[0] for line in r.out.splitlines() if not line.startswith(" ")]
    assert names == list(lint.RULE_NAMES)


def test_labels_of_the_standard_variables_are_warnings(project, cfg):
    def relabel(d):
        _var(d, "datasource")["label"] = "Prom"
        _var(d, "job")["label"] = "Service"

    result = lint.validate([_broken(project, relabel)], cfg)
    assert sorted((f.rule, f.severity) for f in result.findings) == [
        ("template-datasource", WARNING), ("template-job", WARNING)]
    assert not result.failed()


def test_real_dashboards_have_no_schema_error_grafana_would_accept():
    """The corpus of other projects' dashboards (tests/dashboards_corpus/), in
    the grafana profile: keys Grafana fills with defaults, override values of
    any type, the object form of a variable query, export keys and legacy
    rows are not errors; a dashboard without a uid is named by its file."""
    from pathlib import Path

    from tonebridge_dash.dashboard.render import iter_dir

    from tonebridge_dash.cli.dashboards import _as_one

    result = lint.validate(map(_as_one, iter_dir(Path(__file__).parent / "dashboards_corpus")), profile="grafana")
    assert [f for f in result.errors() if f.rule != "uid-unique"] == []  # two versions of one dashboard share it
    assert all(f.severity == WARNING for f in result.findings if f.rule == "schema")


def test_capture_references_are_not_variables(project, cfg):
    expr = 'label_replace(sum by (job) (rate(tonebridge_requests_total{job=~"$job"}[$__rate_interval])), "x", "$1", "job", "(.*)")'
    result = lint.validate([_broken(project, lambda d: _set_expr(d, expr))], cfg)
    assert [f for f in result.findings if f.rule == "target-promql"] == []


def test_missing_uid_is_assigned_on_import(project):
    a, b = (copy.deepcopy(project[uid].data) for uid in ("tb-overview", "tb-system"))
    a.pop("uid"), b.pop("uid")
    result = lint.validate([Rendered.of(a, "a.json"), Rendered.of(b, "b.json")], profile="grafana")
    assert not {"uid-format", "uid-unique"} & {f.rule for f in result.findings}
