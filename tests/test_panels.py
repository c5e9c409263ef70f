"""Panel builders: pure, described, with units and thresholds from settings."""

from __future__ import annotations

import inspect

import pytest
from grafanalib import core as g

import panels.business
import panels.requests
import panels.system
import panels.users
from tonebridge_dash.dashboard.layout import Cell, grid, row
from tonebridge_dash.dashboard.render import plain
from tonebridge_dash.settings import from_mapping

MODULES = (panels.requests, panels.users, panels.system, panels.business)
BUILDERS = [(f"{m.__name__}.{name}", fn) for m in MODULES
            for name, fn in inspect.getmembers(m, inspect.isfunction)
            if fn.__module__ == m.__name__ and not name.startswith("_")]


def test_builders_are_named_what_viz():
    vizzes = ("_timeseries", "_stat", "_bargauge", "_piechart", "_table", "_heatmap")
    for name, _ in BUILDERS:
        assert name.endswith(vizzes), name


@pytest.mark.parametrize("name, build", BUILDERS, ids=[n for n, _ in BUILDERS])
def test_builder_is_pure_and_complete(name, build, cfg):
    a, b = plain(build(cfg)), plain(build(cfg))
    assert a == b, "a builder must return the same panel for the same settings"
    assert a["title"] and a["description"], name
    assert a["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
    unit = a.get("fieldConfig", {}).get("defaults", {}).get("unit") or a.get("options", {}).get(
        "fieldOptions", {}).get("defaults", {}).get("unit")
    assert unit, f"{name} has no unit"
    assert a["targets"] and all(t["expr"] and t["refId"] for t in a["targets"])
    assert len({t["refId"] for t in a["targets"]}) == len(a["targets"])


def test_threshold_from_settings_reaches_the_panel():
    cfg = from_mapping({"thresholds": {"memory_usage_ratio": {"warning": 0.6, "critical": 0.75}}})
    steps = plain(panels.system.memory_usage_timeseries(cfg))["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert [s["value"] for s in steps] == [None, 0.6, 0.75]


def test_lower_is_worse_thresholds_are_reversed(cfg):
    steps = plain(panels.business.cache_hit_ratio_stat(cfg))["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert [(s["color"], s["value"]) for s in steps] == [("red", None), ("orange", 0.5), ("green", 0.8)]


def test_grid_wraps_rows_and_places_row_headers():
    p = g.Stat(title="s")
    laid = grid([row("A", Cell(p, w=12, h=4), Cell(p, w=12, h=6), Cell(p, w=8, h=2)), row(None, Cell(p, w=24))])
    pos = [(x.gridPos.x, x.gridPos.y, x.gridPos.w, x.gridPos.h) for x in laid]
    assert pos == [(0, 0, 24, 1), (0, 1, 12, 4), (12, 1, 12, 6), (0, 7, 8, 2), (0, 9, 24, 8)]


@pytest.mark.parametrize("w", [0, 25, 30])
def test_cell_width_outside_the_grid_is_refused(w):
    with pytest.raises(ValueError, match="outside 1..24"):
        Cell(g.Stat(title="too wide"), w=w)
