"""tb-dash init writes a settings file to start from; tb-dash config shows
the effective settings and where each value came from."""

from __future__ import annotations

import json

import yaml

from tonebridge_dash.settings import from_mapping


def test_init_writes_every_key_at_its_default_and_example_environments(tb, tmp_path):
    r = tb("init")
    assert r.code == 0, r.err
    text = (tmp_path / "tb-dash.yaml").read_text()
    assert text.startswith("# tb-dash.yaml") and "\n# Where the engine finds the content" in text
    written = from_mapping(yaml.safe_load(text), "tb-dash.yaml")
    defaults = from_mapping({})
    assert set(written.environments) == {"staging", "prod"}
    assert written.environment("prod").url == "https://grafana.example.com"
    for section in ("content", "datasource", "dashboards", "selectors", "thresholds", "slo", "alerts",
                    "alertmanager", "grafana", "validate", "check"):
        assert written.raw[section] == defaults.raw[section], section
    # It is a file every command takes as it is.
    assert tb("validate").code == 0


def test_init_never_replaces_a_file_without_force(tb, tmp_path):
    (tmp_path / "tb-dash.yaml").write_text("slo: {window: 7d}\n")
    r = tb("init")
    assert r.code == 2 and r.err.strip().splitlines() == [
        "tb-dash: error: tb-dash.yaml already exists (--force replaces it)"]
    assert (tmp_path / "tb-dash.yaml").read_text() == "slo: {window: 7d}\n"
    assert tb("init", "--force").code == 0
    assert "environments:" in (tmp_path / "tb-dash.yaml").read_text()


def test_config_says_where_each_value_comes_from(tb, tmp_path):
    (tmp_path / "tb-dash.yaml").write_text(
        "slo: {window: 7d}\nenvironments:\n  prod: {url: 'https://admin:hunter2@grafana.example.com/?token=abc'}\n")
    r = tb("config")
    assert r.code == 0, r.err
    lines = {line.split(":", 1)[0]: line for line in r.out.splitlines() if not line.startswith("#")}
    assert lines["slo.window"].endswith("# settings file") and '"7d"' in lines["slo.window"]
    assert lines["thresholds.error_ratio.critical"].endswith("# content default (panels.defaults)")
    assert lines["check.concurrency"].endswith("# engine default")
    assert "hunter2" not in r.out and "abc" not in r.out and "environments.prod.url" in lines
    data = json.loads(tb("config", "--format", "json").out)
    assert data["settings"]["slo"]["window"] == "7d" and data["origins"]["slo.window"] == "settings file"
    assert data["origins"]["check.concurrency"] == "engine default"


def test_config_refuses_settings_that_every_command_refuses(tb, tmp_path):
    (tmp_path / "tb-dash.yaml").write_text("thresholds:\n  error_ratio: {warning: 0.05, critical: 0.01}\n")
    r = tb("config")
    assert r.code == 2 and len(r.err.strip().splitlines()) == 1
    assert "warning 0.05 must be below critical 0.01" in r.err
