"""Everything reads v2: pull keeps the version Grafana holds, diff compares
panel by panel across versions, import turns a v2 dashboard into code, check
reads the queries of v2 elements."""

from __future__ import annotations

import copy
import json

import pytest

from emulated import FAST_RETRY, TOKEN, grafana13, tb  # noqa: F401 (fixtures)
from tonebridge_dash.dashboard.versioned import classic_view, in_schema
from tonebridge_dash.grafana import GrafanaClient, TokenAuth
from tonebridge_dash.grafana.apis import choose
from tonebridge_dash.grafana.diff import CHANGED, UNCHANGED, diff_all
from tonebridge_dash.grafana.push import push
from tonebridge_dash.model import iter_panels
from tonebridge_dash.prometheus import check

from test_push_v2 import classic, emu  # noqa: F401 (fixtures: Grafana 13, the content's dashboards)


def push_to(emu, dashboards):
    with choose(GrafanaClient(emu.url, auth=TokenAuth(TOKEN), retry=FAST_RETRY), "apis") as c:
        report = push(c, dashboards, folder_uid="tonebridge", folder_title="ToneBridge")
    assert report.exit_code == 0


def legacy(emu) -> GrafanaClient:
    return GrafanaClient(emu.url, auth=TokenAuth(TOKEN), retry=FAST_RETRY)


def with_query(r, expr):
    """A v2 dashboard whose first element's first query is ``expr``."""
    data = copy.deepcopy(r.data)
    name = sorted(data["spec"]["elements"])[0]
    query = data["spec"]["elements"][name]["spec"]["data"]["spec"]["queries"][0]["spec"]["query"]["spec"]
    query["expr"] = expr
    return type(r)(r.uid, r.title, data, r.source)


# -- pull --

def test_pull_keeps_the_version_grafana_holds(tb, emu, classic, tmp_path):
    push_to(emu, in_schema([r for r in classic if r.uid != "tb-slo"], "v2"))
    push_to(emu, [r for r in classic if r.uid == "tb-slo"])  # one still classic
    r = tb("pull", "--grafana-url", emu.url, "--all", "--out", tmp_path / "pulled")
    assert r.code == 0, r.err
    files = {p.stem: json.loads(p.read_text()) for p in (tmp_path / "pulled").glob("*.json")}
    assert sorted(files) == sorted(x.uid for x in classic)
    slo = files.pop("tb-slo")
    assert "panels" in slo and "apiVersion" not in slo
    for uid, doc in files.items():
        assert doc["apiVersion"] == "dashboard.grafana.app/v2" and doc["metadata"] == {"name": uid}
        assert doc["spec"]["elements"] and "status" not in doc
    assert "ToneBridge - Business" in r.out  # titled by its spec
    again = tb("pull", "--grafana-url", emu.url, "--all", "--out", tmp_path / "pulled")
    assert again.code == 0 and f"0 new, 0 updated, {len(classic)} unchanged" in again.err + again.out
    # what was pulled pushes back as it is: nothing to write
    emu.reset_counts()
    (tmp_path / "tb-dash.yaml").write_text("")
    r = tb("push", "--grafana-url", emu.url, "--api", "apis", "--from", tmp_path / "pulled", "--only", "tb-business")
    assert r.code == 0 and emu.writes() == 0, r.err


# -- diff --

def test_diff_across_versions_is_panel_level(emu, classic):
    push_to(emu, classic)  # Grafana holds the classic model
    v2 = in_schema(classic, "v2")
    changed = [with_query(r, "vector(42)") if r.uid == "tb-overview" else r for r in v2]
    with legacy(emu) as c:
        diffs = {d.uid: d for d in diff_all(c, changed, folder_uid="tonebridge")}
    overview = diffs["tb-overview"]
    assert overview.state == CHANGED and overview.settings[0] == "format (v1 -> v2)"
    [panel] = overview.panels
    [field] = panel.fields
    assert field.field == "query" and field.new == "vector(42)"
    # the same panels in the other format: the format only
    assert diffs["tb-system"].settings == ["format (v1 -> v2)"] and diffs["tb-system"].panels == []
    # the business tabs: the same panels, another layout
    assert diffs["tb-business"].settings == ["format (v1 -> v2)",
                                             "layout (RowsLayout -> TabsLayout(AutoGridLayout, GridLayout, GridLayout))"]
    assert diffs["tb-business"].panels == []
    # through /apis at v2, Grafana converts what it holds: the same panels are unchanged
    with choose(legacy(emu), "apis") as c:
        states = {d.uid: d.state for d in diff_all(c, changed, folder_uid="tonebridge")}
    assert states["tb-system"] == UNCHANGED and states["tb-overview"] == CHANGED


def test_diff_of_classic_code_against_a_v2_dashboard_in_grafana(emu, classic):
    push_to(emu, in_schema(classic, "v2"))
    with legacy(emu) as c:  # the legacy read is answered 406: read where Grafana says
        diffs = {d.uid: d for d in diff_all(c, classic, folder_uid="tonebridge")}
    assert diffs["tb-application"].settings == ["format (v2 -> v1)"] and diffs["tb-application"].panels == []


def test_the_diff_command_reads_v2(tb, emu, classic, tmp_path):
    push_to(emu, in_schema(classic, "v2"))
    (tmp_path / "tb-dash.yaml").write_text("dashboards: {schema: v2}\n")
    r = tb("diff", "--grafana-url", emu.url, "--api", "apis", cwd=tmp_path)
    assert r.code == 0, r.out + r.err
    (tmp_path / "tb-dash.yaml").write_text("")
    r = tb("diff", "--grafana-url", emu.url, "--format", "json", cwd=tmp_path)
    assert r.code == 1
    report = json.loads(r.out)
    assert all("format (v2 -> v1)" in json.dumps(d) for d in report["dashboards"])


# -- import --

def test_import_of_a_v2_dashboard_gives_code_with_the_same_panels(tb, tmp_path, rendered):
    [business] = in_schema([rendered["tb-business"]], "v2")
    (tmp_path / "business.json").write_text(json.dumps(business.data))
    done = tb("import", "business.json", "--out", "imported")
    assert done.code == 0, done.err
    module = (tmp_path / "imported" / "business.py").read_text()
    assert "each tab becomes a row" in module  # the conversion's notes, in the module
    (tmp_path / "tb-dash.yaml").write_text("content:\n  dashboards: imported\n")
    assert tb("render", "--out", "build").code == 0
    [out] = [json.loads(p.read_text()) for p in (tmp_path / "build").glob("*.json")]
    titles = lambda d: sorted(p["title"] for p in iter_panels(d) if p.get("type") != "row")  # noqa: E731
    exprs = lambda d: sorted(t["expr"] for p in iter_panels(d) for t in p.get("targets", []))  # noqa: E731
    assert titles(out) == titles(rendered["tb-business"].data)
    assert exprs(out) == exprs(rendered["tb-business"].data)
    assert out["uid"] == "tb-business"


# -- check --

def test_check_plans_the_same_queries_for_v2_elements(classic):
    def planned(dashboards):
        return [(p.target.dashboard, p.target.panel, p.target.panel_id, p.target.ref_id, p.query)
                for p in check.plan(dashboards)]

    v2 = [classic_view(r) for r in in_schema(classic, "v2")]
    assert planned(v2) == planned(classic) and len(planned(v2)) > 20


@pytest.mark.prometheus
def test_the_check_command_reads_v2_files(tb, prometheus, tmp_path):
    assert tb("render", "--out", tmp_path / "v1").code == 0
    assert tb("render", "--schema", "v2", "--out", tmp_path / "v2").code == 0
    reports = {}
    for schema in ("v1", "v2"):
        r = tb("check", tmp_path / schema, "-p", prometheus.url, "--time", prometheus.end, "--format", "json")
        reports[schema] = json.loads(r.out)
        assert r.code == 0, r.err
    assert reports["v2"]["queries"] == reports["v1"]["queries"] > 20 and reports["v2"]["errors"] == 0
    assert reports["v2"]["findings"] == reports["v1"]["findings"]
