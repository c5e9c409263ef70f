"""Plain-text summaries of a push and a diff."""

from __future__ import annotations

from typing import Sequence

from .diff import CHANGED, NEW, UNCHANGED, DashboardDiff
from .push import ACTIONS, FAILED, REFUSED, SKIPPED, PushReport

DRY_RUN_LABELS = {"created": "would create", "updated": "would update", "refused": "would refuse"}


def table(rows: Sequence[Sequence[str]]) -> list[str]:
    """Left-aligned columns, two spaces apart; the last column is not padded."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    return ["  ".join([c.ljust(w) for c, w in zip(r, widths)] + [r[-1]]).rstrip() for r in rows]


def push_lines(report: PushReport, folder_title: str) -> list[str]:
    rows = [("ACTION", "UID", "TITLE", "URL")]
    notes: dict[int, str] = {}
    for o in report.outcomes:
        label = DRY_RUN_LABELS.get(o.action, o.action) if report.dry_run else o.action
        rows.append((label, o.uid, o.title, o.url))
        if o.detail:
            notes[len(rows) - 1] = o.detail
    lines = []
    for i, line in enumerate(table(rows)):
        lines.append(line)
        if i in notes:
            lines.append(f"    {notes[i]}")
    folder = f"folder '{folder_title}' (uid {report.folder_uid})"
    if report.folder_created:
        lines.append(f"{folder} {'would be created' if report.dry_run else 'created'}")
    counts = ", ".join(f"{report.count(a)} {a}" for a in ACTIONS if a != SKIPPED or report.count(a))
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
    refused = [o.uid for o in report.outcomes if o.action == REFUSED]
    if refused:
        return (f"refused to overwrite {len(refused)} dashboard(s) edited in Grafana since the "
                f"last push ({', '.join(refused)}); re-run with --force to back them up and overwrite")
    return None


def diff_lines(diffs: Sequence[DashboardDiff], full: bool = False) -> list[str]:
    lines = []
    for d in diffs:
        lines.append(f"{d.state:<9}  {d.uid}  {d.title}")
        if d.state != UNCHANGED:
            lines += [f"    {c}" for c in d.changes]
        if full and d.unified:
            lines.append(d.unified.rstrip("\n"))
    n = {s: sum(1 for d in diffs if d.state == s) for s in (NEW, CHANGED, UNCHANGED)}
    lines.append(f"{len(diffs)} dashboards: {n[NEW]} new, {n[CHANGED]} changed, {n[UNCHANGED]} unchanged")
    return lines
