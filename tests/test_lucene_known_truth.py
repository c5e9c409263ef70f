"""Grafana's Elasticsearch requests evaluated over logs whose truth is known.

Records in the spec's §3.1 format are generated with counts fixed in
advance; each request is shaped as Grafana's datasource sends it (an
``_msearch`` item: a range filter on the time field, a ``query_string`` with
``analyze_wildcard``, bucket aggregations and metrics) and its answer is
compared with the truth computed from the records by plain Python. The audit
patterns of §10.2 are checked against the spec's own regular expressions.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timezone

import pytest

from elasticsearch_emulator import lucene_session
from tonebridge_dash.elasticsearch.evaluate import evaluate
from tonebridge_dash.elasticsearch.lucene_query import any_of, contains, phrase, range_at_least, term
from tonebridge_dash.elasticsearch.store import LogStore

pytestmark = pytest.mark.lucene  # every test reads an index of Lucene's

T0 = int(datetime(2024, 1, 15, 10, tzinfo=timezone.utc).timestamp() * 1000)
MINUTE = 60_000
BUCKET = 5 * MINUTE
BUCKETS = 36  # three hours
NOW = T0 + BUCKETS * BUCKET
LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
ERROR_TYPES = ("timeout", "upstream_5xx", "validation")
PATHS = ("/api/v1/transform", "/api/v1/tones", "/api/v1/history", "/health")
HEADER = {"index": "tonebridge-*", "ignore_unavailable": True}


def iso(millis: int) -> str:
    return datetime.fromtimestamp(millis / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + \
        f"{millis % 1000:03d}Z"


def level_counts(b: int) -> dict[str, int]:
    """How many records of each level bucket ``b`` holds (the plan)."""
    return {"TRACE": 1 if b % 6 == 0 else 0, "DEBUG": 1, "INFO": 3, "WARN": 1 if b % 3 == 0 else 0,
            "ERROR": 1 + (b % 4 == 0), "FATAL": 1 if b == 30 else 0}


def app_records() -> list[dict]:
    records = []
    for b in range(BUCKETS):
        for li, level in enumerate(LEVELS):
            for k in range(level_counts(b)[level]):
                ts = T0 + b * BUCKET + (li * 40 + k * 7) * 1000 + 123
                n = len(records)
                duration = {"WARN": 1000 + 10 * b, "ERROR": 2500 if b % 2 else 999}.get(level, 20 + n % 900)
                record = {
                    "timestamp": iso(ts), "level": level, "service": "gateway" if n % 2 else "llm",
                    "trace_id": f"550e8400-e29b-41d4-a716-{n:012d}", "span_id": f"{n:016x}",
                    "user_id": "user_123" if n % 5 == 0 else ("user_1234" if n % 5 == 1 else f"user_{n % 7}"),
                    "org_id": "org_456", "method": "POST", "path": PATHS[n % 4],
                    "status": {"ERROR": 500, "FATAL": 503}.get(level, 200),
                    "duration_ms": duration, "message": f"{level.lower()} while handling request {n}",
                    "metadata": {"transformation_type": "tone", "text_length": 150 + n},
                }
                if level in ("ERROR", "FATAL"):
                    record["metadata"]["error_type"] = "panic" if level == "FATAL" else ERROR_TYPES[b % 3]
                records.append(record)
    records[3]["duration_ms"] = 1500.7  # a decimal into a long field: Elasticsearch coerces it to 1500
    return records


# The spec's §10.2 patterns (its regular expressions) and their literal text.
SPEC_PATTERNS = {r"SELECT \* FROM users": "SELECT * FROM users", r"DROP TABLE": "DROP TABLE",
                 r"'; OR '1'='1": "'; OR '1'='1"}
AUDIT_QUERIES = ["SELECT * FROM users", "SELECT * FROM users WHERE org_id = 'org_456'", "SELECT * FROM users_archive",
                 "DROP TABLE sessions", "please DROP TABLES now", "name = ''; OR '1'='1", "x'; OR '1'='1 --",
                 # near misses: none is one of the patterns
                 "SELECT id FROM users", "select * from users", "SELECT * FROM  users", "drop tables later",
                 "DROP  TABLE", "OR 1=1", "' OR '1'='1", "'; or '1'='1"]
NEAR_MISSES = AUDIT_QUERIES[7:]


def audit_records() -> list[dict]:
    return [{"timestamp": iso(T0 + i * MINUTE), "level": "INFO", "service": "audit", "user_id": f"user_{i}",
             "message": f"executed {q}", "query": q} for i, q in enumerate(AUDIT_QUERIES)]


@pytest.fixture(scope="module")
def store():
    session = lucene_session()
    with session:
        s = LogStore(session)
        s.add("tonebridge-2024.01.15", app_records())
        s.add("audit-2024.01.15", audit_records())
        yield s


def grafana_body(query: str, *, start: int = T0, end: int = NOW, aggs: dict | None = None, size: int = 0,
                 sort: dict | None = None) -> dict:
    """A body as Grafana's Elasticsearch datasource sends it."""
    body: dict = {"size": size, "query": {"bool": {"filter": [
        {"range": {"timestamp": {"gte": start, "lte": end, "format": "epoch_millis"}}},
        {"query_string": {"analyze_wildcard": True, "query": query}}]}}}
    if aggs:
        body["aggs"] = aggs
    if sort:
        body["sort"] = sort
    return body


def run(store, body: dict, header: dict = HEADER) -> dict:
    answer = evaluate(store, header, body, now_ms=NOW)
    assert answer["status"] == 200, answer
    return answer


def test_level_breakdown_over_time(store):
    records = app_records()
    aggs = {"2": {"terms": {"field": "level.keyword", "size": 10, "order": {"_key": "asc"}, "min_doc_count": 1},
                  "aggs": {"3": {"date_histogram": {"field": "timestamp", "fixed_interval": "5m", "min_doc_count": 0,
                                                    "extended_bounds": {"min": T0, "max": NOW},
                                                    "format": "epoch_millis"}}}}}
    answer = run(store, grafana_body("*", aggs=aggs))
    assert answer["hits"]["total"] == {"value": len(records), "relation": "eq"}
    truth = Counter((r["level"], (int(datetime.fromisoformat(r["timestamp"].replace("Z", "+00:00")).timestamp()
                                      * 1000) - T0) // BUCKET) for r in records)
    levels = answer["aggregations"]["2"]["buckets"]
    assert [b["key"] for b in levels] == sorted(LEVELS)
    for bucket in levels:
        series = bucket["3"]["buckets"]
        # every 5-minute bucket of the range, empty ones included (bounds rounded to the interval)
        assert [s["key"] for s in series] == [T0 + i * BUCKET for i in range(BUCKETS + 1)]
        assert [s["doc_count"] for s in series] == [truth[(bucket["key"], i)] for i in range(BUCKETS + 1)]
        assert bucket["doc_count"] == sum(level_counts(b)[bucket["key"]] for b in range(BUCKETS))
    fatal = next(b for b in levels if b["key"] == "FATAL")
    assert [s["key_as_string"] for s in fatal["3"]["buckets"] if s["doc_count"]] == [str(T0 + 30 * BUCKET)]


def test_errors_of_the_last_hour_by_error_type(store):
    hour_ago = NOW - 60 * MINUTE
    truth = Counter(r["metadata"]["error_type"] for r in app_records()
                    if r["level"] == "ERROR" and r["timestamp"] >= iso(hour_ago))
    aggs = {"2": {"terms": {"field": "metadata.error_type.keyword", "size": 10, "order": {"_count": "desc"},
                            "min_doc_count": 1}}}
    answer = run(store, grafana_body(term("level.keyword", "ERROR"), start=hour_ago, aggs=aggs))
    buckets = answer["aggregations"]["2"]["buckets"]
    assert {b["key"]: b["doc_count"] for b in buckets} == dict(truth)
    assert [b["doc_count"] for b in buckets] == sorted(truth.values(), reverse=True)
    assert "panic" not in truth  # FATAL records carry an error_type too, and are not errors
    assert answer["hits"]["total"]["value"] == sum(truth.values())


def test_one_users_activity_newest_first(store):
    truth = sorted((r for r in app_records() if r["user_id"] == "user_123"), key=lambda r: r["timestamp"],
                   reverse=True)
    sort = {"timestamp": {"order": "desc", "unmapped_type": "boolean"}, "_doc": {"order": "desc"}}
    for query in (term("user_id.keyword", "user_123"), term("user_id", "user_123")):
        answer = run(store, grafana_body(query, size=500, sort=sort))
        hits = answer["hits"]["hits"]
        assert [h["_source"]["timestamp"] for h in hits] == [r["timestamp"] for r in truth]
        assert {h["_source"]["user_id"] for h in hits} == {"user_123"}  # user_1234 is not user_123
        assert hits[0]["sort"][0] == int(datetime.fromisoformat(truth[0]["timestamp"].replace("Z", "+00:00"))
                                         .timestamp() * 1000)
        assert answer["hits"]["total"]["value"] == len(truth)


def test_slow_requests_by_path_with_average_duration(store):
    slow: dict[str, list[int]] = {}
    for r in app_records():
        duration = int(r["duration_ms"])  # what a long field holds (1500.7 is coerced to 1500)
        if duration >= 1000:
            slow.setdefault(r["path"], []).append(duration)
    assert 1000 in [d for ds in slow.values() for d in ds] and 999 not in [d for ds in slow.values() for d in ds]
    aggs = {"2": {"terms": {"field": "path.keyword", "size": 10, "order": {"1": "desc"}, "min_doc_count": 1},
                  "aggs": {"1": {"avg": {"field": "duration_ms"}}}}}
    answer = run(store, grafana_body(range_at_least("duration_ms", 1000), aggs=aggs))
    buckets = answer["aggregations"]["2"]["buckets"]
    assert {b["key"]: (b["doc_count"], b["1"]["value"]) for b in buckets} == {
        path: (len(ds), sum(ds) / len(ds)) for path, ds in slow.items()}
    assert [b["1"]["value"] for b in buckets] == sorted((sum(ds) / len(ds) for ds in slow.values()), reverse=True)


@pytest.mark.parametrize("regex, literal", SPEC_PATTERNS.items())
def test_each_audit_pattern_matches_exactly_what_the_spec_regex_finds(store, regex, literal):
    truth = sorted(q for q in AUDIT_QUERIES if re.search(regex, q))
    assert truth, "each pattern has matches"
    header = {"index": "audit-*", "ignore_unavailable": True}
    answer = run(store, grafana_body(contains("query.keyword", literal), size=100), header)
    found = sorted(h["_source"]["query"] for h in answer["hits"]["hits"])
    assert found == truth
    assert not set(found) & set(NEAR_MISSES)


def test_all_audit_patterns_in_one_query(store):
    query = any_of(*(contains("query.keyword", literal) for literal in SPEC_PATTERNS.values()))
    truth = sorted(q for q in AUDIT_QUERIES if any(re.search(r, q) for r in SPEC_PATTERNS))
    answer = run(store, grafana_body(query, size=100), {"index": "audit-*"})
    assert sorted(h["_source"]["query"] for h in answer["hits"]["hits"]) == truth


def test_a_phrase_on_the_text_field_is_not_exact_for_punctuation(store):
    """Why the audit queries use the keyword twin: the standard analyzer drops
    punctuation and case, so the injection phrase matches its near misses."""
    answer = run(store, grafana_body(phrase("query", "'; OR '1'='1"), size=100), {"index": "audit-*"})
    found = {h["_source"]["query"] for h in answer["hits"]["hits"]}
    assert {"OR 1=1", "'; or '1'='1"} <= found


def test_a_value_longer_than_256_characters_is_not_in_the_keyword_twin(store):
    store.add("audit-long", [{"timestamp": iso(T0), "query": "x" * 300 + " DROP TABLE users"}])
    header = {"index": "audit-long"}
    assert run(store, grafana_body(contains("query.keyword", "DROP TABLE")), header)["hits"]["total"]["value"] == 0
    assert run(store, grafana_body(phrase("query", "DROP TABLE")), header)["hits"]["total"]["value"] == 1


def test_a_query_lucene_cannot_parse_is_an_elasticsearch_error(store):
    answer = evaluate(store, HEADER, grafana_body("level:(ERROR OR"), now_ms=NOW)
    assert answer["status"] == 400
    failure = answer["error"]["failed_shards"][0]["reason"]
    assert answer["error"]["root_cause"][0] == {"type": "query_shard_exception",
                                                "reason": "Failed to parse query [level:(ERROR OR]",
                                                "index": "tonebridge-2024.01.15"}
    assert failure["caused_by"]["type"] == "parse_exception"
    assert failure["caused_by"]["reason"].startswith("Cannot parse 'level:(ERROR OR': Encountered")


def test_a_terms_aggregation_on_a_text_field_is_refused_as_elasticsearch_refuses_it(store):
    answer = evaluate(store, HEADER, grafana_body("*", aggs={"2": {"terms": {"field": "level"}}}), now_ms=NOW)
    assert answer["status"] == 400
    assert answer["error"]["root_cause"][0]["reason"].startswith("Text fields are not optimised")
