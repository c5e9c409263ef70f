"""render and rules say what they did to each file (created, updated,
unchanged), remove the files they wrote before and no longer render, and
leave anyone else's files in place."""

from __future__ import annotations

import json

from tonebridge_dash.files.owned import MANIFEST, write_owned

from conftest import ROOT


def test_a_file_written_before_and_no_longer_rendered_is_removed_others_are_kept(tmp_path):
    out = tmp_path / "out"
    first = write_owned(out, [("a.json", b"{}", 0o644), ("b.json", b"{}", 0o644)], "*.json")
    assert first.status == {"a.json": "created", "b.json": "created"} and first.removed == []
    (out / "theirs.json").write_text("{}")
    second = write_owned(out, [("a.json", b'{"x": 1}', 0o644)], "*.json")
    assert second.status == {"a.json": "updated"} and second.removed == ["b.json"]
    assert second.foreign == ["theirs.json"]
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "a.json", "theirs.json"]
    assert write_owned(out, [("a.json", b'{"x": 1}', 0o644)], "*.json").counts() == "0 created, 0 updated, 1 unchanged"


def test_a_crafted_list_of_written_files_never_removes_outside_the_directory(tmp_path):
    out, outside = tmp_path / "out", tmp_path / "keep.json"
    outside.write_text("{}")
    out.mkdir()
    (out / MANIFEST).write_text("../keep.json\n/etc/passwd\n..\n")
    done = write_owned(out, [("a.json", b"{}", 0o644)], "*.json")
    assert done.removed == [] and outside.exists()


def test_render_and_rules_report_each_file_and_json(tb, tmp_path):
    out = tmp_path / "dashboards"
    r = tb("render", "--out", out, cwd=ROOT)
    assert r.code == 0 and r.out.count("created  ") == 7 and "7 created, 0 updated, 0 unchanged" in r.err
    r = tb("render", "--out", out, "--format", "json", cwd=ROOT)
    data = json.loads(r.out)
    assert {f["status"] for f in data["files"]} == {"unchanged"} and len(data["files"]) == 7
    assert {"uid", "title", "path", "name"} <= set(data["files"][0])
    rules = tmp_path / "rules"
    assert tb("rules", "--out", rules, cwd=ROOT).code == 0
    r = tb("rules", "--out", rules, cwd=ROOT)
    assert r.out.count("unchanged  ") == 3 and "0 created, 0 updated, 3 unchanged" in r.err
