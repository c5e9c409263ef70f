"""validate's Elasticsearch target rules: the time field, queries parsed on
Lucene itself, aggregations on fields that support them; and --fix."""

from __future__ import annotations

import json

import pytest

from tonebridge_dash.lint import elastic

DS = {"type": "elasticsearch", "uid": "elasticsearch"}
CATALOG = '''
def mapping_types():
    return {"timestamp": "date", "level": "text", "level.keyword": "keyword", "path": "text",
            "path.keyword": "keyword", "message": "text", "message.keyword": "keyword", "status": "long",
            "duration_ms": "long", "user_id": "text", "user_id.keyword": "keyword"}
'''


def es_panel(pid: int, title: str, target: dict, kind: str = "barchart") -> dict:
    return {"id": pid, "title": title, "type": kind, "datasource": DS, "description": title,
            "gridPos": {"x": 0, "y": 4 * pid, "w": 24, "h": 4},
            "targets": [{"refId": "A", "datasource": DS, "timeField": "timestamp", "metrics": [{"id": "1",
                                                                                              "type": "count"}],
                         "bucketAggs": [{"id": "2", "type": "date_histogram", "field": "timestamp",
                                         "settings": {"interval": "auto"}}], "query": "", **target}]}


def write(tmp_path, *panels: dict, catalog: bool = True) -> str:
    data = {"uid": "tb-logs-test", "title": "Logs test", "editable": False, "schemaVersion": 39,
            "time": {"from": "now-1h", "to": "now"},
            "templating": {"list": [{"name": "user_id", "type": "textbox", "query": "user_123",
                                     "current": {"value": "user 123", "text": "user 123"}}]},
            "panels": list(panels)}
    d = tmp_path / "dashboards"
    d.mkdir(exist_ok=True)
    (d / "tb-logs-test.json").write_text(json.dumps(data), encoding="utf-8")
    if catalog:
        (tmp_path / "test_log_fields.py").write_text(CATALOG, encoding="utf-8")
    (tmp_path / "tb-dash.yaml").write_text(f"content: {{log_fields: '{'test_log_fields' if catalog else ''}'}}\n",
                                           encoding="utf-8")
    return str(d)


def findings(tb, d: str, *rules: str) -> list[dict]:
    ran = tb("validate", d, "-f", "json")
    assert "Traceback" not in ran.err
    return [f for f in json.loads(ran.out)["findings"] if f["rule"] in rules]


def test_a_target_without_its_time_field_is_an_error_and_another_one_a_warning(tb, tmp_path):
    d = write(tmp_path, es_panel(1, "No time field", {"timeField": ""}),
              es_panel(2, "Other time field", {"timeField": "@timestamp"}),
              es_panel(3, "Right", {}))
    found = findings(tb, d, "target-es-time-field")
    assert [(f["panel"], f["severity"], f["target"]) for f in found] == [("No time field", "error", 0),
                                                                         ("Other time field", "warning", 0)]
    assert "the logs' time field is 'timestamp'" in found[0]["message"]


def test_terms_on_a_text_field_and_an_average_of_one_are_errors(tb, tmp_path):
    d = write(tmp_path,
              es_panel(1, "Paths", {"bucketAggs": [{"id": "2", "type": "terms", "field": "path",
                                                    "settings": {"size": "10"}}]}),
              es_panel(2, "Mean level", {"metrics": [{"id": "1", "type": "avg", "field": "level"}]}),
              es_panel(3, "Fine", {"metrics": [{"id": "1", "type": "avg", "field": "duration_ms"}],
                                   "bucketAggs": [{"id": "2", "type": "terms", "field": "path.keyword"},
                                                  {"id": "3", "type": "terms", "field": "status"}]}))
    found = findings(tb, d, "target-es-aggregatable")
    assert [(f["panel"], f["message"]) for f in found] == [
        ("Paths", "target [A]: terms on 'path', a text field: use 'path.keyword'"),
        ("Mean level", "target [A]: avg on 'level', a text field")]


def test_without_a_catalog_only_keyword_fields_and_the_time_field_are_judged(tb, tmp_path):
    d = write(tmp_path, es_panel(1, "Paths", {"bucketAggs": [{"id": "2", "type": "terms", "field": "path"}],
                                              "metrics": [{"id": "1", "type": "avg", "field": "path.keyword"}]}),
              catalog=False)
    found = findings(tb, d, "target-es-aggregatable")
    assert [f["message"] for f in found] == ["target [A]: avg on 'path.keyword', a keyword field"]


def test_fix_sets_the_time_field_and_moves_terms_to_the_keyword_twin(tb, tmp_path):
    d = write(tmp_path, es_panel(1, "Paths", {"timeField": None,
                                              "bucketAggs": [{"id": "2", "type": "terms", "field": "path"}]}))
    ran = tb("validate", d, "--fix", "-f", "json")
    assert "timeField timestamp" in ran.err and "path.keyword" in ran.err
    target = json.loads((tmp_path / "dashboards" / "tb-logs-test.json").read_text())["panels"][0]["targets"][0]
    assert target["timeField"] == "timestamp" and target["bucketAggs"][0]["field"] == "path.keyword"
    assert not findings(tb, d, "target-es-time-field", "target-es-aggregatable")


def test_the_rules_are_listed_with_their_descriptions(tb):
    out = tb("validate", "--list-rules").out
    for rule in ("target-es-time-field", "target-es-lucene", "target-es-aggregatable"):
        line = next(line for line in out.splitlines() if line.startswith(rule))
        assert "error" in line and len(line.split(None, 3)[3]) > 30


@pytest.mark.lucene
def test_a_query_lucene_cannot_parse_is_an_error_and_good_ones_pass(tb, tmp_path):
    from elasticsearch_emulator import lucene_session

    lucene_session().close()  # skips (or fails under CI) without Lucene, as every Lucene test does
    d = write(tmp_path,
              es_panel(1, "Open range", {"query": "status:[500 TO"}),
              es_panel(2, "Unbalanced", {"query": "level:ERROR AND (path:x"}),
              es_panel(3, "Bad filter", {"bucketAggs": [{"id": "2", "type": "filters", "settings": {"filters": [
                  {"query": "level.keyword:ERROR", "label": "errors"}, {"query": "message:\"open", "label": "q"}]}}]}),
              es_panel(4, "Escaped", {"query": 'user_id.keyword:$user_id AND message.keyword:*\\;\\ OR\\ \'1\'\\=\'1*'}),
              es_panel(5, "Numbers", {"query": "status:>=500 AND duration_ms:[1000 TO *]"}))
    found = findings(tb, d, "target-es-lucene")
    assert [f["panel"] for f in found] == ["Open range", "Unbalanced", "Bad filter"]
    assert all(f["severity"] == "error" and f["target"] == 0 for f in found)
    assert "Lucene cannot parse the query: Cannot parse 'status:[500 TO'" in found[0]["message"]
    assert "filter 'q'" in found[2]["message"]


def test_without_lucene_the_queries_are_not_parsed_and_it_says_so_once(tb, tmp_path, monkeypatch):
    from tonebridge_dash.lint import lucene

    monkeypatch.setattr(lucene, "unavailable", lambda: "javac is missing (apt-get install ...)")
    d = write(tmp_path, es_panel(1, "Open range", {"query": "status:[500 TO"}),
              es_panel(2, "Other", {"query": "level:ERROR"}))
    (f,) = findings(tb, d, "target-es-lucene")
    assert f["severity"] == "warning" and "not parsed: javac is missing" in f["message"] and f["panel"] == ""


def test_render_does_not_start_a_jvm(monkeypatch, cfg):
    """The gate before writing leaves parsing to validate: no JVM per render."""
    from tonebridge_dash import lint
    from tonebridge_dash.errors import RenderError
    from tonebridge_dash.model import Rendered

    from tonebridge_dash.dashboard import render

    monkeypatch.setattr(elastic, "_parse_error", lambda *a: pytest.fail("render parsed a query on Lucene"))
    monkeypatch.setattr(render, "check_all", lambda dashboards: None)  # Grafana's schema: not this test's
    data = {"uid": "tb-x", "title": "x", "editable": False, "schemaVersion": 39, "panels": [
        es_panel(1, "Q", {"query": "level:ERROR"})], "templating": {"list": []}}
    with pytest.raises(RenderError, match="template-datasource"):  # the other rules ran: Lucene was not asked
        lint.gate([Rendered.of(data)], cfg, warn=lambda message: None)
