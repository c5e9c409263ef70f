"""Panels and dashboards written as explicit JSON: what ``tb-dash import``
generates for a dashboard brought in from elsewhere, where no house factory
says the same thing.

``panel`` is one panel (its type, title and PromQL queries first, then the
options it sets), placed by the layout (``Cell`` in a ``row``) or at an
explicit position (``at``) when the original's positions do not follow the
layout's flow; ``row_panel`` is a row header that may be collapsed (its
panels inside it) or repeated. ``dashboard`` assembles them; the result goes
through the one rendering path like any other dashboard.
"""

from __future__ import annotations

from typing import Any, Sequence

import attr

from ..model import ref_id  # noqa: F401 (importer's, from here as before)
from ..dashboard.layout import Row, grid
from ..dashboard.render import plain as _plain

DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}


@attr.s(frozen=True)
class RawPanel:
    """One panel's JSON; ``gridPos`` is set by the layout or by ``at``."""

    json: dict = attr.ib()
    gridPos: Any = attr.ib(default=None)

    @property
    def title(self) -> str:
        return str(self.json.get("title", ""))

    def to_json_data(self) -> dict:
        out = dict(self.json)
        if self.gridPos is not None:
            out["gridPos"] = _plain(self.gridPos)
        return out


def prom(expr: str, legend: str | None = None, **more: Any) -> dict:
    """One PromQL query; ``refId`` comes from its place unless given."""
    out: dict = {"expr": expr}
    if legend is not None:
        out["legendFormat"] = legend
    out.update(more)
    return out


def query(**fields: Any) -> dict:
    """A query of another datasource (or a PromQL one without ``expr``), as it stands."""
    return dict(fields)


def panel(type: str, title: str, targets: Sequence[dict] = (), *, unit: str | None = None,
          thresholds: Sequence[dict] | None = None, datasource: Any = DATASOURCE,
          fieldConfig: dict | None = None, **more: Any) -> RawPanel:
    """A panel of plugin ``type``: ``unit`` and ``thresholds`` (steps) go to
    ``fieldConfig.defaults``; every other key is the panel's JSON as Grafana
    stores it."""
    out: dict = {"type": type, "title": title}
    if datasource is not None:
        out["datasource"] = datasource
    if targets or type != "text":
        out["targets"] = [{**t, "refId": t.get("refId") or ref_id(i)} for i, t in enumerate(targets)]
    fc = {"defaults": dict((fieldConfig or {}).get("defaults") or {}),
          "overrides": list((fieldConfig or {}).get("overrides") or [])}
    if unit is not None:
        fc["defaults"]["unit"] = unit
    if thresholds is not None:
        fc["defaults"]["thresholds"] = {"mode": fc["defaults"].pop("thresholds_mode", "absolute"),
                                        "steps": list(thresholds)}
    if fieldConfig is not None or unit is not None or thresholds is not None:
        out["fieldConfig"] = fc
    out.update(more)
    return RawPanel(out)


def at(p: RawPanel, x: int, y: int, w: int, h: int) -> RawPanel:
    """``p`` at an explicit place on the grid."""
    return attr.evolve(p, gridPos={"x": x, "y": y, "w": w, "h": h})


def row_panel(title: str, y: int, *panels: RawPanel, collapsed: bool = False, gridPos: dict | None = None,
              **more: Any) -> RawPanel:
    """A row header at line ``y`` (or at ``gridPos`` as stored, when it is
    not the full-width line Grafana draws); a collapsed row holds its ``panels``."""
    out = {"type": "row", "title": title, "collapsed": collapsed, "panels": list(panels), **more}
    return RawPanel(out, {"x": 0, "y": y, "w": 24, "h": 1} if gridPos is None else gridPos)


def dashboard(cfg, *, uid: str, title: str, rows: Sequence[Row] = (), panels: Sequence[RawPanel] = (),
              **more: Any) -> dict:
    """The dashboard's JSON: ``rows`` laid out by the grid, or ``panels``
    placed with ``at``/``row_panel``; panels without an id (the layout's row
    headers) get the next free ones."""
    laid_out = _plain(list(grid(rows)) + list(panels))
    taken = {p.get("id") for p in _all(laid_out)}
    next_id = max([i for i in taken if isinstance(i, int)] + [0]) + 1
    for p in _all(laid_out):
        if not isinstance(p.get("id"), int):
            p["id"] = next_id
            next_id += 1
    return {"uid": uid, "title": title, "editable": cfg.dashboards.editable, **more, "panels": laid_out}


def _all(panels: list) -> list[dict]:
    out = []
    for p in panels:
        out.append(p)
        out.extend(c for c in p.get("panels", []) if isinstance(c, dict))
    return out
