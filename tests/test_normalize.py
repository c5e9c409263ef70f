"""Normalize: grafanalib's legacy output -> the current Grafana model."""

from __future__ import annotations

import pytest
from grafanalib import core as g

from tonebridge_dash.dashboard.normalize import NormalizeError, datasource_ref, normalize
from tonebridge_dash.dashboard.render import plain
from tonebridge_dash.dashboard.schema import validate_dashboard


def _dash(*panels, **kw):
    return plain(g.Dashboard(title="T", uid="t", panels=list(panels), **kw).auto_panel_ids())


def test_legacy_dashboard_keys_and_nulls_are_removed():
    raw = _dash()
    assert raw["schemaVersion"] == 12 and "rows" in raw and raw["id"] is None
    out = normalize(raw, 41)
    assert out["schemaVersion"] == 41
    assert not {"rows", "style", "sharedCrosshair", "hideControls", "__inputs", "id", "gnetId", "version"} & set(out)
    assert validate_dashboard(out) == []


def test_input_is_not_modified():
    raw = _dash(g.Stat(title="s", dataSource="ds", targets=[g.Target(expr="up")],
                       gridPos=g.GridPos(h=4, w=6, x=0, y=0)))
    before = repr(raw)
    normalize(raw)
    assert repr(raw) == before


def test_string_datasources_become_references():
    raw = _dash(g.TimeSeries(title="a", dataSource="${datasource}", targets=[g.Target(expr="up", refId="A")],
                             gridPos=g.GridPos(h=8, w=12, x=0, y=0)))
    panel = normalize(raw)["panels"][0]
    ref = {"type": "prometheus", "uid": "${datasource}"}
    assert panel["datasource"] == ref
    assert panel["targets"][0]["datasource"] == ref  # a target without one inherits the panel's
    assert panel["targets"][0]["range"] is True and panel["targets"][0]["instant"] is False
    assert "query" not in panel["targets"][0] and "step" not in panel["targets"][0]
    assert datasource_ref({"type": "loki", "uid": "x", "name": "legacy"}) == {"type": "loki", "uid": "x"}


def test_stat_gets_the_options_current_grafana_requires():
    raw = _dash(g.Stat(title="s", dataSource="ds", targets=[g.Target(expr="up")],
                       gridPos=g.GridPos(h=4, w=6, x=0, y=0)))
    out = normalize(raw)
    options = out["panels"][0]["options"]
    assert options["wideLayout"] is True and options["percentChangeColorMode"] == "standard"
    assert options["reduceOptions"]["calcs"] == ["mean"]  # the panel's own value wins
    assert validate_dashboard(out) == []


def test_bargauge_field_options_are_migrated():
    raw = _dash(g.BarGauge(title="b", dataSource="ds", targets=[g.Target(expr="up")], format="percentunit",
                           max=1, calc="lastNotNull", gridPos=g.GridPos(h=4, w=6, x=0, y=0)))
    assert "fieldOptions" in raw["panels"][0]["options"]
    out = normalize(raw)
    panel = out["panels"][0]
    assert "fieldOptions" not in panel["options"]
    assert panel["fieldConfig"]["defaults"]["unit"] == "percentunit"
    assert panel["fieldConfig"]["defaults"]["max"] == 1
    assert panel["options"]["reduceOptions"]["calcs"] == ["lastNotNull"]
    assert [s["color"] for s in panel["fieldConfig"]["defaults"]["thresholds"]["steps"]] == ["green", "red"]
    assert validate_dashboard(out) == []


def test_rows_are_current_row_panels():
    raw = _dash(g.RowPanel(title="r", gridPos=g.GridPos(h=1, w=24, x=0, y=0)))
    row = normalize(raw)["panels"][0]
    assert set(row) == {"type", "title", "collapsed", "gridPos", "id", "panels"}


def test_multi_value_all_variable_current_is_lists():
    t = g.Template(name="job", query="label_values(up, job)", dataSource="${datasource}",
                   default="$__all", includeAll=True, multi=True, allValue=".+")
    out = normalize(_dash(templating=g.Templating(list=[t])))
    v = out["templating"]["list"][0]
    assert v["current"] == {"text": ["All"], "value": ["$__all"]}
    assert v["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
    assert not {"useTags", "tagsQuery", "tagValuesQuery", "auto", "auto_min", "auto_count"} & set(v)
    assert validate_dashboard(out) == []


def test_angular_panels_are_refused_with_the_replacement_named():
    raw = _dash(g.Graph(title="old", dataSource="ds", targets=[g.Target(expr="up")],
                        gridPos=g.GridPos(h=8, w=12, x=0, y=0)))
    with pytest.raises(NormalizeError, match="panel 'old': Angular panel type 'graph'.*use 'timeseries'"):
        normalize(raw)


@pytest.mark.parametrize("version", [12, 38, 43])
def test_unsupported_schema_versions_are_refused(version):
    with pytest.raises(NormalizeError, match="not supported"):
        normalize(_dash(), version)
