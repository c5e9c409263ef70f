"""Grid layout: rows of panels with widths and heights -> gridPos.

Dashboards describe layout as rows of ``Cell``s; ``grid`` flows each row's
cells left to right on Grafana's 24-column grid, wraps when a line is full,
and returns the flat panel list Grafana stores (a row panel followed by its
panels). Nothing can overlap or leave the grid by construction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import attr
from grafanalib import core as g

from ..model import GRID_COLUMNS


@dataclass(frozen=True)
class Cell:
    panel: Any  # a grafanalib panel
    w: int = 12
    h: int = 8

    def __post_init__(self) -> None:
        if not 1 <= self.w <= GRID_COLUMNS:
            raise ValueError(f"panel width {self.w} is outside 1..{GRID_COLUMNS} "
                             f"({getattr(self.panel, 'title', '?')!r})")
        if self.h < 1:
            raise ValueError(f"panel height {self.h} must be at least 1")


@dataclass(frozen=True)
class Row:
    title: str | None  # None: panels without a row header
    cells: Sequence[Cell]


def row(title: str | None, *cells: Cell) -> Row:
    return Row(title, cells)


def grid(rows: Sequence[Row]) -> list:
    panels: list = []
    y = 0
    for r in rows:
        if r.title is not None:
            panels.append(g.RowPanel(title=r.title, gridPos=g.GridPos(h=1, w=GRID_COLUMNS, x=0, y=y)))
            y += 1
        x = 0
        line_height = 0
        for cell in r.cells:
            if x + cell.w > GRID_COLUMNS:
                y += line_height
                x, line_height = 0, 0
            panels.append(attr.evolve(cell.panel, gridPos=g.GridPos(h=cell.h, w=cell.w, x=x, y=y)))
            x += cell.w
            line_height = max(line_height, cell.h)
        y += line_height
    return panels


# -- how a v2 dashboard lays the rows out (``V2_LAYOUT`` of a dashboard module) --
#
# The classic model has only a grid of rows; a v2 dashboard can also show
# rows as tabs and let Grafana place panels on an auto grid. A dashboard
# module says so with ``V2_LAYOUT``, naming its rows by title: the panels
# stay where ``grid`` put them (one copy of each), only their container
# changes. The classic output is the same with or without it.


@dataclass(frozen=True)
class AutoGrid:
    """A row (named by its title; ``None``: the dashboard's panels outside
    any row) whose panels Grafana places itself, ``columns`` to a line at
    most, in the order the row lists them."""

    row: str | None = None
    columns: int = 3
    width: str = "standard"  # Grafana's columnWidthMode: narrow, standard, wide
    height: str = "standard"  # rowHeightMode: short, standard, tall

    def __post_init__(self) -> None:
        if not 1 <= self.columns <= 10:
            raise ValueError(f"auto grid columns {self.columns} is outside 1..10")
        if self.width not in ("narrow", "standard", "wide"):
            raise ValueError(f"auto grid width {self.width!r} is not narrow, standard or wide")
        if self.height not in ("short", "standard", "tall"):
            raise ValueError(f"auto grid height {self.height!r} is not short, standard or tall")


@dataclass(frozen=True)
class Tabs:
    """Rows shown as tabs, in this order: each a row title (its grid kept)
    or an ``AutoGrid`` of a row. No rows named: every row is a tab."""

    rows: tuple[str | AutoGrid, ...] = ()


def tabs(*rows: str | AutoGrid) -> Tabs:
    """``V2_LAYOUT = tabs("KPIs", "Usage", "Cost")``: those rows as tabs."""
    for r in rows:
        if not isinstance(r, (str, AutoGrid)):
            raise ValueError(f"tabs() takes row titles or auto_grid(...), not {r!r}")
    return Tabs(tuple(rows))


def auto_grid(row: str | None = None, columns: int = 3, width: str = "standard",
              height: str = "standard") -> AutoGrid:
    """``V2_LAYOUT = auto_grid()``: the dashboard's panels on an auto grid
    (a dashboard without rows); ``auto_grid("KPIs", columns=4)`` inside
    ``tabs``: that row's panels on one."""
    return AutoGrid(row, columns, width, height)
