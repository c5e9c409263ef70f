"""Classic -> v2 conversion (``dashboard.v2.to_v2``): the rules of the
conversion on small dashboards of our own, each as Grafana's converter
(``apps/dashboard/pkg/migration/conversion``) writes it. The comparison
with Grafana's own conversion test data, element by element, is
``scripts/v2_conversion_check.py`` (that data is AGPL and held back: tests
never read it)."""

from __future__ import annotations

import copy

import pytest

from tonebridge_dash.dashboard.v2 import VERSIONS, is_v2, to_v1, to_v2, validate_v2

# --- the rules, on dashboards of our own ------------------------------------------------
def _panel(pid: int, x: int, y: int, w: int = 12, h: int = 8, **extra) -> dict:
    return {"id": pid, "type": "timeseries", "title": f"p{pid}", "gridPos": {"x": x, "y": y, "w": w, "h": h},
            "datasource": {"type": "prometheus", "uid": "${datasource}"},
            "targets": [{"refId": "A", "expr": f"up{{p='{pid}'}}",
                         "datasource": {"type": "prometheus", "uid": "${datasource}"}}], **extra}


def _row(pid: int, y: int, title: str, collapsed: bool = False, panels: list | None = None, **extra) -> dict:
    return {"id": pid, "type": "row", "title": title, "collapsed": collapsed,
            "gridPos": {"x": 0, "y": y, "w": 24, "h": 1}, "panels": panels or [], **extra}


def test_a_grid_stays_a_grid_with_the_same_positions():
    spec = to_v2({"uid": "g", "title": "G", "panels": [_panel(1, 0, 0), _panel(2, 12, 0, h=4)]})["spec"]
    assert spec["layout"]["kind"] == "GridLayout"
    items = [i["spec"] for i in spec["layout"]["spec"]["items"]]
    assert [(i["x"], i["y"], i["width"], i["height"], i["element"]["name"]) for i in items] == [
        (0, 0, 12, 8, "panel-1"), (12, 0, 12, 4, "panel-2")]
    query = spec["elements"]["panel-1"]["spec"]["data"]["spec"]["queries"][0]
    assert query == {"kind": "PanelQuery", "spec": {
        "query": {"kind": "DataQuery", "group": "prometheus", "version": "v0", "datasource": {"name": "${datasource}"},
                  "spec": {"expr": "up{p='1'}"}}, "refId": "A", "hidden": False}}


def test_rows_become_a_rows_layout_collapsed_rows_kept_with_their_panels():
    d = {"uid": "r", "title": "R", "panels": [
        _panel(1, 0, 0, h=3),
        _row(10, 3, "Traffic", repeat="job"),
        _panel(2, 0, 4, repeat="instance", repeatDirection="h", maxPerRow=4),
        _row(11, 12, "Details", collapsed=True, panels=[_panel(3, 0, 13, w=24)]),
    ]}
    rows = [r["spec"] for r in to_v2(d)["spec"]["layout"]["spec"]["rows"]]
    assert [(r["title"], r["collapse"], r.get("hideHeader", False)) for r in rows] == [
        ("", False, True), ("Traffic", False, False), ("Details", True, False)]
    assert rows[1]["repeat"] == {"mode": "variable", "value": "job"}
    item = rows[1]["layout"]["spec"]["items"][0]["spec"]
    assert (item["y"], item["repeat"]) == (0, {"mode": "variable", "value": "instance", "direction": "h",
                                               "maxPerRow": 4})
    assert rows[2]["layout"]["spec"]["items"][0]["spec"]["y"] == 0  # counted from the row
    classic, notes = to_v1(to_v2(d))
    assert notes == []
    assert [(p["type"], p["gridPos"]) for p in classic["panels"]] == [
        (p["type"], p["gridPos"]) for p in d["panels"]]
    assert classic["panels"][3]["panels"][0]["gridPos"] == {"x": 0, "y": 13, "w": 24, "h": 8}


def test_variables_become_typed_kinds():
    d = {"uid": "v", "title": "V", "panels": [], "templating": {"list": [
        {"type": "datasource", "name": "datasource", "query": "prometheus", "hide": 0, "refresh": 1},
        {"type": "query", "name": "job", "datasource": {"type": "prometheus", "uid": "${datasource}"},
         "query": {"query": "label_values(up, job)", "refId": "PrometheusVariableQueryEditor-VariableQuery"},
         "refresh": 2, "sort": 1, "multi": True, "includeAll": True, "allValue": ".+", "hide": 0},
        {"type": "custom", "name": "c", "query": "a,b", "hide": 2},
        {"type": "constant", "name": "k", "query": "42", "hide": 2},
        {"type": "interval", "name": "i", "query": "1m,5m", "auto": True, "auto_count": 30, "auto_min": "10s"},
        {"type": "textbox", "name": "t", "query": "x", "hide": 1},
        {"type": "adhoc", "name": "f", "datasource": {"type": "prometheus", "uid": "${datasource}"}},
    ]}}
    variables = to_v2(d)["spec"]["variables"]
    assert [v["kind"] for v in variables] == ["DatasourceVariable", "QueryVariable", "CustomVariable",
                                              "ConstantVariable", "IntervalVariable", "TextVariable", "AdhocVariable"]
    job = variables[1]["spec"]
    assert (job["refresh"], job["sort"], job["hide"], job["allValue"]) == (
        "onTimeRangeChanged", "alphabeticalAsc", "dontHide", ".+")
    assert job["query"]["group"] == "prometheus" and job["query"]["datasource"] == {"name": "${datasource}"}
    assert variables[2]["spec"]["hide"] == "hideVariable" and variables[5]["spec"]["hide"] == "hideLabel"
    assert variables[6]["group"] == "prometheus" and variables[6]["datasource"] == {"name": "${datasource}"}
    back, _ = to_v1(to_v2(d))
    assert [(v["type"], v["name"], v.get("hide")) for v in back["templating"]["list"]] == [
        (v["type"], v["name"], v.get("hide", 0)) for v in d["templating"]["list"]]
    assert back["templating"]["list"][1]["query"] == d["templating"]["list"][1]["query"]


def test_annotations_and_links():
    d = {"uid": "a", "title": "A", "panels": [], "annotations": {"list": [
        {"builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"}, "enable": True, "hide": True,
         "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts", "type": "dashboard"},
        {"datasource": {"type": "prometheus", "uid": "${datasource}"}, "enable": True, "iconColor": "red",
         "name": "Deploys", "expr": "changes(build_info[5m]) > 0", "step": "60s"}]},
        "links": [{"title": "Runbook", "type": "link", "url": "https://example.org"}]}
    spec = to_v2(d)["spec"]
    first, second = (a["spec"] for a in spec["annotations"])
    assert first["builtIn"] is True and first["legacyOptions"] == {"type": "dashboard"}
    assert first["query"]["datasource"] == {"name": "-- Grafana --"}
    assert second["legacyOptions"] == {"expr": "changes(build_info[5m]) > 0", "step": "60s"}
    assert spec["links"] == [{"title": "Runbook", "type": "link", "icon": "", "tooltip": "",
                              "url": "https://example.org", "tags": [], "asDropdown": False, "targetBlank": False,
                              "includeVars": False, "keepTime": False}]
    back, _ = to_v1(to_v2(d))
    assert back["annotations"]["list"][1]["expr"] == "changes(build_info[5m]) > 0"
    assert back["annotations"]["list"][0]["builtIn"] == 1


def test_library_panels_angular_panels_and_missing_ids():
    d = {"uid": "l", "title": "L", "panels": [
        {"id": 1, "gridPos": {"x": 0, "y": 0, "w": 6, "h": 4}, "libraryPanel": {"uid": "lib1", "name": "Shared"},
         "title": "Shared"},
        {"type": "graph", "title": "old", "gridPos": {"x": 6, "y": 0, "w": 6, "h": 4}, "lines": True,
         "targets": [{"expr": "up"}]},
        {"id": 1, "type": "text", "title": "dup", "gridPos": {"x": 12, "y": 0, "w": 6, "h": 4}}]}
    spec = to_v2(d)["spec"]
    assert set(spec["elements"]) == {"panel-1", "panel-2", "panel-3"}
    assert spec["elements"]["panel-1"] == {"kind": "LibraryPanel", "spec": {
        "id": 1, "title": "Shared", "libraryPanel": {"uid": "lib1", "name": "Shared"}}}
    graph = spec["elements"]["panel-2"]["spec"]
    assert graph["vizConfig"]["group"] == "timeseries"
    assert graph["vizConfig"]["spec"]["options"]["__angularMigration"] == {
        "autoMigrateFrom": "graph", "originalOptions": {"lines": True}}
    assert graph["data"]["spec"]["queries"][0]["spec"]["refId"] == "A"
    assert validate_v2(to_v2(d)) == []


@pytest.mark.parametrize("version", VERSIONS)
def test_wrappers_and_versions(version):
    d = {"uid": "w", "title": "W", "panels": [_panel(1, 0, 0, transformations=[{"id": "reduce"}])]}
    for source in (d, {"dashboard": d, "meta": {}},
                   {"apiVersion": "dashboard.grafana.app/v1beta1", "kind": "Dashboard",
                    "metadata": {"name": "w", "annotations": {"grafana.app/folder": "f"}}, "spec": d}):
        out = to_v2(source, version)
        assert out["apiVersion"] == f"dashboard.grafana.app/{version}" and out["metadata"]["name"] == "w"
        assert validate_v2(out) == [], version
        assert is_v2(out) and not is_v2(source)
    t = to_v2(d, "v2")["spec"]["elements"]["panel-1"]["spec"]["data"]["spec"]["transformations"][0]
    assert t == {"kind": "Transformation", "group": "reduce", "spec": {"options": {}}}
    assert to_v2(to_v2(d, "v2"), "v2beta1") == to_v2(d, "v2beta1")
    assert to_v1(to_v2(d, "v2"))[0]["panels"][0]["transformations"] == [{"id": "reduce", "options": {}}]


def test_validate_v2_names_unresolved_references_and_schema_errors():
    out = to_v2({"uid": "x", "title": "X", "panels": [_panel(1, 0, 0), _panel(2, 12, 0)]})
    items = out["spec"]["layout"]["spec"]["items"]
    items[0]["spec"]["element"]["name"] = "panel-9"
    items[1]["spec"]["x"] = "left"
    problems = validate_v2(out)
    assert "spec.layout.spec.items[0].element: element 'panel-9' is not in spec.elements" in problems
    assert "spec.elements.panel-1: not placed by the layout (Grafana does not show it)" in problems
    assert any(p.startswith("spec.layout.spec.items[1].spec.x:") for p in problems)
    assert validate_v2({"apiVersion": "dashboard.grafana.app/v9", "kind": "Dashboard", "metadata": {},
                        "spec": out["spec"]})[:2] == [
        "apiVersion: 'dashboard.grafana.app/v9' is not dashboard.grafana.app/v2alpha1 or /v2beta1 or /v2",
        "metadata.name: missing (the dashboard's uid)"]


def test_a_bare_v2_spec_is_read_too():
    spec = to_v2({"uid": "b", "title": "B", "panels": [_panel(1, 0, 0)]})["spec"]
    assert is_v2(spec) and not is_v2({"panels": [], "elements": {}, "layout": {}})
    assert validate_v2(spec) == []
    classic, notes = to_v1(spec)
    assert notes == [] and "uid" not in classic and classic["panels"][0]["gridPos"] == {"h": 8, "w": 12, "x": 0,
                                                                                         "y": 0}
    assert to_v2(spec, "v2")["apiVersion"] == "dashboard.grafana.app/v2"


def _as_v2alpha1(beta: dict) -> dict:
    """A v2beta1 resource in v2alpha1's shape (Grafana 12's first preview)."""
    alpha = copy.deepcopy(beta)
    alpha["apiVersion"] = "dashboard.grafana.app/v2alpha1"

    def split(query: dict) -> tuple[dict, dict | None]:
        source = {"type": query["group"], "uid": query["datasource"]["name"]} if query.get("datasource") else None
        return {"kind": query["group"], "spec": query["spec"]}, source

    for element in alpha["spec"]["elements"].values():
        for q in element["spec"]["data"]["spec"]["queries"]:
            q["spec"]["query"], source = split(q["spec"]["query"])
            if source:
                q["spec"]["datasource"] = source
        viz = element["spec"]["vizConfig"]
        element["spec"]["vizConfig"] = {"kind": viz["group"], "spec": dict(viz["spec"], pluginVersion=viz["version"])}
    for v in alpha["spec"]["variables"]:
        if v["kind"] == "QueryVariable":
            v["spec"]["query"], source = split(v["spec"]["query"])
            if source:
                v["spec"]["datasource"] = source
    return alpha


def test_grafana_12_first_preview_v2alpha1_is_read_as_grafana_converts_it():
    d = {"uid": "a1", "title": "A", "panels": [_panel(1, 0, 0, pluginVersion="12.0.0")], "templating": {"list": [
        {"type": "query", "name": "job", "datasource": {"type": "prometheus", "uid": "${datasource}"},
         "query": "label_values(up, job)"}]}}
    beta = to_v2(d)
    alpha = _as_v2alpha1(beta)
    assert alpha["spec"]["elements"]["panel-1"]["spec"]["vizConfig"]["kind"] == "timeseries"
    assert to_v2(alpha) == beta
    assert to_v1(alpha) == to_v1(beta)
    assert validate_v2(alpha) == []
    with pytest.raises(ValueError, match="tb-dash reads v2alpha1, v2beta1, v2"):
        to_v1(dict(beta, apiVersion="dashboard.grafana.app/v2beta2"))
