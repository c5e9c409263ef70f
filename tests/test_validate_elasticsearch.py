"""``target-es-lucene``: an Elasticsearch query Lucene cannot parse is a
validate error, found by Lucene's own parser (configured as Elasticsearch's
query_string) after Grafana's variables are substituted."""

from __future__ import annotations

import copy
import json

import pytest

from tonebridge_dash import lint
from tonebridge_dash.dashboard.render import build_all
from tonebridge_dash.findings import ERROR, WARNING
from tonebridge_dash.model import Rendered

BROKEN = "level:(ERROR OR"


@pytest.fixture(scope="module")
def project(cfg):
    return {r.uid: r for r in build_all(cfg, check=False)}


def _with_query(project, query, title="Errors by service", uid="tb-logs", **current) -> Rendered:
    data = copy.deepcopy(project[uid].data)
    panel = next(p for p in data["panels"] if p.get("title") == title)
    panel["targets"][0]["query"] = query
    for v in data["templating"]["list"]:
        if v["name"] in current:
            v["current"] = {"text": current[v["name"]], "value": current[v["name"]]}
    return Rendered(str(data["uid"]), data["title"], data)


def _lucene(result):
    return [(f.severity, f.panel, f.message) for f in result.findings if f.rule == "target-es-lucene"]


@pytest.mark.lucene
def test_a_query_lucene_cannot_parse_is_an_error(project, cfg):
    result = lint.validate([_with_query(project, BROKEN)], cfg)
    [(severity, panel, message)] = _lucene(result)
    assert (severity, panel) == (ERROR, "Errors by service") and result.failed()
    assert message.startswith("target [A]: Lucene cannot parse the query: Cannot parse 'level:(ERROR OR': "
                              "Encountered \"<EOF>\" at line 1, column 15")


@pytest.mark.lucene
@pytest.mark.parametrize("query", ['message:"unclosed', "level:ERROR AND", "status:[200 TO", "a:b:c)"])
def test_each_kind_of_syntax_error_is_found(project, cfg, query):
    assert [s for s, _, _ in _lucene(lint.validate([_with_query(project, query)], cfg))] == [ERROR]


@pytest.mark.lucene
def test_variables_are_substituted_and_escaped_as_grafana_does_first(project, cfg):
    """``$user_id`` holding Lucene's reserved characters parses: Grafana
    escapes it; the same text written into the query by hand does not."""
    activity = "Activity of $user_id over 24 hours (§8.1)"
    escaped = _with_query(project, "user_id.keyword:$user_id", activity, user_id="a (b")
    assert _lucene(lint.validate([escaped], cfg)) == []
    by_hand = _with_query(project, "user_id.keyword:a (b", activity)
    assert [s for s, _, _ in _lucene(lint.validate([by_hand], cfg))] == [ERROR]


@pytest.mark.lucene
def test_the_project_log_dashboards_parse(project, cfg):
    result = lint.validate([project["tb-logs"], project["tb-audit"]], cfg)
    assert _lucene(result) == [] and not result.failed(strict=True)


def test_without_lucene_one_warning_per_dashboard_says_so(project, cfg, monkeypatch):
    from tonebridge_dash.lint import lucene

    monkeypatch.setattr(lucene, "unavailable", lambda: "javac is missing (apt-get install default-jdk-headless)")
    result = lint.validate([_with_query(project, BROKEN), project["tb-overview"]], cfg)
    assert _lucene(result) == [(WARNING, "", "the Elasticsearch queries were not parsed: javac is missing "
                                             "(apt-get install default-jdk-headless)")]
    assert not result.failed()


@pytest.mark.lucene
def test_a_broken_file_is_exit_1_with_the_rule_named(tb, project, tmp_path):
    out = tmp_path / "dashboards"
    out.mkdir()
    (out / "tb-logs.json").write_text(json.dumps(_with_query(project, BROKEN).data))
    r = tb("validate", out)
    assert r.code == 1 and "Traceback" not in r.err
    assert "target-es-lucene" in r.out and "Lucene cannot parse the query" in r.out
