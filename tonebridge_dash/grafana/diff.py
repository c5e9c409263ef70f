"""What a push would change: per dashboard new, unchanged or changed, with a
panel-level summary and, on request, a unified diff of the JSON.

Panels are matched by identity, not by title alone: first the panel with the
same id and title, then the same title (a panel moved or renumbered), then
the same id and type (a panel renamed). So a renamed panel is one "renamed"
entry, old title -> new title, with its other changes (query, unit,
thresholds, other keys), not a panel removed and another added.

A v2 dashboard (in the code, in Grafana, or both) is compared panel by panel
as the classic model it converts to, so a dashboard moved from one format to
the other shows what changed in its panels, not every line of its JSON.
"""

from __future__ import annotations

import difflib
import json
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from ..model import Rendered, iter_panels
from ..files.write import encode_json
from ..progress import Progress
from .plan import (CHANGED, NEW, UNCHANGED, Live, comparable, existing_uids, hand_edit,  # noqa: F401 (the states)
                   is_unchanged, read_live, run_all)

ADDED, REMOVED, RENAMED = "added", "removed", "renamed"  # a panel's change, or CHANGED
# Ids are renumbered freely, a row's panels are compared one by one, a new
# title is the rename itself.
PANEL_IGNORED = ("id", "panels", "title")


@dataclass(frozen=True)
class FieldChange:
    """One change inside a panel: ``query`` (number ``index``, from 1),
    ``unit``, ``thresholds``, or another panel key by name."""

    field: str
    old: Any = None
    new: Any = None
    index: int | None = None

    def parts(self, limit: int = 100) -> tuple[str, str | None, str | None]:
        """(what, before, after) as people read them, queries cut at
        ``limit``; no before and after for another key (changed as a whole)."""
        if self.field == "query":
            return f"query {self.index}", short(_or_none(self.old), limit), short(_or_none(self.new), limit)
        if self.field == "unit":
            return "unit", repr(self.old), repr(self.new)
        if self.field == "thresholds":
            return "thresholds", steps(self.old), steps(self.new)
        return self.field, None, None

    def text(self) -> str:
        what, before, after = self.parts()
        if before is None:
            return f"{what} changed"
        return f"{what}{':' if self.field == 'query' else ''} {before} -> {after}"

    def to_json(self) -> dict:
        out: dict[str, Any] = {"field": self.field, "old": self.old, "new": self.new}
        if self.index is not None:
            out["index"] = self.index
        return out


@dataclass
class PanelDiff:
    """One panel that differs: ADDED, REMOVED, RENAMED or CHANGED."""

    change: str
    id: Any
    title: str  # the code's title (REMOVED: Grafana's)
    old_title: str = ""  # RENAMED: Grafana's title
    fields: list[FieldChange] = field(default_factory=list)

    def lines(self) -> list[str]:
        if self.change in (ADDED, REMOVED):
            return [f"panel {self.change}: '{self.title}'"]
        if self.change == RENAMED:
            rest = "; ".join(f.text() for f in self.fields)
            return [f"panel renamed: '{self.old_title}' -> '{self.title}'" + (f": {rest}" if rest else "")]
        return [f"panel '{self.title}': {f.text()}" for f in self.fields]

    def to_json(self) -> dict:
        return {"change": self.change, "id": self.id, "title": self.title,
                "old_title": self.old_title if self.change == RENAMED else None,
                "changes": [f.to_json() for f in self.fields]}


@dataclass
class DashboardDiff:
    uid: str
    title: str
    state: str  # NEW, UNCHANGED or CHANGED
    url: str = ""  # the live dashboard's absolute URL, when it exists
    hand_edit: str = ""  # who saved it in Grafana since the last push (push refuses it)
    folder: tuple[str, str] | None = None  # moved: (Grafana's folder uid, the code's)
    settings: list[str] = field(default_factory=list)  # dashboard keys that differ
    panels: list[PanelDiff] = field(default_factory=list)
    panel_count: int = 0  # panels in the code's dashboard
    reordered: bool = False  # nothing else differs but the panels' order or ids
    unified: str = ""  # with full=True

    @property
    def changes(self) -> list[str]:
        """What differs, one line each, most telling first."""
        if self.state == NEW:
            return [f"new dashboard ({self.panel_count} panels)"]
        out = [f"{self.hand_edit}: push refuses to overwrite it without --force"] if self.hand_edit else []
        if self.folder:
            out.append(f"folder: '{self.folder[0] or 'General'}' -> '{self.folder[1]}'")
        if self.settings:
            out.append(f"dashboard settings changed: {', '.join(self.settings)}")
        order = {ADDED: 0, REMOVED: 1}
        for p in sorted(self.panels, key=lambda p: order.get(p.change, 2)):
            out += p.lines()
        if self.reordered:
            out.append("panels reordered or renumbered")
        return out

    def to_json(self, full: bool = False) -> dict:
        out = {"uid": self.uid, "title": self.title, "state": self.state, "url": self.url or None,
               "hand_edited": self.hand_edit or None,
               "folder": {"from": self.folder[0], "to": self.folder[1]} if self.folder else None,
               "settings": self.settings, "panel_count": self.panel_count,
               "panels": [p.to_json() for p in self.panels], "reordered": self.reordered}
        if full:
            out["unified"] = self.unified
        return out


def _title(panel: dict) -> str:
    return str(panel.get("title") or f"(untitled {panel.get('type', 'panel')})")


def _id(panel: dict) -> int | None:
    pid = panel.get("id")
    return pid if isinstance(pid, int) and not isinstance(pid, bool) else None


def short(value: Any, limit: int = 100) -> str:
    text = " ".join(value.split()) if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _or_none(query: str | None) -> str:
    return "(none)" if query is None else query


def steps(thresholds: Any) -> str:
    """Threshold steps as ``green, orange>=0.5, red>=2.0`` (percentages marked)."""
    if not isinstance(thresholds, dict) or not isinstance(thresholds.get("steps"), list):
        return short(thresholds)
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


def field_changes(old: dict, new: dict) -> list[FieldChange]:
    """What changed in one panel (its title aside), most telling first."""
    out = []
    old_q, new_q = _queries(old), _queries(new)
    for i in range(max(len(old_q), len(new_q))):
        before = old_q[i] if i < len(old_q) else None
        after = new_q[i] if i < len(new_q) else None
        if before != after:
            out.append(FieldChange("query", before, after, i + 1))
    for key in ("unit", "thresholds"):
        if _defaults(old).get(key) != _defaults(new).get(key):
            out.append(FieldChange(key, _defaults(old).get(key), _defaults(new).get(key)))
    covered = {"targets"} if old_q != new_q else set()
    if _other_field_config(old) == _other_field_config(new):
        covered.add("fieldConfig")
    out += [FieldChange(k, old.get(k), new.get(k)) for k in sorted(set(old) | set(new))
            if k not in PANEL_IGNORED and k not in covered and old.get(k) != new.get(k)]
    return out


def match_panels(old: Sequence[dict], new: Sequence[dict]) -> list[tuple[dict | None, dict | None]]:
    """Pairs (Grafana's panel, the code's panel), the same panel on both
    sides, in the code's order, then Grafana's panels that have no match."""
    free = dict(enumerate(old))
    pairs: dict[int, int] = {}  # new index -> old index

    def match(key: Callable[[dict], Any]) -> None:
        queues: dict[Any, deque[int]] = defaultdict(deque)
        for i, p in free.items():
            if key(p) is not None:
                queues[key(p)].append(i)
        for j, p in enumerate(new):
            k = key(p) if j not in pairs else None
            if k is not None and queues.get(k):
                pairs[j] = queues[k].popleft()
                del free[pairs[j]]

    match(lambda p: (_id(p), _title(p)) if _id(p) is not None else None)
    match(_title)
    match(lambda p: (_id(p), p.get("type")) if _id(p) is not None else None)
    return ([(old[pairs[j]] if j in pairs else None, p) for j, p in enumerate(new)]
            + [(p, None) for p in free.values()])


def panel_diffs(old_data: dict, new_data: dict) -> list[PanelDiff]:
    out = []
    for old, new in match_panels(list(iter_panels(old_data)), list(iter_panels(new_data))):
        if old is None or new is None:
            p = new if old is None else old
            out.append(PanelDiff(ADDED if old is None else REMOVED, _id(p), _title(p)))
            continue
        changes = field_changes(old, new)
        if _title(old) != _title(new):
            out.append(PanelDiff(RENAMED, _id(new), _title(new), _title(old), changes))
        elif changes:
            out.append(PanelDiff(CHANGED, _id(new), _title(new), fields=changes))
    return out


def panel_count(r: Rendered) -> int:
    from ..dashboard.versioned import classic_of

    return len(list(iter_panels(classic_of(r.data))))


def dashboard_diff(live: Live, rendered: Rendered, folder_uid: str, url: str = "") -> DashboardDiff:
    from ..dashboard.versioned import canonical, layout_of, version_of

    old, new = comparable(live.data), comparable(rendered.data)
    formats = (version_of(live.data) or "v1", version_of(rendered.data) or "v1")
    if formats != ("v1", "v1"):  # compared as the classic model both convert to
        old, new = comparable(canonical(live.data)), comparable(canonical(rendered.data))
    d = DashboardDiff(rendered.uid, rendered.title, CHANGED, url, panel_count=panel_count(rendered))
    if live.folder_uid != folder_uid:
        d.folder = (live.folder_uid, folder_uid)
    d.settings = sorted(k for k in set(old) | set(new) if k != "panels" and old.get(k) != new.get(k))
    if formats[0] != formats[1]:  # classic (v1) in Grafana, v2 in the code, or the other way
        d.settings.insert(0, f"format ({formats[0]} -> {formats[1]})")
    if formats != ("v1", "v1"):  # tabs, auto grids: what the classic model the panels are compared in cannot show
        layouts = (layout_of(live.data), layout_of(rendered.data))
        if layouts[0] != layouts[1]:
            d.settings.insert(1 if formats[0] != formats[1] else 0, f"layout ({layouts[0]} -> {layouts[1]})")
    d.panels = panel_diffs(old, new)
    d.reordered = not (d.folder or d.settings or d.panels) and old.get("panels") != new.get("panels")
    return d


def unified(live: Live | None, rendered: Rendered) -> str:
    before = encode_json(comparable(live.data)).decode() if live else ""
    after = encode_json(comparable(rendered.data)).decode()
    return "".join(difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True),
        fromfile=f"grafana/{rendered.uid}.json", tofile=f"rendered/{rendered.uid}.json"))


def diff_all(client, dashboards: Sequence[Rendered], *, folder_uid: str, full: bool = False,
             concurrency: int = 8, on_progress: Progress | None = None, cfg=None) -> list[DashboardDiff]:
    """Compare every dashboard with Grafana, once each is known to be valid
    (``lint.gate``: a diff of what push would refuse is no answer). Grafana
    errors raise."""
    from ..lint import gate
    from .versions import for_dashboards

    gate(dashboards, cfg)
    if getattr(client, "at_version", None) is not None:  # /apis: read at the dashboards' version
        client = for_dashboards(client, dashboards)
    hits = existing_uids(client, [r.uid for r in dashboards])

    def one(r: Rendered) -> DashboardDiff:
        if r.uid not in hits:
            return DashboardDiff(r.uid, r.title, NEW, panel_count=panel_count(r),
                                 unified=unified(None, r) if full else "")
        live = read_live(client, r.uid)
        url = client.url_for(live.url)
        if is_unchanged(r, live, folder_uid):
            return DashboardDiff(r.uid, r.title, UNCHANGED, url, panel_count=panel_count(r))
        d = dashboard_diff(live, r, folder_uid, url)
        d.hand_edit = hand_edit(client, live) or ""
        d.unified = unified(live, r) if full else ""
        return d

    return run_all(one, list(dashboards), concurrency, on_progress)
