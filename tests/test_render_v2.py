"""``render --schema v2beta1|v2`` and the ``dashboards.schema`` setting: the
same content as ``dashboard.grafana.app`` resources, laid out as the
content asks (``V2_LAYOUT``: tabs, auto grids), valid for Grafana's v2
schema, for every target."""

from __future__ import annotations

import json

import pytest
import yaml

from tonebridge_dash.dashboard.layout import auto_grid, tabs
from tonebridge_dash.dashboard.render import build_all
from tonebridge_dash.dashboard.v2 import validate_v2
from tonebridge_dash.dashboard.versioned import as_v2, in_schema, laid_out
from tonebridge_dash.errors import RenderError
from tonebridge_dash.model import Rendered, iter_panels
from tonebridge_dash.settings import from_mapping
from tonebridge_dash.targets import kubernetes as k8s

CFG = from_mapping({})


@pytest.fixture(scope="module")
def classic():
    return {r.uid: r for r in build_all(CFG)}


def read_dir(path):
    return {p.stem: json.loads(p.read_text()) for p in sorted(path.glob("*.json"))}


def items_of(layout):
    """(kind, element name, spec) of every item of a layout tree."""
    kind, spec = layout["kind"], layout["spec"]
    if kind in ("GridLayout", "AutoGridLayout"):
        return [(kind, i["spec"]["element"]["name"], i["spec"]) for i in spec["items"]]
    children = spec.get("rows") or spec.get("tabs") or []
    return [x for c in children for x in items_of(c["spec"]["layout"])]


@pytest.mark.parametrize("version", ["v2beta1", "v2"])
def test_render_schema_writes_valid_v2_resources(tb, tmp_path, classic, version):
    r = tb("render", "--schema", version, "--out", tmp_path)
    assert r.code == 0, r.err
    written = read_dir(tmp_path)
    assert sorted(written) == sorted(classic)
    for uid, doc in written.items():
        assert doc["apiVersion"] == f"dashboard.grafana.app/{version}" and doc["kind"] == "Dashboard"
        assert doc["metadata"]["name"] == uid and doc["spec"]["title"] == classic[uid].title
        assert validate_v2(doc) == [], uid
        # every panel once: one element each, each placed by exactly one layout item
        panels = [p for p in iter_panels(classic[uid].data) if p.get("type") != "row"]
        placed = [name for _, name, _ in items_of(doc["spec"]["layout"])]
        assert len(doc["spec"]["elements"]) == len(panels) == len(placed) == len(set(placed))


def test_the_setting_chooses_the_format_and_the_option_overrides_it(tb, tmp_path):
    (tmp_path / "tb-dash.yaml").write_text("dashboards: {schema: v2beta1}\n")
    assert tb("render", "--out", "out").code == 0
    assert {d["apiVersion"] for d in read_dir(tmp_path / "out").values()} == {"dashboard.grafana.app/v2beta1"}
    assert tb("render", "--out", "classic", "--schema", "v1").code == 0
    assert all("panels" in d and "apiVersion" not in d for d in read_dir(tmp_path / "classic").values())
    (tmp_path / "tb-dash.yaml").write_text("dashboards: {schema: v3}\n")
    r = tb("render", "--out", "out")
    assert r.code == 2 and "dashboards.schema" in r.err and "v3" in r.err


def test_classic_output_is_unchanged_by_the_v2_layout(tb, tmp_path, classic):
    assert tb("render", "--out", tmp_path / "a").code == 0
    assert tb("render", "--out", tmp_path / "b", "--schema", "v1").code == 0
    a, b = read_dir(tmp_path / "a"), read_dir(tmp_path / "b")
    assert a == b == {uid: r.data for uid, r in classic.items()}
    assert "TabsLayout" not in json.dumps(a)


def test_rows_become_a_rows_layout_and_a_grid_stays_a_grid(classic):
    app = as_v2(classic["tb-application"], "v2").data["spec"]["layout"]
    rows = [p for p in classic["tb-application"].data["panels"] if p["type"] == "row"]
    assert app["kind"] == "RowsLayout"
    assert [r["spec"]["title"] for r in app["spec"]["rows"]] == [r["title"] for r in rows]
    overview = classic["tb-overview"]
    grid = as_v2(overview, "v2").data["spec"]["layout"]
    assert grid["kind"] == "GridLayout"
    got = [(i["spec"]["x"], i["spec"]["y"], i["spec"]["width"], i["spec"]["height"]) for i in grid["spec"]["items"]]
    want = [(p["gridPos"]["x"], p["gridPos"]["y"], p["gridPos"]["w"], p["gridPos"]["h"])
            for p in overview.data["panels"]]
    assert got == want


def test_a_collapsed_row_stays_collapsed():
    data = {"uid": "c", "title": "C", "schemaVersion": 41, "panels": [
        {"type": "row", "id": 1, "title": "Open", "collapsed": False, "gridPos": {"x": 0, "y": 0, "w": 24, "h": 1},
         "panels": []},
        {"type": "stat", "id": 2, "title": "A", "gridPos": {"x": 0, "y": 1, "w": 6, "h": 4}},
        {"type": "row", "id": 3, "title": "Closed", "collapsed": True, "gridPos": {"x": 0, "y": 5, "w": 24, "h": 1},
         "panels": [{"type": "stat", "id": 4, "title": "B", "gridPos": {"x": 6, "y": 6, "w": 6, "h": 4}}]}]}
    rows = as_v2(Rendered.of(data), "v2").data["spec"]["layout"]["spec"]["rows"]
    assert [(r["spec"]["title"], r["spec"].get("collapse")) for r in rows] == [("Open", False), ("Closed", True)]
    inner = rows[1]["spec"]["layout"]["spec"]["items"][0]["spec"]
    assert (inner["x"], inner["y"], inner["width"], inner["height"]) == (6, 0, 6, 4)


def test_the_business_dashboard_shows_its_rows_as_tabs_without_a_second_copy(classic):
    business = classic["tb-business"]
    doc = as_v2(business, "v2").data
    layout = doc["spec"]["layout"]
    assert layout["kind"] == "TabsLayout"
    assert [t["spec"]["title"] for t in layout["spec"]["tabs"]] == ["KPIs", "Usage", "Cost"]
    kpis, usage, cost = (t["spec"]["layout"] for t in layout["spec"]["tabs"])
    assert kpis["kind"] == "AutoGridLayout" and kpis["spec"]["maxColumnCount"] == 4
    assert kpis["spec"]["rowHeightMode"] == "short" and len(kpis["spec"]["items"]) == 4
    titles = {name: e["spec"]["title"] for name, e in doc["spec"]["elements"].items()}
    assert [titles[n] for _, n, _ in items_of(kpis)] == [
        "Transformations per minute", "Average text length", "Transformation error rate", "Cache hit rate"]
    assert usage["kind"] == cost["kind"] == "GridLayout"
    # the Usage tab's grid is the Usage row's, positions relative to the row
    panels = business.data["panels"]
    start = next(i for i, p in enumerate(panels) if p["type"] == "row" and p["title"] == "Usage")
    end = next(i for i, p in enumerate(panels) if i > start and p["type"] == "row")
    row_y = panels[start]["gridPos"]["y"] + 1
    want = [(p["title"], p["gridPos"]["x"], p["gridPos"]["y"] - row_y, p["gridPos"]["w"], p["gridPos"]["h"])
            for p in panels[start + 1:end]]
    got = [(titles[i["spec"]["element"]["name"]], i["spec"]["x"], i["spec"]["y"], i["spec"]["width"],
            i["spec"]["height"]) for i in usage["spec"]["items"]]
    assert got == want


ROWS = {"kind": "RowsLayout", "spec": {"rows": [
    {"kind": "RowsLayoutRow", "spec": {"title": t, "collapse": False, "layout": {"kind": "GridLayout", "spec": {
        "items": [{"kind": "GridLayoutItem", "spec": {"x": 12 - 12 * i, "y": 0, "width": 12, "height": 8,
                                                       "element": {"kind": "ElementReference", "name": f"{t}-{i}"}}}
                  for i in range(2)]}}}} for t in ("A", "B")]}}


def test_tabs_without_names_takes_every_row_and_an_auto_grid_reads_left_to_right():
    out = laid_out(ROWS, tabs())
    assert [t["spec"]["title"] for t in out["spec"]["tabs"]] == ["A", "B"]
    grid = laid_out(ROWS, tabs("B", auto_grid("A", columns=2)))["spec"]["tabs"][1]["spec"]["layout"]
    assert [i["spec"]["element"]["name"] for i in grid["spec"]["items"]] == ["A-1", "A-0"]


@pytest.mark.parametrize("wanted, message", [
    (tabs("A", "C"), "names the row 'C', which the dashboard does not have"),
    (tabs("A"), "leaves out the row 'B': its panels would not be shown"),
    (tabs("A", "B", "A"), "names a row twice"),
    (auto_grid(), "auto_grid() lays out a dashboard without rows"),
])
def test_a_layout_that_would_lose_or_invent_a_row_is_refused(wanted, message):
    with pytest.raises(ValueError) as e:
        laid_out(ROWS, wanted)
    assert message in str(e.value)


def test_a_bad_v2_layout_stops_the_render_naming_the_module(tb, tmp_path, monkeypatch):
    import dashboards.business as business

    monkeypatch.setattr(business, "V2_LAYOUT", tabs("KPIs", "Usage"))
    with pytest.raises(RenderError) as e:
        in_schema(build_all(CFG), "v2")
    assert e.value.message.startswith("dashboards.business: V2_LAYOUT: leaves out the row 'Cost'")
    r = tb("render", "--schema", "v2", "--out", tmp_path / "out")
    assert r.code == 1 and "V2_LAYOUT" in r.err and not (tmp_path / "out").exists()


@pytest.mark.parametrize("version", ["v2beta1", "v2"])
def test_target_resource_writes_the_v2_resource_in_the_folder(tb, tmp_path, classic, version):
    r = tb("render", "--schema", version, "--target", "resource", "--out", tmp_path)
    assert r.code == 0, r.err
    docs = [yaml.safe_load(p.read_text()) for p in sorted(tmp_path.glob("*.yaml"))]
    assert sorted(d["metadata"]["name"] for d in docs) == sorted(classic)
    for doc in docs:
        assert doc["apiVersion"] == f"dashboard.grafana.app/{version}"
        assert doc["metadata"]["annotations"]["grafana.app/folder"] == CFG.grafana.folder.uid
        assert k8s.problems(doc) == [] and validate_v2(doc) == []


def test_target_operator_writes_grafana_manifests_for_v2(tb, tmp_path, classic):
    r = tb("render", "--schema", "v2", "--target", "operator", "--out", tmp_path)
    assert r.code == 0, r.err
    docs = [yaml.safe_load(p.read_text()) for p in sorted(tmp_path.rglob("*.yaml"))]
    manifests = [d for d in docs if d["kind"] == "GrafanaManifest"]
    assert sorted(d["spec"]["template"]["metadata"]["name"] for d in manifests) == sorted(classic)
    assert "GrafanaDashboard" not in {d["kind"] for d in docs}  # the datasources and alerting stay as they are
    for doc in manifests:
        assert k8s.problems(doc) == []
        template = doc["spec"]["template"]
        assert template["apiVersion"] == "dashboard.grafana.app/v2" and validate_v2(template) == []
        assert template["metadata"]["annotations"] == {"grafana.app/folder": CFG.grafana.folder.uid}
        assert doc["spec"]["instanceSelector"]["matchLabels"] == dict(CFG.kubernetes.operator.instance_selector)
    # the classic model still goes in GrafanaDashboards
    assert tb("render", "--target", "operator", "--out", tmp_path / "classic").code == 0
    kinds = {yaml.safe_load(p.read_text())["kind"] for p in (tmp_path / "classic").rglob("*.yaml")}
    assert "GrafanaDashboard" in kinds and "GrafanaManifest" not in kinds


def test_a_manifest_template_that_is_no_dashboard_is_refused():
    doc = {"apiVersion": "grafana.integreatly.org/v1beta1", "kind": "GrafanaManifest", "metadata": {"name": "x"},
           "spec": {"instanceSelector": {"matchLabels": {"a": "b"}},
                    "template": {"apiVersion": "playlist.grafana.app/v0alpha1", "kind": "Playlist",
                                 "metadata": {"name": "x"}, "spec": {}}}}
    assert any("is not a dashboard resource" in p for p in k8s.problems(doc))


def test_render_check_compares_the_v2_files(tb, tmp_path):
    assert tb("render", "--schema", "v2", "--out", tmp_path).code == 0
    assert tb("render", "--schema", "v2", "--out", tmp_path, "--check").code == 0
    r = tb("render", "--schema", "v2beta1", "--out", tmp_path, "--check")
    assert r.code == 1
