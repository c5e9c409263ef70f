"""The CLI: commands, exit codes, one-line errors, fast --help."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from tonebridge_dash.cli import app

runner = CliRunner()


def test_help_lists_commands_and_exit_codes(tb):
    r = tb("--help")
    assert r.code == 0
    for word in ("render", "list", "Exit codes", "Example"):
        assert word in r.out


def test_help_does_not_import_the_heavy_libraries():
    """A process of its own: what ``--help`` imports is seen only in an
    interpreter that has imported nothing else (the test run has them all)."""
    code = ("import sys; sys.argv=['tb-dash','--help']\n"
            "from tonebridge_dash import cli\n"
            "try:\n    cli.main()\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('grafanalib', 'jsonschema', 'requests', 'yaml', 'fastjsonschema', 'promql_parser')"
            " if m in sys.modules]\n"
            "print('HEAVY', heavy)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "HEAVY []" in r.stdout, r.stdout + r.stderr


def test_render_writes_the_dashboards(tb, tmp_path):
    r = tb("render", "--out", tmp_path / "out")
    assert r.code == 0, r.err
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert {"tb-application.json", "tb-business.json", "tb-overview.json", "tb-system.json"} <= set(names)
    assert "rendered" in r.err


def test_render_defaults_to_build_dashboards(tb, tmp_path):
    r = tb("render")
    assert r.code == 0, r.err
    assert (tmp_path / "build" / "dashboards" / "tb-overview.json").is_file()


def test_render_schema_version_option(tb, tmp_path):
    r = tb("render", "--out", tmp_path, "--schema-version", "42")
    assert r.code == 0
    assert json.loads((tmp_path / "tb-overview.json").read_text())["schemaVersion"] == 42
    r = tb("render", "--out", tmp_path, "--schema-version", "12")
    assert r.code == 2


@pytest.mark.parametrize("content, message", [
    (None, "tb-dash: error: missing.yaml: settings file not found"),
    ("thresholds:\n  error_rate: {critical: 0.1}\n", "tb-dash: error: bad.yaml: unknown key 'thresholds.error_rate'"),
    ("a: [\n", "tb-dash: error: bad.yaml: invalid YAML at line 2"),
])
def test_settings_errors_are_one_line_exit_2(tb, tmp_path, content, message):
    name = "missing.yaml" if content is None else "bad.yaml"
    if content is not None:
        (tmp_path / name).write_text(content)
    r = tb("render", "--config", name, "--out", "out")
    assert r.code == 2
    assert r.err.startswith(message), r.err
    assert len(r.err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_out_is_a_file_is_an_error(tb, tmp_path):
    (tmp_path / "out").write_text("x")
    r = tb("render", "--out", tmp_path / "out")
    assert r.code == 2 and "is not a directory" in r.err


def test_list_shows_dashboards_and_panels():
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 0
    assert "tb-overview  ToneBridge - Overview  (4 panels)" in result.output
    assert "Response time (p95)" in result.output
    data = json.loads(runner.invoke(app, ["list", "--format", "json"]).output)
    overview = next(d for d in data if d["uid"] == "tb-overview")
    assert [p["title"] for p in overview["panels"]] == [
        "Request rate", "Response time (p95)", "Error rate (5xx share)", "Active users"]


def test_unknown_command_is_a_usage_error(tb):
    r = tb("frobnicate")
    assert r.code == 2 and "No such command" in r.err


def test_version(tb):
    r = tb("--version")
    assert r.code == 0 and r.out.startswith("tb-dash ")


def test_the_command_runs_with_the_cyclic_collector_off():
    """The console script and ``python -m`` enter through ``__main__``, which
    turns the collector off before the imports (a no-op push spent about a
    fifth of its time in it); the package imported as a library leaves it on.
    Processes of their own: the collector's state is the interpreter's, set
    at its first import."""
    import tomllib
    from pathlib import Path

    scripts = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"tb-dash": "tonebridge_dash.__main__:run"}
    probe = "import gc, {m}; print(gc.isenabled())"
    for module, enabled in (("tonebridge_dash.__main__", "False"), ("tonebridge_dash.cli", "True")):
        r = subprocess.run([sys.executable, "-c", probe.format(m=module)], capture_output=True, text=True, timeout=60)
        assert (r.returncode, r.stdout.strip()) == (0, enabled), r.stderr


def test_unwritable_output_is_one_line_not_a_traceback(tb, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = tb("render", "--out", blocker / "sub")
    assert r.code == 1
    assert r.err.startswith(f"tb-dash: error: {blocker / 'sub'}/")
    assert "cannot write" in r.err and len(r.err.strip().splitlines()) == 1


def test_unknown_environment_without_settings_file(tb):
    r = tb("push", "--env", "prod")
    assert r.code == 2
    assert r.err.strip() == ("tb-dash: error: unknown environment 'prod': no environments are defined "
                                "in the built-in settings (no tb-dash.yaml) (add them under 'environments:')")


def test_render_warns_about_json_it_did_not_write(tb, tmp_path):
    (tmp_path / "tb-removed.json").write_text("{}")
    r = tb("render", "--out", tmp_path)
    assert r.code == 0
    assert "tb-dash: warning:" in r.err and "tb-removed.json" in r.err
    assert (tmp_path / "tb-removed.json").exists(), "render never deletes files it did not write"
    r = tb("render", "--out", tmp_path / "clean")
    assert "warning" not in r.err


def test_render_refuses_what_validate_calls_an_error_and_writes_nothing(tb, tmp_path, monkeypatch):
    """A dashboard whose queries use $job without defining it renders
    nowhere: exit 1, one line naming it, no file."""
    monkeypatch.setattr(sys, "path", list(sys.path))  # render imports the content from the test's directory
    for name in ("broken_job", "broken_job.overview"):  # and keeps it: gone when the test ends
        monkeypatch.setitem(sys.modules, name, None)
        del sys.modules[name]
    (tmp_path / "broken_job").mkdir()
    (tmp_path / "broken_job" / "__init__.py").write_text('"""A broken dashboard."""\n')
    (tmp_path / "broken_job" / "overview.py").write_text(
        "import attr\nfrom grafanalib import core as g\n\nfrom dashboards import overview\n\n\n"
        "def build(cfg):\n"
        "    d = overview.build(cfg)\n"
        "    return attr.evolve(d, templating=g.Templating(list=d.templating.list[:1]))  # no job, no instance\n")
    (tmp_path / "tb-dash.yaml").write_text("content:\n  dashboards: broken_job\n")
    r = tb("render", "--out", "out")
    assert r.code == 1, r.err
    assert r.err.startswith("tb-dash: error: dashboard 'tb-overview': (dashboard): has no 'job' variable "
                               "[template-job] (and ")  # the others: $job and $instance undefined in each query
    assert "run 'tb-dash validate' for every finding" in r.err
    assert len(r.err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_version_names_the_commit_and_a_dirty_tree(tb, monkeypatch):
    import re
    import subprocess as sp

    from tonebridge_dash.cli import common

    assert re.fullmatch(r"tb-dash \d+\.\d+\.\d+( \(git [0-9a-f]{7,}(, dirty)?\))?\n", tb("--version").out)

    def fake(described, code=0):
        return lambda *a, **k: sp.CompletedProcess(a, code, stdout=described, stderr="")

    monkeypatch.setattr(sp, "run", fake("1a2b3c4-dirty\n"))
    assert common.version_text().endswith("(git 1a2b3c4, dirty)")
    monkeypatch.setattr(sp, "run", fake("1a2b3c4\n"))
    assert common.version_text().endswith("(git 1a2b3c4)")
    monkeypatch.setattr(sp, "run", fake("", 128))  # not a checkout (an installed package)
    assert re.fullmatch(r"tb-dash \d+\.\d+\.\d+", common.version_text())


def test_shell_completion_is_offered(tb):
    out = tb("--help").out
    assert "--install-completion" in out and "--show-completion" in out


def test_help_names_values_not_python_types(tb):
    """Every option's value is named (DIR, DURATION, N, [text|json]), never <str> or <int range>."""
    import re

    names = re.findall(r"^  (\w+) ", tb("--help").out.split("Commands:")[1], re.M)
    assert len(names) >= 10
    for name in names:
        out = tb(name, "--help").out
        assert not re.search(r"<(str|int|float|path|list|bool)[^>]*>|\w+Format\.|ApiMode\.", out), (name, out)
