"""alertmanager.yml: amtool accepts it, alerts route by severity as the
spec's §7.2 says, and secrets come only from the environment."""

from __future__ import annotations

import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
import yaml

from tonebridge_dash.alerting import alertmanager as am
from tonebridge_dash.errors import SettingsError, UsageError
from tonebridge_dash.settings import from_mapping

from test_rules import NO_SECRETS

AMTOOL = shutil.which("amtool")
needs_amtool = pytest.mark.skipif(
    AMTOOL is None, reason="amtool is not installed (Debian package 'prometheus-alertmanager'; CI installs it)")

WEBHOOK = "https://hooks.slack.example/services/T000/B000/XXXXSECRET"
SERVICE_KEY = "pd-service-key-SECRET"


def amtool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([AMTOOL, *args], capture_output=True, text=True, timeout=60)


def render(tb, tmp_path: Path, env: dict | None = None, *extra: str) -> Path:
    """``tb-dash rules`` into ``tmp_path`` with no secret variables but ``env``."""
    r = tb("rules", "--out", tmp_path, *extra, env={**NO_SECRETS, **(env or {})})
    assert r.code == 0, r.err
    return tmp_path / am.FILENAME


@needs_amtool
def test_amtool_accepts_the_config_with_file_references(tb, tmp_path):
    path = render(tb, tmp_path)
    r = amtool("check-config", str(path))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "SUCCESS" in r.stdout
    assert "4 receivers" in r.stdout


@needs_amtool
def test_amtool_accepts_the_config_with_inlined_secrets(tb, tmp_path):
    path = render(tb, tmp_path, {"SLACK_WEBHOOK_URL": WEBHOOK, "PAGERDUTY_SERVICE_KEY": SERVICE_KEY})
    r = amtool("check-config", str(path))
    assert r.returncode == 0, r.stdout + r.stderr


@needs_amtool
@pytest.mark.parametrize("labels, receiver", [
    (["alertname=HighErrorRate", "severity=critical"], "critical"),
    (["alertname=HighResponseTime", "severity=warning"], "warning"),
    (["alertname=SuspiciousLoginAttempts", "severity=security"], "security"),
    (["alertname=Audit log: DROP TABLE", "severity=security", "team=security"], "security"),
    (["alertname=ErrorBudgetBurn", "severity=critical", "slo=availability"], "critical"),
])
def test_alerts_route_by_severity(tb, tmp_path, labels, receiver):
    path = render(tb, tmp_path)
    r = amtool("config", "routes", "test", f"--config.file={path}", *labels)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip() == receiver


def test_the_spec_routing_grouping_and_channels(cfg):
    c = am.config(cfg, am.secrets_from_env(cfg, {}))
    route = c["route"]
    assert route["group_by"] == ["alertname", "cluster", "service"]
    assert (route["group_wait"], route["group_interval"], route["repeat_interval"]) == ("10s", "10s", "12h")
    assert c["global"]["resolve_timeout"] == "5m"
    receivers = {r["name"]: r for r in c["receivers"]}
    assert {n: r["slack_configs"][0]["channel"] for n, r in receivers.items()} == {
        "default": "#alerts", "critical": "#critical-alerts", "warning": "#warnings",
        "security": "#security-alerts"}
    assert "pagerduty_configs" in receivers["critical"]
    assert "pagerduty_configs" not in receivers["warning"]


def test_channels_come_from_the_settings():
    cfg = from_mapping({"alertmanager": {"receivers": {"critical": {"channel": "#oncall"}}, "repeat_interval": "4h"}})
    c = am.config(cfg, am.secrets_from_env(cfg, {}))
    critical = next(r for r in c["receivers"] if r["name"] == "critical")
    assert critical["slack_configs"][0]["channel"] == "#oncall"
    assert critical["slack_configs"][0]["title"] == "🚨 CRITICAL: ToneBridge Alert"  # merged, not replaced
    assert c["route"]["repeat_interval"] == "4h"


def test_receivers_routes_and_inhibitions_are_settings_not_engine_code():
    cfg = from_mapping({"alertmanager": {
        "receiver": "team",
        "receivers": {"team": {"channel": "#team", "title": "Team alert"}, "pager": {"pagerduty": True}},
        "routes": [{"receiver": "pager", "matchers": ['severity="page"']}],
        "inhibit_rules": [],
    }})
    c = am.config(cfg, am.secrets_from_env(cfg, {}))
    assert c["route"]["receiver"] == "team"
    assert c["route"]["routes"] == [{"matchers": ['severity="page"'], "receiver": "pager"}]
    assert "inhibit_rules" not in c
    by_name = {r["name"]: r for r in c["receivers"]}
    assert by_name["team"]["slack_configs"][0]["title"] == "Team alert"
    assert "slack_configs" not in by_name["pager"] and "pagerduty_configs" in by_name["pager"]


@pytest.mark.parametrize("alertmanager, key", [
    ({"receiver": "nobody"}, "alertmanager.receiver"),
    ({"routes": [{"receiver": "nobody", "matchers": ['severity="x"']}]}, "alertmanager.routes[0].receiver"),
])
def test_a_route_to_an_unknown_receiver_is_a_settings_error(alertmanager, key):
    with pytest.raises(SettingsError, match=rf"key '{re.escape(key)}': no receiver named 'nobody'"):
        from_mapping({"alertmanager": alertmanager}, "tb-dash.yaml")


# --- secrets --------------------------------------------------------------------
def test_without_variables_the_config_names_the_settings_files(tb, tmp_path):
    path = render(tb, tmp_path)
    c = yaml.safe_load(path.read_text())
    assert c["global"]["slack_api_url_file"] == "/etc/alertmanager/secrets/slack-webhook-url"
    assert "slack_api_url" not in c["global"]
    pd = next(r for r in c["receivers"] if r["name"] == "critical")["pagerduty_configs"][0]
    assert pd["service_key_file"] == "/etc/alertmanager/secrets/pagerduty-service-key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_file_variables_become_file_references_and_are_never_read(tb, tmp_path):
    env = {"SLACK_WEBHOOK_URL_FILE": "/run/secrets/slack", "PAGERDUTY_SERVICE_KEY_FILE": "/run/secrets/pd"}
    c = yaml.safe_load(render(tb, tmp_path, env).read_text())
    assert c["global"]["slack_api_url_file"] == "/run/secrets/slack"
    pd = next(r for r in c["receivers"] if r["name"] == "critical")["pagerduty_configs"][0]
    assert pd == {"service_key_file": "/run/secrets/pd", "send_resolved": True}


def test_inlined_secrets_are_written_only_to_a_private_file(tb, tmp_path):
    r = tb("rules", "--out", tmp_path,
           env={**NO_SECRETS, "SLACK_WEBHOOK_URL": WEBHOOK, "PAGERDUTY_SERVICE_KEY": SERVICE_KEY})
    assert r.code == 0, r.err
    path = tmp_path / am.FILENAME
    text = path.read_text()
    assert f"slack_api_url: {WEBHOOK}" in text
    assert f"service_key: {SERVICE_KEY}" in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "SECRET" not in r.out + r.err
    assert "PAGERDUTY_SERVICE_KEY, SLACK_WEBHOOK_URL: mode 0600" in r.out
    for rules in tmp_path.glob("*.rules.yml"):
        assert "SECRET" not in rules.read_text()


@pytest.mark.parametrize("env, message", [
    ({"SLACK_WEBHOOK_URL": WEBHOOK, "SLACK_WEBHOOK_URL_FILE": "/run/secrets/slack"},
     "SLACK_WEBHOOK_URL and SLACK_WEBHOOK_URL_FILE are both set; set one of them"),
    ({"PAGERDUTY_SERVICE_KEY": " "}, "PAGERDUTY_SERVICE_KEY is set but empty; unset it or give the secret"),
    ({"SLACK_WEBHOOK_URL_FILE": ""},
     "SLACK_WEBHOOK_URL_FILE is set but empty; give the path Alertmanager reads the secret from"),
    ({"SLACK_WEBHOOK_URL": "not-a-url-SECRET"}, "SLACK_WEBHOOK_URL is not an http(s) URL"),
])
def test_bad_secret_variables_are_one_line_exit_2_and_write_nothing(tb, tmp_path, env, message):
    r = tb("rules", "--out", tmp_path / "out", env={**NO_SECRETS, **env})
    assert r.code == 2
    assert r.err == f"tb-dash: error: {message}\n"
    assert "SECRET" not in r.out + r.err
    assert not (tmp_path / "out").exists()


def test_secrets_from_env_reads_only_the_mapping_it_is_given(cfg):
    secrets = am.secrets_from_env(cfg, {"PAGERDUTY_SERVICE_KEY": SERVICE_KEY})
    assert secrets["pagerduty_service_key"] == am.Secret("pagerduty_service_key", value=SERVICE_KEY)
    assert secrets["slack_webhook_url"].file == cfg.alertmanager.secret_files["slack_webhook_url"]
    with pytest.raises(UsageError):
        am.secrets_from_env(cfg, {"SLACK_WEBHOOK_URL": "ftp://x"})


def test_rendering_is_deterministic(cfg):
    secrets = am.secrets_from_env(cfg, {})
    assert am.encode(cfg, secrets) == am.encode(from_mapping({}), am.secrets_from_env(from_mapping({}), {}))
