"""``sources:`` in the settings says which source emits a metric: validated
against the content's catalog, and followed by every query, panel, filter
variable and rule (the numbers: ``test_known_truth_sources``)."""

from __future__ import annotations

import re

import pytest

from panels import metrics as m
from panels import queries as q
from panels import traffic
from tonebridge_dash.alerting.rules import build_all as rule_files
from tonebridge_dash.dashboard.render import build_all
from tonebridge_dash.errors import SettingsError
from tonebridge_dash.model import iter_panels
from tonebridge_dash.prometheus.synthetic import series_of
from tonebridge_dash.settings import from_mapping


CACHE = m.CACHE_REQUESTS.name
PICKY = {"gateway": 'job="gw"', "llm": 'job="llm"'}


def test_the_cache_look_ups_come_from_where_the_transformations_do():
    """Spec §4.2 collects CacheHitRate in one BusinessMetrics with the transformations' figures."""
    assert m.CACHE_REQUESTS.source == m.TRANSFORMATIONS.source == m.TEXT_LENGTH.source == m.LLM
    assert from_mapping({}).sources[CACHE] == m.LLM


@pytest.mark.parametrize("sources, message", [
    ({"tonebridge_cache_request_total": "gateway"},
     "key 'sources.tonebridge_cache_request_total': the content's catalog has no metric "
     "'tonebridge_cache_request_total' that a source emits (did you mean tonebridge_cache_requests_total?)"),
    ({CACHE: "redis"}, f"key 'sources.{CACHE}': unknown source 'redis' "
                       "(sources: cadvisor, gateway, kube_state_metrics, llm, node_exporter)"),
    ({"up": "gateway"}, "key 'sources.up': the content's catalog has no metric 'up' that a source emits"),
    ({CACHE: 'job="gw"'}, f"key 'sources.{CACHE}': 'job=\"gw\"' does not match"),
])
def test_an_unknown_metric_or_source_is_one_line_naming_it(sources, message):
    with pytest.raises(SettingsError) as e:
        from_mapping({"sources": sources}, "tb-dash.yaml")
    assert str(e.value).startswith(f"tb-dash.yaml: {message}")
    assert "\n" not in str(e.value)


def test_the_command_refuses_an_unknown_source_with_one_line_and_exit_2(tb, tmp_path):
    (tmp_path / "tb-dash.yaml").write_text(f"sources:\n  {CACHE}: redis\n")
    r = tb("render", "-o", tmp_path / "out", cwd=tmp_path)
    assert r.code == 2 and len(r.err.strip().splitlines()) == 1, r.err
    assert r.err.startswith("tb-dash: error: tb-dash.yaml: key 'sources.tonebridge_cache_requests_total': "
                               "unknown source 'redis'")
    assert not (tmp_path / "out").exists()


def _exprs(data: dict) -> list[str]:
    return [t["expr"] for p in iter_panels(data) for t in p.get("targets") or [] if t.get("expr")]


def _selectors(expr: str, series: str) -> list[str]:
    return re.findall(rf"\b{re.escape(series)}\{{([^}}]*)\}}", expr)


def test_a_moved_metric_carries_its_new_sources_selector_and_filters():
    cfg = from_mapping({"selectors": PICKY, "sources": {CACHE: "gateway"}})
    business = next(r for r in build_all(cfg) if r.uid == "tb-business").data
    found = [s for e in _exprs(business) for s in _selectors(e, CACHE)]
    assert found and all(s.startswith('job="gw", job=~"$job", instance=~"$instance"') for s in found), found
    default = next(r for r in build_all(from_mapping({"selectors": PICKY})) if r.uid == "tb-business").data
    found = [s for e in _exprs(default) for s in _selectors(e, CACHE)]
    assert found and all(s.startswith('job="llm", job=~"$llm_job", instance=~"$llm_instance"') for s in found)


def test_rule_files_follow_the_sources():
    """A rule file has no filters: its selectors carry the moved metric's source's selector."""
    cfg = from_mapping({"selectors": PICKY, "sources": {m.REQUESTS.name: "llm"}})
    exprs = [r.expr for f in rule_files(cfg) for g in f.groups for r in g.rules]
    found = [s for e in exprs for s in _selectors(e, m.REQUESTS.name)]
    assert len(found) >= 3 and all(s.startswith('job="llm"') for s in found), found


MOVES = [
    {},
    {CACHE: "gateway"},
    {m.USER_ACTIVITY.name: "llm"},  # the overview shows nothing else of the LLM service
    {m.REQUESTS.name: "llm"},  # the metric of $job moves: the gateway's metrics get their own pair
    {m.ACTIVE_CONNECTIONS.name: "node_exporter", m.NODE_CPU.name: "gateway"},
]


@pytest.mark.parametrize("sources", MOVES, ids=[",".join(s) or "defaults" for s in MOVES])
def test_every_filter_a_panel_uses_exists_and_lists_its_sources_values(sources):
    """Each ``$<x>_job`` a query filters on is a variable of its dashboard
    (Grafana would leave an undefined one as text and match nothing),
    listing the jobs of a metric of that source the dashboard shows; no
    source variable is left unused."""
    cfg = from_mapping({"sources": sources})
    for r in build_all(cfg):
        variables = {v["name"]: v for v in r.data["templating"]["list"]}
        used = {u for e in _exprs(r.data) for u in re.findall(r"\$(\w+)", e) if not u.startswith("__")}
        assert used <= set(variables), f"{r.uid}: undefined {sorted(used - set(variables))}"
        for name, v in variables.items():
            if name.endswith("_job"):
                assert name in used, f"{r.uid}: {name} filters nothing"
                metric = re.match(r"label_values\((\w+)", v["query"]).group(1)
                assert q.source_of(cfg, m.BY_NAME[metric]) == name[: -len("_job")], (r.uid, v["query"])
                assert any(metric in e for e in _exprs(r.data)), f"{r.uid}: {name} lists a metric it does not show"


@pytest.mark.parametrize("llm", ["", 'job="tonebridge-llm"', r'job="a}b\"{c"'])
def test_the_overview_gets_the_llm_filters_when_user_activity_moves_there(llm):
    """Whatever the source's selector holds (braces in a quoted value too)."""
    cfg = from_mapping({"selectors": {"llm": llm}, "sources": {m.USER_ACTIVITY.name: "llm"}})
    overview = next(r for r in build_all(cfg) if r.uid == "tb-overview").data
    names = [v["name"] for v in overview["templating"]["list"]]
    assert names == ["datasource", "job", "instance", "llm_job", "llm_instance"]
    wanted = f'tonebridge_user_activity{{{llm + ", " if llm else ""}job=~"$llm_job", instance=~"$llm_instance"}}'
    assert any(wanted in e for e in _exprs(overview)), _exprs(overview)


def test_the_synthetic_traffic_follows_the_sources():
    moved = traffic.PROFILE.moved({CACHE: "gateway"})
    cache = next(x for x in moved.metrics if x.name == CACHE)
    jobs = {dict(s.labels)["job"] for s in series_of(cache, moved)}
    assert jobs == {traffic.JOBS[m.GATEWAY]}
    assert {dict(s.labels)["job"] for s in series_of(m.CACHE_REQUESTS, traffic.PROFILE)} == {traffic.JOBS[m.LLM]}
    assert traffic.PROFILE.moved({}) is traffic.PROFILE
