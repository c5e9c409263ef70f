"""render --check and rules --check: CI fails when the committed generated
files are not what the code renders; nothing is written."""

from __future__ import annotations


def test_render_check_names_missing_changed_and_stale_files_and_writes_nothing(tb, tmp_path):
    out = tmp_path / "dashboards"
    r = tb("render", "--check", "--out", out)
    assert r.code == 1 and not out.exists()
    assert r.out.count("missing  ") == 7
    assert r.err.strip().splitlines() == [
        f"tb-dash: error: dashboards in {out} are not what the code renders (7 missing): "
        f"run 'tb-dash render --out {out}' and commit"]
    assert tb("render", "--out", out).code == 0
    r = tb("render", "--check", "--out", out)
    assert (r.code, r.out) == (0, "") and "are current (7 files)" in r.err
    overview = out / "tb-overview.json"
    overview.write_text(overview.read_text().replace("Overview", "Overview by hand"))
    (out / "removed.json").write_text("{}")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    r = tb("render", "--check", "--out", out)
    assert r.code == 1
    assert r.out.splitlines() == [f"changed  {overview}", f"stale    {out / 'removed.json'} (not rendered any more)"]
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_rules_check_compares_rule_files_and_alertmanager(tb, tmp_path):
    out = tmp_path / "rules"
    assert tb("rules", "--out", out).code == 0
    assert tb("rules", "--check", "--out", out).code == 0
    (out / "alertmanager.yml").write_text((out / "alertmanager.yml").read_text() + "# edited\n")
    r = tb("rules", "--check", "--out", out)
    assert r.code == 1 and r.out == f"changed  {out / 'alertmanager.yml'}\n"
    assert "rule files in" in r.err and len(r.err.strip().splitlines()) == 1
