"""Render: the four dashboards, valid for Grafana, deterministic on disk."""

from __future__ import annotations

import json
import re

import pytest

from tonebridge_dash.files.write import encode_json as encode
from tonebridge_dash.dashboard.render import load_dir, build_all, write_dashboards
from tonebridge_dash.dashboard.schema import validate_dashboard, validate_panel
from tonebridge_dash.settings import from_mapping

EXPECTED = {
    "tb-overview": "ToneBridge - Overview",
    "tb-system": "ToneBridge - System Health",
    "tb-application": "ToneBridge - Application",
    "tb-business": "ToneBridge - Business",
    "tb-logs": "ToneBridge - Logs",
    "tb-audit": "ToneBridge - Audit",
}
LOG_DASHBOARDS = ("tb-logs", "tb-audit")  # on Elasticsearch, not Prometheus


def test_the_core_dashboards_exist_with_stable_uids(rendered):
    for uid, title in EXPECTED.items():
        assert rendered[uid].title == title
    for uid in rendered:
        assert re.fullmatch(r"[a-zA-Z0-9_-]{1,40}", uid)


def test_every_dashboard_has_zero_schema_errors(rendered):
    for uid, r in rendered.items():
        assert validate_dashboard(r.data) == [], uid


def test_schema_validation_catches_legacy_keys_and_bad_options(rendered):
    data = json.loads(json.dumps(rendered["tb-overview"].data))
    data["style"] = "dark"  # grafanalib's legacy key
    data["panels"][0]["options"]["legend"]["displayMode"] = "sideways"
    data["panels"][1]["datasource"] = "${datasource}"  # a string, not a reference
    issues = [str(i) for i in validate_dashboard(data)]
    assert any("style" in i for i in issues), issues
    assert any(i.startswith("panels[0].options.legend.displayMode") for i in issues), issues
    assert any(i.startswith("panels[1]") for i in issues), issues


def test_panel_plugin_schemas_are_applied(rendered):
    panel = json.loads(json.dumps(rendered["tb-business"].panels()[1]))  # a stat
    assert panel["type"] == "stat"
    assert validate_panel(panel, "p") == []
    panel["options"]["graphMode"] = "sparkline"
    assert [i.path for i in validate_panel(panel, "p")] == ["p.options.graphMode"]


def test_normalized_model_is_current(rendered):
    for uid, r in rendered.items():
        d = r.data
        assert d["schemaVersion"] == 41
        for legacy in ("rows", "style", "sharedCrosshair", "hideControls", "__inputs", "id", "version"):
            assert legacy not in d, (uid, legacy)
        text = json.dumps(d)
        assert ": null" not in text.replace('"value": null', ""), uid
        for p in r.panels():
            assert p["type"] not in ("graph", "singlestat", "grafana-piechart-panel"), uid
            if p["type"] == "row":
                continue
            logs = uid in LOG_DASHBOARDS
            assert p["datasource"] == ({"type": "elasticsearch", "uid": "${elasticsearch_datasource}"} if logs
                                       else {"type": "prometheus", "uid": "${datasource}"})
            assert p["description"], (uid, p["title"])
            assert p["fieldConfig"]["defaults"].get("unit") or p["type"] == "logs", (uid, p["title"])
            for t in p["targets"]:
                assert t["datasource"] == p["datasource"]
                assert logs or t["range"] is not t["instant"]


def test_every_dashboard_has_a_datasource_variable_and_filters(rendered):
    for uid, r in rendered.items():
        variables = {v["name"]: v for v in r.data["templating"]["list"]}
        if uid in LOG_DASHBOARDS:
            ds = variables["elasticsearch_datasource"]
            assert (ds["type"], ds["query"], ds["current"]["value"]) == ("datasource", "elasticsearch", "elasticsearch")
            continue
        ds = variables["datasource"]
        assert (ds["type"], ds["query"], ds["current"]["value"]) == ("datasource", "prometheus", "prometheus")
        for name in ("job", "instance"):
            v = variables[name]
            assert v["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
            assert v["multi"] and v["includeAll"] and v["allValue"] == ".+"


def test_panels_stay_in_the_grid_without_overlap_and_ids_are_unique(rendered):
    for uid, r in rendered.items():
        cells = set()
        ids = [p["id"] for p in r.panels()]
        assert len(ids) == len(set(ids)), uid
        for p in r.panels():
            g = p["gridPos"]
            assert 0 <= g["x"] and g["x"] + g["w"] <= 24 and g["h"] > 0, (uid, p.get("title"))
            for x in range(g["x"], g["x"] + g["w"]):
                for y in range(g["y"], g["y"] + g["h"]):
                    assert (x, y) not in cells, (uid, p.get("title"), "overlaps")
                    cells.add((x, y))


def test_thresholds_come_from_settings():
    cfg = from_mapping({"thresholds": {"error_ratio": {"warning": 0.02, "critical": 0.07}}})
    r = {d.uid: d for d in build_all(cfg)}
    panel = next(p for p in r["tb-overview"].panels() if p["title"].startswith("Error rate"))
    steps = panel["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert steps == [{"color": "green", "value": None}, {"color": "orange", "value": 0.02},
                     {"color": "red", "value": 0.07}]


@pytest.mark.parametrize("version", [39, 42])
def test_schema_version_is_configurable(version):
    cfg = from_mapping({"dashboards": {"schema_version": version}})
    assert {r.data["schemaVersion"] for r in build_all(cfg)} == {version}


def test_uid_prefix_from_settings():
    cfg = from_mapping({"dashboards": {"uid_prefix": "acme-"}})
    assert "acme-overview" in {r.uid for r in build_all(cfg)}


def test_encoding_is_sorted_indented_with_trailing_newline(rendered):
    raw = encode(rendered["tb-overview"].data)
    assert raw.endswith(b"}\n") and not raw.endswith(b"\n\n")
    assert raw.startswith(b'{\n  "annotations"')
    assert raw == (json.dumps(json.loads(raw), sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()


def test_two_renders_write_identical_bytes(cfg, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    write_dashboards(build_all(cfg), a)
    write_dashboards(build_all(cfg), b)
    names = sorted(p.name for p in a.iterdir())
    assert set(names) >= {f"{uid}.json" for uid in EXPECTED}
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes()
    assert not [p for p in a.iterdir() if p.name.startswith(".")], "temporary files left behind"


def test_load_dir_reads_back_what_render_wrote(cfg, tmp_path):
    written = build_all(cfg)
    write_dashboards(written, tmp_path)
    loaded = {r.uid: r.data for r in load_dir(tmp_path)}
    assert loaded == {r.uid: r.data for r in written}


def test_written_files_pass_the_reference_validator(cfg, tmp_path):
    """Independent of the compiled fast path: the files on disk, checked with
    plain jsonschema.Draft7Validator against the vendored schema files."""
    import jsonschema

    from tonebridge_dash.dashboard.schema import SCHEMA_DIR

    def validator(name, definition=None):
        doc = json.loads((SCHEMA_DIR / f"{name}.jsonschema.json").read_text())
        if name == "dashboard":  # the two errata of the NOTICE: any value, as in Grafana's CUE source
            doc["definitions"]["DynamicConfigValue"]["properties"]["value"] = {}
            doc["definitions"]["MatcherConfig"]["properties"]["options"] = {}
        if name == "elasticsearch":  # a bucket aggregation matches Nested and Filters: oneOf read as anyOf, as Grafana does
            doc = json.loads(json.dumps(doc).replace('"oneOf"', '"anyOf"'))
        if definition is None:
            return jsonschema.Draft7Validator(doc)
        if definition not in doc["definitions"]:
            return None
        return jsonschema.Draft7Validator({"$ref": f"#/definitions/{definition}", "definitions": doc["definitions"]})

    dashboard = validator("dashboard")
    queries = {"prometheus": validator("prometheus", "Dataquery"), "elasticsearch": validator("elasticsearch", "dataquery")}
    write_dashboards(build_all(cfg), tmp_path)
    checked = 0
    for f in sorted(tmp_path.glob("*.json")):
        data = json.loads(f.read_text())
        assert list(dashboard.iter_errors(data)) == [], f.name
        for p in data["panels"]:
            if p["type"] == "row":
                continue
            options, custom = validator(p["type"], "Options"), validator(p["type"], "FieldConfig")
            assert options is not None, p["type"]
            assert list(options.iter_errors(p["options"])) == [], (f.name, p["title"])
            if custom is not None and "custom" in p["fieldConfig"]["defaults"]:
                assert list(custom.iter_errors(p["fieldConfig"]["defaults"]["custom"])) == [], (f.name, p["title"])
            for t in p["targets"]:
                target = queries[t["datasource"]["type"]]
                assert list(target.iter_errors(t)) == [], (f.name, p["title"])
            checked += 1
    assert checked >= 36  # every panel of the four core dashboards at least


def test_dashboards_link_to_each_other_keeping_time_and_variables(rendered):
    for uid, r in rendered.items():
        (link,) = r.data["links"]
        assert (link["type"], link["tags"], link["keepTime"], link["includeVars"]) == (
            "dashboards", ["tonebridge"], True, True), uid
        assert "tonebridge" in r.data["tags"]  # so the drop-down lists every dashboard


def test_overview_panels_link_to_the_dashboard_that_explains_them(rendered):
    panels = [p for p in rendered["tb-overview"].panels() if p["type"] != "row"]
    assert len(panels) == 4
    for p in panels:
        (link,) = p["links"]
        target = link["url"].split("?")[0].removeprefix("/d/")
        assert target in rendered and target != "tb-overview", p["title"]
        assert link["url"].endswith("?${__url_time_range}&${__all_variables}"), p["title"]
