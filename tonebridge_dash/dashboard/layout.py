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
