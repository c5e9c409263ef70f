"""Reports of a push and a diff for machines (``--format json``) and for
reviewers (``diff --format markdown``, a pull-request comment).

The JSON shape is documented in docs/shipping.md ("Reports") and stable: keys are
only ever added. Both reports have ``command``, ``grafana_url`` (redacted),
``folder``, ``dashboards`` (one entry each, in the order of the text
table), ``counts`` and ``exit_code``.
"""

from __future__ import annotations

import re
from typing import Any, Sequence
from urllib.parse import urlsplit

from ..errors import redact_url, shown
from .diff import CHANGED, NEW, RENAMED, UNCHANGED, DashboardDiff, FieldChange, PanelDiff
from .push import PushReport
from .summary import DIFF_STATES, action_label, diff_counts, push_error, shown_actions

SCHEMA_VERSION = 1  # raised only if a key changes meaning or goes away


def push_json(report: PushReport, folder_title: str, grafana_url: str) -> dict[str, Any]:
    return {
        "command": "push", "schema_version": SCHEMA_VERSION, "grafana_url": redact_url(grafana_url),
        "dry_run": report.dry_run,
        "folder": {"uid": report.folder_uid, "title": folder_title, "created": report.folder_created},
        "dashboards": [{"uid": o.uid, "title": o.title, "action": action_label(o.action, report.dry_run),
                        "url": o.url or None, "detail": o.detail or None} for o in report.outcomes],
        "counts": {action_label(a, report.dry_run): report.count(a) for a in shown_actions(report)},
        "backups": [str(p) for p in report.backups],
        "stopped": report.stop.reason or None,
        "error": push_error(report),
        "exit_code": report.exit_code,
    }


def diff_json(diffs: Sequence[DashboardDiff], folder_uid: str, folder_title: str, grafana_url: str,
              full: bool = False) -> dict[str, Any]:
    counts = diff_counts(diffs)
    return {
        "command": "diff", "schema_version": SCHEMA_VERSION, "grafana_url": redact_url(grafana_url),
        "folder": {"uid": folder_uid, "title": folder_title},
        "dashboards": [d.to_json(full) for d in diffs],
        "counts": counts,
        "exit_code": 1 if counts[NEW] or counts[CHANGED] else 0,
    }


# -- Markdown -------------------------------------------------------------------

# Titles, folders and messages come from Grafana or files; a review comment
# must show them, not act on them. Every ASCII character that can start
# markup (an HTML tag, a link, emphasis, a table cell, an entity) is
# escaped; a word joiner (U+2060, invisible) after "@" and inside "://" and
# "www." keeps GitHub from pinging @org/team or turning a bare URL or an
# address into a link (a backslash would not: GitHub finds mentions in the
# rendered text).
_SPECIAL = set("\\`*_{}[]<>#!|~&")
_AUTOLINK = re.compile(r"(?i)(@)|(:)(?=//)|\b(www)(?=\.)")
_JOINER = "\u2060"


def md(text: str, inert: bool = True) -> str:
    """``text`` as Markdown that shows it literally, on one line, with its
    control and bidi characters escaped (``errors.shown``); ``inert=False``
    for the user's own Grafana URL, which may stay a link."""
    text = shown(" ".join(str(text).split()))
    text = "".join(f"\\{c}" if c in _SPECIAL else c for c in text)
    return _AUTOLINK.sub(lambda m: m.group() + _JOINER, text) if inert else text


def code(text: str) -> str:
    """``text`` as an inline code span (a longer fence when it holds
    backticks); inside one, nothing is markup, mentions and links included."""
    text = shown(" ".join(str(text).split()))
    fence = "`" * (max((len(run) for run in _runs(text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _runs(text: str) -> list[str]:
    """The runs of backticks in ``text``."""
    return re.findall(r"`+", text)


def safe_url(url: str, origin: str) -> str:
    """``url`` when it is an http(s) address on ``origin``'s scheme, host and
    port with nothing in it that Markdown or HTML reads (the client makes
    them so: ``GrafanaClient.url_for``); "" otherwise, and no link is made."""
    try:
        parts, base = urlsplit(url), urlsplit(origin)
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or (parts.scheme, parts.netloc) != (base.scheme, base.netloc) \
            or not _URL_SAFE.fullmatch(url):
        return ""
    return url


_URL_SAFE = re.compile(r"[A-Za-z0-9/%._~!$&'*+,;=:@?#-]+")


def link(title: str, url: str, origin: str) -> str:
    url = safe_url(url, origin) if url else ""
    return f"[{md(title)}](<{url}>)" if url else md(title)


def _field_md(f: FieldChange) -> str:
    what, before, after = f.parts(300)
    if before is None:
        return f"{code(what)} changed"
    return f"{what}: {code(before)} → {code(after or '')}"


def _panel_md(p: PanelDiff) -> list[str]:
    if p.change == RENAMED:
        head = f"- panel **renamed**: {md(p.old_title)} → {md(p.title)}"
    else:
        head = f"- panel **{p.change}**: {md(p.title)}"
    return [head] + [f"  - {_field_md(f)}" for f in p.fields]


def _summary_cell(d: DashboardDiff) -> str:
    if d.state == NEW:
        return f"new dashboard, {d.panel_count} panels"
    if d.state == UNCHANGED:
        return ""
    kinds: dict[str, int] = {}
    for p in d.panels:
        kinds[p.change] = kinds.get(p.change, 0) + 1
    parts = [f"{n} panel(s) {kind}" for kind, n in kinds.items()]
    parts += ["settings"] if d.settings else []
    parts += ["folder"] if d.folder else []
    parts += ["⚠ edited in Grafana"] if d.hand_edit else []
    return ", ".join(parts) or "panels reordered"


def diff_markdown(diffs: Sequence[DashboardDiff], folder_title: str, grafana_url: str,
                  full: bool = False) -> str:
    n = diff_counts(diffs)
    lines = ["### tb-dash diff", "",
             f"**{n[NEW]} new, {n[CHANGED]} changed, {n[UNCHANGED]} unchanged** in the folder "
             f"{md(folder_title)} on {md(redact_url(grafana_url), inert=False)}", "",
             "| state | dashboard | uid | changes |", "|---|---|---|---|"]
    order = {s: i for i, s in enumerate(DIFF_STATES)}
    ranked = sorted(diffs, key=lambda d: order.get(d.state, 0))
    for d in ranked:
        lines.append(f"| {d.state} | {link(d.title, d.url, grafana_url)} | {code(d.uid)} | {_summary_cell(d)} |")
    for d in ranked:
        if d.state == UNCHANGED or (d.state == NEW and not (full and d.unified)):
            continue  # the table says all there is
        lines += ["", f"#### {md(d.title)} ({code(d.uid)}): {d.state}", ""]
        if safe_url(d.url, grafana_url):
            lines += [f"[Open the live dashboard](<{d.url}>)", ""]
        if d.hand_edit:
            lines += [f"> ⚠ {md(d.hand_edit)}: push refuses to overwrite it without --force", ""]
        if d.folder:
            lines.append(f"- folder: {code(d.folder[0] or 'General')} → {code(d.folder[1])}")
        if d.settings:
            lines.append("- dashboard settings changed: " + ", ".join(code(k) for k in d.settings))
        for p in d.panels:
            lines += _panel_md(p)
        if d.reordered:
            lines.append("- panels reordered or renumbered")
        if full and d.unified:
            fence = "`" * max(3, max((len(r) for r in _runs(d.unified)), default=0) + 1)
            lines += ["", "<details><summary>JSON diff</summary>", "", f"{fence}diff",
                      *map(shown, d.unified.rstrip("\n").split("\n")), fence, "", "</details>"]
    return "\n".join(lines) + "\n"
