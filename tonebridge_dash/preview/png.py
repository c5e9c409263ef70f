"""PNGs of the preview's pages: one Chromium session, one tab, each
dashboard's page opened in turn at a fixed width, captured once every panel
has finished (the page sets ``window.__preview.done``) at the height of the
whole page. The same data and time give the same picture: the page draws
at the time it is given, with no animation and no cursor. A v2 dashboard
with tabs gives one picture per tab: ``<uid>.png`` its first,
``<uid>.tab-<n>.png`` the n-th."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from ..files.write import write_files
from .chromium import Chromium, ChromiumError
from .server import PreviewServer

# What the page reports once every panel is drawn (or failed, or is unknown).
DONE = "window.__preview && window.__preview.done ? window.__preview : null"
MAX_HEIGHT = 16384  # Chromium's limit for one capture


@dataclass(frozen=True)
class Shot:
    uid: str
    path: Path
    seconds: float  # open, draw and capture
    last_panel_ms: float  # the page's time from navigation to its last panel drawn
    panels: int
    problems: tuple[str, ...]  # panels that show an error or no data, "title: state"


def capture(tab, server: PreviewServer, uid: str, width: int, timeout: float,
            params: dict[str, str] | None = None) -> tuple[bytes, dict]:
    """Open one dashboard's page (with ``params``, e.g. a v2 dashboard's
    ``tab``) and return its PNG and the page's report."""
    tab.resize(width, 900)
    tab.navigate(server.page(uid, png="1", **(params or {})))
    report = tab.wait_for(DONE, timeout, f"the panels of dashboard '{uid}' finishing")
    height = int(tab.evaluate("Math.ceil(document.getElementById('grid').getBoundingClientRect().bottom + 16)") or 900)
    height = max(200, min(height, MAX_HEIGHT))
    tab.resize(width, height)
    # A resize redraws the charts at their final size; wait for that frame.
    tab.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    return tab.screenshot(width, height), report


def write_pngs(server: PreviewServer, out: Path, width: int = 1600, timeout: float = 60.0,
               progress: Callable[[str], None] | None = None) -> list[Shot]:
    """``out/<uid>.png`` for every dashboard of ``server``, in one browser."""
    shots: list[Shot] = []
    images: list[tuple[str, bytes]] = []
    with Chromium(width=width, height=900) as browser:
        tab = browser.tab()
        for d in server.order:
            tabs = d.data.get("__tabs") if isinstance(d.data.get("__tabs"), list) else []
            for i in range(max(1, len(tabs))):
                started = time.monotonic()
                name = f"{d.uid}.png" if i == 0 else f"{d.uid}.tab-{i + 1}.png"
                try:
                    png, report = capture(tab, server, d.uid, width, timeout, {"tab": str(i)} if tabs else None)
                except ChromiumError as e:
                    raise ChromiumError(f"dashboard '{d.uid}': {e.message}") from None
                panels = report.get("panels") or []
                problems = tuple(f"{p.get('title') or p.get('id')}: {p.get('state')}" for p in panels
                                 if p.get("state") in ("error", "nodata"))
                images.append((name, png))
                shots.append(Shot(d.uid, out / name, time.monotonic() - started,
                                  float(report.get("lastPanelMs") or 0), len(panels), problems))
            if progress:
                progress(d.uid)
    write_files(out, images)
    return shots


def summary(shots: Sequence[Shot]) -> str:
    total = sum(s.seconds for s in shots)
    return (f"wrote {len(shots)} PNGs in {total:.1f}s "
            f"({total / max(len(shots), 1):.2f}s per dashboard)")
