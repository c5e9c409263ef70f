"""Where a metric comes from is a setting: known-truth traffic whose metrics
come from other jobs than the catalog's defaults, with ``sources:`` saying
so, shows the truth on every panel of every dashboard, with each filter at
All and at each of its values (``test_known_truth``'s scenario and checker);
the same traffic read without ``sources:`` shows No data on the panels of the
metrics that moved.

Moved here: the cache look-ups counted by the gateway (the issue's
deployment: without ``sources:`` the cache hit rate blanks at an LLM
instance), the LLM cost billed by the gateway (cost per transformation then
divides the gateway's cost by the LLM service's transformations: a panel
mixing two sources), and the user activity counted by the LLM service, a
source the overview shows nothing else of.
"""

from __future__ import annotations

import pytest

from panels import metrics as m
from panels import traffic
from tonebridge_dash.dashboard.render import build_all
from tonebridge_dash.settings import from_mapping

from as_grafana import query
from test_known_truth import DURATION, GATEWAYS, LLMS, SCENARIO, STEP, wrong_numbers

pytestmark = pytest.mark.prometheus  # every test reads the moved traffic's Prometheus

MOVED = {
    m.CACHE_REQUESTS.name: m.GATEWAY,
    m.LLM_COST.name: m.GATEWAY,
    m.USER_ACTIVITY.name: m.LLM,
}
PLACEMENT = {**m.SOURCES, **MOVED}
UIDS = ["tb-overview", "tb-application", "tb-business", "tb-system", "tb-slo"]


@pytest.fixture(scope="module")
def moved():
    """A real Prometheus over the scenario with the metrics of MOVED emitted
    by their new source's job, the recording rules (of these settings) backfilled."""
    from tonebridge_dash.prometheus.server import SyntheticPrometheus, find_binary

    if find_binary("prometheus") is None or find_binary("promtool") is None:
        pytest.skip("prometheus and promtool not installed (apt-get install prometheus); .ci/run installs it")
    cfg = from_mapping({"sources": MOVED}, "moved")
    with SyntheticPrometheus(cfg=cfg, profile=SCENARIO.moved(MOVED), duration=DURATION, step=STEP) as prom:
        yield prom


@pytest.fixture(scope="module")
def rendered_moved():
    return {r.uid: r for r in build_all(from_mapping({"sources": MOVED}, "moved"))}


def test_the_moved_metrics_come_from_their_new_jobs(moved):
    def jobs_instances(metric):
        return {(s["metric"]["job"], s["metric"]["instance"])
                for s in query(moved.url, f"count by (job, instance) ({metric})", moved.end)}

    gateway, llm = traffic.JOBS[m.GATEWAY], traffic.JOBS[m.LLM]
    for name in (m.CACHE_REQUESTS.name, m.LLM_COST.name):
        assert jobs_instances(name) == {(gateway, i) for i in GATEWAYS}, name
    assert jobs_instances(m.USER_ACTIVITY.name) == {(llm, i) for i in LLMS}
    assert jobs_instances(m.TRANSFORMATIONS.name) == {(llm, i) for i in LLMS}  # not moved


@pytest.mark.parametrize("uid", UIDS)
def test_every_panel_shows_the_truth_where_the_settings_put_the_metrics(rendered_moved, moved, uid):
    problems = wrong_numbers(uid, rendered_moved[uid].data, moved, PLACEMENT)
    assert not problems, f"{uid}: {len(problems)} wrong numbers:\n" + "\n".join(problems[:20])


def test_without_sources_the_moved_metrics_blank_their_panels(rendered, moved):
    """The catalog's defaults read over this traffic: the checker names the
    panels a filter blanks, the issue's "Cache hit rate" among them."""
    problems = [p for uid in ("tb-overview", "tb-business") for p in
                wrong_numbers(uid, rendered[uid].data, moved, PLACEMENT)]
    assert "Cache hit rate with {'llm_instance': 'llm-0:8000'}: shows No data, the truth is hit share=80" in problems
    blank = {p.split(" with ")[0] for p in problems if "shows No data" in p}
    assert {"Cache hit rate", "LLM cost by model", "Cost per transformation", "Active users"} <= blank
