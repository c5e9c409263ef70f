"""Settings: defaults, validation errors naming the file and key, CLI exit 2."""

from __future__ import annotations

import pytest

from tonebridge_dash.errors import EXIT_USAGE, SettingsError
from tonebridge_dash.settings import DEFAULTS, from_mapping, load_settings


def test_defaults_are_the_seed_numbers(cfg):
    assert cfg.thresholds.error_ratio.critical == 0.05
    assert cfg.thresholds.latency_p95_seconds.critical == 2.0
    assert cfg.thresholds.latency_p95_seconds.for_ == "10m"
    assert cfg.thresholds.memory_usage_ratio.critical == 0.9
    assert cfg.thresholds.disk_usage_ratio.critical == 0.8
    assert cfg.slo.availability == 0.999
    assert cfg.slo.latency_p95_seconds == 0.5
    assert cfg.slo.error_ratio == 0.001
    assert cfg.slo.throughput_rps == 100
    assert cfg.dashboards.schema_version == 41


def test_file_overrides_merge_over_defaults(tmp_path):
    f = tmp_path / "tb-dash.yaml"
    f.write_text("thresholds:\n  error_ratio:\n    critical: 0.02\n"
                 "environments:\n  prod:\n    url: https://grafana.example.com\n    org_id: 3\n")
    cfg = load_settings(f)
    assert cfg.thresholds.error_ratio.critical == 0.02
    assert cfg.thresholds.error_ratio.warning == from_mapping({}).thresholds.error_ratio.warning == 0.01
    prod = cfg.environment("prod")
    assert (prod.url, prod.org_id, prod.folder.title) == ("https://grafana.example.com", 3, "ToneBridge")


def test_no_file_and_no_path_gives_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert load_settings(None).source == "defaults"


@pytest.mark.parametrize("content, expected", [
    ("thresholds:\n  eror_ratio: {critical: 1}\n", "tb-dash.yaml: unknown key 'thresholds.eror_ratio'"),
    ("colour: red\n", "tb-dash.yaml: unknown key 'colour'"),
    ("slo:\n  availability: 1.5\n", "tb-dash.yaml: key 'slo.availability': 1.5 is greater than"),
    ("dashboards:\n  schema_version: 12\n", "tb-dash.yaml: key 'dashboards.schema_version': 12 is less than"),
    ("a: [\n", "tb-dash.yaml: invalid YAML at line 2"),
    ("- 1\n", "tb-dash.yaml: expected a mapping"),
    ("environments:\n  prod: {folder: {title: X}}\n", "tb-dash.yaml: environments.prod: 'url' is a required"),
])
def test_invalid_settings_name_the_file_and_key(tmp_path, monkeypatch, content, expected):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tb-dash.yaml").write_text(content)
    with pytest.raises(SettingsError) as e:
        load_settings("tb-dash.yaml")
    assert str(e.value).startswith(expected)
    assert e.value.exit_code == EXIT_USAGE


def test_missing_named_file_is_an_error(tmp_path):
    with pytest.raises(SettingsError, match="settings file not found"):
        load_settings(tmp_path / "absent.yaml")


def test_unknown_environment_lists_the_known_ones():
    cfg = from_mapping({"environments": {"prod": {"url": "https://g.example"}}}, "tb-dash.yaml")
    with pytest.raises(SettingsError, match=r"unknown environment 'stage' \(environments: prod\)"):
        cfg.environment("stage")


def test_without_content_defaults_the_engine_defaults_are_generic():
    cfg = from_mapping({"content": {"defaults": ""}})
    assert dict(cfg.thresholds) == {} and dict(cfg.selectors) == {}
    assert (cfg.dashboards.uid_prefix, cfg.dashboards.tags) == ("", ())
    assert cfg.grafana.folder.title == DEFAULTS["grafana"]["folder"]["title"] == "Dashboards"
    assert list(cfg.alertmanager.receivers) == ["default"] and cfg.alertmanager.routes == ()
    assert "tonebridge" not in repr(DEFAULTS).lower()


def test_the_content_defaults_go_between_the_engine_and_the_file():
    cfg = from_mapping({"dashboards": {"tags": ["mine"]}})
    assert cfg.dashboards.tags == ("mine",)  # the file over the content
    assert cfg.dashboards.uid_prefix == "tb-"  # the content over the engine
    assert cfg.dashboards.refresh == DEFAULTS["dashboards"]["refresh"]  # the engine where neither says


def test_an_unknown_threshold_name_is_reported_with_the_known_ones():
    with pytest.raises(SettingsError) as e:
        from_mapping({"thresholds": {"error_rate": {"critical": 0.1}}}, "tb-dash.yaml")
    assert str(e.value).startswith("tb-dash.yaml: unknown key 'thresholds.error_rate' (allowed: cache_hit_ratio_min, ")


@pytest.mark.parametrize("module, message", [
    ("json", "content.defaults: module 'json' has no DEFAULTS"),
    ("no_such_content.defaults", "content.defaults: no module named 'no_such_content.defaults'"),
])
def test_content_defaults_that_cannot_be_read_are_one_settings_error(module, message):
    with pytest.raises(SettingsError) as e:
        from_mapping({"content": {"defaults": module}})
    assert str(e.value).startswith(message)


def test_a_threshold_the_code_asks_for_but_the_settings_lack_says_which_exist(cfg):
    with pytest.raises(AttributeError, match=r"no threshold 'eror_ratio' in the settings \(thresholds: cache_hit"):
        cfg.thresholds.eror_ratio


@pytest.mark.parametrize("content, message", [
    ("thresholds:\n  error_ratio: {warning: 0.05, critical: 0.01}\n",
     "key 'thresholds.error_ratio': warning 0.05 must be below critical 0.01 (higher is worse"),
    ("thresholds:\n  cache_hit_ratio_min: {warning: 0.4}\n",
     "key 'thresholds.cache_hit_ratio_min': warning 0.4 must be above critical 0.5 (lower is worse"),
    ("thresholds:\n  error_ratio: {critical: 5}\n",
     "key 'thresholds.error_ratio': critical 5 is not a ratio between 0 and 1 (5% is 0.05)"),
    ("thresholds:\n  disk_usage_ratio: {warning: 70, critical: 80}\n",
     "key 'thresholds.disk_usage_ratio': critical 80 is not a ratio between 0 and 1"),
    ("slo:\n  window: 0s\n", "key 'slo.window': 0s must be longer than 0"),
    ("alerts:\n  interval: 0m\n", "key 'alerts.interval': 0m must be longer than 0"),
])
def test_settings_that_contradict_themselves_are_one_line_exit_2(tb, tmp_path, content, message):
    (tmp_path / "tb-dash.yaml").write_text(content)
    for args in (("render", "--out", "out"), ("rules", "--out", "out"), ("validate",)):
        done = tb(*args)
        assert done.code == EXIT_USAGE, done.err
        assert done.err.startswith(f"tb-dash: error: tb-dash.yaml: {message}")
        assert len(done.err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()  # nothing written


def test_a_rejected_url_is_quoted_without_its_password_or_token():
    for raw in ({"grafana": {"url": "ftp://admin:hunter2@g.example.com/?token=abc"}},
                {"environments": {"prod": {"url": "htp://admin:hunter2@g.example.com"}}}):
        try:
            from_mapping(raw, "tb-dash.yaml")
        except SettingsError as e:
            assert "hunter2" not in e.message and "abc" not in e.message and "***@g.example.com" in e.message
        else:
            raise AssertionError("accepted")
