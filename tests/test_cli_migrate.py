"""tb-dash migrate (classic <-> Grafana's v2) and validate of v2 files, as a
user runs them: exit codes, the one-line messages, the files written, and
never a file edited by hand overwritten."""

from __future__ import annotations

import json
from pathlib import Path

from tonebridge_dash.dashboard.v2 import validate_v2

CORPUS = Path(__file__).parent / "dashboards_corpus"


def _classic(uid: str = "svc", title: str = "Service") -> dict:
    target = {"refId": "A", "expr": "sum(rate(http_requests_total[5m]))",
              "datasource": {"type": "prometheus", "uid": "${datasource}"}}
    return {"uid": uid, "title": title, "schemaVersion": 41, "panels": [
        {"id": 1, "type": "row", "title": "Traffic", "collapsed": False, "gridPos": {"x": 0, "y": 0, "w": 24, "h": 1},
         "panels": []},
        {"id": 2, "type": "timeseries", "title": "Requests", "gridPos": {"x": 0, "y": 1, "w": 12, "h": 8},
         "datasource": target["datasource"], "targets": [target]},
        {"id": 3, "type": "row", "title": "More", "collapsed": True, "gridPos": {"x": 0, "y": 9, "w": 24, "h": 1},
         "panels": [{"id": 4, "type": "stat", "title": "Up", "gridPos": {"x": 0, "y": 10, "w": 6, "h": 4},
                     "targets": [dict(target, expr="up")]}]}],
        "templating": {"list": [{"type": "datasource", "name": "datasource", "query": "prometheus"}]}}


def _write(path: Path, doc) -> Path:
    path.write_text(json.dumps(doc) if not isinstance(doc, str) else doc)
    return path


def test_classic_to_v2beta1_written_once_then_unchanged(tb, tmp_path):
    source = _write(tmp_path / "svc.json", _classic())
    done = tb("migrate", source, "--to", "v2beta1", "--out", "v2")
    assert done.code == 0, done.err
    assert done.out == f"created   {Path('v2') / 'svc.json'}  Service\n" and done.err == ""
    resource = json.loads((tmp_path / "v2" / "svc.json").read_text())
    assert (resource["apiVersion"], resource["kind"], resource["metadata"]) == (
        "dashboard.grafana.app/v2beta1", "Dashboard", {"name": "svc"})
    assert validate_v2(resource) == []
    rows = resource["spec"]["layout"]["spec"]["rows"]
    assert [(r["spec"]["title"], r["spec"]["collapse"]) for r in rows] == [("Traffic", False), ("More", True)]
    again = tb("migrate", source, "--to", "v2beta1", "--out", "v2")
    assert again.code == 0 and again.out.startswith("unchanged ")


def test_wrappers_old_schema_versions_and_back_to_v1(tb, tmp_path):
    wrapped = _write(tmp_path / "wrapped.json", {"dashboard": _classic("api", "From the API"), "meta": {}})
    old = _write(tmp_path / "old.json", {"uid": "old", "title": "Old", "schemaVersion": 12, "rows": [
        {"title": "A row", "showTitle": True, "height": "250px", "panels": [
            {"id": 1, "type": "graph", "title": "Load", "span": 6, "datasource": "Prometheus",
             "targets": [{"expr": "node_load1", "refId": "A"}]}]}]})
    done = tb("migrate", wrapped, old, "--to", "v2", "--out", "v2")
    assert done.code == 0, done.err
    assert "old.json: migrated: datasource 'Prometheus' (a name) -> the datasource variable" in done.err
    old_v2 = json.loads((tmp_path / "v2" / "old.json").read_text())
    assert old_v2["apiVersion"] == "dashboard.grafana.app/v2" and validate_v2(old_v2) == []
    assert old_v2["spec"]["layout"]["spec"]["rows"][0]["spec"]["title"] == "A row"
    [load] = old_v2["spec"]["elements"].values()
    assert load["spec"]["vizConfig"]["group"] == "timeseries"
    back = tb("migrate", tmp_path / "v2" / "api.json", "--to", "v1", "--out", "classic")
    assert back.code == 0, back.err
    classic = json.loads((tmp_path / "classic" / "api.json").read_text())
    original = _classic("api", "From the API")
    assert [(p["type"], p["gridPos"]) for p in classic["panels"]] == [
        (p["type"], p["gridPos"]) for p in original["panels"]]
    assert classic["panels"][2]["panels"][0]["targets"][0]["expr"] == "up"


def test_to_v1_names_what_cannot_be_carried_over_one_line_each(tb, tmp_path):
    source = _write(tmp_path / "svc.json", _classic())
    assert tb("migrate", source, "--to", "v2beta1", "--out", "v2").code == 0
    path = tmp_path / "v2" / "svc.json"
    resource = json.loads(path.read_text())
    rows = resource["spec"]["layout"]["spec"]["rows"]
    resource["spec"]["layout"] = {"kind": "TabsLayout", "spec": {"tabs": [
        {"kind": "TabsLayoutTab", "spec": {"title": r["spec"]["title"], "layout": r["spec"]["layout"]}}
        for r in rows]}}
    _write(tmp_path / "tabs.json", resource)
    done = tb("migrate", tmp_path / "tabs.json", "--to", "v1", "--out", "classic")
    assert done.code == 0, done.err
    assert done.err.splitlines() == [
        f"tb-dash: warning: {tmp_path / 'tabs.json'}: not carried over: tabs 'Traffic', 'More': the classic model "
        "has no tabs: each tab becomes a row"]


def test_a_file_edited_by_hand_is_not_overwritten_without_force(tb, tmp_path):
    source = _write(tmp_path / "svc.json", _classic())
    assert tb("migrate", source, "--to", "v2beta1", "--out", "v2").code == 0
    written = tmp_path / "v2" / "svc.json"
    written.write_text(written.read_text().replace('"Service"', '"Edited"'))
    source.write_text(json.dumps(_classic(title="Service 2")))
    refused = tb("migrate", source, "--to", "v2beta1", "--out", "v2")
    assert refused.code == 3 and refused.out == ""
    assert refused.err == (f"tb-dash: error: {Path('v2') / 'svc.json'} exists and is not what migrate wrote there "
                           "(edited by hand?); --force replaces it\n")
    assert '"Edited"' in written.read_text()
    forced = tb("migrate", source, "--to", "v2beta1", "--out", "v2", "--force")
    assert forced.code == 0 and forced.out.startswith("updated ")
    assert '"Service 2"' in written.read_text()
    source.write_text(json.dumps(_classic(title="Service 3")))  # not edited since: migrate may replace it
    assert tb("migrate", source, "--to", "v2beta1", "--out", "v2").out.startswith("updated ")


def test_a_file_migrate_never_wrote_is_refused(tb, tmp_path):
    source = _write(tmp_path / "svc.json", _classic())
    (tmp_path / "v2").mkdir()
    (tmp_path / "v2" / "svc.json").write_text("{}\n")
    done = tb("migrate", source, "--to", "v2", "--out", "v2")
    assert done.code == 3 and "--force replaces it" in done.err
    assert (tmp_path / "v2" / "svc.json").read_text() == "{}\n"


def test_bad_input_is_one_line_and_exit_2_with_nothing_written(tb, tmp_path):
    good = _write(tmp_path / "good.json", _classic())
    cases = {
        "not json": (_write(tmp_path / "broken.json", "{not json"), "broken.json"),
        "not a dashboard": (_write(tmp_path / "list.json", {"items": []}), "not a Grafana dashboard"),
        "missing": (tmp_path / "absent.json", "absent.json"),
    }
    for what, (path, says) in cases.items():
        done = tb("migrate", good, path, "--to", "v2beta1", "--out", "out")
        assert done.code == 2, what
        assert len(done.err.splitlines()) == 1 and says in done.err, (what, done.err)
        assert not (tmp_path / "out").exists(), what
    twice = tb("migrate", good, _write(tmp_path / "copy.json", _classic()), "--to", "v2", "--out", "out")
    assert twice.code == 2 and "as " in twice.err and "good.json" in twice.err
    bad_version = tb("migrate", good, "--to", "v3", "--out", "out")
    assert bad_version.code == 2 and "Traceback" not in bad_version.err


def test_help_has_examples_and_exit_codes(tb):
    done = tb("migrate", "--help")
    assert done.code == 0
    for text in ("--to", "--out", "--force", "Examples:", "Exit codes:",
                 "tb-dash migrate exported/*.json --to v2beta1"):
        assert text in done.out, text


def test_validate_reads_v2_files_and_names_elements(tb, tmp_path):
    source = _write(tmp_path / "svc.json", _classic())
    assert tb("migrate", source, "--to", "v2beta1", "--out", "v2").code == 0
    ok = tb("validate", tmp_path / "v2" / "svc.json")
    assert ok.code == 0, ok.out + ok.err
    resource = json.loads((tmp_path / "v2" / "svc.json").read_text())
    resource["spec"]["layout"]["spec"]["rows"][0]["spec"]["layout"]["spec"]["items"][0]["spec"]["element"][
        "name"] = "panel-9"
    resource["spec"]["elements"]["panel-4"]["spec"]["data"]["spec"]["queries"][0]["spec"]["query"]["spec"][
        "expr"] = "sum(rate(up[5m]"
    (tmp_path / "broken").mkdir()
    _write(tmp_path / "broken" / "svc.json", resource)
    bad = tb("validate", tmp_path / "broken")
    assert bad.code == 1
    assert "element 'panel-9' is not in spec.elements" in bad.out
    assert "spec.elements.panel-2: not placed by the layout" in bad.out
    assert "panel-4 'Up'" in bad.out  # the PromQL finding names the element
    for f in CORPUS.glob("*.json"):  # real dashboards, converted, validate as their classic selves do
        converted = tb("migrate", f, "--to", "v2", "--out", "real")
        assert converted.code == 0, converted.err
        assert "does not match Grafana's schema" not in converted.err, f


def test_a_v2_version_tb_dash_does_not_know_is_refused_in_one_line(tb, tmp_path):
    future = _write(tmp_path / "future.json", {"apiVersion": "dashboard.grafana.app/v2beta2", "kind": "Dashboard",
                                                "metadata": {"name": "a"}, "spec": {"elements": {}, "layout": {}}})
    for args in (("migrate", future, "--to", "v1", "--out", "out"), ("validate", future)):
        done = tb(*args)
        assert done.code == 2, args
        assert done.err.strip().endswith("dashboard.grafana.app/v2beta2: tb-dash reads v2alpha1, v2beta1, v2"), done.err


def test_hostile_v2_files_are_findings_or_one_line_never_a_traceback(tb, tmp_path):
    base = {"apiVersion": "dashboard.grafana.app/v2beta1", "kind": "Dashboard", "metadata": {"name": "h"}}
    cases = {
        "spec-not-object": dict(base, spec=[1, 2]),
        "junk-everywhere": dict(base, spec={"elements": {"panel-1": [], "panel-2": {"kind": "Panel", "spec": 3}},
                                            "layout": {"kind": "TabsLayout", "spec": {"tabs": [7, {"spec": []}]}},
                                            "variables": "x", "annotations": [None], "timeSettings": 1}),
    }
    for name, doc in cases.items():
        path = _write(tmp_path / f"{name}.json", doc)
        back = tb("migrate", path, "--to", "v1", "--out", f"out-{name}")
        assert back.code in (0, 2), (name, back.err)
        checked = tb("validate", path)
        assert checked.code in (1, 2), (name, checked.out + checked.err)
        if checked.code == 2:
            assert len(checked.err.splitlines()) == 1, checked.err


def test_the_command_lines_formats_are_the_settings():
    from tonebridge_dash.cli.common import Schema
    from tonebridge_dash.settings.dashboards import SCHEMAS

    assert tuple(s.value for s in Schema) == SCHEMAS
