"""The house rules the settings shape (validate.rules): required label
matchers, unused variables, histogram_quantile without le, counters with
matchers; their --fix; and that the grafana profile keeps
dashboard-linter's verdict."""

from __future__ import annotations

import copy
import json

import pytest

from tonebridge_dash import lint
from tonebridge_dash.lint.fix import fix_dashboard
from tonebridge_dash.lint.histogram import fix_expr
from tonebridge_dash.errors import SettingsError
from tonebridge_dash.model import Rendered
from tonebridge_dash.settings import from_mapping

DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}


def _dashboard(exprs=(), variables=(), **extra) -> dict:
    return {
        "title": "Shop", "uid": "shop", "editable": False, "schemaVersion": 39,
        "templating": {"list": [
            {"type": "datasource", "name": "datasource", "label": "Data source", "query": "prometheus",
             "current": {"text": "Prometheus", "value": "prom-main"}},
            *variables]},
        "panels": [{
            "id": 1, "type": "timeseries", "title": "Latency", "description": "d", "datasource": DATASOURCE,
            "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8}, "fieldConfig": {"defaults": {"unit": "s"}, "overrides": []},
            "targets": [{"refId": chr(65 + i), "expr": e} for i, e in enumerate(exprs)]}],
        **extra,
    }


def _found(data, rule, cfg=None, profile="house"):
    result = lint.validate([Rendered.of(copy.deepcopy(data), "shop.json")], cfg, profile=profile)
    return [f for f in result.findings if f.rule == rule]


def _rules(**rules):
    return from_mapping({"validate": {"rules": rules}}, "tb-dash.yaml")


# --- target-required-matchers ------------------------------------------------------
JOB_ON_SHOP = _rules(**{"target-required-matchers": [{"metrics": "shop_.*", "labels": ["job", "env"]}]})


def test_a_selector_of_a_named_metric_without_a_required_label_is_reported_where_it_is():
    data = _dashboard(['sum(rate(shop_orders_total{job="shop", env="prod"}[5m]))',
                       'sum(rate(shop_orders_total{env="prod"}[5m])) / sum(rate(other_total[5m]))',
                       'rate(xshop_orders_total[5m])'])
    found = _found(data, "target-required-matchers", JOB_ON_SHOP)
    assert [(f.panel, f.target, f.severity) for f in found] == [("Latency", 1, "error")]
    assert "target [B]: selector 'shop_orders_total' has no job matcher (required for metrics shop_.*)" \
        == found[0].message


def test_every_missing_label_is_named_once_per_metric():
    found = _found(_dashboard(["shop_a_total + shop_a_total + shop_b"]), "target-required-matchers", JOB_ON_SHOP)
    assert sorted(f.message.split(": ", 1)[1].split(" (")[0] for f in found) == [
        "selector 'shop_a_total' has no env matcher", "selector 'shop_a_total' has no job matcher",
        "selector 'shop_b' has no env matcher", "selector 'shop_b' has no job matcher"]


def test_a_datasource_entry_covers_its_datasource_as_written_or_as_its_variable_holds_it():
    cfg = _rules(**{"target-required-matchers": [{"datasource": "prom-main", "labels": ["job"]}]})
    data = _dashboard(["up", "up"])
    data["panels"][0]["targets"][1]["datasource"] = {"type": "prometheus", "uid": "prom-other"}
    assert [f.target for f in _found(data, "target-required-matchers", cfg)] == [0]  # ${datasource} holds prom-main
    cfg = _rules(**{"target-required-matchers": [{"datasource": "prom-other", "labels": ["job"]}]})
    assert [f.target for f in _found(data, "target-required-matchers", cfg)] == [1]


def test_required_matchers_are_the_house_profiles_and_none_by_default():
    data = _dashboard(["shop_orders_total"])
    assert _found(data, "target-required-matchers", JOB_ON_SHOP, profile="grafana") == []
    assert _found(data, "target-required-matchers", from_mapping({})) == []  # the content's: tonebridge_* only
    assert _found(_dashboard(["tonebridge_requests_total"]), "target-required-matchers", from_mapping({}))


def test_a_regex_that_does_not_compile_is_one_line_and_exit_2(tb, tmp_path):
    (tmp_path / "tb-dash.yaml").write_text(
        'validate: {rules: {target-required-matchers: [{labels: [job], metrics: "shop_(["}]}}\n')
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "shop.json").write_text(json.dumps(_dashboard(["up"])))
    r = tb("validate", tmp_path / "d", "--config", tmp_path / "tb-dash.yaml", "--format", "json")
    assert r.code == 2
    assert r.err.startswith("tb-dash: error: ") and r.err.count("\n") == 1
    assert "validate.rules.target-required-matchers.0.metrics" in r.err


@pytest.mark.parametrize("rules", [
    {"target-required-matchers": [{"metrics": "x"}]},  # no labels
    {"target-required-matchers": [{"labels": ["not a label"]}]},
    {"template-unused": {"ignored": ["x"]}},
    {"target-histogram-le": {"per_series": "maybe"}},
    {"no-such-rule": {}},
])
def test_a_bad_shape_is_a_settings_error(rules):
    with pytest.raises(SettingsError) as e:
        _rules(**rules)
    assert str(e.value).startswith("tb-dash.yaml: ") and "validate.rules" in str(e.value)


# --- template-unused ------------------------------------------------------------------------
def _custom(name, **extra):
    return {"type": "custom", "name": name, "query": "a,b", **extra}


@pytest.mark.parametrize("where", [
    lambda d: d["panels"][0]["targets"].append({"refId": "B", "expr": 'up{env=~"$env"}'}),
    lambda d: d["panels"][0]["targets"].append({"refId": "B", "expr": 'up{env=~"${env}"}'}),
    lambda d: d["panels"][0]["targets"].append({"refId": "B", "expr": 'up{env=~"${env:regex}"}'}),
    lambda d: d["panels"][0]["targets"].append({"refId": "B", "expr": 'up{env=~"[[env]]"}'}),
    lambda d: d["panels"][0].update(title="Latency in [[env:text]]"),
    lambda d: d["panels"][0].update(links=[{"title": "shop", "url": "/d/x?var-env=${env:queryparam}"}]),
    lambda d: d.update(links=[{"title": "shop", "type": "link", "url": "/d/x?e=$env"}]),
    lambda d: (d["templating"]["list"].append(
        {"type": "query", "name": "zone", "query": 'label_values(up{env="$env"}, zone)', "refresh": 2}),
               d["panels"][0]["targets"].append({"refId": "B", "expr": 'up{zone="$zone"}'})),
    lambda d: d["panels"][0].update(repeat="env"),
    lambda d: d["panels"][0]["fieldConfig"]["defaults"].update(displayName="${env.text}"),
    lambda d: d["annotations"].update(list=[{"name": "deploys", "expr": "changes(deploys{env=\"$env\"}[1m])"}]),
], ids=["$x", "${x}", "${x:fmt}", "[[x]]", "title [[x:fmt]]", "panel link", "dashboard link", "other variable",
        "repeat", "field config", "annotation"])
def test_a_variable_used_in_any_form_anywhere_is_not_reported_nor_removed(where):
    data = _dashboard(["up"], [_custom("env")], annotations={"list": []})
    where(data)
    assert _found(data, "template-unused") == []
    assert fix_dashboard(copy.deepcopy(data), profile="house") == []


def test_an_unused_variable_is_named_and_removed_by_the_house_fix():
    data = _dashboard(['up{env=~"$environment"}'], [_custom("env"), _custom("environment"), _custom("kept"),
                                                    {"type": "adhoc", "name": "filters"}])
    found = _found(data, "template-unused", _rules(**{"template-unused": {"ignore": ["kept"]}}))
    assert [(f.panel, f.target, f.severity, f.message.split(" is ")[0]) for f in found] == [
        ("", None, "warning", "variable 'env' (custom)")]  # $environment is not $env; ad hoc filters are used
    fixed = copy.deepcopy(data)
    cfg = _rules(**{"template-unused": {"ignore": ["kept"]}})
    assert fix_dashboard(fixed, cfg, "house") == ["variable 'env': removed (nothing uses it)"]
    assert [v["name"] for v in fixed["templating"]["list"]] == ["datasource", "environment", "kept", "filters"]
    assert fix_dashboard(copy.deepcopy(data), cfg, "grafana") == []  # a house rule: the house profile's fix


def test_the_fix_removes_what_only_unused_variables_used_but_keeps_what_other_rules_require():
    data = _dashboard(["up"], [_custom("region"), _custom("zone", query="$region-a,$region-b"),
                               _custom("job"), _custom("instance")])
    assert [f.message.split("'")[1] for f in _found(data, "template-unused")] == ["zone", "job", "instance"]
    changes = fix_dashboard(data, profile="house")
    assert changes == ["variable 'zone': removed (nothing uses it)", "variable 'region': removed (nothing uses it)"]
    assert [v["name"] for v in data["templating"]["list"]] == ["datasource", "job", "instance"]
    unused_datasource = _dashboard(["up"])
    unused_datasource["panels"][0]["datasource"] = {"type": "prometheus", "uid": "prom-main"}
    assert [f.message.split("'")[1] for f in _found(unused_datasource, "template-unused")] == ["datasource"]
    assert fix_dashboard(unused_datasource, profile="house") == []


def test_the_fix_keeps_variables_a_link_passes_on():
    data = _dashboard(["up"], [_custom("env")], links=[{"title": "all", "type": "dashboards", "includeVars": True}])
    assert _found(data, "template-unused")  # unused here all the same
    assert fix_dashboard(data, profile="house") == [] and len(data["templating"]["list"]) == 2


# --- target-histogram-le -----------------------------------------------------------------
BUCKETS = "rate(shop_latency_seconds_bucket{job=~\"$job\"}[$__rate_interval])"


@pytest.mark.parametrize("expr, severity, words", [
    (f"histogram_quantile(0.9, sum({BUCKETS}))", "error", "through sum(...) with no by (...), which drops the le"),
    (f"histogram_quantile(0.9, sum by (job) ({BUCKETS}))", "error", "through sum by (job), which drops the le"),
    (f"histogram_quantile(0.9, sum without (le) ({BUCKETS}))", "error", "through sum without (le)"),
    (f"histogram_quantile(0.9, sum by (le) ({BUCKETS}) / on (job) sum by (le, job) ({BUCKETS}))", "error",
     "through on (job)"),
    (f"histogram_quantile(0.9, {BUCKETS})", "warning", "not aggregated: one quantile per series"),
    (f"histogram_quantile(0.9, sum by (le) ({BUCKETS}))", None, ""),
    (f"histogram_quantile(0.9, sum by (job, le) ({BUCKETS}))", None, ""),
    (f"histogram_quantile(0.9, sum without (instance) ({BUCKETS}))", None, ""),
    ("histogram_quantile(0.9, sum(rate(shop_latency_seconds[5m])))", None, ""),  # a native histogram: no le
    ("histogram_quantile(0.9, job:shop_latency_seconds_bucket:rate5m)", None, ""),  # aggregated by its rule
    (f"sum({BUCKETS})", None, ""),  # buckets outside histogram_quantile
])
def test_histogram_quantile_keeps_le(expr, severity, words):
    found = _found(_dashboard([expr], [_custom("job")]), "target-histogram-le")
    assert [f.severity for f in found] == ([severity] if severity else [])
    if found:
        assert found[0].panel == "Latency" and found[0].target == 0 and words in found[0].message
        assert "histogram_quantile() over 'shop_latency_seconds_bucket'" in found[0].message


@pytest.mark.parametrize("setting, severities", [("off", []), ("error", ["error"]), ("warning", ["warning"])])
def test_per_series_is_the_settings(setting, severities):
    cfg = _rules(**{"target-histogram-le": {"per_series": setting}})
    found = _found(_dashboard([f"histogram_quantile(0.9, {BUCKETS})"]), "target-histogram-le", cfg)
    assert [f.severity for f in found] == severities


@pytest.mark.parametrize("expr, fixed", [
    (f"histogram_quantile(0.9, sum({BUCKETS}))", f"histogram_quantile(0.9, sum by (le) ({BUCKETS}))"),
    (f"histogram_quantile(0.9, sum ({BUCKETS}))", f"histogram_quantile(0.9, sum by (le) ({BUCKETS}))"),
    (f"histogram_quantile(0.9, sum by (job) ({BUCKETS}))", f"histogram_quantile(0.9, sum by (job, le) ({BUCKETS}))"),
    (f"histogram_quantile(0.9, sum({BUCKETS}) by (job))", f"histogram_quantile(0.9, sum({BUCKETS}) by (job, le))"),
    (f"histogram_quantile(0.9, max(sum by (job) ({BUCKETS})))",
     f"histogram_quantile(0.9, max by (le) (sum by (job, le) ({BUCKETS})))"),
    ('histogram_quantile(0.9, sum(rate(x_bucket{sum="count(", by="x"}[5m])))',
     'histogram_quantile(0.9, sum by (le) (rate(x_bucket{sum="count(", by="x"}[5m])))'),
    # not for adding le to decide: someone took it out, or a binary operation drops it too
    (f"histogram_quantile(0.9, sum without (le) ({BUCKETS}))", None),
    (f"histogram_quantile(0.9, sum({BUCKETS}) / on (job) sum by (le, job) ({BUCKETS}))", None),
    (f"histogram_quantile(0.9, {BUCKETS})", None),  # per series: sum by (le), or by (le, pod)?
    (f"histogram_quantile(0.9, sum by (le) ({BUCKETS}))", None),
    ("histogram_quantile(0.9, sum(rate(x_bucket[5m]))", None),  # not PromQL
])
def test_the_le_fix_only_where_it_is_unambiguous(expr, fixed):
    assert fix_expr(expr, {"job": "shop"}) == fixed
    if fixed is not None:
        data = _dashboard([expr], [_custom("job")])
        assert fix_dashboard(data, profile="house") == ["panel 'Latency' target A: by (le)"]
        assert _found(data, "target-histogram-le") == []


# --- target-counter-agg -----------------------------------------------------------------------
def test_a_counter_with_matchers_is_the_house_profiles_error_not_the_linters():
    data = _dashboard(['sum(shop_orders_total{job="a"})', "sum(shop_orders_total)",
                       "sum(rate(shop_orders_total[5m:1m]))", 'increase(shop_orders_total{job="a"}[1h])'])
    assert [f.target for f in _found(data, "target-counter-agg")] == [0, 1]
    assert [f.target for f in _found(data, "target-counter-agg", profile="grafana")] == [1, 2]  # the linter's


def test_what_is_a_counter_is_the_settings():
    data = _dashboard(["sum(login_attempts_failed)", "sum(shop_orders_count)", "sum(shop_orders_total)"])
    cfg = _rules(**{"target-counter-agg": {"suffixes": ["_count"], "metrics": "login_.*"}})
    assert [f.target for f in _found(data, "target-counter-agg", cfg)] == [0, 1]
    assert [f.target for f in _found(data, "target-counter-agg", from_mapping({}))] == [0, 2]  # the content's


# --- the command line -------------------------------------------------------------------------
def test_cli_fix_in_the_house_profile_rewrites_what_it_can_and_honours_exclusions(tb, tmp_path):
    data = _dashboard([f"histogram_quantile(0.9, sum({BUCKETS}))", f"histogram_quantile(0.5, sum({BUCKETS}))"],
                      [_custom("job"), _custom("env")])
    (tmp_path / "shop.json").write_text(json.dumps(data))
    r = tb("validate", tmp_path, "--fix", "--format", "json")  # the grafana profile: the house fixes do not apply
    assert json.loads((tmp_path / "shop.json").read_text())["templating"] == data["templating"]
    settings = tmp_path / "tb-dash.yaml"
    settings.write_text("validate:\n  exclude:\n    - {rule: target-histogram-le, panel: Latency, target: 1, "
                        "reason: kept as it is}\n")
    r = tb("validate", tmp_path, "--fix", "--profile", "house", "--config", settings, "--format", "json")
    assert "fixed shop.json: variable 'env': removed (nothing uses it); panel 'Latency' target A: by (le)" \
        in r.err, r.err
    fixed = json.loads((tmp_path / "shop.json").read_text())
    assert [v["name"] for v in fixed["templating"]["list"]] == ["datasource", "job"]
    assert [t["expr"] for t in fixed["panels"][0]["targets"]] == [
        f"histogram_quantile(0.9, sum by (le) ({BUCKETS}))", f"histogram_quantile(0.5, sum({BUCKETS}))"]
    report = json.loads(r.out)
    assert not [f for f in report["findings"] if f["rule"] in ("template-unused", "target-histogram-le")]
    assert [(f["rule"], f["target"]) for f in report["excluded_findings"]] == [("target-histogram-le", 1)]


def test_fix_dir_leaves_what_the_lint_file_excludes(tmp_path):
    from tonebridge_dash.lint.fix import fix_dir

    data = _dashboard([f"histogram_quantile(0.9, sum({BUCKETS}))"], [_custom("job"), _custom("env")])
    (tmp_path / "shop.json").write_text(json.dumps(data))
    (tmp_path / ".lint").write_text("exclusions:\n  template-unused:\n    reason: kept for the links\n")
    assert fix_dir(tmp_path, None, "house") == [(tmp_path / "shop.json", ["panel 'Latency' target A: by (le)"])]
    assert [v["name"] for v in json.loads((tmp_path / "shop.json").read_text())["templating"]["list"]] == [
        "datasource", "job", "env"]


def test_unclosed_references_are_read_in_linear_time():
    """Before: minutes, each "${a." scanned to the end of the text. The
    bound guards against that hang; it is no measure (milliseconds now)."""
    import time

    data = _dashboard(["up"], [_custom("env")])
    data["panels"][0]["description"] = "${a." * 100_000 + "${a:" * 100_000
    started = time.perf_counter()
    assert len(_found(data, "template-unused")) == 1
    assert time.perf_counter() - started < 60


def test_the_docs_example_is_valid_settings():
    import re
    from pathlib import Path

    import yaml

    page = (Path(__file__).resolve().parents[1] / "docs" / "checking.md").read_text(encoding="utf-8")
    section = page.split("### House rules the settings shape", 1)[1].split("\n## ", 1)[0]
    example = yaml.safe_load(re.search(r"```yaml\n(.*?)```", section, re.S).group(1))
    cfg = from_mapping(example, "docs/checking.md")
    data = _dashboard(["tonebridge_requests_total"])
    assert _found(data, "target-required-matchers", cfg) == []  # ${datasource} holds prom-main, not prometheus
    data["templating"]["list"][0]["current"]["value"] = "prometheus"
    assert [f.target for f in _found(data, "target-required-matchers", cfg)] == [0]
