"""rules --target prometheus-operator at the command line: PrometheusRules
and the Alertmanager Secret, --check, credentials only from the
environment (then mode 0600), one line and exit 2 for an empty one."""

from __future__ import annotations

import stat

import yaml


def test_the_help_lists_the_rules_targets(tb):
    assert "files|prometheus-operator" in tb("rules", "--help").out


def test_rules_for_prometheus_operator(tb, tmp_path):
    r = tb("rules", "--target", "prometheus-operator", "--out", tmp_path)
    assert r.code == 0, r.err
    kinds = sorted(yaml.safe_load(p.read_text())["kind"] for p in tmp_path.glob("*.yaml"))
    assert kinds.count("PrometheusRule") >= 2 and kinds.count("Secret") == 1
    secret = tmp_path / "secret-alertmanager-main.yaml"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o644 and "hooks" not in secret.read_text()
    assert tb("rules", "--target", "prometheus-operator", "--out", tmp_path, "--check").code == 0


def test_rules_put_a_credential_from_the_environment_in_a_0600_secret(tb, tmp_path):
    url = "https://hooks.slack.example/services/T0/B0/abcdef"
    r = tb("rules", "--target", "prometheus-operator", "--out", tmp_path, env={"SLACK_WEBHOOK_URL": url})
    assert r.code == 0, r.err
    assert "SLACK_WEBHOOK_URL: mode 0600, do not commit" in r.out and url not in r.out + r.err
    secret = tmp_path / "secret-alertmanager-main.yaml"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600 and url in secret.read_text()


def test_rules_refuse_an_empty_credential_before_writing(tb, tmp_path):
    r = tb("rules", "--target", "prometheus-operator", "--out", tmp_path / "o",
            env={"SLACK_WEBHOOK_URL": " "})
    assert r.code == 2 and "SLACK_WEBHOOK_URL is set but empty" in r.err
    assert not (tmp_path / "o").exists()
