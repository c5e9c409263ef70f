"""tb-dash import: real dashboards written by other projects (stored with
their licenses in tests/dashboards_corpus/) are imported into a content
package, rendered by tb-dash render and compared with the originals,
migrated as Grafana migrates them: every panel's title, type, position,
queries, legend, unit, thresholds and options survive. Bad input is one
line and exit 2."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tonebridge_dash.dashboard.migrate import migrate
from tonebridge_dash.dashboard.roundtrip import compare, expected
from tonebridge_dash.model import iter_panels

CORPUS = Path(__file__).parent / "dashboards_corpus"
FILES = sorted(CORPUS.glob("*.json"))
TB_DASH = Path(sys.executable).with_name("tb-dash")


def tb_dash(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(TB_DASH), *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def _import_and_render(tmp_path: Path, source: Path) -> tuple[subprocess.CompletedProcess, dict]:
    done = tb_dash(tmp_path, "import", str(source), "--out", "imported")
    assert done.returncode == 0, done.stderr
    assert "validate:" not in done.stderr  # LINT_PROFILE = "grafana": renders as imported, no exclusions
    (tmp_path / "tb-dash.yaml").write_text("content:\n  dashboards: imported\n")
    render = tb_dash(tmp_path, "render", "--out", "build")
    assert render.returncode == 0, render.stderr
    [rendered] = list((tmp_path / "build").glob("*.json"))
    return done, json.loads(rendered.read_text())


def test_the_corpus_is_stored_with_its_licenses():
    assert len(FILES) >= 6
    readme = (CORPUS / "README.md").read_text()
    for f in FILES:
        assert f"`{f.name}`" in readme, f.name
    assert len(list(CORPUS.glob("LICENSE.*.txt"))) == 3


@pytest.mark.parametrize("source", FILES, ids=[f.stem for f in FILES])
def test_round_trip_keeps_every_panel_query_and_position(tmp_path, source):
    original = json.loads(source.read_text())
    done, rendered = _import_and_render(tmp_path, source)
    want = expected(original, source.name)
    result = compare(want, rendered)
    assert result.exact, result.differences[:10]
    assert result.panels == result.panels_kept == result.positions_kept == result.settings_kept > 0
    assert result.queries == result.queries_kept > 0
    assert f"{result.summary()}" in done.stderr
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


def test_a_kubernetes_envelope_and_an_export_with_inputs(tmp_path):
    original = json.loads((CORPUS / "k8s-system-coredns.json").read_text())
    envelope = {"apiVersion": "dashboard.grafana.app/v1beta1", "kind": "Dashboard",
                "metadata": {"name": "coredns-k8s"}, "spec": {k: v for k, v in original.items() if k != "uid"}}
    (tmp_path / "coredns.json").write_text(json.dumps(envelope))
    done, rendered = _import_and_render(tmp_path, tmp_path / "coredns.json")
    assert rendered["uid"] == "coredns-k8s"
    assert compare(expected(envelope), rendered).exact


@pytest.mark.parametrize("content, message", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "expected a dashboard JSON object"),
    ('{"hello": "world"}', "not a Grafana dashboard"),
    ('{"apiVersion": "dashboard.grafana.app/v2beta1", "kind": "Dashboard", "spec": {"elements": {}, "layout": {}}}',
     "v2 dashboard schema"),
    ('{"title": "odd", "panels": [1, null, {"type": 3, "gridPos": "x", "targets": "y"}], "rows": {}}', None),
])
def test_odd_input_is_one_line_or_imports(tmp_path, content, message):
    (tmp_path / "odd.json").write_text(content)
    done = tb_dash(tmp_path, "import", "odd.json", "--out", "imported")
    assert "Traceback" not in done.stderr
    if message is None:
        assert done.returncode in (0, 1, 2), done.stderr
        if done.returncode:
            assert len(done.stderr.strip().splitlines()) == 1
        return
    assert done.returncode == 2
    assert done.stderr.startswith("tb-dash: error: odd.json: ") and message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "imported").exists()


def test_missing_file_existing_module_and_bad_name_are_exit_2(tmp_path):
    missing = tb_dash(tmp_path, "import", "nowhere.json")
    assert missing.returncode == 2 and "nowhere.json: dashboard JSON file not found" in missing.stderr
    source = str(CORPUS / "kube-prometheus-nodes.json")
    assert tb_dash(tmp_path, "import", source, "--out", "imported", "--name", "nodes").returncode == 0
    again = tb_dash(tmp_path, "import", source, "--out", "imported", "--name", "nodes")
    assert again.returncode == 2 and "exists; use --force" in again.stderr
    assert tb_dash(tmp_path, "import", source, "--out", "imported", "--name", "nodes", "--force").returncode == 0
    bad = tb_dash(tmp_path, "import", source, "--name", "Not-A-Module")
    assert bad.returncode == 2 and "not a module name" in bad.stderr
    two = tb_dash(tmp_path, "import", source, source, "--name", "x")
    assert two.returncode == 2 and "one FILE" in two.stderr


def test_help_has_examples():
    done = tb_dash(Path.cwd(), "import", "--help")
    assert done.returncode == 0 and "Examples:" in done.stdout and "tb-dash import" in done.stdout


def test_an_imported_module_answers_to_the_grafana_profile(tmp_path):
    done = tb_dash(tmp_path, "import", str(CORPUS / "node-exporter-full-rows.json"), "--out", "imported")
    assert done.returncode == 0 and "exclude" not in done.stderr
    module = next((tmp_path / "imported").glob("[!_]*.py")).read_text()
    assert 'LINT_PROFILE = "grafana"' in module
