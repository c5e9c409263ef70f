"""tb-dash import takes what Grafana itself writes and loads: annotations
with ``showIn`` and ``tags``, a table footer's ``fields: ""``, ``footer``
under a table's custom field config, ``axisColorMode: "thresholds"``,
queries of other datasources (no ``expr``: their query is in their own
keys). Each imports, renders and comes back panel by panel as the original
(titles, queries, positions, settings); the house schema's objections are a
warning for an imported module and stay errors for the content's own.
Checked on real dashboards (tests/dashboards_corpus, Apache-2.0) and, when
it is there, on the reference corpus beside the checkout."""

from __future__ import annotations

import ast
import json
import os
from pathlib import Path

import pytest

from test_import import CORPUS, _import_and_render
from tonebridge_dash.importing.importer import module_name
from tonebridge_dash.dashboard.normalize import normalize
from tonebridge_dash.importing.roundtrip import compare, expected
from tonebridge_dash.dashboard.schema import validate_dashboard
from tonebridge_dash.model import UID_RE, iter_panels
from tonebridge_dash.settings import load_settings

# The dashboards that Grafana loads and the import used to refuse (or move).
ACCEPTED = ["k8s-system-api-server.json", "k8s-views-pods.json", "kube-prometheus-grafana-overview.json",
            "kube-prometheus-k8s-resources-pod.json", "kube-prometheus-persistentvolumesusage.json"]
REAL = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "real-dashboards"
HOUSE_WARNING = "Grafana accepts it, the house schema would not"


# --- the original against what the imported module renders ----------------------
def _position(p: dict) -> dict:
    pos = p.get("gridPos") if isinstance(p.get("gridPos"), dict) else {}
    return {k: pos.get(k, 0) for k in ("x", "y", "w", "h")}  # Grafana's defaults for x and y


def _flat(d: dict) -> list[dict]:
    out = [p for top in d.get("panels", []) for p in [top, *top.get("panels", [])]]
    return sorted(out, key=lambda p: (_position(p)["y"], _position(p)["x"]))


_EMPTY = ([], {}, "", None, False)
# Kept by Grafana's own migrations in another form, or defaults it fills in.
_SAME = {("options", "legend", "displayMode"): "hidden",  # migration 37: showLegend false
         ("fieldConfig", "defaults", "custom", "displayMode"): "auto"}  # a table cell's default


def _missing(want, got, path: tuple, out: list) -> None:
    """Every leaf of ``want`` that ``got`` lacks or changed, but an empty
    value left out or a default Grafana fills."""
    if isinstance(want, dict):
        for k, v in want.items():
            if k == "index" and path[-2:-1] == ("steps",):
                continue  # a threshold step's list position, not part of the model
            if not isinstance(got, dict) or k not in got:
                if v not in _EMPTY and _SAME.get(path + (k,)) != v:
                    out.append(".".join(map(str, path + (k,))) + " missing")
            else:
                _missing(v, got[k], path + (k,), out)
    elif isinstance(want, list) and want and isinstance(got, list) and len(want) == len(got):
        for i, (a, b) in enumerate(zip(want, got)):
            _missing(a, b, path + (i,), out)
    elif want != got and _SAME.get(path) != want:
        out.append(f"{'.'.join(map(str, path))}: {got!r}, was {want!r}")


def against_original(original: dict, rendered: dict) -> list[str]:
    """What the rendered dashboard changed of the original (a current model:
    panels[], no Angular panel), panel by panel in Grafana's order: title,
    position, queries (expression, legend and refId of a PromQL query,
    every key of another datasource's), options and field config."""
    mine, theirs = _flat(original), _flat(rendered)
    out = [] if len(mine) == len(theirs) else [f"{len(theirs)} panels, {len(mine)} in the original"]
    for i, (p, q) in enumerate(zip(mine, theirs)):
        where, found = f"panel {i} {p.get('title')!r}", []
        if p.get("title", "") != q.get("title", ""):
            found.append(f"title {q.get('title')!r}")
        if _position(p) != _position(q):
            found.append(f"moved to {_position(q)} from {_position(p)}")
        if p.get("type") == "row":
            out += [f"{where}: {f}" for f in found]
            continue
        got_targets = q.get("targets", [])
        for k, t in enumerate(p.get("targets", [])):
            u = got_targets[k] if k < len(got_targets) else {}
            keys = ("expr", "legendFormat") if "expr" in t else set(t) - {"datasource", "refId"}
            keys = [*keys, "refId"] if "refId" in t else keys  # Grafana gives one to a query without
            found += [f"query {k} {key}" for key in keys  # an empty value left out is the same
                      if t.get(key) != u.get(key, t.get(key) if t.get(key) in _EMPTY else None)]
        for key in ("options", "fieldConfig"):
            _missing(p.get(key, {}), q.get(key, {}), (key,), found)
        out += [f"{where}: {f}" for f in found]
    return out


# --- the corpus -------------------------------------------------------------------
@pytest.mark.parametrize("name", ACCEPTED)
def test_what_grafana_writes_imports_renders_and_matches_the_original(tb, tmp_path, name):
    original = json.loads((CORPUS / name).read_text())
    done, rendered = _import_and_render(tb, tmp_path, CORPUS / name)
    assert compare(expected(original, name), rendered).exact
    assert against_original(original, rendered) == []
    if name != "kube-prometheus-persistentvolumesusage.json":  # the others the house schema refuses
        assert HOUSE_WARNING in done.err


def test_the_comparison_with_the_original_sees_a_moved_panel_a_query_and_a_setting():
    original = json.loads((CORPUS / "kube-prometheus-persistentvolumesusage.json").read_text())
    changed = json.loads(json.dumps(original))
    changed["panels"][1]["gridPos"]["x"] = 17
    changed["panels"][2]["targets"][0]["expr"] += " > 0"
    changed["panels"][3]["fieldConfig"]["defaults"]["max"] = 50
    found = against_original(original, changed)
    assert len(found) == 3 and "moved" in found[0] and "query 0 expr" in found[1]
    assert "fieldConfig.defaults.max: 50, was 100" in found[2]


@pytest.mark.skipif(not REAL.is_dir(), reason="the reference corpus of real dashboards is not beside the checkout")
def test_every_real_dashboard_of_the_reference_corpus(tb, tmp_path):
    """All of them import at once (nothing is written unless every one
    does), render together and match their originals panel by panel."""
    files = sorted(REAL.glob("*.json"))
    prefix = load_settings(None).dashboards.uid_prefix
    done = tb("import", *files, "--out", "imported")
    assert done.code == 0, done.err[-2000:]
    (tmp_path / "tb-dash.yaml").write_text("content:\n  dashboards: imported\n")
    render = tb("render", "--out", "build")
    assert render.code == 0, render.err[-2000:]
    differences = {}
    for f in files:
        original = json.loads(f.read_text())
        uid = original.get("uid")
        uid = uid if isinstance(uid, str) and UID_RE.match(uid) else prefix + module_name(f.stem)  # as import does
        rendered = json.loads((tmp_path / "build" / f"{uid}.json").read_text())
        found = compare(expected(original, f.name), rendered).differences
        if "rows" not in original and original.get("schemaVersion", 0) >= 27:
            found += against_original(original, rendered)
        if found:
            differences[f.name] = found[:5]
    assert differences == {}


# --- what Grafana accepts, written here -------------------------------------------
def _accepted_dashboard() -> dict:
    """A dashboard with each thing Grafana writes and its schema does not say."""
    prom = {"type": "prometheus", "uid": "${datasource}"}
    return {
        "uid": "grafana-accepts", "title": "Grafana accepts", "schemaVersion": 39,
        "annotations": {"list": [{"name": "deploys", "enable": True, "iconColor": "red", "showIn": 0,
                                  "tags": ["deploy"], "datasource": {"type": "grafana", "uid": "-- Grafana --"}}]},
        "templating": {"list": [{"type": "datasource", "name": "datasource", "query": "prometheus"}]},
        "panels": [
            {"type": "table", "title": "Footer", "id": 1, "gridPos": {"y": 0, "w": 12, "h": 8},
             "datasource": prom, "targets": [{"expr": "up", "refId": "A", "intervalFactor": 2}],
             "options": {"showHeader": True, "footer": {"show": False, "reducer": ["sum"], "fields": ""}},
             "fieldConfig": {"defaults": {"custom": {"align": "auto", "footer": {"reducers": []}}},
                             "overrides": []}},
            {"type": "timeseries", "title": "Axis", "id": 2, "gridPos": {"x": 12, "y": 0, "w": 12, "h": 8},
             "datasource": prom, "targets": [{"expr": "rate(x_total[5m])", "refId": "A", "intervalFactor": ""}],
             "fieldConfig": {"defaults": {"custom": {"axisColorMode": "thresholds"}}, "overrides": []}},
            {"type": "table", "title": "SQL", "id": 3, "gridPos": {"x": 0, "y": 8, "w": 8, "h": 8},
             "datasource": {"type": "grafana-postgresql-datasource", "uid": "pg"},
             "targets": [{"refId": "A", "rawSql": "SELECT 1", "format": "table"}]},
            {"type": "timeseries", "title": "TestData", "id": 4, "gridPos": {"x": 8, "y": 8, "w": 8, "h": 8},
             "datasource": {"type": "grafana-testdata-datasource", "uid": "td"},
             "targets": [{"refId": "A", "scenarioId": "random_walk", "seriesCount": 3}]},
            {"type": "stat", "title": "Same data", "id": 5, "gridPos": {"x": 16, "y": 8, "w": 8, "h": 8},
             "datasource": {"type": "datasource", "uid": "-- Dashboard --"},
             "targets": [{"refId": "A", "panelId": 4}]},
            {"type": "text", "id": 8, "gridPos": {"x": 0, "y": 16, "w": 24, "h": 2},  # no title: Grafana's ""
             "options": {"mode": "markdown", "content": "Notes"}},
            {"type": "row", "title": "Collapsed", "id": 6, "collapsed": True,
             "gridPos": {"x": 0, "y": 18, "w": 9, "h": 12},
             "panels": [{"type": "stat", "title": "Inside", "id": 7, "gridPos": {"x": 0, "y": 19, "w": 6, "h": 4},
                         "datasource": prom, "targets": [{"expr": "up", "refId": "A"}]}]},
        ],
    }


def test_what_grafana_accepts_imports_and_round_trips(tb, tmp_path):
    original = _accepted_dashboard()
    (tmp_path / "accepts.json").write_text(json.dumps(original))
    done, rendered = _import_and_render(tb, tmp_path, tmp_path / "accepts.json")
    assert HOUSE_WARNING in done.err and "kept as imported" in done.err
    assert compare(expected(original), rendered).exact
    assert against_original(original, rendered) == []
    [annotation] = rendered["annotations"]["list"]
    assert annotation["showIn"] == 0 and annotation["tags"] == ["deploy"]
    panels = {p["title"]: p for p in iter_panels(rendered)}
    assert panels["Footer"]["options"]["footer"]["fields"] == ""
    assert panels["Footer"]["targets"][0]["intervalFactor"] == 2  # the query's resolution, 1/2
    assert "intervalFactor" not in panels["Axis"]["targets"][0]  # "" is Grafana's 1, the default
    assert panels["SQL"]["targets"][0]["rawSql"] == "SELECT 1"
    assert panels["TestData"]["targets"][0]["scenarioId"] == "random_walk"
    assert panels["Same data"]["targets"][0]["panelId"] == 4
    assert panels["Collapsed"]["gridPos"] == {"x": 0, "y": 18, "w": 9, "h": 12}
    assert panels[""]["options"]["content"] == "Notes"


def test_the_house_schema_still_holds_the_contents_own_modules(tb, tmp_path):
    """The same module without LINT_PROFILE = "grafana" answers to the house
    profile: render refuses what Grafana would have loaded."""
    (tmp_path / "accepts.json").write_text(json.dumps(_accepted_dashboard()))
    _import_and_render(tb, tmp_path, tmp_path / "accepts.json")
    module = tmp_path / "imported" / "accepts.py"
    module.write_text(module.read_text().replace('LINT_PROFILE = "grafana"\n', ""))
    render = tb("render", "--out", "house")
    assert render.code == 1 and "does not match Grafana's schema" in render.err
    assert render.err.startswith("tb-dash: error: ") and len(render.err.strip().splitlines()) == 1


def test_the_table_footers_empty_fields_are_grafanas_and_not_the_houses():
    table = {"type": "table", "title": "t", "gridPos": {"x": 0, "y": 0, "w": 24, "h": 8},
             "options": {"showHeader": True, "frameIndex": 0,
                         "footer": {"show": False, "reducer": ["sum"], "fields": ""}}}
    d = normalize({"uid": "t", "title": "t", "panels": [table]})
    assert validate_dashboard(d, lenient=True) == []
    assert [i.path for i in validate_dashboard(d)] == ["panels[0].options.footer.fields"]


def test_a_grafanalib_targets_filler_is_still_dropped():
    """grafanalib writes intervalFactor 2 and step 10 on every target: the
    content's own dashboards do not carry them (the snapshots hold it too)."""
    from grafanalib import core as g

    target = g.Target(expr="up", refId="A").to_json_data()
    assert target["intervalFactor"] == 2 and target["step"] == 10
    d = normalize({"uid": "t", "title": "t", "panels": [
        {"type": "stat", "title": "s", "datasource": "${datasource}", "targets": [target]}]})
    assert not {"intervalFactor", "step"} & set(d["panels"][0]["targets"][0])


# --- hostile titles and names -----------------------------------------------------
def _titled(title: str) -> dict:
    doc = json.loads((CORPUS / "kube-prometheus-persistentvolumesusage.json").read_text())
    doc["title"], doc["panels"][0]["title"] = title, title
    return doc


@pytest.mark.parametrize("title, shown", [("a\x00b", "a\x00b"), ("a\ud800b", "a\ufffdb")],
                         ids=["nul", "lone-surrogate"])
def test_a_title_with_nul_or_a_lone_surrogate_imports(tb, tmp_path, title, shown):
    """JSON can say both; Grafana reads a lone surrogate as U+FFFD."""
    (tmp_path / "odd.json").write_text(json.dumps(_titled(title)))  # ensure_ascii: "\u0000", "\ud800"
    done, rendered = _import_and_render(tb, tmp_path, tmp_path / "odd.json")
    assert rendered["title"] == shown and rendered["panels"][0]["title"] == shown
    assert "\x00" not in (tmp_path / "imported" / "odd.py").read_text()


def test_the_docstring_and_the_output_hold_no_raw_control_character(tb, tmp_path):
    title = "x\r\x1b[2J\u202eevil"
    (tmp_path / "ctl.json").write_text(json.dumps(_titled(title)))
    done, rendered = _import_and_render(tb, tmp_path, tmp_path / "ctl.json")
    code = (tmp_path / "imported" / "ctl.py").read_text()
    assert not {"\r", "\x1b", "\u202e"} & set(code) and not {"\r", "\x1b", "\u202e"} & set(done.out)
    assert ast.get_docstring(ast.parse(code)).startswith(title + ": imported from ctl.json")
    assert rendered["title"] == title


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links here")
def test_a_dangling_symlink_with_the_modules_name_is_kept_without_force(tb, tmp_path):
    source = str(CORPUS / "kube-prometheus-persistentvolumesusage.json")
    (tmp_path / "imported").mkdir()
    link = tmp_path / "imported" / "pv.py"
    link.symlink_to(tmp_path / "nowhere" / "pv.py")
    refused = tb("import", source, "--out", "imported", "--name", "pv")
    assert refused.code == 2 and "exists; use --force" in refused.err
    assert link.is_symlink() and not (tmp_path / "nowhere").exists()
    assert tb("import", source, "--out", "imported", "--name", "pv", "--force").code == 0
    assert not link.is_symlink() and "def build(cfg)" in link.read_text()
