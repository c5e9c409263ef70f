"""Titles, URLs and messages from Grafana or a file are shown, never acted
on: in ``diff --format markdown`` (a pull-request comment: no link to
elsewhere, no @mention, no autolink, no HTML) and in every human-readable
line on a terminal or a pipe (no escape sequence, no forged line, no bidi
reordering). JSON output keeps them exactly."""

from __future__ import annotations

import json
import re

import pytest

from emulated import emu  # noqa: F401 (fixture)
from test_cli_push import tb  # noqa: F401 (fixture)
from tonebridge_dash.errors import clip, shown
from tonebridge_dash.grafana.client import GrafanaClient
from tonebridge_dash.grafana.diff import CHANGED, DashboardDiff, PanelDiff
from tonebridge_dash.grafana.report import diff_markdown, md
from tonebridge_dash.grafana.summary import diff_lines, table

GET = "GET /api/dashboards/uid/:uid"
ORIGIN = "https://grafana.example"
HOSTILE_TITLE = ("Ops @acme/oncall <img src=x onerror=alert(1)> https://evil.example/x www.evil.example "
                 "[x](javascript:alert(1)) a@evil.example")
TERMINAL_TITLE = "T\x1b]0;owned\x07\x1b[2J\u202eevil\r\nvalidated 0 dashboards: 0 error(s)\x9b\x7f"


# --- Markdown ----------------------------------------------------------------------
def _markdown(title=HOSTILE_TITLE, url=f"{ORIGIN}/d/u/s"):
    d = DashboardDiff("u", title, CHANGED, url, panels=[PanelDiff("added", 1, "@acme/db https://evil.example")])
    return diff_markdown([d], "Ops @acme/folder", ORIGIN)


def test_markdown_mentions_autolinks_and_html_are_inert():
    out = _markdown()
    for live in ("@acme", "https://evil", "www.evil", "a@evil"):
        assert live not in out, live
    # every < and [ escaped, but those of the two links
    assert not re.search(r"(?<!\\)<", out.replace("](<", "")) and len(re.findall(r"(?<!\\)\[", out)) == 2
    assert "@\u2060acme/oncall" in out and "https:\u2060//evil.example/x" in out and "\\<img" in out
    assert out.count("](<") == 2  # the two links to the live dashboard, nothing else


@pytest.mark.parametrize("url", ["javascript:alert(1)", "https://evil.example/d/u", "http://grafana.example/d/u",
                                 "https://grafana.example@evil.example/d", "https://grafana.example/d/u>(x)",
                                 "https://grafana.example/d/u\n[x](javascript:y)"])
def test_markdown_links_only_to_the_grafana_compared_with(url):
    out = _markdown(title="Overview", url=url)
    assert "](<" not in out and "Open the live dashboard" not in out
    assert "| Overview |" in out  # the title without a link


@pytest.mark.parametrize("text", ["a\x1bb", "a\u202eb", "a\x00b", "a\x9bb"])
def test_markdown_shows_control_and_bidi_characters_escaped(text):
    assert md(text) == shown(text).replace("\\", "\\\\")
    assert not any(ord(c) < 32 or c == "\u202e" for c in md(text))


@pytest.mark.parametrize("path", ["@evil.example/d/x", ".evil.example/d/x", "//evil.example/d/x",
                                  "javascript:alert(1)", "evil", 7])
def test_a_dashboard_url_from_grafana_stays_on_that_grafana(path):
    assert GrafanaClient(ORIGIN).url_for(path) == ""


def test_a_dashboard_url_from_grafana_is_percent_encoded():
    assert GrafanaClient(ORIGIN).url_for("/d/u/a b>[c](d)\n") == f"{ORIGIN}/d/u/a%20b%3E%5Bc%5D%28d%29%0A"


def test_diff_markdown_of_a_grafana_that_answers_a_hostile_url(tb, emu):
    """The reported case: meta.url went raw into the link, and a '>' ended it."""
    tb("push", "--grafana-url", emu.url, "--only", "tb-overview")
    emu.rewrite(GET, lambda body: {**body, "meta": {**body["meta"], "url": "/d/x>)[pwn](javascript:alert(1))"},
                                   "dashboard": {**body["dashboard"], "title": "changed"}})
    code, out, err = tb("diff", "--grafana-url", emu.url, "--only", "tb-overview", "--format", "markdown")
    assert code == 1 and "[pwn]" not in out and "](javascript" not in out
    links = re.findall(r"\]\(<([^>]*)>\)", out)
    assert links == [f"{emu.url}/d/x%3E%29%5Bpwn%5D%28javascript:alert%281%29%29"] * 2


# --- the terminal ------------------------------------------------------------------
def test_shown_escapes_what_a_terminal_acts_on():
    assert shown(TERMINAL_TITLE) == ("T\\x1b]0;owned\\x07\\x1b[2J\\u202eevil\\r\\nvalidated 0 dashboards: "
                                     "0 error(s)\\x9b\\x7f")
    for ch in ["\u2066", "\u2069", "\u200e", "\u200f", "\u202a", "\u2028", "\x85", "\t"]:
        assert ch not in shown(f"a{ch}b")
    assert shown("Équipe — 監視 ✓") == "Équipe — 監視 ✓"
    assert "\x1b" not in clip("a\x1bb")


def _safe(text: str) -> None:
    bad = [c for c in text if (ord(c) < 32 and c != "\n") or 0x7f <= ord(c) <= 0x9f or c in "\u202e\u2066"]
    assert not bad, bad


def test_tables_escape_each_cell_before_padding():
    lines = table([("STATE", "TITLE", "URL"), ("new", TERMINAL_TITLE, "u"), ("changed", "plain", "v")])
    _safe("\n".join(lines))
    assert len(lines) == 3  # no forged row
    assert lines[1].index("u") == lines[2].index("v") or lines[1].rstrip().endswith("u")


def test_diff_lines_escape_titles_and_changes():
    d = DashboardDiff("u", TERMINAL_TITLE, CHANGED, "", panels=[PanelDiff("added", 1, TERMINAL_TITLE)],
                      unified="--- a\n+++ b\n+\"title\": \"\u202eevil\x1b\"\n")
    lines = diff_lines([d], full=True)
    _safe("\n".join(lines))
    assert sum(line.startswith("validated") for line in lines) == 0


def test_pull_prints_a_title_from_grafana_escaped_and_keeps_it_in_json(tb, emu):
    tb("push", "--grafana-url", emu.url, "--only", "tb-overview")
    emu.rewrite(GET, lambda body: {**body, "dashboard": {**body["dashboard"], "title": TERMINAL_TITLE}})
    code, out, err = tb("pull", "--grafana-url", emu.url, "--uid", "tb-overview", "--out", "p1")
    assert code == 0, err
    _safe(out + err)
    assert "\\x1b]0;owned\\x07" in out and not any(line.startswith("validated") for line in out.splitlines())
    code, out, err = tb("pull", "--grafana-url", emu.url, "--uid", "tb-overview", "--out", "p2", "--format", "json")
    assert code == 0 and json.loads(out)["dashboards"][0]["title"] == TERMINAL_TITLE  # exact


def test_validate_prints_a_title_from_a_file_escaped(tb, tmp_path, rendered):
    data = dict(rendered["tb-overview"].data, title=TERMINAL_TITLE)
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "x.json").write_text(json.dumps(data))
    code, out, err = tb("validate", "d")
    _safe(out + err)
    assert sum(line.startswith("validated") for line in out.splitlines()) == 1
    assert "\\x1b]0;owned\\x07" in out
