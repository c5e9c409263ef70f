"""Plain-text summaries of a push and a diff: aligned tables, with the
action or state of each dashboard coloured by ``paint`` (the CLI gives a
painter on a terminal; the default leaves text plain). Every text from
Grafana or a file (uid, title, URL, detail, change) goes through
``errors.shown`` before it is padded or painted: escaped, never acted on."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Sequence

from ..errors import shown
from .plan import CHANGED, NEW, UNCHANGED
from .push import ACTIONS, DELETED, FAILED, REFUSED, SKIPPED, PushReport

if TYPE_CHECKING:  # a push's summary does not load the diff
    from .diff import DashboardDiff

DRY_RUN_LABELS = {"created": "would create", "updated": "would update", "refused": "would refuse",
                  DELETED: "would delete"}
DIFF_STATES = (NEW, CHANGED, UNCHANGED)

Paint = Callable[[str, str], str]  # (text, action or state) -> text, e.g. in colour


def plain(text: str, role: str) -> str:
    return text


def table(rows: Sequence[Sequence[str]], roles: Sequence[str] = (), paint: Paint = plain) -> list[str]:
    """Left-aligned columns, two spaces apart; the last column is not
    padded. The first cell of row ``i`` is painted as ``roles[i]`` once
    padded, so colours never move the columns. Cells are ``shown``."""
    rows = [[shown(str(c)) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    out = []
    for i, r in enumerate(rows):
        cells = [c.ljust(w) for c, w in zip(r, widths)] + [r[-1]]
        line = "  ".join(cells).rstrip()
        if i < len(roles) and roles[i]:
            line = paint(cells[0], roles[i]) + line[len(cells[0]):]
        out.append(line)
    return out


def with_notes(rows: list[tuple[str, ...]], roles: list[str], notes: dict[int, list[str]],
               paint: Paint) -> list[str]:
    """The table, each row followed by its indented notes."""
    lines = []
    for i, line in enumerate(table(rows, roles, paint)):
        lines.append(line)
        lines += [f"    {shown(n)}" for n in notes.get(i, [])]
    return lines


def action_label(action: str, dry_run: bool) -> str:
    return DRY_RUN_LABELS.get(action, action) if dry_run else action


def shown_actions(report: PushReport) -> list[str]:
    """The actions a summary counts: deleted only with --prune, skipped only
    when some were."""
    return [a for a in ACTIONS
            if (a != SKIPPED or report.count(a)) and (a != DELETED or report.pruned or report.count(a))]


def push_lines(report: PushReport, folder_title: str, paint: Paint = plain) -> list[str]:
    rows, roles, notes = [("ACTION", "UID", "TITLE", "URL")], [""], {}
    for o in report.outcomes:
        rows.append((action_label(o.action, report.dry_run), o.uid, o.title, o.url))
        roles.append(o.action)
        if o.detail:
            notes[len(rows) - 1] = [o.detail]
    lines = with_notes(rows, roles, notes, paint)
    folder = shown(f"folder '{folder_title}' (uid {report.folder_uid})")
    if report.folder_created:
        lines.append(f"{folder} {'would be created' if report.dry_run else 'created'}")
    if report.dry_run:
        counts = ", ".join(f"{action_label(a, True)} {report.count(a)}" for a in shown_actions(report))
    else:
        counts = ", ".join(f"{report.count(a)} {a}" for a in shown_actions(report))
    prefix = "dry run, nothing written: " if report.dry_run else ""
    lines.append(f"{prefix}{len(report.outcomes)} dashboards: {counts}")
    if report.stop:
        lines.append(f"stopped: {report.stop.reason}; the saves in flight were finished, no new one was started")
    return lines


def push_error(report: PushReport) -> str | None:
    """The one-line error for a push that did not fully succeed."""
    failed = [o for o in report.outcomes if o.action == FAILED]
    skipped = report.count(SKIPPED)
    if report.stop.signal is not None:
        return (f"{report.stop.reason}: {skipped} of {len(report.outcomes)} dashboards not started; "
                "the summary above says what was done")
    if failed:
        return (f"{len(failed)} of {len(report.outcomes)} dashboards failed; "
                f"first: {failed[0].uid}: {failed[0].detail}"
                + (f"; {skipped} not started" if skipped else ""))
    refused = [o for o in report.outcomes if o.action == REFUSED]
    if refused:
        kept = [o.uid for o in refused if o.deleting]
        saved = [o.uid for o in refused if not o.deleting]
        parts = ([f"refused to overwrite {len(saved)} dashboard(s) edited in Grafana since the "
                  f"last push ({', '.join(saved)})"] if saved else [])
        parts += ([f"refused to delete {len(kept)} dashboard(s) not written last by tb-dash "
                   f"({', '.join(kept)})"] if kept else [])
        verb = "overwrite" if not kept else ("delete" if not saved else "overwrite or delete")
        return f"{'; '.join(parts)}; re-run with --force to back them up and {verb}"
    return None


def diff_counts(diffs: Sequence[DashboardDiff]) -> dict[str, int]:
    return {s: sum(1 for d in diffs if d.state == s) for s in DIFF_STATES}


def diff_lines(diffs: Sequence[DashboardDiff], full: bool = False, paint: Paint = plain) -> list[str]:
    rows, roles = [("STATE", "UID", "TITLE", "URL")], [""]
    for d in diffs:
        rows.append((d.state, d.uid, d.title, d.url))
        roles.append(d.state)
    header, *body = table(rows, roles, paint)
    lines = [header]
    for d, line in zip(diffs, body):
        lines.append(line)
        if d.state != UNCHANGED:
            lines += [f"    {shown(c)}" for c in d.changes]
        if full and d.unified:
            lines += [shown(line) for line in d.unified.rstrip("\n").split("\n")]
    n = diff_counts(diffs)
    lines.append(f"{len(diffs)} dashboards: {n[NEW]} new, {n[CHANGED]} changed, {n[UNCHANGED]} unchanged")
    return lines
