"""The preview's log panels: the server runs a panel's Elasticsearch queries
(Grafana's _msearch, sent to the one URL it was given) and answers frames
the page draws; without an Elasticsearch URL a panel shows its queries.
Against the Lucene-backed double over records whose truth is known, and in
a real browser where it draws."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
import requests

import log_records as lr
from elasticsearch_emulator import ElasticsearchEmulator, lucene_session
from preview_fakes import FakePrometheus
from tonebridge_dash.elasticsearch.check import datasources
from tonebridge_dash.elasticsearch.client import ElasticsearchClient
from tonebridge_dash.elasticsearch.store import LogStore
from tonebridge_dash.preview.elastic import frame
from tonebridge_dash.preview.server import PreviewServer, Prometheus
from tonebridge_dash.preview.source import previewed

RECORDS = lr.records()
LOG_BOARDS = ("tb-logs", "tb-audit")


# --- answers into frames, as Grafana's response parser reads them ---------------------------------
def test_terms_buckets_become_a_table_and_a_histogram_series():
    target = {"refId": "A", "query": "level:ERROR", "metrics": [{"id": "1", "type": "count"},
                                                               {"id": "3", "type": "avg", "field": "duration_ms"}],
              "bucketAggs": [{"id": "2", "type": "terms", "field": "path.keyword"}]}
    answer = {"aggregations": {"2": {"buckets": [{"key": "/a", "doc_count": 3, "3": {"value": 1500.0}},
                                                 {"key": "/b", "doc_count": 1, "3": {"value": 1000.0}}]}}}
    assert frame(target, answer, "timestamp") == {
        "refId": "A", "query": "level:ERROR", "type": "table", "columns": ["path.keyword", "Count", "Average duration_ms"],
        "rows": [["/a", 3, 1500.0], ["/b", 1, 1000.0]]}
    by_level = {"refId": "B", "metrics": [{"id": "1", "type": "count"}], "bucketAggs": [
        {"id": "2", "type": "terms", "field": "level.keyword"}, {"id": "3", "type": "date_histogram"}]}
    answer = {"aggregations": {"2": {"buckets": [{"key": "ERROR", "doc_count": 2, "3": {"buckets": [
        {"key": 60000, "key_as_string": "60000", "doc_count": 2}, {"key": 120000, "doc_count": 0}]}}]}}}
    assert frame(by_level, answer, "timestamp")["series"] == [
        {"name": "ERROR", "labels": {"level.keyword": "ERROR"}, "refId": "B", "times": [60.0, 120.0],
         "values": [2.0, 0.0]}]


def test_log_lines_keep_their_fields_as_values_and_an_error_is_one_line():
    target = {"refId": "A", "query": "x", "metrics": [{"id": "1", "type": "logs"}]}
    answer = {"hits": {"hits": [{"_source": {"timestamp": "2024-01-15T11:59:00.000Z", "level": "ERROR",
                                             "message": "<img src=x onerror=alert(1)>", "metadata": {"a": 1}},
                                 "fields": {"timestamp": ["2024-01-15T11:59:00.000Z"]}}]}}
    (line,) = frame(target, answer, "timestamp")["lines"]
    assert line == {"time": "2024-01-15T11:59:00.000Z", "level": "ERROR", "message": "<img src=x onerror=alert(1)>",
                    "fields": {"metadata.a": 1}}
    refused = {"error": {"type": "search_phase_execution_exception", "reason": "all shards failed",
                         "root_cause": [{"type": "query_shard_exception", "reason": "Failed to parse query"}]}}
    assert frame(target, refused, "timestamp") == {"refId": "A", "query": "x", "type": "error",
                                                   "error": "query_shard_exception: Failed to parse query"}


# --- the server's endpoint, against the double ------------------------------------------------------
@pytest.fixture(scope="module")
def cluster():
    with lucene_session() as session:
        store = LogStore(session)
        store.add(lr.INDEX, RECORDS)
        with ElasticsearchEmulator(store, now_ms=lr.NOW) as emu:
            yield emu


@pytest.fixture(scope="module")
def fake_prometheus():
    with FakePrometheus() as prom:
        yield prom


@pytest.fixture(scope="module")
def boards(rendered):
    return [r for r in previewed(rendered.values()) if r.uid in LOG_BOARDS]


@pytest.fixture(scope="module")
def server(boards, cluster, fake_prometheus, cfg):
    with PreviewServer(boards, Prometheus(fake_prometheus.url), at=lr.NOW / 1000,
                       elasticsearch=ElasticsearchClient(cluster.url), es_sources=datasources(cfg)) as s:
        yield s


def panel_id(boards, uid: str, title: str) -> int:
    board = next(b for b in boards if b.uid == uid)
    found = [p for p in board.data["panels"] + [c for p in board.data["panels"] for c in p.get("panels") or []]
             if str(p.get("title", "")).startswith(title)]
    return found[0]["id"]


def frames(server, boards, uid: str, title: str, **params) -> list[dict]:
    query = {"from": lr.NOW - 6 * lr.HOUR, "to": lr.NOW, **params}
    r = requests.get(f"{server.url}/api/es/{uid}/{panel_id(boards, uid, title)}?{urlencode(query, doseq=True)}",
                     timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["frames"]


@pytest.mark.lucene
def test_errors_by_type_are_the_truth_of_the_panels_hour(server, boards):
    (f,) = frames(server, boards, "tb-logs", "Errors of the last hour by type")
    truth = lr.truth_errors_by_type(RECORDS, lr.NOW - lr.HOUR, lr.NOW)
    assert f["type"] == "table" and {r[0]: r[1] for r in f["rows"]} == dict(truth)


@pytest.mark.lucene
@pytest.mark.parametrize("user", ["user_123", "user:7 (x)"])
def test_a_users_activity_follows_the_variable_newest_first(server, boards, user):
    (f,) = frames(server, boards, "tb-logs", "Activity of $user_id", **{"var-user_id": user})
    truth = lr.truth_user_activity(RECORDS, user, lr.NOW - 24 * lr.HOUR, lr.NOW)
    assert f["type"] == "logs" and [line["fields"]["trace_id"] for line in f["lines"]] == truth
    assert all(line["level"] and line["message"] for line in f["lines"])


@pytest.mark.lucene
def test_slow_endpoints_show_count_and_average(server, boards):
    (f,) = frames(server, boards, "tb-logs", "Slow endpoints")
    truth = lr.truth_slow_by_path(RECORDS, lr.NOW - 6 * lr.HOUR, lr.NOW)
    assert f["type"] == "table"
    assert {r[0]: (r[1], pytest.approx(r[2])) for r in f["rows"]} == {p: (n, a) for p, (n, a) in truth.items()}


@pytest.mark.lucene
def test_the_endpoint_sends_only_the_dashboards_queries_to_the_one_url(server, boards, cluster):
    before = len(cluster.requests)
    r = requests.get(f"{server.url}/api/es/tb-logs/999?from=1&to=2", timeout=10)
    assert r.status_code == 404
    assert requests.get(f"{server.url}/api/es/tb-logs/{panel_id(boards, 'tb-logs', 'Slow')}", timeout=10).status_code \
        == 400
    foreign = requests.get(f"{server.url}/api/es/tb-logs/1?from=1&to=2", headers={"Host": "evil.example:80"},
                           timeout=10)
    assert foreign.status_code == 403
    assert requests.post(f"{server.url}/api/es/tb-logs/1", data="{}", timeout=10).status_code in (405, 415)
    many = "&".join(f"var-v{i}=x" for i in range(300))
    assert requests.get(f"{server.url}/api/es/tb-logs/1?from=1&to=2&{many}", timeout=10).status_code == 400
    assert len(cluster.requests) == before  # none of these reached Elasticsearch
    frames(server, boards, "tb-logs", "Slow endpoints")
    (method, target, body) = cluster.requests[-1]
    assert (method, target) == ("POST", "/_msearch?max_concurrent_shard_requests=5")
    assert json.loads(body.decode().splitlines()[0])["index"] == "tonebridge-*"


def test_without_elasticsearch_the_page_is_told_so(boards, fake_prometheus):
    with PreviewServer(boards, Prometheus(fake_prometheus.url)) as s:
        assert requests.get(s.url + "/api/config", timeout=10).json()["elasticsearch"] is None


def test_an_unreachable_elasticsearch_is_one_line_and_exit_2(tb, fake_prometheus):
    ran = tb("preview", "-p", fake_prometheus.url, "-e", "http://elastic:s3cret@127.0.0.1:9", "--png", "out")
    assert ran.code == 2 and "cannot reach Elasticsearch" in ran.err and "s3cret" not in ran.err


# --- in a real browser ---------------------------------------------------------------------------------
READ = """(() => Array.from(document.querySelectorAll('#grid > section')).map(e => ({
  title: (e.querySelector('.panel-title') || {}).textContent || '', type: e.dataset.type, state: e.dataset.state,
  lines: e.querySelectorAll('.log-line').length, bars: e.querySelectorAll('.es-bar-row').length,
  cells: e.querySelectorAll('td').length, canvases: e.querySelectorAll('canvas').length,
  query: (e.querySelector('.panel-query') || {}).textContent || '',
  scripts: e.querySelectorAll('script, img, iframe').length})))()"""


@pytest.fixture(scope="module")
def tab():
    from tonebridge_dash.preview.chromium import Chromium, find_chromium

    if find_chromium() is None:
        pytest.skip("chromium not installed (apt-get install chromium); .ci/run installs it")
    with Chromium(width=1600, height=900) as browser:
        yield browser.tab()


def open_page(tab, url: str):
    from tonebridge_dash.preview.png import DONE

    tab.resize(1600, 900)
    tab.navigate(url)
    tab.wait_for(DONE, 60, f"{url} finishing")
    return tab.evaluate(READ), tab.console_errors()


@pytest.mark.chromium
@pytest.mark.lucene
@pytest.mark.parametrize("uid", LOG_BOARDS)
def test_every_log_panel_is_drawn_from_elasticsearch(server, tab, uid):
    panels, errors = open_page(tab, server.page(uid, png="1"))
    assert errors == []
    assert panels
    for p in panels:
        assert p["state"] == "drawn", p
        assert p["lines"] or p["bars"] or p["cells"] or p["canvases"], p
        assert p["scripts"] == 0  # a log line is text: no element comes from the data
    if uid == "tb-logs":
        kinds = {p["type"] for p in panels}
        assert {"logs", "barchart", "table", "timeseries"} <= kinds


@pytest.mark.chromium
def test_without_elasticsearch_each_log_panel_shows_its_queries(boards, fake_prometheus, tab):
    with PreviewServer(boards, Prometheus(fake_prometheus.url), at=lr.NOW / 1000) as s:
        panels, errors = open_page(tab, s.page("tb-logs", png="1"))
    assert errors == []
    for p in panels:
        assert p["state"] == "query" and "Elasticsearch query" in p["query"], p
    slow = next(p for p in panels if p["title"].startswith("Slow endpoints"))
    assert "duration_ms:>=1000" in slow["query"] and "terms(path.keyword)" in slow["query"]


@pytest.mark.chromium
@pytest.mark.lucene
def test_png_mode_draws_the_log_panels_with_elasticsearch(tb, rendered, cluster, fake_prometheus, tmp_path):
    from tonebridge_dash.preview.chromium import find_chromium

    if find_chromium() is None:
        pytest.skip("chromium not installed (apt-get install chromium); .ci/run installs it")
    boards = tmp_path / "boards"
    boards.mkdir()
    for uid in LOG_BOARDS:
        (boards / f"{uid}.json").write_text(json.dumps(rendered[uid].data), encoding="utf-8")
    ran = tb("preview", boards, "-p", fake_prometheus.url, "-e", cluster.url, "--png", tmp_path / "png",
             "--time", str(lr.NOW / 1000))
    assert ran.code == 0, ran.err
    assert sorted(p.name for p in (tmp_path / "png").glob("*.png")) == ["tb-audit.png", "tb-logs.png"]
    assert "warning" not in ran.err  # no panel shows an error or no data
