"""tb-dash check against a real Prometheus over synthetic traffic: every
project panel returns data, and each seeded fault is reported as the
failure a user would see, with its panel named."""

from __future__ import annotations

import copy
import http.server
import json
import subprocess
import sys
import threading
import time

import pytest

from panels import metrics
from panels.traffic import PROFILE

from tonebridge_dash.elasticsearch.targets import is_elasticsearch
from tonebridge_dash.prometheus import check
from tonebridge_dash.prometheus.client import PrometheusClient, PrometheusUnreachable
from tonebridge_dash.model import Rendered
from tonebridge_dash.dashboard.render import write_dashboards

GOOD_PANEL = "Response time (p95)"  # the second panel of tb-overview, left as it is


def _with_expr(rendered, expr: str, uid: str = "tb-overview") -> Rendered:
    """A copy of a project dashboard whose first panel's query is ``expr``."""
    r = rendered[uid]
    data = copy.deepcopy(r.data)
    data["panels"][0]["targets"][0]["expr"] = expr
    return Rendered(r.uid, r.title, data)


def _run(dashboards, prometheus, **kwargs):
    return check.run(dashboards, PrometheusClient(prometheus.url), at=prometheus.end, **kwargs)


def test_every_panel_of_every_project_dashboard_returns_data(rendered, prometheus):
    report = _run(list(rendered.values()), prometheus)
    assert report.errors() == [], check.format_text(report)
    promql = [[t for t in p.get("targets") or [] if not is_elasticsearch(t)] for r in rendered.values()
              for p in r.panels()]  # the Elasticsearch targets are checked against a cluster, not Prometheus
    variables = sum(1 for r in rendered.values() for v in r.data["templating"]["list"] if v["type"] == "query")
    assert report.queries == sum(map(len, promql)) + variables
    assert report.panels == sum(1 for targets in promql if targets)


SEEDED_FAULTS = {
    "wrong metric name": (
        'sum (rate(tonebridge_request_total{job=~"$job", instance=~"$instance"}[$__rate_interval]))',
        {check.UNKNOWN_METRIC}),  # the reason, once: not also "no data"
    "histogram_quantile without le": (
        'histogram_quantile(0.95, sum (rate(tonebridge_request_duration_seconds_bucket{job=~"$job"}'
        '[$__rate_interval])))',
        {check.NO_DATA}),
    "division whose sides cannot match labels": (
        'sum by (endpoint) (rate(tonebridge_requests_total{job=~"$job"}[$__rate_interval]))\n/\n'
        'sum by (model) (rate(tonebridge_transformations_total{job=~"$job"}[$__rate_interval]))',
        {check.NO_DATA}),
    "query the server rejects": (
        'sum (rate(tonebridge_requests_total{job=~"$job"}[$__rate_interval])',
        {check.QUERY_ERROR}),
}


@pytest.mark.parametrize("fault", list(SEEDED_FAULTS))
def test_seeded_fault_is_reported_with_its_panel(fault, rendered, prometheus):
    expr, kinds = SEEDED_FAULTS[fault]
    report = _run([_with_expr(rendered, expr)], prometheus)
    assert report.failed()
    assert {f.rule for f in report.errors()} == kinds
    assert {(f.dashboard, f.panel, f.ref_id) for f in report.errors()} == {("tb-overview", "Request rate", "A")}
    assert GOOD_PANEL not in {f.panel for f in report.findings}
    text = check.format_text(report)
    assert "Request rate [A]" in text
    if check.NO_DATA in kinds:
        assert "no data" in text


def test_unknown_metric_is_named(rendered, prometheus):
    report = _run([_with_expr(rendered, 'sum (tonebridge_request_total{job=~"$job"})')], prometheus)
    unknown = [f for f in report.findings if f.rule == check.UNKNOWN_METRIC]
    assert len(unknown) == 1 and "tonebridge_request_total" in unknown[0].message


def test_a_variable_without_values_is_reported(rendered, prometheus):
    r = rendered["tb-overview"]
    data = copy.deepcopy(r.data)
    job = next(v for v in data["templating"]["list"] if v["name"] == "job")
    job["query"] = job["definition"] = "label_values(tonebridge_no_such_metric, job)"
    report = _run([Rendered(r.uid, r.title, data)], prometheus)
    assert [(f.panel, f.rule) for f in report.errors()] == [("variable job", check.UNKNOWN_METRIC)]


def test_series_over_the_budget_is_a_warning(rendered, prometheus):
    expr = 'sum by (endpoint, status) (rate(tonebridge_requests_total{job=~"$job"}[$__rate_interval]))'
    report = _run([_with_expr(rendered, expr)], prometheus, series_budget=5)
    over = [f for f in report.findings if f.rule == check.OVER_BUDGET]
    assert [(f.panel, f.severity) for f in over] == [("Request rate", check.WARNING)]
    assert "24 series, over the budget of 5" in over[0].message
    assert not report.failed() and report.failed(strict=True)


def test_nan_everywhere_is_a_warning(rendered, prometheus):
    # what a ratio of two zero rates gives (e.g. errors / requests while idle)
    report = _run([_with_expr(rendered, "vector(0) / 0")], prometheus)
    assert [(f.rule, f.severity) for f in report.findings] == [(check.NAN_ONLY, check.WARNING)]


def test_plan_substitutes_grafanas_variables(rendered):
    planned = check.plan([rendered["tb-business"]], rate_interval="2m")
    queries = {p.target.panel: p.query for p in planned}
    assert queries["Transformations per minute"] == (
        'sum (rate(tonebridge_transformations_total{job=~".+", instance=~".+"}[2m])) * 60')
    assert "[6h]" in queries["Transformations"]  # $__range: the dashboard's now-6h
    assert queries["variable instance"] == 'count by (instance) (tonebridge_requests_total{job=~".+"})'
    assert all("$" not in p.query for p in planned)


def test_unreachable_prometheus_is_one_error(rendered):
    with pytest.raises(PrometheusUnreachable, match="cannot reach Prometheus at http://127.0.0.1:9"):
        check.run([rendered["tb-overview"]], PrometheusClient("http://127.0.0.1:9", timeout=2))


class _SlowPrometheus(http.server.BaseHTTPRequestHandler):
    """Answers a query after 1 s; counts the queries waiting at once."""

    waiting = most = 0
    lock = threading.Lock()

    def do_GET(self):  # noqa: N802 - the http.server API
        if self.path.startswith("/api/v1/query"):
            with self.lock:
                type(self).waiting += 1
                type(self).most = max(type(self).most, type(self).waiting)
            time.sleep(1.0)
            with self.lock:
                type(self).waiting -= 1
        body = json.dumps({"status": "success", "data": ["up"] if "label" in self.path else
                           {"resultType": "vector", "result": []}}).encode()
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the client gave up: that is the point

    def log_message(self, *args):
        pass


def test_a_slow_query_times_out_as_a_finding(rendered):
    """Each query that Prometheus does not answer within the timeout is a
    finding of its own; the queries are asked at the same time (the server
    saw several at once)."""
    _SlowPrometheus.waiting = _SlowPrometheus.most = 0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _SlowPrometheus)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        report = check.run([_with_expr(rendered, "up")], PrometheusClient(url, timeout=0.2), concurrency=8)
    finally:
        server.shutdown()
        server.server_close()
    errors = [f for f in report.errors() if f.rule == check.QUERY_ERROR]
    assert errors and all("timed out after 0.2s" in f.message for f in errors)
    assert _SlowPrometheus.most > 1, "the queries ran one after the other"


# --- the command line ---------------------------------------------------------
def test_cli_passes_on_the_project(tb, prometheus):
    r = tb("check", "--prometheus-url", prometheus.url, "--time", prometheus.end)
    assert r.code == 0, r.out + r.err
    assert "0 error(s)" in r.out


def test_cli_names_the_broken_panel_and_exits_1(tb, rendered, prometheus, tmp_path):
    broken = _with_expr(rendered, SEEDED_FAULTS["histogram_quantile without le"][0])
    write_dashboards([broken], tmp_path)
    r = tb("check", tmp_path, "-p", prometheus.url, "--time", prometheus.end, "--format", "json")
    assert r.code == 1, r.err
    out = json.loads(r.out)
    assert out["ok"] is False
    assert [(f["panel"], f["rule"]) for f in out["findings"]] == [("Request rate", "no-data")]


def test_cli_unreachable_is_exit_2_without_traceback(tb):
    r = tb("check", "-p", "http://127.0.0.1:9", "--timeout", "2")
    assert r.code == 2
    assert r.err.strip() == "tb-dash: error: cannot reach Prometheus at http://127.0.0.1:9 (ConnectionError)"


@pytest.mark.parametrize("args, message", [
    (("--time", "yesterday"), "--time must be unix seconds or RFC 3339"),
    (("--rate-interval", "5 minutes"), "--rate-interval must be a Prometheus duration"),
    (("--format", "xml"), "--format must be 'text' or 'json'"),
])
def test_cli_bad_options_are_usage_errors(tb, args, message):
    r = tb("check", "-p", "http://127.0.0.1:9", *args)
    assert r.code == 2
    assert message in r.err


def test_every_recording_rule_records_data(prometheus):
    """The project's recording rules, backfilled over the synthetic traffic,
    each give a series: a dashboard may read them."""
    import yaml

    records = [rule["record"] for path in prometheus.rule_files
               for group in yaml.safe_load(path.read_text())["groups"] for rule in group["rules"]
               if "record" in rule]
    assert records
    client = PrometheusClient(prometheus.url)
    empty = [name for name in records if client.instant(name, prometheus.end).series == 0]
    assert empty == []


@pytest.mark.prometheus
@pytest.mark.skipif(__import__("shutil").which("prometheus") is None, reason="prometheus not installed")
def test_demo_serves_until_interrupted_and_check_passes_against_it(tb):
    """The demo in a process of its own: it serves until a signal stops it,
    the point here; check runs against it in this one."""
    import re
    import signal

    demo = subprocess.Popen([sys.executable, "-m", "tonebridge_dash", "demo", "--hours", "0.25", "--no-live"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = demo.stdout.readline()
        match = re.match(r"Prometheus at (http://127\.0\.0\.1:\d+): .* last at (\S+Z)$", first.strip())
        assert match, first + demo.stderr.read() if demo.poll() is not None else first
        url, end = match.groups()
        r = tb("check", "-p", url, "--time", end)
        assert r.code == 0, r.out
    finally:
        demo.send_signal(signal.SIGINT)
        out, err = demo.communicate(timeout=30)
    assert demo.returncode == 0 and "stopped" in err and "Traceback" not in err


def test_an_unknown_recorded_series_points_at_the_recording_rules(rendered, prometheus):
    report = _run([_with_expr(rendered, "service:tonebridge_nothing:rate5m")], prometheus)
    unknown = [f for f in report.findings if f.rule == check.UNKNOWN_METRIC]
    assert len(unknown) == 1 and "recording rules" in unknown[0].message


def test_active_users_counts_distinct_users_not_series(rendered, prometheus):
    """The synthetic traffic has 20 users, each served by both gateway
    replicas: the panel shows 20, where the spec's count(increase(...) > 0)
    shows 40 (one per user and replica)."""
    panel = next(p for p in rendered["tb-overview"].panels() if p.get("title") == "Active users")
    expr = panel["targets"][0]["expr"].replace('=~"$job"', '=~".+"').replace('=~"$instance"', '=~".+"')
    client = PrometheusClient(prometheus.url)
    users = len(PROFILE.label_values["user_id"])
    replicas = len(PROFILE.instances[PROFILE.jobs[metrics.GATEWAY]])
    assert (users, replicas) == (20, 2)
    assert _value(client, expr, prometheus.end) == users
    spec = "count(increase(tonebridge_user_activity[5m]) > 0)"
    assert _value(client, spec, prometheus.end) == users * replicas  # what the spec's expression shows


def _value(client, expr: str, at: float) -> float:
    import requests

    r = requests.get(f"{client.url}/api/v1/query", params={"query": expr, "time": at}, timeout=10).json()
    (sample,) = r["data"]["result"]
    return float(sample["value"][1])


def test_an_unknown_metric_is_reported_once_not_also_as_no_data(rendered, prometheus):
    report = _run([_with_expr(rendered, 'sum (tonebridge_request_total{job=~"$job"})')], prometheus)
    broken = [f for f in report.findings if f.panel == "Request rate"]
    assert [f.rule for f in broken] == [check.UNKNOWN_METRIC]


def test_data_that_ends_before_the_time_checked_is_said_once_with_the_time_to_use(rendered, prometheus):
    """An hour after the last sample every query is empty: one finding names
    the end of the data and the --time to use, not one "no data" per query;
    a query that has no data at that time either keeps its own finding."""
    broken = _with_expr(rendered, 'sum (tonebridge_requests_total{status="999"})')
    broken = Rendered("tb-broken", broken.title, {**broken.data, "uid": "tb-broken"})
    report = check.run([*rendered.values(), broken], PrometheusClient(prometheus.url), at=prometheus.end + 3600)
    ends = [f for f in report.findings if f.rule == check.DATA_ENDS]
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(prometheus.end))
    assert len(ends) == 1 and f"run with --time {stamp}" in ends[0].message and "60 minutes before" in ends[0].message
    assert [(f.dashboard, f.panel) for f in report.findings if f.rule == check.NO_DATA] == [("tb-broken", "Request rate")]
    text = check.format_text(report)
    assert text.count("the data ends at") == 1
    # At the end of the data, nothing is folded.
    assert not [f for f in _run(list(rendered.values()), prometheus).findings if f.rule == check.DATA_ENDS]
