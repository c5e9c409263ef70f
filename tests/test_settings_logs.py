"""The datasource settings: the logs' index, audit index, time field and
Elasticsearch datasource, the Jaeger datasource, Prometheus' URL."""

from __future__ import annotations

import pytest

from tonebridge_dash.errors import SettingsError
from tonebridge_dash.settings import from_mapping


def test_the_content_default_index_is_tonebridges_and_the_audit_logs_are_in_it():
    logs = from_mapping({}).logs
    assert logs.index == "tonebridge-*"
    assert logs.audit_index == "tonebridge-*"  # §10.2 scans the same lines: no index of its own
    assert logs.time_field == "timestamp"
    assert (logs.datasource.uid, logs.datasource.name, logs.datasource.url) == \
        ("elasticsearch", "Elasticsearch", "http://elasticsearch:9200")
    assert logs.audit_datasource == logs.datasource and not logs.audit_apart


def test_the_engine_default_index_is_logstash_style():
    assert from_mapping({"content": {"defaults": ""}}).logs.index == "logstash-*"


def test_traces_and_prometheus_urls():
    cfg = from_mapping({})
    assert (cfg.traces.datasource.uid, cfg.traces.datasource.name) == ("jaeger", "Jaeger")
    assert cfg.traces.datasource.url == "http://jaeger-query:16686"
    assert cfg.datasource.url == "http://prometheus:9090"
    cfg = from_mapping({"datasource": {"url": "https://prom.example:9090"},
                        "traces": {"datasource": {"url": "https://jaeger.example"}}})
    assert cfg.datasource.url == "https://prom.example:9090"
    assert cfg.traces.datasource.url == "https://jaeger.example" and cfg.traces.datasource.uid == "jaeger"


def test_file_overrides_merge_over_the_defaults():
    logs = from_mapping({"logs": {"index": "logs-*,tonebridge-*", "time_field": "@timestamp",
                                  "datasource": {"uid": "es-prod"}}}).logs
    assert logs.index == logs.audit_index == "logs-*,tonebridge-*"
    assert logs.time_field == "@timestamp"
    assert logs.datasource.uid == "es-prod" and logs.datasource.name == "Elasticsearch"


def test_an_audit_index_of_its_own_gets_a_datasource_of_its_own():
    logs = from_mapping({"logs": {"audit_index": "audit-*"}}).logs
    assert logs.audit_apart and logs.audit_index == "audit-*"
    audit = logs.audit_datasource
    assert (audit.uid, audit.name, audit.url) == ("elasticsearch-audit", "Elasticsearch (audit)",
                                                  "http://elasticsearch:9200")
    named = from_mapping({"logs": {"audit_index": "audit-*", "audit_datasource": {
        "uid": "audit", "name": "Audit", "url": "https://audit.example:9200"}}}).logs.audit_datasource
    assert (named.uid, named.name, named.url) == ("audit", "Audit", "https://audit.example:9200")


def test_an_audit_index_equal_to_the_index_is_the_same_datasource():
    logs = from_mapping({"logs": {"audit_index": "tonebridge-*"}}).logs
    assert not logs.audit_apart


@pytest.mark.parametrize("raw, message", [
    ({"logs": {"index": ""}}, "key 'logs.index'"),
    ({"logs": {"index": "tone bridge-*"}}, "key 'logs.index'"),
    ({"logs": {"time_field": ""}}, "key 'logs.time_field'"),
    ({"logs": {"datasource": {"uid": "no spaces"}}}, "key 'logs.datasource.uid'"),
    ({"logs": {"datasource": {"url": "elasticsearch:9200"}}}, "key 'logs.datasource.url'"),
    ({"logs": {"datasource": {"type": "elasticsearch"}}}, "unknown key 'logs.datasource.type'"),
    ({"logs": {"shards": 3}}, "unknown key 'logs.shards'"),
    ({"traces": {"datasource": {"name": ""}}}, "key 'traces.datasource.name'"),
    ({"datasource": {"url": "ftp://prom"}}, "key 'datasource.url'"),
    ({"logs": {"audit_index": "audit-*", "audit_datasource": {"uid": "elasticsearch"}}},
     "key 'logs.audit_datasource': the audit logs' index differs"),
])
def test_invalid_values_are_one_error_naming_the_key(raw, message):
    with pytest.raises(SettingsError) as e:
        from_mapping(raw, "tb-dash.yaml")
    assert message in str(e.value)
    assert str(e.value).startswith("tb-dash.yaml")
