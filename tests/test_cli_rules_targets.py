"""rules --target prometheus-operator at the command line: PrometheusRules
and the Alertmanager Secret, --check, credentials only from the
environment (then mode 0600), one line and exit 2 for an empty one."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import yaml


def run(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, "-m", "tonebridge_dash", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120, env={**os.environ, **(env or {})})


def test_the_help_lists_the_rules_targets():
    assert "files|prometheus-operator" in run("rules", "--help").stdout


def test_rules_for_prometheus_operator(tmp_path):
    r = run("rules", "--target", "prometheus-operator", "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    kinds = sorted(yaml.safe_load(p.read_text())["kind"] for p in tmp_path.glob("*.yaml"))
    assert kinds.count("PrometheusRule") >= 2 and kinds.count("Secret") == 1
    secret = tmp_path / "secret-alertmanager-main.yaml"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o644 and "hooks" not in secret.read_text()
    assert run("rules", "--target", "prometheus-operator", "--out", str(tmp_path), "--check").returncode == 0


def test_rules_put_a_credential_from_the_environment_in_a_0600_secret(tmp_path):
    url = "https://hooks.slack.example/services/T0/B0/abcdef"
    r = run("rules", "--target", "prometheus-operator", "--out", str(tmp_path), env={"SLACK_WEBHOOK_URL": url})
    assert r.returncode == 0, r.stderr
    assert "SLACK_WEBHOOK_URL: mode 0600, do not commit" in r.stdout and url not in r.stdout + r.stderr
    secret = tmp_path / "secret-alertmanager-main.yaml"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600 and url in secret.read_text()


def test_rules_refuse_an_empty_credential_before_writing(tmp_path):
    r = run("rules", "--target", "prometheus-operator", "--out", str(tmp_path / "o"),
            env={"SLACK_WEBHOOK_URL": " "})
    assert r.returncode == 2 and "SLACK_WEBHOOK_URL is set but empty" in r.stderr
    assert not (tmp_path / "o").exists()
