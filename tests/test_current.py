"""render --check and rules --check: CI fails when the committed generated
files are not what the code renders; nothing is written."""

from __future__ import annotations

from test_cli import run


def test_render_check_names_missing_changed_and_stale_files_and_writes_nothing(tmp_path):
    out = tmp_path / "dashboards"
    r = run("render", "--check", "--out", str(out))
    assert r.returncode == 1 and not out.exists()
    assert r.stdout.count("missing  ") == 5
    assert r.stderr.strip().splitlines() == [
        f"tb-dash: error: dashboards in {out} are not what the code renders (5 missing): "
        f"run 'tb-dash render --out {out}' and commit"]
    assert run("render", "--out", str(out)).returncode == 0
    r = run("render", "--check", "--out", str(out))
    assert (r.returncode, r.stdout) == (0, "") and "are current (5 files)" in r.stderr
    overview = out / "tb-overview.json"
    overview.write_text(overview.read_text().replace("Overview", "Overview by hand"))
    (out / "removed.json").write_text("{}")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    r = run("render", "--check", "--out", str(out))
    assert r.returncode == 1
    assert r.stdout.splitlines() == [f"changed  {overview}", f"stale    {out / 'removed.json'} (not rendered any more)"]
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_rules_check_compares_rule_files_and_alertmanager(tmp_path):
    out = tmp_path / "rules"
    assert run("rules", "--out", str(out)).returncode == 0
    assert run("rules", "--check", "--out", str(out)).returncode == 0
    (out / "alertmanager.yml").write_text((out / "alertmanager.yml").read_text() + "# edited\n")
    r = run("rules", "--check", "--out", str(out))
    assert r.returncode == 1 and r.stdout == f"changed  {out / 'alertmanager.yml'}\n"
    assert "rule files in" in r.stderr and len(r.stderr.strip().splitlines()) == 1
