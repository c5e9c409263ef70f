"""The dashboards a preview shows: the content's, or any Grafana dashboard
JSON (a file exported from the UI, an API answer ``{"dashboard": ...}``,
one without a uid, a v2 resource) read as it is.

A v2 dashboard is drawn from its classic equivalent (``dashboard.v2.to_v1``:
rows stay rows, an auto grid is placed as Grafana places it, a grid keeps its
positions); when its layout is tabs, the page shows a tab bar and one tab at
a time (``__tabs``: each tab's title and the ids of its panels).

The page copes with whatever a dashboard holds; here each one only needs a
uid that can name its page and its PNG.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from ..dashboard.v2 import is_v2, to_v1
from ..dashboard.v2.validate import layout_items
from ..errors import UsageError
from ..files.read import DASHBOARD_LIMIT, load_json, read_limited
from ..model import UID_RE, Rendered

_UNSAFE = re.compile(r"[^a-zA-Z0-9_-]+")


@dataclass(frozen=True)
class Previewed:
    """One dashboard of a preview: the uid of its page and PNG, its JSON."""

    uid: str
    title: str
    data: dict


def _uid_of(r: Rendered) -> str:
    if UID_RE.match(r.uid):
        return r.uid
    stem = Path(r.source).stem if r.source else r.title
    return (_UNSAFE.sub("-", stem).strip("-") or "dashboard")[:40]


def previewed(dashboards: Iterable[Rendered]) -> list[Previewed]:
    """Each dashboard once, under a uid fit for a URL path and a file name
    (its own when valid, else its file name; ``-2``, ``-3``... when taken)."""
    out: list[Previewed] = []
    taken: set[str] = set()
    for r in dashboards:
        data = r.data
        inner = data.get("dashboard")
        if isinstance(inner, dict) and "panels" not in data and "rows" not in data:
            data = inner  # an API answer: {"dashboard": {...}, "meta": {...}}
            r = Rendered.of(data, r.source)
        if is_v2(data):
            data = v2_page(data)
            r = Rendered(r.uid, r.title, data, r.source)
        uid = base = _uid_of(r)
        n = 1
        while uid in taken:
            n += 1
            uid = f"{base[:36]}-{n}"
        taken.add(uid)
        title = r.title if r.title.strip() else uid
        out.append(Previewed(uid, title, data))
    return out


def v2_page(doc: dict) -> dict:
    """What the page draws of a v2 dashboard: its classic equivalent and,
    for a ``TabsLayout``, its tabs (``__tabs``)."""
    classic, _notes = to_v1(doc)
    spec = doc["spec"] if isinstance(doc.get("spec"), dict) and "apiVersion" in doc else doc
    layout = spec.get("layout") if isinstance(spec.get("layout"), dict) else {}
    if layout.get("kind") != "TabsLayout":
        return classic
    elements = spec.get("elements") if isinstance(spec.get("elements"), dict) else {}
    tabs = []
    for tab in (layout.get("spec") or {}).get("tabs") or []:
        tab_spec = tab.get("spec") if isinstance(tab, dict) and isinstance(tab.get("spec"), dict) else {}
        ids = []
        for _, item in layout_items(tab_spec.get("layout")):
            name = (item.get("element") or {}).get("name") if isinstance(item.get("element"), dict) else None
            element = elements.get(name) if isinstance(name, str) else None
            if isinstance(element, dict) and isinstance(element.get("spec"), dict) and "id" in element["spec"]:
                ids.append(element["spec"]["id"])
        tabs.append({"title": str(tab_spec.get("title") or ""), "panels": ids})
    return {**classic, "__tabs": tabs}


def load_any(path: Path, warn) -> list[Rendered]:
    """Every ``*.json`` file of ``path`` that holds a JSON object, as it is;
    a file that does not is skipped with a warning (a preview of other
    projects' dashboards shows what it can)."""
    if not path.is_dir():
        raise UsageError(f"{path}: not a directory of dashboard JSON files")
    out = []
    for f in sorted(path.glob("*.json")):
        try:
            data = load_json(read_limited(f, DASHBOARD_LIMIT, "dashboard JSON file"), str(f))
        except UsageError as e:
            warn(f"skipped {f}: {e.message}")
            continue
        if not isinstance(data, dict):
            warn(f"skipped {f}: not a dashboard JSON object")
            continue
        out.append(Rendered.of(data, str(f)))
    if not out:
        raise UsageError(f"{path}: no *.json dashboards found")
    return out
