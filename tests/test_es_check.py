"""``tb-dash check --elasticsearch-url``: Grafana's _msearch, sent to a test
double whose matching is Lucene's own (``elasticsearch_emulator``), over
records whose counts are known."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from elasticsearch_emulator import ElasticsearchEmulator, lucene_session
from tonebridge_dash.elasticsearch import msearch
from tonebridge_dash.elasticsearch.client import ElasticsearchClient, ElasticsearchUnreachable, error_reason
from tonebridge_dash.elasticsearch.lucene_query import term
from tonebridge_dash.elasticsearch.request import grafana_request, interpolate
from tonebridge_dash.elasticsearch.store import LogStore

T0 = int(datetime(2024, 1, 15, 10, tzinfo=timezone.utc).timestamp() * 1000)
NOW = T0 + 3_600_000
AT = "2024-01-15T11:00:00Z"
DS = {"type": "elasticsearch", "uid": "elasticsearch"}
START, END = 1668422437218, 1668422625668


# --- the request, as Grafana's backend builds it (its testdata_request cases) ------------------
def body_of(target: dict, time_field: str = "testtime", interval_ms: int = 1000) -> dict:
    return grafana_request(target, index="i", time_field=time_field, start_ms=START, end_ms=END,
                           interval_ms=interval_ms)[1]


def test_a_date_histogram_target_is_grafanas_metric_request():
    target = {"refId": "a", "query": "", "metrics": [{"id": "1", "type": "max", "field": "float"}],
              "bucketAggs": [{"type": "date_histogram", "id": "2", "settings": {"interval": "auto"},
                              "field": "testtime"}], "timeField": "testtime"}
    assert body_of(target) == {"size": 0, "query": {"bool": {"filter": {"range": {"testtime": {
        "gte": START, "lte": END, "format": "epoch_millis"}}}}},
        "aggs": {"2": {"date_histogram": {"field": "testtime", "min_doc_count": 0,
                                          "extended_bounds": {"min": START, "max": END},
                                          "format": "epoch_millis", "fixed_interval": "1000ms"},
                       "aggs": {"1": {"max": {"field": "float"}}}}}}


def test_terms_nest_the_histogram_and_the_metrics_go_innermost():
    target = {"query": "", "metrics": [{"id": "1", "type": "max", "field": "float"},
                                       {"id": "3", "type": "min", "field": "float"}],
              "bucketAggs": [{"type": "terms", "id": "4", "field": "label",
                              "settings": {"size": "10", "order": "desc", "orderBy": "_term"}},
                             {"type": "date_histogram", "id": "2", "field": "testtime", "settings": {"interval": "1m"}}]}
    assert body_of(target)["aggs"] == {"4": {"terms": {"field": "label", "size": 10, "order": {"_key": "desc"}}, "aggs": {
        "2": {"date_histogram": {"field": "testtime", "min_doc_count": 0, "extended_bounds": {"min": START, "max": END},
                                 "format": "epoch_millis", "fixed_interval": "1m"},
              "aggs": {"1": {"max": {"field": "float"}}, "3": {"min": {"field": "float"}}}}}}}


def test_a_terms_aggregation_ordered_by_a_metric_carries_it_and_count_orders_by_count():
    target = {"query": "level:ERROR", "metrics": [{"id": "1", "type": "count"}, {"id": "5", "type": "avg",
                                                                                 "field": "duration_ms"}],
              "bucketAggs": [{"type": "terms", "id": "2", "field": "path.keyword",
                              "settings": {"orderBy": "5", "order": "asc", "min_doc_count": "1"}}]}
    terms = body_of(target, "timestamp")["aggs"]["2"]
    assert terms["terms"] == {"field": "path.keyword", "size": 500, "order": {"5": "asc"}, "min_doc_count": 1}
    assert terms["aggs"] == {"5": {"avg": {"field": "duration_ms"}}}
    target["bucketAggs"][0]["settings"]["orderBy"] = "1"
    assert body_of(target, "timestamp")["aggs"]["2"]["terms"]["order"] == {"_count": "asc"}
    del target["bucketAggs"][0]["settings"]["orderBy"]
    assert body_of(target, "timestamp")["aggs"]["2"]["terms"]["order"] == {}  # sent, empty, as Grafana does


def test_a_logs_target_is_grafanas_logs_request_and_the_query_a_query_string_filter():
    target = {"query": "level:ERROR", "metrics": [{"id": "1", "type": "logs"}], "bucketAggs": []}
    assert body_of(target) == {
        "size": 500, "query": {"bool": {"filter": [
            {"range": {"testtime": {"gte": START, "lte": END, "format": "epoch_millis"}}},
            {"query_string": {"analyze_wildcard": True, "query": "level:ERROR"}}]}},
        "sort": {"testtime": {"order": "desc", "unmapped_type": "boolean"}, "_doc": {"order": "desc"}},
        "docvalue_fields": ["testtime"], "script_fields": {},
        "fields": [{"field": "testtime", "format": "strict_date_optional_time_nanos"}],
        "highlight": {"fields": {"*": {}}, "pre_tags": ["@HIGHLIGHT@"], "post_tags": ["@/HIGHLIGHT@"],
                      "fragment_size": 2147483647},
        "aggs": {"1": {"date_histogram": {"field": "testtime", "min_doc_count": 0, "fixed_interval": "1000ms",
                                          "extended_bounds": {"min": START, "max": END}, "format": "epoch_millis"}}}}
    raw = body_of({"metrics": [{"id": "1", "type": "raw_data", "settings": {"size": "20"}}]}, "t")
    assert raw["size"] == 20 and "highlight" not in raw


def test_the_header_is_grafanas():
    body = {"query": "x", "metrics": [{"id": "1", "type": "count"}], "bucketAggs": [
        {"id": "2", "type": "date_histogram", "settings": {"interval": "auto"}}]}
    header, sent = grafana_request(body, index="tonebridge-*", time_field="timestamp", start_ms=1, end_ms=2)
    assert header == {"search_type": "query_then_fetch", "ignore_unavailable": True, "index": "tonebridge-*"}
    assert sent["aggs"]["2"]["date_histogram"]["field"] == "timestamp"  # the time field by default


def test_variables_are_lucene_escaped_as_grafanas_lucene_format():
    data = {"templating": {"list": [
        {"name": "user_id", "type": "textbox", "query": "user_1", "current": {"value": "user 123:x"}},
        {"name": "svc", "type": "custom", "current": {"value": ["gateway", "llm-svc"]}},
        {"name": "n", "type": "custom", "current": {"value": "42"}},
        {"name": "all", "type": "custom", "current": {"value": ["$__all"]},
         "options": [{"value": "$__all"}, {"value": "a"}, {"value": "b"}]}]}}
    values = msearch.dashboard_values(data)
    assert interpolate("user_id.keyword:$user_id AND service:${svc} AND n:[[n]] AND x:$all $nope", values) == \
        'user_id.keyword:user\\ 123\\:x AND service:("gateway" OR "llm\\-svc") AND n:42 AND x:("a" OR "b") $nope'


def test_the_fields_a_query_names_leave_quotes_and_escapes_alone():
    query = 'level.keyword:ERROR AND message:"a:b" AND path\\:x:y AND _exists_:trace_id AND (status:>=500 OR -m*:z)'
    assert msearch.query_fields(query) == ["level.keyword", "message", "path:x", "trace_id", "status"]


def test_the_time_range_is_the_panels_or_the_dashboards():
    assert msearch.time_range({"time": {"from": "now-1h", "to": "now"}}, NOW) == (T0, NOW)
    assert msearch.time_range({"time": {"from": "now-24h"}}, NOW, {"timeFrom": "1h"}) == (T0, NOW)
    assert msearch.time_range({"time": {"from": "now-1h"}}, NOW, {"timeShift": "1h"}) == (T0 - 3_600_000, T0)
    assert msearch.time_range({"time": {"from": "2024-01-15T10:00:00Z", "to": str(NOW)}}, 0) == (T0, NOW)
    assert msearch.time_range({"time": {"from": "yesterday"}}, NOW) == (NOW - 6 * 3_600_000, NOW)


def test_an_elasticsearch_error_is_one_line_with_its_deepest_cause():
    answer = {"error": {"root_cause": [{"type": "query_shard_exception", "reason": "Failed to parse query [a:(]"}],
                        "type": "search_phase_execution_exception", "reason": "all shards failed",
                        "failed_shards": [{"reason": {"type": "query_shard_exception",
                                                      "reason": "Failed to parse query [a:(]",
                                                      "caused_by": {"type": "parse_exception", "reason": "EOF"}}}]},
              "status": 400}
    assert error_reason(answer) == \
        "query_shard_exception: Failed to parse query [a:(]; parse_exception: EOF"


def test_a_url_that_is_not_http_is_refused_without_showing_its_password():
    with pytest.raises(ElasticsearchUnreachable) as e:
        ElasticsearchClient("ftp://elastic:s3cret@host:9200")
    assert "s3cret" not in e.value.message


# --- against the test double --------------------------------------------------------------------
def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def records() -> list[dict]:
    """60 records a minute apart over the hour: every 4th an ERROR (15), of
    which every 3rd a timeout (5); user_123 on every 5th (12); no FATAL."""
    out = []
    for i in range(60):
        error = i % 4 == 0
        record = {"timestamp": iso(T0 + i * 60_000 + 500), "level": "ERROR" if error else "INFO",
                  "service": "gateway", "user_id": "user_123" if i % 5 == 0 else f"user_{i % 7}",
                  "path": "/api/v1/transform", "status": 500 if error else 200, "duration_ms": 10 * i,
                  "trace_id": f"{i:032x}", "message": f"request {i}", "metadata": {}}
        if error:
            record["error_type"] = "timeout" if i % 12 == 0 else "validation"
        out.append(record)
    return out


@pytest.fixture(scope="module")
def store():
    session = lucene_session()
    with session:
        s = LogStore(session)
        s.add("tonebridge-2024.01.15", records())
        yield s


@pytest.fixture()
def cluster(store):
    with ElasticsearchEmulator(store, now_ms=NOW) as emu:
        yield emu


def panel(pid: int, title: str, *targets: dict, kind: str = "barchart") -> dict:
    return {"id": pid, "title": title, "type": kind, "datasource": DS, "gridPos": {"x": 0, "y": pid, "w": 24, "h": 1},
            "targets": [{"refId": chr(65 + i), "datasource": DS, "timeField": "timestamp", **t}
                        for i, t in enumerate(targets)]}


def errors_by_type(query: str = term("level.keyword", "ERROR"), field: str = "error_type.keyword") -> dict:
    return {"query": query, "metrics": [{"id": "1", "type": "count"}],
            "bucketAggs": [{"id": "2", "type": "terms", "field": field,
                            "settings": {"size": "10", "order": "desc", "orderBy": "_count", "min_doc_count": "1"}}]}


def logs(query: str) -> dict:
    return {"query": query, "metrics": [{"id": "1", "type": "logs", "settings": {"limit": "100"}}], "bucketAggs": []}


def dashboard(tmp_path, *panels: dict, uid: str = "tb-logs-test") -> str:
    data = {"uid": uid, "title": "Logs test", "time": {"from": "now-1h", "to": "now"}, "schemaVersion": 39,
            "templating": {"list": [{"name": "user_id", "type": "textbox", "query": "user_123",
                                     "current": {"value": "user_123", "text": "user_123"}}]},
            "panels": list(panels)}
    d = tmp_path / "dashboards"
    d.mkdir(exist_ok=True)
    (d / f"{uid}.json").write_text(json.dumps(data), encoding="utf-8")
    return str(d)


@pytest.mark.lucene
def test_queries_that_show_data_pass_and_are_sent_as_grafana_sends_them(tb, tmp_path, cluster):
    d = dashboard(tmp_path, panel(1, "Errors by type", errors_by_type()),
                  panel(2, "User activity", logs("user_id.keyword:$user_id"), kind="logs"))
    ran = tb("check", d, "-e", cluster.url, "--time", AT, "-f", "json")
    report = json.loads(ran.out)
    assert ran.code == 0, ran.out + ran.err
    assert report["queries"] == 2 and report["panels"] == 2 and report["findings"] == []
    sent = [r for r in cluster.requests if "_msearch" in r[1]]
    assert {r[1] for r in sent} == {"/_msearch?max_concurrent_shard_requests=5"}
    bodies = [json.loads(line) for r in sent for line in r[2].decode().splitlines()]
    assert {"search_type": "query_then_fetch", "ignore_unavailable": True, "index": "tonebridge-*"} in bodies
    user = next(b for b in bodies if "sort" in b)
    assert user["query"]["bool"]["filter"][1] == {"query_string": {"analyze_wildcard": True,
                                                                   "query": "user_id.keyword:user_123"}}
    assert user["query"]["bool"]["filter"][0]["range"]["timestamp"] == {"gte": T0, "lte": NOW, "format": "epoch_millis"}


@pytest.mark.lucene
def test_each_problem_is_its_finding(tb, tmp_path, cluster):
    d = dashboard(tmp_path,
                  panel(1, "Typo in a field", logs("levle:ERROR")),
                  panel(2, "Terms on a text field", errors_by_type(field="error_type")),
                  panel(3, "Broken query", logs("status:[500 TO")),
                  panel(4, "Nothing fatal", logs(term("level.keyword", "FATAL"))),
                  panel(5, "Elsewhere", {**logs("*"), "datasource": {"type": "elasticsearch", "uid": "other-es"}}))
    ran = tb("check", d, "-e", cluster.url, "--time", AT, "-f", "json")
    assert ran.code == 1
    found = {(f["panel"], f["rule"]): f for f in json.loads(ran.out)["findings"]}
    assert set(found) == {("Typo in a field", "es-unknown-field"), ("Typo in a field", "es-no-hits"),
                          ("Terms on a text field", "es-query-error"), ("Broken query", "es-query-error"),
                          ("Nothing fatal", "es-no-hits"), ("Elsewhere", "es-unknown-datasource")}
    assert found[("Typo in a field", "es-unknown-field")]["message"] == \
        "field(s) the index 'tonebridge-*' does not have: levle (did you mean level?)"
    assert "Text fields are not optimised" in found[("Terms on a text field", "es-query-error")]["message"]
    assert "parse_exception" in found[("Broken query", "es-query-error")]["message"]
    nothing = found[("Nothing fatal", "es-no-hits")]
    assert nothing["severity"] == "warning" and "60 documents in the time range" in nothing["message"]
    assert nothing["query"] == "level.keyword:FATAL" and nothing["ref_id"] == "A"
    text = tb("check", d, "-e", cluster.url, "--time", AT)
    assert "es-unknown-datasource" not in text.out and "'other-es' is not an Elasticsearch datasource" in text.out
    assert "checked 5 queries of 5 panels in 1 dashboards" in text.out


@pytest.mark.lucene
def test_an_empty_time_range_says_so_and_warnings_fail_only_when_strict(tb, tmp_path, cluster):
    d = dashboard(tmp_path, panel(1, "Errors by type", errors_by_type()))
    ran = tb("check", d, "-e", cluster.url, "--time", "2024-01-16T11:00:00Z", "-f", "json")
    assert ran.code == 0
    (f,) = json.loads(ran.out)["findings"]
    assert f["rule"] == "es-no-hits" and "no document at all in the time range" in f["message"]
    assert tb("check", d, "-e", cluster.url, "--time", "2024-01-16T11:00:00Z", "--strict").code == 1


@pytest.mark.lucene
def test_credentials_go_in_the_url_or_the_environment_and_are_never_shown(tb, tmp_path, store):
    d = dashboard(tmp_path, panel(1, "Errors by type", errors_by_type()))
    import base64

    basic = "Basic " + base64.b64encode(b"elastic:s3cret").decode()
    with ElasticsearchEmulator(store, now_ms=NOW, authorization=basic) as emu:
        with_user = emu.url.replace("http://", "http://elastic:s3cret@")
        assert tb("check", d, "-e", with_user, "--time", AT).code == 0
        refused = tb("check", d, "-e", emu.url.replace("http://", "http://elastic:wrong@"), "--time", AT)
        assert refused.code == 2 and "credentials were refused" in refused.err
        assert "wrong" not in refused.err and len(refused.err.strip().splitlines()) == 1
    with ElasticsearchEmulator(store, now_ms=NOW, authorization="ApiKey a2V5") as emu:
        ran = tb("check", d, "--time", AT, env={"ELASTICSEARCH_URL": emu.url, "ELASTICSEARCH_API_KEY": "a2V5"})
        assert ran.code == 0 and "a2V5" not in ran.out + ran.err


@pytest.mark.lucene
def test_an_overloaded_cluster_is_retried_a_few_times(tb, tmp_path, store):
    d = dashboard(tmp_path, panel(1, "Errors by type", errors_by_type()))
    with ElasticsearchEmulator(store, now_ms=NOW, unavailable=2) as emu:
        assert tb("check", d, "-e", emu.url, "--time", AT).code == 0
    with ElasticsearchEmulator(store, now_ms=NOW, unavailable=10) as emu:
        ran = tb("check", d, "-e", emu.url, "--time", AT)
        assert ran.code == 2 and "HTTP 503" in ran.err and emu.counts["GET /"] == 3


def test_no_source_or_an_unreachable_cluster_is_one_line_and_exit_2(tb, tmp_path):
    d = dashboard(tmp_path, panel(1, "Errors by type", errors_by_type()))
    ran = tb("check", d)
    assert ran.code == 2 and "--elasticsearch-url" in ran.err and "--prometheus-url" in ran.err
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ran = tb("check", d, "-e", f"http://elastic:s3cret@127.0.0.1:{port}", "--timeout", "2")
    assert ran.code == 2 and "cannot reach Elasticsearch" in ran.err and "s3cret" not in ran.err
    assert len(ran.err.strip().splitlines()) == 1


@pytest.mark.lucene
def test_the_projects_log_dashboards_pass_against_logs_that_hold_every_analysis(tb, tmp_path):
    """tb-logs and tb-audit, built as render builds them, against the known
    records: every query is sent, none is refused, every field exists and
    every panel has hits."""
    import log_records as lr

    with lucene_session() as session:
        s = LogStore(session)
        s.add(lr.INDEX, lr.records())
        with ElasticsearchEmulator(s, now_ms=lr.NOW) as emu:
            ran = tb("check", "-e", emu.url, "--time", str(lr.NOW / 1000), "-f", "json")
            sent = [r for r in emu.requests if "_msearch" in r[1]]
    report = json.loads(ran.out)
    assert ran.code == 0 and report["findings"] == [], ran.out
    assert report["queries"] >= 12 and report["panels"] >= 12
    headers = [json.loads(line) for r in sent for line in r[2].decode().splitlines()[::2]]
    assert {h["index"] for h in headers} == {"tonebridge-*"}


@pytest.mark.prometheus
@pytest.mark.lucene
def test_both_sources_in_one_report(tb, prometheus, store):
    """-p and -e: the Prometheus panels against Prometheus, the log panels
    against Elasticsearch, one report. The logs here are from another day
    than the synthetic traffic: each log panel says its range has no line."""
    with ElasticsearchEmulator(store, now_ms=NOW) as emu:
        ran = tb("check", "-p", prometheus.url, "-e", emu.url, "--time", str(prometheus.end), "-f", "json")
    report = json.loads(ran.out)
    assert ran.code == 0, ran.out
    assert {f["rule"] for f in report["findings"]} == {"es-no-hits"}
    assert {f["dashboard"] for f in report["findings"]} == {"tb-logs", "tb-audit"}
    assert all("no document at all in the time range" in f["message"] for f in report["findings"])
    assert report["dashboards"] == 7 and report["queries"] > 60
