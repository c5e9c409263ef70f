"""tb-dash import: real dashboards written by other projects (stored with
their licenses in tests/dashboards_corpus/) are imported into a content
package, rendered by tb-dash render and compared with the originals,
migrated as Grafana migrates them: every panel's title, type, position,
queries, legend, unit, thresholds and options survive. Bad input is one
line and exit 2."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tonebridge_dash.importing.migrate import migrate
from tonebridge_dash.importing.roundtrip import compare, expected
from tonebridge_dash.model import iter_panels

CORPUS = Path(__file__).parent / "dashboards_corpus"
FILES = sorted(CORPUS.glob("*.json"))


def _import_and_render(tb, tmp_path: Path, source: Path) -> tuple:
    """``tb-dash import`` of ``source`` into a content package, rendered:
    (what import did, the rendered dashboard)."""
    done = tb("import", source, "--out", "imported")
    assert done.code == 0, done.err
    assert "validate:" not in done.err  # LINT_PROFILE = "grafana": renders as imported, no exclusions
    (tmp_path / "tb-dash.yaml").write_text("content:\n  dashboards: imported\n")
    render = tb("render", "--out", "build")
    assert render.code == 0, render.err
    [rendered] = list((tmp_path / "build").glob("*.json"))
    return done, json.loads(rendered.read_text())


def test_the_corpus_is_stored_with_its_licenses():
    assert len(FILES) >= 6
    readme = (CORPUS / "README.md").read_text()
    for f in FILES:
        assert f"`{f.name}`" in readme, f.name
    assert len(list(CORPUS.glob("LICENSE.*.txt"))) == 3


@pytest.mark.parametrize("source", FILES, ids=[f.stem for f in FILES])
def test_round_trip_keeps_every_panel_query_and_position(tb, tmp_path, source):
    original = json.loads(source.read_text())
    done, rendered = _import_and_render(tb, tmp_path, source)
    want = expected(original, source.name)
    result = compare(want, rendered)
    assert result.exact, result.differences[:10]
    assert result.panels == result.panels_kept == result.positions_kept == result.settings_kept > 0
    assert result.queries == result.queries_kept > 0
    assert f"{result.summary()}" in done.err
    module = next((tmp_path / "imported").glob("[!_]*.py")).read_text()
    compile(module, "module", "exec")
    for p in iter_panels(want):  # queries stay PromQL strings in the module, one call per panel
        for t in p.get("targets", []):
            if "expr" in t:
                assert repr(t["expr"]) in module
    assert len(re.findall(r"(?<![_\w])panel\(", module)) == sum(1 for p in iter_panels(want) if p.get("type") != "row")


def test_old_models_are_migrated_as_grafana_does():
    m = migrate(json.loads((CORPUS / "node-exporter-full-rows.json").read_text()))
    d = m.dashboard
    assert "rows" not in d and "__inputs" not in d
    kinds = {p["type"] for p in iter_panels(d)}
    assert "graph" not in kinds and "singlestat" not in kinds and {"timeseries", "gauge"} <= kinds
    busy = next(p for p in iter_panels(d) if p["title"] == "CPU Busy")
    # span 2 of 12 columns -> 4 of 24; a 151px row -> 4 grid units (38px each)
    assert busy["gridPos"] == {"x": 0, "y": 1, "w": 4, "h": 4}
    assert busy["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
    assert busy["fieldConfig"]["defaults"]["unit"] == "percent"
    assert [s["value"] for s in busy["fieldConfig"]["defaults"]["thresholds"]["steps"]] == [None, 85, 95]
    assert busy["options"]["reduceOptions"]["calcs"] == ["lastNotNull"]
    variables = [v["name"] for v in d["templating"]["list"]]
    assert variables[0] == "datasource"


def test_a_kubernetes_envelope_and_an_export_with_inputs(tb, tmp_path):
    original = json.loads((CORPUS / "k8s-system-coredns.json").read_text())
    envelope = {"apiVersion": "dashboard.grafana.app/v1beta1", "kind": "Dashboard",
                "metadata": {"name": "coredns-k8s"}, "spec": {k: v for k, v in original.items() if k != "uid"}}
    (tmp_path / "coredns.json").write_text(json.dumps(envelope))
    done, rendered = _import_and_render(tb, tmp_path, tmp_path / "coredns.json")
    assert rendered["uid"] == "coredns-k8s"
    assert compare(expected(envelope), rendered).exact


@pytest.mark.parametrize("content, message", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "expected a dashboard JSON object"),
    ('{"hello": "world"}', "not a Grafana dashboard"),
    # a v2 dashboard is imported as its classic equivalent (tests/test_v2_read.py); an empty one is one line
    ('{"apiVersion": "dashboard.grafana.app/v2beta1", "kind": "Dashboard", "spec": {"elements": {}, "layout": {}}}',
     None),
    ('{"title": "odd", "panels": [1, null, {"type": 3, "gridPos": "x", "targets": "y"}], "rows": {}}', None),
])
def test_odd_input_is_one_line_or_imports(tb, tmp_path, content, message):
    (tmp_path / "odd.json").write_text(content)
    done = tb("import", "odd.json", "--out", "imported")
    assert "Traceback" not in done.err
    if message is None:
        assert done.code in (0, 1, 2), done.err
        if done.code:
            assert len(done.err.strip().splitlines()) == 1
        return
    assert done.code == 2
    assert done.err.startswith("tb-dash: error: odd.json: ") and message in done.err
    assert len(done.err.strip().splitlines()) == 1
    assert not (tmp_path / "imported").exists()


def test_missing_file_existing_module_and_bad_name_are_exit_2(tb, tmp_path):
    missing = tb("import", "nowhere.json")
    assert missing.code == 2 and "nowhere.json: dashboard JSON file not found" in missing.err
    source = str(CORPUS / "kube-prometheus-nodes.json")
    assert tb("import", source, "--out", "imported", "--name", "nodes").code == 0
    again = tb("import", source, "--out", "imported", "--name", "nodes")
    assert again.code == 2 and "exists; use --force" in again.err
    assert tb("import", source, "--out", "imported", "--name", "nodes", "--force").code == 0
    bad = tb("import", source, "--name", "Not-A-Module")
    assert bad.code == 2 and "not a module name" in bad.err
    two = tb("import", source, source, "--name", "x")
    assert two.code == 2 and "one FILE" in two.err


def test_help_has_examples(tb):
    done = tb("import", "--help")
    assert done.code == 0 and "Examples:" in done.out and "tb-dash import" in done.out


def test_an_imported_module_answers_to_the_grafana_profile(tb, tmp_path):
    done = tb("import", str(CORPUS / "node-exporter-full-rows.json"), "--out", "imported")
    assert done.code == 0 and "exclude" not in done.err
    module = next((tmp_path / "imported").glob("[!_]*.py")).read_text()
    assert 'LINT_PROFILE = "grafana"' in module


def _exprs(d: dict) -> list:
    return [t.get("expr") for p in iter_panels(d) for t in p.get("targets", [])]


def test_a_query_the_content_has_becomes_a_call_to_its_function(tb, tmp_path):
    """The project's own dashboard, rendered and imported: each query that
    panels/queries.py gives exactly is written as that call; one whose range
    was changed stays PromQL; the module renders the same queries."""
    own = tb("render", "--out", "own")
    assert own.code == 0, own.err
    original = json.loads((tmp_path / "own" / "tb-application.json").read_text())
    failed = next(t for p in iter_panels(original) for t in p.get("targets", [])
                  if "login_attempts_failed" in t["expr"])
    changed = failed["expr"] = failed["expr"].replace("[$__rate_interval]", "[5m]")
    assert changed.count("[5m]") == 1
    (tmp_path / "application.json").write_text(json.dumps(original))
    done, rendered = _import_and_render(tb, tmp_path, tmp_path / "application.json")
    assert compare(expected(original, "application.json"), rendered).exact
    assert _exprs(rendered) == _exprs(original)
    module = (tmp_path / "imported" / "application.py").read_text()
    assert "from panels import queries\n" in module
    for call in ("queries.request_rate(cfg, queries.ENDPOINT)",
                 "queries.request_rate(cfg, queries.ENDPOINT, ('endpoint',))",
                 "queries.error_ratio(cfg, queries.ENDPOINT)",
                 "queries.latency_quantile(cfg, 0.95, queries.ENDPOINT)",
                 "queries.success_ratio(cfg, queries.ENDPOINT)",
                 "queries.forbidden_rate(cfg)",
                 "queries.table_query_rate(cfg, 'users')"):
        assert f"prom({call}, " in module, call
    assert repr(changed) in module and "queries.failed_login_rate(" not in module
    calls = len(re.findall(r"prom\(queries\.", module))
    literals = sum(repr(e) in module for e in set(_exprs(original)))
    assert calls >= 10 and calls + literals >= len(_exprs(original))
    assert f"; {calls}/{len(_exprs(original))} queries as calls to the content's query functions" in done.err


def test_a_call_is_only_written_when_it_gives_the_same_text_with_the_settings(tb, tmp_path):
    """The settings in effect on import decide: with another gateway selector
    the content's request queries read differently, so the imported ones
    (rendered with the defaults) stay PromQL; the node queries, which that
    selector does not touch, are still calls."""
    own = tb("render", "--out", "own")
    assert own.code == 0, own.err
    (tmp_path / "tb-dash.yaml").write_text('selectors:\n  gateway: job="gateway"\n')
    for uid in ("tb-overview", "tb-system"):
        done = tb("import", f"own/{uid}.json", "--out", "imported")
        assert done.code == 0, done.err
    overview = (tmp_path / "imported" / "tb_overview.py").read_text()
    system = (tmp_path / "imported" / "tb_system.py").read_text()
    original = json.loads((tmp_path / "own" / "tb-overview.json").read_text())
    assert "queries." not in overview and all(repr(e) in overview for e in _exprs(original))
    assert "prom(queries.cpu_usage_ratio(cfg), " in system


def test_a_call_is_checked_by_evaluating_it_again():
    """What the catalog recorded is only written when the written call, run
    again with the settings, gives the text back byte for byte."""
    from panels import queries
    from tonebridge_dash.importing.calls import Catalog, _Record
    from tonebridge_dash.settings import load_settings

    cfg = load_settings(None)
    text = queries.request_rate(cfg, queries.ENDPOINT, ("status",))
    values = {"cfg": cfg, "scope": queries.ENDPOINT, "by": ("status",)}
    found = Catalog(cfg, {text: [_Record(0, queries.request_rate, values)],
                          text + " ": [_Record(0, queries.request_rate, values)],  # not what the call gives
                          "sum (x)": [_Record(0, queries.request_rate, {**values, "scope": object()})]})
    call = found.call_for(text)
    assert call is not None and call.code == "queries.request_rate(cfg, queries.ENDPOINT, ('status',))"
    assert call.modules == ("panels.queries",) and call.function == "panels.queries.request_rate"
    assert found.call_for(text + " ") is None and found.call_for("sum (x)") is None
    assert found.imports({"panels.queries"}) == ["from panels import queries"]


def test_a_legacy_axis_bound_that_is_no_number_is_dropped_not_made_nan(tb, tmp_path):
    """A graph's y axis min of "nan" or max of "inf" (strings old Grafana
    kept) migrates to no bound, not to a NaN that JSON cannot hold."""
    doc = {"title": "old", "uid": "old-axes", "schemaVersion": 14, "rows": [{"panels": [
        {"type": "graph", "title": "g", "span": 12, "targets": [{"expr": "up", "refId": "A"}],
         "yaxes": [{"format": "short", "min": "nan", "max": "inf"}, {}]}]}]}
    panel = next(iter_panels(migrate(doc).dashboard))
    assert "min" not in panel["fieldConfig"]["defaults"] and "max" not in panel["fieldConfig"]["defaults"]
    (tmp_path / "old.json").write_text(json.dumps(doc))
    done = tb("validate", tmp_path / "old.json", "--format", "json")
    assert "not a JSON number" not in done.out and done.code == 0, done.out[-500:] + done.err
