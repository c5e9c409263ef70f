"""What a push would change: per dashboard new, unchanged or changed, with a
panel-level summary (panels added, removed and changed, by title; query,
unit and threshold changes) and, on request, a unified diff of the JSON.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from typing import Any, Sequence

from ..dashboard.render import check_all
from ..model import Rendered, iter_panels
from ..output import encode_json
from ..progress import Progress
from .plan import Live, comparable, existing_uids, hand_edit, is_unchanged, read_live, run_all

NEW, UNCHANGED, CHANGED = "new", "unchanged", "changed"
PANEL_IGNORED = ("id", "panels")  # ids are renumbered freely; a row's panels are compared one by one


@dataclass
class DashboardDiff:
    uid: str
    title: str
    state: str  # NEW, UNCHANGED or CHANGED
    changes: list[str] = field(default_factory=list)
    unified: str = ""  # with full=True


def _panels_by_title(data: dict) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for p in iter_panels(data):
        title = str(p.get("title") or f"(untitled {p.get('type', 'panel')})")
        key, n = title, 2
        while key in out:
            key, n = f"{title} #{n}", n + 1
        out[key] = p
    return out


def _short(value: Any, limit: int = 100) -> str:
    text = " ".join(value.split()) if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _steps(thresholds: Any) -> str:
    """Threshold steps as ``green, orange>=0.5, red>=2.0`` (percentages marked)."""
    if not isinstance(thresholds, dict) or not isinstance(thresholds.get("steps"), list):
        return _short(thresholds)
    pct = "%" if thresholds.get("mode") == "percentage" else ""
    return ", ".join(str(s.get("color")) if s.get("value") is None else f"{s.get('color')}>={s['value']}{pct}"
                     for s in thresholds["steps"] if isinstance(s, dict)) or "(none)"


def _queries(panel: dict) -> list[str]:
    return [str(t.get("expr", "")) for t in panel.get("targets") or [] if isinstance(t, dict)]


def _defaults(panel: dict) -> dict:
    return (panel.get("fieldConfig") or {}).get("defaults") or {}


def _other_field_config(panel: dict) -> dict:
    """fieldConfig without the unit and thresholds (reported on their own)."""
    fc = dict(panel.get("fieldConfig") or {})
    fc["defaults"] = {k: v for k, v in _defaults(panel).items() if k not in ("unit", "thresholds")}
    return fc


def panel_changes(title: str, old: dict, new: dict) -> list[str]:
    """What changed in one panel, most telling first."""
    out = []
    old_q, new_q = _queries(old), _queries(new)
    if old_q != new_q:
        for i in range(max(len(old_q), len(new_q))):
            before = old_q[i] if i < len(old_q) else "(none)"
            after = new_q[i] if i < len(new_q) else "(none)"
            if before != after:
                out.append(f"panel '{title}': query {i + 1}: {_short(before)} -> {_short(after)}")
    if _defaults(old).get("unit") != _defaults(new).get("unit"):
        out.append(f"panel '{title}': unit {_defaults(old).get('unit')!r} -> {_defaults(new).get('unit')!r}")
    old_t, new_t = _defaults(old).get("thresholds"), _defaults(new).get("thresholds")
    if old_t != new_t:
        out.append(f"panel '{title}': thresholds {_steps(old_t)} -> {_steps(new_t)}")
    covered = {"targets"} if old_q != new_q else set()
    if _other_field_config(old) == _other_field_config(new):
        covered.add("fieldConfig")
    rest = sorted(k for k in set(old) | set(new)
                  if k not in PANEL_IGNORED and k not in covered and old.get(k) != new.get(k))
    if rest:
        out.append(f"panel '{title}': {', '.join(rest)} changed")
    return out


def dashboard_changes(live: Live, rendered: Rendered, folder_uid: str) -> list[str]:
    old, new = comparable(live.data), comparable(rendered.data)
    out = []
    if live.folder_uid != folder_uid:
        out.append(f"folder: '{live.folder_uid or 'General'}' -> '{folder_uid}'")
    settings = sorted(k for k in set(old) | set(new) if k != "panels" and old.get(k) != new.get(k))
    if settings:
        out.append(f"dashboard settings changed: {', '.join(settings)}")
    old_p, new_p = _panels_by_title(old), _panels_by_title(new)
    out += [f"panel added: '{t}'" for t in new_p if t not in old_p]
    out += [f"panel removed: '{t}'" for t in old_p if t not in new_p]
    for t in new_p:
        if t in old_p and old_p[t] != new_p[t]:
            out += panel_changes(t, old_p[t], new_p[t])
    if not out and old.get("panels") != new.get("panels"):
        out.append("panels reordered or renumbered")
    return out


def unified(live: Live | None, rendered: Rendered) -> str:
    before = encode_json(comparable(live.data)).decode() if live else ""
    after = encode_json(comparable(rendered.data)).decode()
    return "".join(difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True),
        fromfile=f"grafana/{rendered.uid}.json", tofile=f"rendered/{rendered.uid}.json"))


def diff_all(client, dashboards: Sequence[Rendered], *, folder_uid: str, full: bool = False,
             concurrency: int = 8, on_progress: Progress | None = None, cfg=None) -> list[DashboardDiff]:
    """Compare every dashboard with Grafana, once each is known to be valid
    (``check_all``: a diff of what push would refuse is no answer). Grafana
    errors raise."""
    check_all(dashboards, cfg)
    hits = existing_uids(client, [r.uid for r in dashboards])

    def one(r: Rendered) -> DashboardDiff:
        if r.uid not in hits:
            return DashboardDiff(r.uid, r.title, NEW, [f"new dashboard ({len(r.panels())} panels)"],
                                 unified(None, r) if full else "")
        live = read_live(client, r.uid)
        if is_unchanged(r, live, folder_uid):
            return DashboardDiff(r.uid, r.title, UNCHANGED)
        edit = hand_edit(client, live)
        refusal = [f"{edit}: push refuses to overwrite it without --force"] if edit else []
        return DashboardDiff(r.uid, r.title, CHANGED, refusal + dashboard_changes(live, r, folder_uid),
                             unified(live, r) if full else "")

    return run_all(one, list(dashboards), concurrency, on_progress)
