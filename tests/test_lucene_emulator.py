"""The Elasticsearch test double over HTTP, answering as Elasticsearch would."""

from __future__ import annotations

import json

import pytest
import requests

from elasticsearch_emulator import ElasticsearchEmulator, lucene_session
from tonebridge_dash.elasticsearch.lucene_query import term
from tonebridge_dash.elasticsearch.store import LogStore

pytestmark = pytest.mark.lucene  # every test reads an index of Lucene's

RECORDS = [
    {"timestamp": "2024-01-15T10:00:00.000Z", "level": "INFO", "status": 200, "duration_ms": 12.5,
     "metadata": {"error_type": "none"}},
    {"timestamp": "2024-01-15T10:01:00.000Z", "level": "ERROR", "status": 500, "duration_ms": 1200.25,
     "metadata": {"error_type": "timeout"}},
    {"timestamp": "2024-01-15T10:02:00.000Z", "level": "ERROR", "status": 502, "duration_ms": 0.1},
]
START, END = 1705312800000, 1705313400000  # 10:00 to 10:10


@pytest.fixture(scope="module")
def emulator():
    session = lucene_session()
    with session:
        store = LogStore(session)
        store.add("tonebridge-2024.01.15", RECORDS)
        store.add("other", [{"timestamp": "2024-01-15T10:00:00Z", "level": "ERROR"}])
        with ElasticsearchEmulator(store, now_ms=END) as emu:
            yield emu


def ndjson(*items: dict) -> str:
    return "".join(json.dumps(i) + "\n" for i in items)


def test_root_answers_an_8x_version(emulator):
    r = requests.get(emulator.url + "/", timeout=5)
    assert r.status_code == 200 and r.json()["version"]["number"].startswith("8.")
    assert r.headers["X-elastic-product"] == "Elasticsearch"


def test_msearch_answers_each_item_in_order_with_errors_in_place(emulator):
    metrics = {"size": 0, "query": {"bool": {"filter": [
        {"range": {"timestamp": {"gte": START, "lte": END, "format": "epoch_millis"}}},
        {"query_string": {"analyze_wildcard": True, "query": term("level.keyword", "ERROR")}}]}},
        "aggs": {"2": {"date_histogram": {"field": "timestamp", "fixed_interval": "1m", "min_doc_count": 0,
                                          "extended_bounds": {"min": START, "max": END}, "format": "epoch_millis"},
                       "aggs": {"1": {"max": {"field": "duration_ms"}}, "3": {"sum": {"field": "status"}}}}}}
    logs = {"size": 500, "query": {"bool": {"filter": {"range": {"timestamp": {
        "gte": START, "lte": END, "format": "epoch_millis"}}}}},
        "sort": {"timestamp": {"order": "desc", "unmapped_type": "boolean"}, "_doc": {"order": "desc"}},
        "fields": [{"field": "timestamp", "format": "strict_date_optional_time_nanos"}]}
    broken = {"size": 0, "query": {"query_string": {"query": "status:[500 TO"}}}
    header = {"index": "tonebridge-*", "ignore_unavailable": True}
    body = ndjson(header, metrics, header, logs, header, broken, {"index": "missing"}, logs)
    r = requests.post(emulator.url + "/_msearch", data=body.encode(),
                      headers={"Content-Type": "application/x-ndjson"}, timeout=10)
    assert r.status_code == 200
    first, second, third, fourth = r.json()["responses"]
    buckets = first["aggregations"]["2"]["buckets"]
    assert [b["doc_count"] for b in buckets] == [0, 1, 1] + [0] * 8
    # a float field holds single precision, and metrics answer doubles, as Elasticsearch's do
    assert buckets[1]["1"]["value"] == 1200.25 and buckets[2]["1"]["value"] == pytest.approx(0.1, abs=1e-8)
    assert buckets[2]["1"]["value"] != 0.1
    assert buckets[1]["3"]["value"] == 500.0 and buckets[0]["1"]["value"] is None
    assert [h["_source"]["timestamp"] for h in second["hits"]["hits"]] == [r["timestamp"] for r in RECORDS[::-1]]
    assert second["hits"]["hits"][0]["fields"] == {"timestamp": ["2024-01-15T10:02:00.000Z"]}
    assert third["status"] == 400 and third["error"]["root_cause"][0]["type"] == "query_shard_exception"
    assert fourth["status"] == 404 and fourth["error"]["type"] == "index_not_found_exception"


def test_mapping_and_field_caps_show_the_dynamic_mapping(emulator):
    mapping = requests.get(emulator.url + "/tonebridge-*/_mapping", timeout=5).json()
    props = mapping["tonebridge-2024.01.15"]["mappings"]["properties"]
    assert props["level"] == {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}}
    assert props["status"] == {"type": "long"} and props["duration_ms"] == {"type": "float"}
    assert props["timestamp"] == {"type": "date"}
    assert props["metadata"]["properties"]["error_type"]["type"] == "text"
    caps = requests.get(emulator.url + "/tonebridge-*/_field_caps?fields=*", timeout=5).json()
    assert caps["fields"]["level.keyword"]["keyword"]["aggregatable"] is True
    assert caps["fields"]["level"]["text"]["aggregatable"] is False
    missing = requests.get(emulator.url + "/nope/_mapping", timeout=5)
    assert missing.status_code == 404 and missing.json()["error"]["type"] == "index_not_found_exception"


def test_a_malformed_msearch_body_is_a_400(emulator):
    r = requests.post(emulator.url + "/_msearch", data=b'{"index": "x"}\n{not json\n', timeout=5)
    assert r.status_code == 400 and r.json()["error"]["type"] == "x_content_parse_exception"
