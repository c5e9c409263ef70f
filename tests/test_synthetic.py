"""Synthetic traffic: valid OpenMetrics that promtool accepts, every catalog
series present, counters that only rise, cumulative histograms, ~1% 5xx."""

from __future__ import annotations

import math
import re
from collections import defaultdict

import pytest

from panels import metrics as m
from panels.traffic import PROFILE
from tonebridge_dash.prometheus.catalog import COUNTER, GAUGE, HISTOGRAM, SCRAPE, SUMMARY, Metric
from tonebridge_dash.prometheus import synthetic
from tonebridge_dash.prometheus.server import PrometheusSetupError, backfill, find_binary

END = 1_800_000_000  # a fixed end: the output depends only on the arguments
LINE = re.compile(r"^([a-zA-Z_:][\w:]*)(\{.*\})? (\S+) (\d+)$")


@pytest.fixture(scope="module")
def text():
    return "".join(synthetic.generate(synthetic.window(END, duration=1800, step=30), PROFILE))


@pytest.fixture(scope="module")
def series(text):
    """series key (name + labels) -> [(time, value)]."""
    out = defaultdict(list)
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        match = LINE.match(line)
        assert match, f"not an OpenMetrics sample line: {line!r}"
        name, labels, value, t = match.groups()
        out[(name, labels or "")].append((int(t), float(value)))
    return out


def _labels(key: str) -> dict[str, str]:
    return dict(re.findall(r'(\w+)="([^"]*)"', key))


def test_output_is_deterministic_and_ends_with_eof(text):
    again = "".join(synthetic.generate(synthetic.window(END, duration=1800, step=30), PROFILE))
    assert again == text
    assert text.endswith("# EOF\n")
    assert text.count("# EOF") == 1


def test_window_ends_at_a_step_before_end():
    w = synthetic.window(END + 17, duration=3600, step=30)
    assert w.end == END and w.start == END - 3600
    assert len(w.times()) == 121


def test_every_catalog_series_is_present(series):
    names = {name for name, _ in series}
    assert m.series_names() <= names, m.series_names() - names


def test_every_family_is_declared_once_and_contiguous(text):
    types = re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M)
    assert len(types) == len({name for name, _ in types}) == len(m.CATALOG)
    # a counter's samples end in _total; the catalog's counters without it are 'unknown'
    kinds = dict(types)
    assert kinds["tonebridge_requests"] == "counter"
    assert kinds["login_attempts_failed"] == "unknown"
    assert kinds["tonebridge_request_duration_seconds"] == "histogram"


def test_counters_only_rise(series):
    counters = {x.name for x in m.CATALOG if x.type == m.COUNTER}
    checked = 0
    for (name, labels), samples in series.items():
        if name in counters or name.endswith(("_count", "_sum", "_bucket")):
            values = [v for _, v in samples]
            assert values == sorted(values), f"{name}{labels} decreases"
            checked += 1
    assert checked > 100


def test_histogram_buckets_are_cumulative_up_to_inf(series):
    h = m.REQUEST_DURATION
    buckets = defaultdict(dict)  # series without le -> {le: last value}
    for (name, labels), samples in series.items():
        if name == h.name + "_bucket":
            lab = _labels(labels)
            le = lab.pop("le")
            buckets[tuple(sorted(lab.items()))][le] = samples[-1][1]
    assert buckets
    expected_le = [synthetic._fmt(b) for b in h.buckets] + ["+Inf"]
    for key, by_le in buckets.items():
        assert list(by_le) == expected_le
        values = [by_le[le] for le in expected_le]
        assert values == sorted(values), f"{key}: buckets are not cumulative"
        count = series[(h.name + "_count", "{" + ",".join(f'{k}="{v}"' for k, v in key) + "}")][-1][1]
        assert by_le["+Inf"] == count


def test_summary_has_the_catalog_quantiles(series):
    s = m.TRANSFORMATION_LATENCY
    quantiles = {_labels(labels).get("quantile") for name, labels in series if name == s.name}
    assert quantiles == {synthetic._fmt(q) for q in s.quantiles}


def test_about_one_percent_of_requests_are_5xx(series):
    total = errors = 0.0
    for (name, labels), samples in series.items():
        if name == m.REQUESTS.name:
            increase = samples[-1][1] - samples[0][1]
            total += increase
            if _labels(labels)["status"].startswith("5"):
                errors += increase
    assert 0.005 < errors / total < 0.02


def test_jobs_and_up(series):
    jobs = {_labels(labels)["job"] for name, labels in series if name == "up"}
    assert {"tonebridge-gateway", "tonebridge-llm", "node", "postgresql", "kube-state-metrics",
            "cadvisor"} <= jobs
    assert all(v == 1 for (name, _), samples in series.items() if name == "up" for _, v in samples)


def test_three_hours_are_over_a_hundred_thousand_samples(tmp_path):
    """How long it takes is measured by ``bench/bench_validate.py --check``
    (the synthetic Prometheus's start), not here."""
    samples = synthetic.write(tmp_path / "data.om", synthetic.window(END), PROFILE)
    assert samples > 100_000


@pytest.mark.skipif(find_binary("promtool") is None, reason="promtool not installed (apt-get install prometheus)")
def test_promtool_accepts_it(tmp_path):
    synthetic.write(tmp_path / "data.om", synthetic.window(END, duration=1800), PROFILE)
    backfill(tmp_path / "data.om", tmp_path / "tsdb")
    assert any((tmp_path / "tsdb").iterdir())


@pytest.mark.skipif(find_binary("promtool") is None, reason="promtool not installed (apt-get install prometheus)")
def test_promtool_failure_is_one_clear_error(tmp_path):
    (tmp_path / "bad.om").write_text("not openmetrics at all\n")
    with pytest.raises(PrometheusSetupError, match="promtool could not backfill"):
        backfill(tmp_path / "bad.om", tmp_path / "tsdb")


def test_histogram_shares_follow_the_distribution():
    # half the observations fall below the median
    assert math.isclose(synthetic._lognormal_cdf(0.12, 0.12, 0.9), 0.5)
    assert math.isclose(synthetic._lognormal_quantile(0.5, 0.12, 0.9), 0.12, rel_tol=1e-6)


# --- a profile that describes nothing but its metrics ----------------------------
BARE = synthetic.Profile(metrics=(
    Metric("app_jobs_total", COUNTER, "jobs", ("queue",), "Jobs", source="worker"),
    Metric("app_queue_depth", GAUGE, "jobs", (), "Queue depth", source="worker"),
    Metric("app_job_seconds", HISTOGRAM, "seconds", (), "Job time", source="worker", buckets=(0.1, 1, 10)),
    Metric("app_render_ms", SUMMARY, "milliseconds", (), "Render time", source="web", quantiles=(0.5, 0.99)),
    Metric("up", GAUGE, "bool", (), "Scrape health", source=SCRAPE),
))


@pytest.fixture(scope="module")
def bare():
    text = "".join(synthetic.generate(synthetic.window(END, duration=600, step=30), BARE))
    out = defaultdict(list)
    for line in text.splitlines():
        if not line.startswith("#"):
            name, labels, value, t = LINE.match(line).groups()
            out[(name, labels or "")].append((int(t), float(value)))
    return out


def test_metrics_the_profile_does_not_describe_get_defaults_by_type(bare):
    names = {name for name, _ in bare}
    assert {"app_jobs_total", "app_queue_depth", "app_job_seconds_bucket", "app_job_seconds_count",
            "app_render_ms", "app_render_ms_sum", "up"} <= names
    # an undescribed label gets two values; an undescribed source is its own job with one instance
    queues = {_labels(k)["queue"] for n, k in bare if n == "app_jobs_total"}
    assert queues == {"queue-1", "queue-2"}
    assert {_labels(k)["job"] for n, k in bare if n == "up"} == {"worker", "web"}
    # a counter rises about 1/s per instance (split over the label's values), a gauge sits near 1
    rise = sum(s[-1][1] - s[0][1] for (n, _), s in bare.items() if n == "app_jobs_total")
    assert 0.6 * 600 < rise < 1.4 * 600
    assert all(0.5 < v < 1.5 for (n, _), s in bare.items() if n == "app_queue_depth" for _, v in s)
    # a histogram's observations centre on its middle bucket (each series within 0.7-1.4x of it)
    last = {_labels(k)["le"]: s[-1][1] for (n, k), s in bare.items() if n == "app_job_seconds_bucket"}
    assert 0.25 < last["1"] / last["+Inf"] < 0.75


@pytest.mark.skipif(find_binary("promtool") is None, reason="promtool not installed (apt-get install prometheus)")
def test_promtool_accepts_a_bare_profile(tmp_path):
    synthetic.write(tmp_path / "bare.om", synthetic.window(END, duration=600), BARE)
    backfill(tmp_path / "bare.om", tmp_path / "tsdb")
    assert any((tmp_path / "tsdb").iterdir())
