"""Prometheus rules: ``tb-dash rules`` writes files that promtool accepts,
the promtool unit tests in tests/rules/ pass on them (and fail on the
seed's broken expressions), and every alert follows the settings."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from alerts import service as alerts, slo as slo_rules
from panels.objectives import BURN_RATE_ALERTS, BurnRateAlert
from tonebridge_dash.alerting.rules import (Alert, Group, RuleFile, RulesError, build_all, check_unique, encode,
                                           write_rule_files)
from tonebridge_dash.model import iter_panels
from tonebridge_dash.settings import from_mapping

RULE_TESTS = Path(__file__).with_name("rules")
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None, reason="promtool is not installed (Debian package 'prometheus'; CI installs it)")

SEED_ALERTS = {  # name: (severity, team), spec §7.1 and §10.1
    "HighErrorRate": ("critical", "backend"),
    "HighResponseTime": ("warning", "backend"),
    "DatabaseConnectionFailure": ("critical", "database"),
    "HighMemoryUsage": ("warning", "infrastructure"),
    "DiskSpaceRunningOut": ("warning", "infrastructure"),
    "SuspiciousLoginAttempts": ("security", "security"),
    "UnauthorizedAPIAccess": ("security", "security"),
    "AbnormalDataAccess": ("security", "security"),
}
SECRET_VARIABLES = ("SLACK_WEBHOOK_URL", "SLACK_WEBHOOK_URL_FILE", "PAGERDUTY_SERVICE_KEY",
                    "PAGERDUTY_SERVICE_KEY_FILE")
NO_SECRETS = dict.fromkeys(SECRET_VARIABLES)  # tb's env: none of them set


def promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([PROMTOOL, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def promtool_test(rules_dir: Path, test_file: str) -> subprocess.CompletedProcess:
    """Run a tests/rules/ file against the rule files in ``rules_dir``."""
    shutil.copy(RULE_TESTS / test_file, rules_dir / test_file)
    return promtool("test", "rules", test_file, cwd=rules_dir)


@pytest.fixture()
def rules_dir(tb, tmp_path) -> Path:
    """What ``tb-dash rules`` writes with no secret variable set."""
    out = tmp_path / "rules"
    r = tb("rules", "--out", out, env=NO_SECRETS)
    assert r.code == 0, r.err
    return out


def by_name(cfg) -> dict[str, Alert]:
    return {a.name: a for f in build_all(cfg) for a in f.alerts()}


def write_defaults_with(tmp_path: Path, edit) -> Path:
    """The default rule files with ``edit(data)`` applied to the alerts file."""
    write_rule_files(build_all(from_mapping({})), tmp_path)
    path = tmp_path / alerts.FILENAME
    data = yaml.safe_load(path.read_text())
    edit(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return tmp_path


# --- the command and promtool -----------------------------------------------
def test_rules_command_writes_rule_files_and_alertmanager_config(rules_dir):
    assert sorted(p.name for p in rules_dir.iterdir()) == [  # and the list of what it wrote
        ".tb-dash-written", "alertmanager.yml", "tonebridge-alerts.rules.yml", "tonebridge-slo.rules.yml"]


@needs_promtool
def test_promtool_check_rules_accepts_the_rule_files(rules_dir, cfg):
    files = build_all(cfg)
    r = promtool("check", "rules", *(f.filename for f in files), cwd=rules_dir)
    assert r.returncode == 0, r.stdout + r.stderr
    for f in files:  # promtool read every rule tb-dash wrote
        assert f"Checking {f.filename}\n  SUCCESS: {len(f.alerts()) + len(f.records())} rules found" in r.stdout
    slo = next(f for f in files if f.filename == slo_rules.FILENAME)
    # 5m: 5 series from the raw ones; 7 longer windows x 3 SLIs derived from them; the budget
    assert len(slo.records()) == 5 + 7 * 3 + 1 and len(slo.alerts()) == 4


@needs_promtool
@pytest.mark.parametrize("test_file", ["alerts.test.yml", "slo.test.yml"])
def test_promtool_unit_tests_pass(rules_dir, test_file):
    r = promtool_test(rules_dir, test_file)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "SUCCESS" in r.stdout


def _cases(test_file: str) -> dict[str, set[bool]]:
    """alertname -> {True if a case expects it to fire, False if a case expects quiet}."""
    seen: dict[str, set[bool]] = {}
    for t in yaml.safe_load((RULE_TESTS / test_file).read_text())["tests"]:
        for case in t.get("alert_rule_test", []):
            seen.setdefault(case["alertname"], set()).add(bool(case.get("exp_alerts")))
    return seen


def test_every_alert_has_a_firing_case_and_a_quiet_case(cfg):
    cases = {**_cases("alerts.test.yml"), **_cases("slo.test.yml")}
    for name in by_name(cfg):
        assert cases.get(name) == {True, False}, f"{name}: needs a case that fires and one that stays quiet"


@needs_promtool
@pytest.mark.parametrize("name, seed_expr", [
    # pages on 1% errors at 1,000 requests/s
    ("HighErrorRate", 'rate(tonebridge_requests_total{status=~"5.."}[5m]) > 0.05'),
    # one quantile (and one alert) per endpoint
    ("HighResponseTime", "histogram_quantile(0.95, rate(tonebridge_request_duration_seconds_bucket[5m])) > 2"),
])
def test_unit_tests_fail_on_the_seeds_expression(tmp_path, name, seed_expr):
    """The unit tests catch the seed's bugs: with its expression they fail."""
    def use_seed_expression(data):
        next(r for r in data["groups"][0]["rules"] if r.get("alert") == name)["expr"] = seed_expr

    r = promtool_test(write_defaults_with(tmp_path, use_seed_expression), "alerts.test.yml")
    assert r.returncode != 0
    assert f"alertname: {name}" in r.stdout + r.stderr


@needs_promtool
def test_unit_tests_fail_when_a_burn_rate_alert_drops_its_short_window(tmp_path):
    write_rule_files(build_all(from_mapping({})), tmp_path)
    path = tmp_path / slo_rules.FILENAME
    data = yaml.safe_load(path.read_text())
    page = next(r for g in data["groups"] for r in g["rules"] if r.get("labels", {}).get("long_window") == "1h")
    page["expr"] = page["expr"].split("\nand\n")[0]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    r = promtool_test(tmp_path, "slo.test.yml")
    assert r.returncode != 0
    assert "alertname: ErrorBudgetBurn" in r.stdout + r.stderr


# --- definitions --------------------------------------------------------------
def test_seed_alerts_keep_the_seeds_names_severities_and_teams(cfg):
    found = by_name(cfg)
    for name, (severity, team) in SEED_ALERTS.items():
        assert found[name].labels == {"severity": severity, "team": team}, name
        assert set(found[name].annotations) == {"summary", "description", "dashboard_url", "runbook_url"}, name


def test_seed_alerts_read_the_seeds_metric_names(cfg):
    found = by_name(cfg)
    expected = {
        "HighErrorRate": ['tonebridge_requests_total{status=~"5.."}', "tonebridge_requests_total[5m]"],
        "HighResponseTime": ["sum by (le) (rate(tonebridge_request_duration_seconds_bucket[5m]))"],
        "DatabaseConnectionFailure": ['up{job="postgresql"} == 0'],
        "HighMemoryUsage": ["node_memory_MemAvailable_bytes", "node_memory_MemTotal_bytes"],
        "DiskSpaceRunningOut": ["node_filesystem_avail_bytes", "node_filesystem_size_bytes"],
        "SuspiciousLoginAttempts": ["rate(login_attempts_failed[5m])"],
        "UnauthorizedAPIAccess": ['tonebridge_requests_total{status="403"}'],
        "AbnormalDataAccess": ['database_queries_total{table="users"}'],
    }
    for name, parts in expected.items():
        for part in parts:
            assert part in found[name].expr, (name, part)


def test_thresholds_and_for_durations_come_from_the_settings():
    cfg = from_mapping({"thresholds": {
        "error_ratio": {"critical": 0.02, "for": "3m"},
        "latency_p95_seconds": {"critical": 1.5, "for": "15m"},
        "failed_logins_per_second": {"critical": 25, "for": "2m"},
    }, "alerts": {"teams": {"HighErrorRate": "sre"}}})
    found = by_name(cfg)
    assert found["HighErrorRate"].expr.endswith("> 0.02")
    assert found["HighErrorRate"].for_ == "3m"
    assert found["HighErrorRate"].labels["team"] == "sre"
    assert "(threshold: 2%)" in found["HighErrorRate"].annotations["description"]
    assert found["HighResponseTime"].expr.endswith("> 1.5")
    assert "(threshold: 1.5s)" in found["HighResponseTime"].annotations["description"]
    assert found["SuspiciousLoginAttempts"].expr.endswith("> 25")
    assert found["SuspiciousLoginAttempts"].for_ == "2m"


def test_burn_rate_factors_are_the_workbooks_for_30_days():
    assert [b.factor("30d") for b in BURN_RATE_ALERTS] == [14.4, 6, 1]
    assert BurnRateAlert("critical", 0.02, "1h", "5m").factor("28d") == pytest.approx(13.44)


def test_slo_numbers_come_from_the_settings():
    cfg = from_mapping({"slo": {"availability": 0.995, "error_budget_alert_consumed": 0.5}})
    found = by_name(cfg)
    assert "/ 0.005 > 14.4" in next(a.expr for f in build_all(cfg) for a in f.alerts()
                                    if a.labels.get("long_window") == "1h")
    assert found["ErrorBudgetConsumed"].expr.endswith("< 0.5")


def test_recording_rules_cover_the_standard_windows_and_the_slo_window(cfg):
    records = [r.name for f in build_all(cfg) for r in f.records()]
    for w in ("5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d"):
        for name in (f"service:tonebridge_requests_errors:ratio_rate{w}",
                     f"service:tonebridge_request_duration_seconds:p95_rate{w}",
                     f"service:tonebridge_requests:rate{w}"):
            assert name in records
    assert "service:tonebridge_error_budget:remaining_ratio30d" in records
    assert all(len(n.split(":")) == 3 for n in records), "level:metric:operations"
    longer = [r.name for f in build_all(from_mapping({"slo": {"window": "90d"}})) for r in f.records()]
    assert "service:tonebridge_requests_errors:ratio_rate90d" in longer
    assert "service:tonebridge_error_budget:remaining_ratio90d" in longer


def test_rendering_is_deterministic(cfg):
    first = [encode(f) for f in build_all(cfg)]
    assert first == [encode(f) for f in build_all(from_mapping({}))]
    assert all(b.endswith(b"\n") and b.startswith(b"# Generated by tb-dash") for b in first)


def test_unchanged_files_are_not_rewritten(tmp_path, cfg):
    files = build_all(cfg)
    paths = write_rule_files(files, tmp_path)
    before = [p.stat().st_mtime_ns for p in paths]
    write_rule_files(files, tmp_path)
    assert [p.stat().st_mtime_ns for p in paths] == before


def test_duplicate_group_names_are_refused():
    a = RuleFile("a.rules.yml", [Group("same", [])], "panels.a")
    b = RuleFile("b.rules.yml", [Group("same", [])], "panels.b")
    with pytest.raises(RulesError, match="rule group 'same' is defined in both a.rules.yml and b.rules.yml"):
        check_unique([a, b])


def test_out_that_is_a_file_is_one_line_and_exit_2(tb, tmp_path):
    target = tmp_path / "file"
    target.write_text("")
    r = tb("rules", "--out", target, env=NO_SECRETS)
    assert r.code == 2
    assert r.err.strip() == f"tb-dash: error: {target}: exists and is not a directory"


def test_rule_expressions_read_only_catalog_metrics_and_recorded_series(cfg):
    """The rules read what the services emit (the metric catalog) or what
    the rules themselves record: a typo'd metric name fails here."""
    from panels.metrics import series_names
    from tonebridge_dash.prometheus import promql

    files = build_all(cfg)
    known = series_names() | {r.name for f in files for r in f.records()}
    for f in files:
        for rule in [*f.alerts(), *f.records()]:
            names = set(promql.metric_names(promql.parse(rule.expr)))
            assert names and names <= known, (rule.name, names - known)


def test_help_shows_the_rules_command_and_an_example(tb):
    r = tb("rules", "--help")
    assert r.code == 0
    assert "tb-dash rules --out" in r.out
    assert "SLACK_WEBHOOK_URL_FILE" in r.out


def test_recording_depth_counts_the_backfill_passes_a_chain_of_rules_needs(tmp_path, cfg):
    from tonebridge_dash.prometheus.server import recording_depth

    chain = tmp_path / "chain.yml"
    chain.write_text("groups:\n- name: g\n  rules:\n"
                     "  - {record: 'a:x:rate5m', expr: 'sum(rate(x[5m]))'}\n"
                     "  - {record: 'a:x:rate1h', expr: 'avg_over_time(a:x:rate5m[1h])'}\n"
                     "  - {record: 'a:x:double1h', expr: '2 * a:x:rate1h'}\n"
                     "  - {alert: X, expr: 'a:x:double1h > 1'}\n")
    raw = tmp_path / "raw.yml"
    raw.write_text("groups:\n- name: g\n  rules:\n  - {record: 'a:y:rate5m', expr: 'sum(rate(y[5m]))'}\n")
    assert recording_depth([chain]) == 3 and recording_depth([raw]) == 1 and recording_depth([]) == 0
    # The project's own: raw -> 5m rates -> 30d ratio -> budget left.
    rules = write_rule_files(build_all(cfg), tmp_path / "own")
    assert recording_depth(rules) == 3


def test_every_alert_links_to_its_runbook_and_to_a_panel_that_shows_it(cfg, rendered):
    """``dashboard_url`` opens a panel of a rendered dashboard (uid and panel
    id as rendered); ``runbook_url`` names a section of docs/runbooks.md."""
    from urllib.parse import parse_qs, urlsplit

    runbooks = (Path(__file__).parent.parent / "docs" / "runbooks.md").read_text(encoding="utf-8")
    anchors = {line.lstrip("#").strip().lower() for line in runbooks.splitlines() if line.startswith("## ")}
    alerts_ = [a for f in build_all(cfg) for a in f.alerts()]
    assert len(alerts_) == 12
    for a in alerts_:
        url = urlsplit(a.annotations["dashboard_url"])
        assert f"{url.scheme}://{url.netloc}" == "http://localhost:3000", a.name
        uid = url.path.removeprefix("/d/")
        panel_id = int(parse_qs(url.query)["viewPanel"][0])
        titles = {p["id"]: p["title"] for p in iter_panels(rendered[uid].data)}
        expected = alerts.PANELS.get(a.name) or {"ErrorBudgetBurn": ("slo", "Error budget burn rate"),
                                                 "ErrorBudgetConsumed": ("slo", "Error budget remaining")}[a.name]
        assert (uid, titles.get(panel_id)) == (f"tb-{expected[0]}", expected[1]), a.name
        runbook = urlsplit(a.annotations["runbook_url"])
        assert runbook.fragment == a.name.lower() and runbook.fragment in anchors, a.name


def test_alert_links_follow_the_settings():
    cfg = from_mapping({"alerts": {"runbook_url": "https://wiki.example/{alert}", "grafana_url": "https://g.example/"},
                        "grafana": {"org_id": 3}, "dashboards": {"uid_prefix": "x-"}})
    a = next(a for f in build_all(cfg) for a in f.alerts() if a.name == "HighMemoryUsage")
    assert a.annotations["runbook_url"] == "https://wiki.example/HighMemoryUsage"
    assert a.annotations["dashboard_url"].startswith("https://g.example/d/x-system?orgId=3&viewPanel=")
    bare = from_mapping({"alerts": {"runbook_url": ""}, "grafana": {"url": "https://grafana.example"}})
    a = next(a for f in build_all(bare) for a in f.alerts() if a.name == "HighMemoryUsage")
    assert "runbook_url" not in a.annotations and a.annotations["dashboard_url"].startswith("https://grafana.example/d/")


def test_an_alert_linked_to_a_missing_panel_is_an_error(cfg, monkeypatch):
    monkeypatch.setitem(alerts.PANELS, "HighMemoryUsage", ("system", "No such panel"))
    monkeypatch.setattr("alerts._common._LINKS", {})
    with pytest.raises(RulesError, match="has no panel titled 'No such panel'"):
        build_all(cfg)
