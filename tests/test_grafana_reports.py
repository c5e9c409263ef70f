"""Reports of push and diff: JSON of the documented shape, Markdown for a
pull-request comment, colour on a terminal only, and --help that names the
environment variables and the choices."""

from __future__ import annotations

import copy
import io
import json
import re

import pytest

from emulated import TOKEN, emu, tb  # noqa: F401 (fixtures)
from test_cli_push import one_line
from tonebridge_dash.cli.style import painter
from tonebridge_dash.grafana.diff import DashboardDiff, FieldChange, PanelDiff
from tonebridge_dash.grafana.report import code, diff_markdown, md
from tonebridge_dash.grafana.summary import diff_lines, plain

ANSI = re.compile(r"\033\[[0-9;]*m")
PUSH_KEYS = {"command", "schema_version", "grafana_url", "dry_run", "folder", "dashboards", "counts", "backups",
             "stopped", "error", "exit_code"}
DIFF_KEYS = {"command", "schema_version", "grafana_url", "folder", "dashboards", "counts", "exit_code"}


def rename_response_time(tmp_path, rendered):
    """The code after a change: a renamed panel with a new threshold, as --from files."""
    out = tmp_path / "code"
    out.mkdir()
    for r in rendered.values():
        data = copy.deepcopy(r.data)
        if r.uid == "tb-overview":
            p = next(p for p in data["panels"] if p["title"] == "Response time (p95)")
            p["title"] = "Latency (p95)"
            p["fieldConfig"]["defaults"]["thresholds"]["steps"][1]["value"] = 0.8
        (out / r.filename).write_text(json.dumps(data))
    return str(out)


def test_push_json_has_the_documented_shape(tb, emu, rendered):
    code, out, err = tb("push", "--grafana-url", emu.url, "--format", "json")
    report = json.loads(out)
    assert (code, err, set(report)) == (0, "", PUSH_KEYS)
    assert report["folder"] == {"uid": "tonebridge", "title": "ToneBridge", "created": True}
    assert report["counts"] == {"created": len(rendered), "updated": 0, "unchanged": 0, "refused": 0, "failed": 0}
    first = report["dashboards"][0]
    assert set(first) == {"uid", "title", "action", "url", "detail"} and first["action"] == "created"
    assert (report["exit_code"], report["error"], report["dry_run"]) == (0, None, False)
    code, out, err = tb("push", "--grafana-url", emu.url, "--format", "json", "--dry-run", "--prune", "--only",
                        "tb-slo")
    report = json.loads(out)
    assert report["counts"] == {"would create": 0, "would update": 0, "would delete": 0, "unchanged": 1,
                                "would refuse": 0, "failed": 0}


def test_push_json_with_a_refusal_also_says_it_on_stderr(tb, emu):
    tb("push", "--grafana-url", emu.url)
    emu.ui_save("tb-overview", lambda d: d.update(title="Mine"), user="bob")
    code, out, err = tb("push", "--grafana-url", emu.url, "-f", "json")
    report = json.loads(out)
    assert code == report["exit_code"] == 3
    assert one_line(err) == f"tb-dash: error: {report['error']}"
    [refused] = [d for d in report["dashboards"] if d["action"] == "refused"]
    assert refused["uid"] == "tb-overview" and "saved in Grafana by bob" in refused["detail"]


def test_diff_json_lists_a_renamed_panel_with_its_changes(tb, emu, rendered, tmp_path):
    tb("push", "--grafana-url", emu.url)
    code, out, err = tb("diff", "--grafana-url", emu.url, "--from", rename_response_time(tmp_path, rendered),
                        "--format", "json")
    report = json.loads(out)
    assert (code, err, set(report)) == (1, "", DIFF_KEYS)
    assert report["counts"] == {"new": 0, "changed": 1, "unchanged": len(rendered) - 1}
    [d] = [d for d in report["dashboards"] if d["state"] == "changed"]
    assert set(d) == {"uid", "title", "state", "url", "hand_edited", "folder", "settings", "panel_count",
                      "panels", "reordered"}
    assert d["url"].startswith(f"{emu.url}/d/tb-overview/")
    [panel] = d["panels"]
    assert {k: panel[k] for k in ("change", "id", "title", "old_title")} == {
        "change": "renamed", "id": 2, "title": "Latency (p95)", "old_title": "Response time (p95)"}
    [change] = panel["changes"]
    assert change["field"] == "thresholds" and change["new"]["steps"][1]["value"] == 0.8
    assert change["old"]["steps"][1]["value"] == 0.5


def test_diff_markdown_for_a_pull_request(tb, emu, rendered, tmp_path):
    tb("push", "--grafana-url", emu.url, "--only", "tb-overview", "--only", "tb-slo")
    code, out, err = tb("diff", "--grafana-url", emu.url, "--from", rename_response_time(tmp_path, rendered),
                        "--format", "markdown")
    assert (code, err) == (1, "")
    lines = out.splitlines()
    assert lines[0] == "### tb-dash diff"
    assert ("**5 new, 1 changed, 1 unchanged** in the folder ToneBridge on http://127.0.0.1:"
            in lines[2])
    assert "| state | dashboard | uid | changes |" in lines
    row = next(line for line in lines if line.startswith("| changed |"))
    assert row.startswith("| changed | [ToneBridge - Overview](<" + emu.url + "/d/tb-overview/")
    assert row.endswith("| `tb-overview` | 1 panel(s) renamed |")
    n = len(rendered["tb-application"].panels())
    assert f"| new | ToneBridge - Application | `tb-application` | new dashboard, {n} panels |" in lines
    assert "#### ToneBridge - Application" not in out  # new: the table says it all
    assert "#### ToneBridge - Overview (`tb-overview`): changed" in lines
    assert f"[Open the live dashboard](<{emu.url}/d/tb-overview/toneb" in out
    assert "- panel **renamed**: Response time (p95) → Latency (p95)" in lines
    assert "  - thresholds: `green, orange>=0.5, red>=2.0` → `green, orange>=0.8, red>=2.0`" in lines
    assert "#### ToneBridge - SLOs" not in out  # unchanged: in the table only


def test_markdown_shows_titles_and_queries_literally():
    assert md("a|b *c* [d](e) <f>") == "a\\|b \\*c\\* \\[d\\](e) \\<f\\>"
    assert code("rate(x[5m])") == "`rate(x[5m])`" and code("a `b` c") == "``a `b` c``"
    d = DashboardDiff("u", "T|x", "changed", panels=[PanelDiff("changed", 1, "P", fields=[
        FieldChange("query", 'sum(rate(a{b="c"}[5m]))', None, 1), FieldChange("options", {}, {"a": 1})])])
    text = diff_markdown([d], "F", "https://user:pw@grafana.example.com")
    assert "| changed | T\\|x | `u` |" in text and "pw" not in text
    assert '  - query 1: `sum(rate(a{b="c"}[5m]))` → `(none)`' in text and "  - `options` changed" in text


def test_colour_on_a_terminal_only(monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    diffs = [DashboardDiff("tb-a", "A", "new", panel_count=1), DashboardDiff("tb-bb", "B", "unchanged")]
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert painter(io.StringIO()) is plain
    paint = painter(Terminal())
    coloured = diff_lines(diffs, paint=paint)
    assert coloured[1].startswith("\033[32mnew\033[0m        tb-a")
    assert [ANSI.sub("", line) for line in coloured] == diff_lines(diffs)  # the columns do not move
    monkeypatch.setenv("NO_COLOR", "1")
    assert painter(Terminal()) is plain
    monkeypatch.setenv("NO_COLOR", "")
    monkeypatch.setenv("TERM", "dumb")
    assert painter(Terminal()) is plain


def test_diff_text_is_an_aligned_table(tb, emu, rendered):
    tb("push", "--grafana-url", emu.url, "--only", "tb-overview")
    code, out, err = tb("diff", "--grafana-url", emu.url)
    lines = out.splitlines()
    assert lines[0] == "STATE      UID             TITLE                       URL"
    assert f"unchanged  tb-overview     ToneBridge - Overview       {emu.url}/d/tb-overview/" in out
    assert "new        tb-slo          ToneBridge - SLOs\n    new dashboard (" in out


@pytest.mark.parametrize("command, choices", [("push", "[text|json]"), ("diff", "[text|json|markdown]")])
def test_help_names_the_environment_variables_and_the_choices(tb, command, choices):
    code, out, _ = tb(command, "--help", env={"GRAFANA_URL": "http://secret-host"})
    text = " ".join(out.split())
    assert code == 0 and f"--format {choices}" in text and "<str>" not in text and "TEXT" not in text
    for var in ("GRAFANA_URL", "GRAFANA_TOKEN", "GRAFANA_USER", "GRAFANA_PASSWORD"):
        assert f"[env var: {var}]" in text
    assert TOKEN not in out and "secret-host" not in out
    assert "--only UID" in text


@pytest.mark.parametrize("option, var", [("--token", "GRAFANA_TOKEN"), ("--grafana-password", "GRAFANA_PASSWORD")])
def test_secrets_are_refused_on_the_command_line(tb, emu, option, var):
    code, out, err = tb("diff", "--grafana-url", emu.url, option, "s3cret")
    assert code == 2 and "s3cret" not in out + err
    assert one_line(err) == (f"tb-dash: error: set {var} in the environment (or use --token-file), not {option}: "
                             "a secret on the command line shows in the process list")
    assert emu.total_requests() == 0


def test_user_and_password_from_the_environment(tb, emu):
    emu.add_user("ops", "pw-from-env")
    code, out, err = tb("push", "--grafana-url", emu.url, token=None,
                        env={"GRAFANA_USER": "ops", "GRAFANA_PASSWORD": "pw-from-env"})
    assert (code, err) == (0, "") and "pw-from-env" not in out
    assert emu.last_headers["POST /api/dashboards/db"]["Authorization"].startswith("Basic ")
