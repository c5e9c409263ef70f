"""Every house dashboard, rendered, converted to v2 and back: Grafana's v2
schema takes the v2, and the classic model that comes back has the same
panels, queries, positions, rows, variables and annotations. And what the
classic model cannot hold (tabs, an auto grid, conditional rendering) comes
back approximated, with one note per item."""

from __future__ import annotations

import pytest

from tonebridge_dash.dashboard.v2 import to_v1, to_v2, validate_v2
from tonebridge_dash.model import iter_panels

PANEL_KEYS = ("id", "type", "title", "gridPos", "collapsed", "repeat", "repeatDirection", "maxPerRow", "options",
              "pluginVersion", "transparent", "description", "interval", "maxDataPoints", "timeFrom")
# A panel link is title, url and targetBlank in v2 (and what Grafana reads in the
# classic model too); the dashboard-link keys the house adds say nothing there.
LINK_KEYS = ("title", "url", "targetBlank")


def _panels(d: dict) -> list[dict]:
    out = []
    for p in iter_panels(d):
        if p.get("type") == "row":
            out.append({k: p.get(k) for k in ("type", "title", "gridPos", "collapsed", "repeat")})
            continue
        one = {k: p.get(k) for k in PANEL_KEYS}
        one["targets"] = [{k: t.get(k) for k in ("refId", "expr", "legendFormat", "datasource", "instant", "format",
                                                 "interval", "hide")} for t in p.get("targets", [])]
        one["datasource"] = p.get("datasource")
        one["links"] = [{k: link.get(k) for k in LINK_KEYS} for link in p.get("links", [])]
        one["unit"] = p.get("fieldConfig", {}).get("defaults", {}).get("unit")
        one["thresholds"] = p.get("fieldConfig", {}).get("defaults", {}).get("thresholds")
        one["overrides"] = p.get("fieldConfig", {}).get("overrides", [])
        out.append(one)
    return out


@pytest.mark.parametrize("version", ["v2beta1", "v2"])
def test_every_house_dashboard_goes_to_v2_and_back(rendered, version):
    assert rendered
    for uid, r in rendered.items():
        v2 = to_v2(r.data, version)
        assert v2["metadata"]["name"] == uid
        assert validate_v2(v2) == [], uid
        classic, notes = to_v1(v2)
        assert notes == [], uid
        assert _panels(classic) == _panels(r.data), uid
        assert [(v["name"], v["type"], v.get("query"), v.get("datasource")) for v in classic["templating"]["list"]] \
            == [(v["name"], v["type"], v.get("query"), v.get("datasource")) for v in r.data["templating"]["list"]]
        assert [(a["name"], a.get("datasource"), a.get("expr")) for a in classic["annotations"]["list"]] == [
            (a["name"], a.get("datasource"), a.get("expr")) for a in r.data["annotations"]["list"]]
        assert (classic["uid"], classic["title"], classic["time"], classic["tags"], classic["links"]) == (
            r.data["uid"], r.data["title"], r.data["time"], r.data["tags"], r.data["links"])
        assert to_v2(classic, version)["spec"]["elements"] == v2["spec"]["elements"], uid


def _element(pid: int, title: str) -> dict:
    return {"kind": "Panel", "spec": {
        "id": pid, "title": title, "description": "", "links": [],
        "data": {"kind": "QueryGroup", "spec": {"queries": [{"kind": "PanelQuery", "spec": {
            "query": {"kind": "DataQuery", "group": "prometheus", "version": "v0",
                      "datasource": {"name": "${datasource}"}, "spec": {"expr": "up"}},
            "refId": "A", "hidden": False}}], "transformations": [], "queryOptions": {}}},
        "vizConfig": {"kind": "VizConfig", "group": "stat", "version": "", "spec": {
            "options": {}, "fieldConfig": {"defaults": {}, "overrides": []}}}}}


def _ref(name: str) -> dict:
    return {"kind": "ElementReference", "name": name}


def test_what_the_classic_model_cannot_hold_is_named_one_line_each():
    auto = {"kind": "AutoGridLayout", "spec": {"maxColumnCount": 2, "columnWidthMode": "standard",
                                               "rowHeightMode": "standard", "items": [
        {"kind": "AutoGridLayoutItem", "spec": {"element": _ref("panel-3")}},
        {"kind": "AutoGridLayoutItem", "spec": {"element": _ref("panel-4")}},
        {"kind": "AutoGridLayoutItem", "spec": {"element": _ref("panel-5")}}]}}
    grid = {"kind": "GridLayout", "spec": {"items": [
        {"kind": "GridLayoutItem", "spec": {"x": 0, "y": 0, "width": 12, "height": 5, "element": _ref("panel-1")}},
        {"kind": "GridLayoutItem", "spec": {"x": 12, "y": 0, "width": 12, "height": 5, "element": _ref("panel-2")}}]}}
    v2 = {"apiVersion": "dashboard.grafana.app/v2beta1", "kind": "Dashboard", "metadata": {"name": "tabs"},
          "spec": {"title": "Tabs", "annotations": [], "cursorSync": "Off", "links": [], "preload": False, "tags": [],
                   "variables": [],
                   "timeSettings": {"from": "now-6h", "to": "now", "autoRefresh": "", "hideTimepicker": False,
                                    "autoRefreshIntervals": ["1m"], "fiscalYearStartMonth": 0},
                   "elements": {f"panel-{i}": _element(i, f"P{i}") for i in range(1, 7)},
                   "layout": {"kind": "TabsLayout", "spec": {"tabs": [
                       {"kind": "TabsLayoutTab", "spec": {"title": "KPIs", "layout": grid}},
                       {"kind": "TabsLayoutTab", "spec": {
                           "title": "Usage", "layout": auto,
                           "conditionalRendering": {"kind": "ConditionalRenderingGroup", "spec": {
                               "visibility": "show", "condition": "and", "items": []}}}}]}}}}
    assert validate_v2(v2) == ["spec.elements.panel-6: not placed by the layout (Grafana does not show it)"]
    classic, notes = to_v1(v2)
    assert notes == ["tabs 'KPIs', 'Usage': the classic model has no tabs: each tab becomes a row",
                     "tab 'Usage': conditional rendering (always shown) has no classic equivalent",
                     "tab 'Usage': auto grid placed as a fixed grid of 2 columns, 9 units high",
                     "element 'panel-6': not placed by the layout: left out"]
    placed = [(p["type"], p["title"], p["gridPos"]) for p in classic["panels"]]
    assert placed == [
        ("row", "KPIs", {"h": 1, "w": 24, "x": 0, "y": 0}),
        ("stat", "P1", {"h": 5, "w": 12, "x": 0, "y": 1}), ("stat", "P2", {"h": 5, "w": 12, "x": 12, "y": 1}),
        ("row", "Usage", {"h": 1, "w": 24, "x": 0, "y": 6}),
        ("stat", "P3", {"h": 9, "w": 12, "x": 0, "y": 7}), ("stat", "P4", {"h": 9, "w": 12, "x": 12, "y": 7}),
        ("stat", "P5", {"h": 9, "w": 12, "x": 0, "y": 16})]
    assert len({p["id"] for p in classic["panels"]}) == len(classic["panels"])
    assert classic["panels"][1]["targets"] == [{"datasource": {"type": "prometheus", "uid": "${datasource}"},
                                               "refId": "A", "expr": "up"}]
