"""Numbers and durations: finite, within the range their key allows, and
never NaN or Infinity in a JSON file (which is then not JSON); durations
only as Prometheus writes them."""

from __future__ import annotations

import copy
import json

import pytest

from tonebridge_dash import lint
from tonebridge_dash.dashboard.render import RenderError, check_all
from tonebridge_dash.durations import seconds
from tonebridge_dash.errors import EXIT_USAGE, SettingsError
from tonebridge_dash.model import Rendered
from tonebridge_dash.files.write import OutputError, encode_json
from tonebridge_dash.settings import load_settings


@pytest.mark.parametrize("content, message", [
    ("thresholds:\n  error_ratio: {critical: .nan}\n", "key 'thresholds.error_ratio.critical': nan is not a finite"),
    ("thresholds:\n  latency_p95_seconds: {critical: .inf}\n",
     "key 'thresholds.latency_p95_seconds.critical': inf is not a finite number"),
    ("thresholds:\n  latency_p95_seconds: {warning: -.inf}\n", "key 'thresholds.latency_p95_seconds.warning': -inf"),
    ("thresholds:\n  latency_p95_seconds: {critical: 1.0e+999}\n", "key 'thresholds.latency_p95_seconds.critical': inf"),
    ("thresholds:\n  latency_p95_seconds: {critical: 1.0e+300}\n",
     "key 'thresholds.latency_p95_seconds.critical': 1e+300 is greater than the maximum of 1000000000000000"),
    ("slo:\n  latency_p95_seconds: .nan\n", "key 'slo.latency_p95_seconds': nan is not a finite number"),
    ("slo:\n  throughput_rps: 1.0e+20\n", "key 'slo.throughput_rps': 1e+20 is greater than the maximum"),
    ("check:\n  timeout_seconds: 1.0e+300\n", "key 'check.timeout_seconds': 1e+300 is greater than the maximum of 3600"),
    ("check:\n  series_budget: 99999999999999999999\n", "key 'check.series_budget': 99999999999999999999 is greater"),
    ("grafana:\n  org_id: 99999999999999999999\n", "key 'grafana.org_id': 99999999999999999999 is greater"),
])
def test_numbers_are_finite_and_within_their_range(tmp_path, content, message):
    (tmp_path / "s.yaml").write_text(content)
    with pytest.raises(SettingsError) as e:
        load_settings(tmp_path / "s.yaml")
    assert str(e.value).startswith(f"{tmp_path / 's.yaml'}: {message}"), str(e.value)


@pytest.mark.parametrize("key, value, message", [
    ("slo.window", "300y", "'300y' is longer than the 292 years Prometheus can hold"),
    ("slo.window", "99999y", "'99999y' is longer than the 292 years"),
    ("slo.window", "30m1h", "'30m1h': units go from the largest to the smallest, each once (1h30m)"),
    ("alerts.interval", "5m5m", "'5m5m': units go from the largest"),
    ("alertmanager.group_wait", "10s1m", "'10s1m': units go from the largest"),
    ("thresholds.error_ratio.for", "5m1h", "'5m1h': units go from the largest"),
    ("thresholds.error_ratio.for", "300y", "'300y' is longer than the 292 years"),
    ("dashboards.refresh", "1s1m", "'1s1m': units go from the largest"),
])
def test_durations_are_what_prometheus_accepts(tmp_path, key, value, message):
    """Before: each of these wrote rule files (exit 0) that promtool rejects."""
    *parents, leaf = key.split(".")
    text = "".join(f"{'  ' * i}{p}:\n" for i, p in enumerate(parents)) + f"{'  ' * len(parents)}{leaf}: {value}\n"
    (tmp_path / "s.yaml").write_text(text)
    with pytest.raises(SettingsError) as e:
        load_settings(tmp_path / "s.yaml")
    assert str(e.value).startswith(f"{tmp_path / 's.yaml'}: key '{key}': {message}")


def test_durations_prometheus_writes_are_accepted():
    assert seconds("1h30m") == 5400 and seconds("292y") == 292 * 31536000 and seconds("1500ms") == 1.5
    assert seconds("1y2w3d4h5m6s7ms") == 31536000 + 2 * 604800 + 3 * 86400 + 4 * 3600 + 5 * 60 + 6 + 0.007
    for bad in ("", "5", "1.5h", "5m5m", "1m1h", "1ms1s", "300y", "9" * 100 + "s"):
        with pytest.raises(ValueError):
            seconds(bad)


@pytest.mark.parametrize("content", [
    "thresholds:\n  failed_logins_per_second: {critical: .nan}\n",
    "thresholds:\n  forbidden_requests_per_second: {critical: .inf}\n",
    "slo:\n  window: 300y\n",
    "slo:\n  window: 30m1h\n",
])
def test_rules_writes_nothing_promtool_would_reject(tb, tmp_path, content):
    """Before: rules exited 0 having written `> nan`, or a window promtool rejects."""
    (tmp_path / "tb-dash.yaml").write_text(content)
    for command in (("rules", "--out", "out"), ("render", "--out", "out")):
        done = tb(*command)
        assert done.code == EXIT_USAGE, done.err
        assert done.err.startswith("tb-dash: error: tb-dash.yaml: key '") and "Traceback" not in done.err
        assert len(done.err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_json_output_never_holds_nan_or_infinity():
    assert encode_json({"a": [1, 2.5]}) == b'{\n  "a": [\n    1,\n    2.5\n  ]\n}\n'
    for bad in (float("nan"), float("inf"), -float("inf")):
        with pytest.raises(OutputError) as e:
            encode_json({"panels": [{"x": [1, bad]}]}, "dashboard 'd'")
        assert str(e.value) == f"dashboard 'd': panels[0].x[1] is {bad}, which JSON cannot hold (a number must be finite)"


def _with_nan(rendered) -> Rendered:
    data = copy.deepcopy(rendered["tb-overview"].data)
    data["panels"][1]["fieldConfig"]["defaults"]["thresholds"]["steps"][1]["value"] = float("nan")
    return Rendered.of(data, "overview.py")


def test_render_and_push_refuse_a_dashboard_with_nan(rendered):
    with pytest.raises(RenderError) as e:
        check_all([_with_nan(rendered)])
    assert str(e.value) == ("overview.py: dashboard 'tb-overview': panels[1].fieldConfig.defaults.thresholds.steps[1]"
                            ".value is nan, which JSON cannot hold (a number must be finite)")


def test_validate_reports_a_non_finite_number_in_memory(rendered, cfg):
    result = lint.validate([_with_nan(rendered)], cfg)
    found = [f for f in result.errors() if f.rule == "schema"]
    assert found and found[0].panel == "Response time (p95)"
    assert found[0].message == ("panels[1].fieldConfig.defaults.thresholds.steps[1].value: nan is not a JSON "
                                "number (a number must be finite)")


@pytest.mark.parametrize("number, message", [
    ("NaN", "NaN is not a JSON number"),
    ("Infinity", "Infinity is not a JSON number"),
    ("-Infinity", "-Infinity is not a JSON number"),
    ("1e999", "1e999 is too large for a JSON number (a double)"),
])
def test_validate_refuses_dashboard_files_with_non_finite_numbers(tb, tmp_path, rendered, number, message):
    """Before: validate passed them (exit 0); Python's json reads NaN and
    Infinity, which no other JSON parser, Grafana's included, accepts."""
    text = json.dumps(rendered["tb-overview"].data).replace('"value": 0.01', f'"value": {number}', 1)
    assert number in text
    (tmp_path / "tb-overview.json").write_text(text)
    for command in (("validate", tmp_path), ("push", "--from", tmp_path, "--dry-run",
                                             "--grafana-url", "http://127.0.0.1:9", "--retries", "0")):
        done = tb(*command)
        assert done.code == EXIT_USAGE, done.err
        assert done.err.startswith(f"tb-dash: error: {tmp_path / 'tb-overview.json'}: not valid JSON ({message}")
        assert len(done.err.strip().splitlines()) == 1


def test_check_refuses_a_time_that_is_not_one(tb, tmp_path):
    for bad in ("nan", "inf", "-1", "1e300"):
        done = tb("check", "-p", "http://127.0.0.1:9", "--time", bad)
        assert done.code == EXIT_USAGE and "--time must be unix seconds or RFC 3339" in done.err
