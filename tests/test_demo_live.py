"""The live demo: after the backfilled history, Prometheus scrapes a
synthetic exporter that carries the traffic on, so check works at "now"."""

from __future__ import annotations

import time

import pytest
import requests

from tonebridge_dash.prometheus import check
from tonebridge_dash.prometheus.client import PrometheusClient
from tonebridge_dash.prometheus.exporter import Continuation


def test_counters_carry_on_at_their_rate_and_gauges_stay():
    c = Continuation()
    for line in ["# TYPE req counter\n", 'req_total{job="a"} 100 1000\n', 'req_total{job="a"} 160 1060\n',
                 "# TYPE lat histogram\n", 'lat_bucket{le="1"} 10 1000\n', 'lat_bucket{le="1"} 70 1060\n',
                 "# TYPE q summary\n", 'q{quantile="0.9"} 5 1000\n', 'q{quantile="0.9"} 7 1060\n',
                 'q_count 1 1000\n', 'q_count 61 1060\n', "# TYPE conn gauge\n", "conn 3 1000\n", "conn 4 1060\n"]:
        c.line(line)
    assert c.value('req_total{job="a"}', 1120) == 220  # 1/s on
    assert c.value('lat_bucket{le="1"}', 1120) == 130 and c.value("q_count", 1120) == 121
    assert c.value('q{quantile="0.9"}', 1120) == 7 and c.value("conn", 1120) == 4
    assert c.exposition(1060).splitlines()[0] == 'req_total{job="a"} 160.0'


@pytest.mark.prometheus
def test_check_passes_at_now_against_the_live_demo(cfg):
    from tonebridge_dash.dashboard.render import build_all
    from tonebridge_dash.prometheus.server import SyntheticPrometheus, find_binary

    if find_binary("prometheus") is None or find_binary("promtool") is None:
        pytest.skip("prometheus and promtool not installed (apt-get install prometheus); .ci/run installs it")
    steps = []
    with SyntheticPrometheus(cfg=cfg, live=True, duration=600, step=2, progress=steps.append) as prom:
        assert steps[0].startswith("generating") and steps[-1] == "starting the live synthetic exporter"
        deadline = time.monotonic() + 30
        target = {}
        while time.monotonic() < deadline:  # the first scrape comes within one interval
            active = requests.get(f"{prom.url}/api/v1/targets", timeout=5).json()["data"]["activeTargets"]
            target = active[0] if active else {}
            if target.get("health") == "up":
                break
            time.sleep(0.5)
        assert target.get("health") == "up", target
        # "Now" past the history by more than the rate interval, and two
        # scrapes (every 2 s) in it: what answers at now is the live data alone.
        client = PrometheusClient(prom.url)

        def live() -> bool:
            return bool(client.instant("count_over_time(up[8s]) >= 2").series)

        while not (time.time() > prom.end + 8 and live()) and time.monotonic() < deadline + 60:
            time.sleep(0.5)
        assert live(), "the live exporter was not scraped twice"
        report = check.run(build_all(cfg), client, at=None, rate_interval="8s")
        assert report.errors() == [], check.format_text(report)
