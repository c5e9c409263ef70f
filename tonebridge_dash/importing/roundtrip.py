"""Did the import keep the dashboard? Compare the dashboard a generated
module renders with the original, migrated (``expected``): panel by panel,
in order, their titles, types, positions, queries (expression, legend,
refId, instant/range, format), units, thresholds, options, field config and
transformations.

``expected`` is what Grafana would show of the original: ``migrate`` then
``complete``, through the same ``normalize`` as every rendered dashboard.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..model import as_list, as_object, iter_panels
from .complete import complete
from .migrate import migrate
from ..dashboard.normalize import normalize

# What is compared on every panel besides title, type, position and queries.
COMPARED = ("options", "fieldConfig", "transformations", "links", "description", "datasource", "repeat",
            "interval", "timeFrom", "timeShift", "maxDataPoints", "collapsed")
TARGET_COMPARED = ("expr", "legendFormat", "refId", "instant", "range", "format", "interval", "hide",
                   "datasource")


@dataclass
class Comparison:
    panels: int = 0  # every panel of the original, rows included
    panels_kept: int = 0  # same title and type
    positions_kept: int = 0
    queries: int = 0
    queries_kept: int = 0
    settings_kept: int = 0  # panels whose options, units, thresholds... are all the same
    differences: list[str] = field(default_factory=list)

    @property
    def exact(self) -> bool:
        return not self.differences

    def summary(self) -> str:
        return (f"{self.panels_kept}/{self.panels} panels, {self.queries_kept}/{self.queries} queries, "
                f"{self.positions_kept}/{self.panels} positions, {self.settings_kept}/{self.panels} panel settings kept")


def expected(original: Any, source: str = "dashboard", schema_version: int = 41) -> dict:
    """The original as the imported module should render it."""
    return normalize(complete(migrate(original, source).dashboard), schema_version)


def compare(want: dict, got: dict) -> Comparison:
    c = Comparison()
    mine, theirs = list(iter_panels(want)), list(iter_panels(got))
    if len(mine) != len(theirs):
        c.differences.append(f"{len(theirs)} panels rendered, {len(mine)} expected")
    for i, w in enumerate(mine):
        c.panels += 1
        targets = [t for t in as_list(w.get("targets")) if isinstance(t, dict)]
        c.queries += len(targets)
        if i >= len(theirs):
            c.differences.append(f"panel {i} '{w.get('title')}': missing")
            continue
        g = theirs[i]
        where = f"panel {i} '{w.get('title')}'"
        if (w.get("title", ""), w.get("type")) == (g.get("title", ""), g.get("type")):  # none: Grafana's ""
            c.panels_kept += 1
        else:
            c.differences.append(f"{where}: title/type {g.get('title')!r}/{g.get('type')!r}")
        if w.get("gridPos") == g.get("gridPos"):
            c.positions_kept += 1
        else:
            c.differences.append(f"{where}: gridPos {g.get('gridPos')} != {w.get('gridPos')}")
        got_targets = [t for t in as_list(g.get("targets")) if isinstance(t, dict)]
        for k, t in enumerate(targets):
            other = got_targets[k] if k < len(got_targets) else {}
            if all(t.get(key) == other.get(key) for key in TARGET_COMPARED):
                c.queries_kept += 1
            else:
                c.differences.append(f"{where}: query {k} differs")
        same = [key for key in COMPARED if w.get(key) != g.get(key)]
        if w.get("type") == "row":
            same = [key for key in same if key != "fieldConfig"]
        if same:
            c.differences.append(f"{where}: {', '.join(same)} differ")
        else:
            c.settings_kept += 1
    return c


def units_and_thresholds(panel: dict) -> tuple[Any, Any]:
    defaults = as_object(as_object(panel.get("fieldConfig")).get("defaults"))
    return defaults.get("unit"), defaults.get("thresholds")
