"""The log side's content without Lucene: the field catalog against the
spec's §3.1 example and the dynamic mapping, the queries' text and
escaping, the §10.2 reference matcher, the Elasticsearch target builders and
the ``_msearch`` item Grafana sends for a target."""

from __future__ import annotations

import re

import pytest

from panels import log_fields as f
from panels import log_queries as q
from tonebridge_dash.elasticsearch import mapping, request, targets as es
from tonebridge_dash.elasticsearch.lucene_query import since
from tonebridge_dash.errors import UsageError

# The spec's §3.1 example line, as it writes it.
EXAMPLE = {"timestamp": "2024-01-15T10:30:45.123Z", "level": "INFO", "service": "gateway",
           "trace_id": "550e8400-e29b-41d4-a716-446655440000", "span_id": "b7ad6b7169203331", "user_id": "user_123",
           "org_id": "org_456", "method": "POST", "path": "/api/v1/transform", "status": 200, "duration_ms": 234,
           "message": "Transform request completed successfully",
           "metadata": {"transformation_type": "tone", "target_tone": "warm", "text_length": 150,
                        "model_used": "gpt-4"}}


def test_the_catalog_types_each_field_as_the_dynamic_mapping_does():
    m = mapping.Mapping()
    m.add(mapping.flatten({**EXAMPLE, "error_type": "timeout"}))
    assert m.types == f.mapping_types()
    assert f.BY_NAME["level"].exact == "level.keyword" and f.BY_NAME["status"].exact == "status"
    assert [x.example for x in f.LOG_FIELDS if x.name in mapping.flatten(EXAMPLE)] == \
        [mapping.flatten(EXAMPLE)[x.name][0] for x in f.LOG_FIELDS if x.name in mapping.flatten(EXAMPLE)]


def test_the_catalog_has_every_field_of_the_specs_example():
    assert set(mapping.flatten(EXAMPLE)) <= set(f.BY_NAME)


def test_the_queries_text():
    assert q.errors() == "level.keyword:ERROR"
    assert q.level("FATAL") == "level.keyword:FATAL"
    assert q.errors_last_hour() == r"((level.keyword:ERROR) AND (timestamp:>=now\-1h))"
    assert q.user_activity() == r"((user_id.keyword:$user_id) AND (timestamp:>=now\-24h))"
    assert q.user_activity("user:7 (x)") == r"((user_id.keyword:user\:7\ \(x\)) AND (timestamp:>=now\-24h))"
    assert q.slow_requests() == "duration_ms:>=1000"
    assert q.every_line() == "*"
    with pytest.raises(ValueError):
        q.level("NOTICE")


def test_each_audit_query_is_the_literal_escaped_once():
    sql = next(p for p in q.AUDIT_PATTERNS if p.name == "sql_injection")
    assert sql.query == r"((message.keyword:*';\ OR\ '1'\='1*) OR (\*.keyword:*';\ OR\ '1'\='1*))"
    select = next(p for p in q.AUDIT_PATTERNS if p.name == "select_all_users")
    assert r"SELECT\ \*\ FROM\ users" in select.query
    assert q.audit_any().count(" OR ") == 5


@pytest.mark.parametrize("near_miss", ["SELECT id FROM users", "drop tables later", "OR 1=1", "select * from users",
                                       "' OR '1'='1", "DROP  TABLE", "'; or '1'='1"])
def test_the_reference_never_matches_a_near_miss(near_miss):
    assert not any(p.matches(near_miss) for p in q.AUDIT_PATTERNS)


def test_the_reference_matches_each_pattern_where_the_spec_regex_does():
    for p in q.AUDIT_PATTERNS:
        assert p.matches(f"x {p.literal} y") and re.search(p.regex, p.literal)


def test_since_takes_date_math_or_a_date_only():
    assert since("timestamp", "now-7d/d") == r"timestamp:>=now\-7d\/d"
    assert since("timestamp", "2024-01-15") == r"timestamp:>=2024\-01\-15"
    for bad in ("yesterday", "now-1h) OR (x", ""):
        with pytest.raises(UsageError):
            since("timestamp", bad)


def test_target_builder_numbers_metrics_then_buckets_and_orders_by_a_metric():
    average = es.avg("duration_ms")
    t = es.target("duration_ms:>=1000", [es.count(), average], es.terms("path.keyword", order_by=average),
                  datasource=es.datasource_ref("es"), time_field="timestamp")
    assert t["metrics"] == [{"id": "1", "type": "count"}, {"id": "2", "type": "avg", "field": "duration_ms"}]
    assert t["bucketAggs"] == [{"id": "3", "type": "terms", "field": "path.keyword", "settings": {
        "min_doc_count": "1", "size": "10", "order": "desc", "orderBy": "2"}}]
    assert (t["timeField"], t["datasource"]) == ("timestamp", {"type": "elasticsearch", "uid": "es"})


@pytest.mark.parametrize("metrics, buckets, message", [
    ([], [], "needs a metric"),
    ([es.count()], [], "needs a bucket aggregation"),
    ([es.logs(), es.count()], [], "has no other metric"),
    ([es.logs()], [es.date_histogram("timestamp")], "has no other metric"),
    ([es.count()], [es.terms("path.keyword", order_by=es.avg("x"))], "ordered by a metric of its own target"),
])
def test_target_builder_refuses_what_grafana_refuses(metrics, buckets, message):
    with pytest.raises(UsageError, match=message):
        es.target("*", metrics, buckets, datasource=es.datasource_ref("es"), time_field="timestamp")


def _target(*args, **kwargs) -> dict:
    return es.target(*args, datasource=es.datasource_ref("es"), time_field="timestamp", **kwargs)


def test_a_logs_request_is_grafanas():
    header, body = request.grafana_request(_target("level.keyword:ERROR", es.logs(100)), index="tonebridge-*",
                                           time_field="timestamp", start_ms=1000, end_ms=61_000, interval_ms=500)
    assert header == {"search_type": "query_then_fetch", "ignore_unavailable": True, "index": "tonebridge-*"}
    assert body["query"] == {"bool": {"filter": [
        {"range": {"timestamp": {"gte": 1000, "lte": 61_000, "format": "epoch_millis"}}},
        {"query_string": {"analyze_wildcard": True, "query": "level.keyword:ERROR"}}]}}
    assert body["size"] == 100 and body["docvalue_fields"] == ["timestamp"]
    assert body["sort"] == {"timestamp": {"order": "desc", "unmapped_type": "boolean"}, "_doc": {"order": "desc"}}
    assert body["aggs"] == {"1": {"date_histogram": {"field": "timestamp", "fixed_interval": "500ms",
                                                     "min_doc_count": 0, "extended_bounds": {"min": 1000, "max": 61_000},
                                                     "format": "epoch_millis"}}}


def test_a_metric_request_nests_the_buckets_and_puts_the_metrics_innermost():
    average = es.avg("duration_ms")
    t = _target("*", [es.count(), average], [es.terms("service.keyword", order_by=average, size=5),
                                             es.date_histogram("timestamp", "1m")])
    _, body = request.grafana_request(t, index="x", time_field="timestamp", start_ms=0, end_ms=60_000)
    terms = body["aggs"]["3"]
    assert terms["terms"] == {"field": "service.keyword", "size": 5, "order": {"2": "desc"}, "min_doc_count": 1}
    assert terms["aggs"]["2"] == {"avg": {"field": "duration_ms"}}
    histogram = terms["aggs"]["4"]
    assert histogram["date_histogram"]["fixed_interval"] == "1m"
    assert histogram["aggs"] == {"2": {"avg": {"field": "duration_ms"}}}
    _, body = request.grafana_request(_target("", es.count(), es.terms("level.keyword")), index="x",
                                      time_field="timestamp", start_ms=0, end_ms=1)
    assert len(body["query"]["bool"]["filter"]) == 1  # no query_string for an empty query
    assert body["aggs"] == {"2": {"terms": {"field": "level.keyword", "size": 10, "order": {"_count": "desc"},
                                            "min_doc_count": 1}}}


def test_variables_are_replaced_as_grafanas_lucene_format_writes_them():
    assert request.interpolate("user_id.keyword:$user_id", {"user_id": "a b"}) == r"user_id.keyword:a\ b"
    assert request.interpolate("x:${v} y:[[v]]", {"v": "1"}) == "x:1 y:1"
    assert request.interpolate("x:$v", {"v": ["a", "b c"]}) == r'x:("a" OR "b\ c")'
    assert request.interpolate("x:$unknown", {}) == "x:$unknown"
