"""The dashboards in the format the settings ask for (``dashboards.schema``).

``v1`` is the classic model as ``render`` builds it. ``v2beta1`` and ``v2``
are ``dashboard.grafana.app`` resources: the classic dashboard converted as
Grafana converts it (``dashboard.v2.to_v2``: rows become a ``RowsLayout``,
collapsed rows kept, a grid without rows stays a ``GridLayout`` with the same
positions), then laid out as the dashboard's module asks (``V2_LAYOUT``:
rows as tabs, panels on an auto grid; ``layout.tabs``, ``layout.auto_grid``)
and checked against Grafana's v2 schema.

The classic dashboard stays the one that is built and linted: a v2 resource
is made from it, never edited by hand, so both formats show the same panels.
"""

from __future__ import annotations

import dataclasses
import sys
from typing import Any, Sequence

from ..errors import RenderError
from ..model import Rendered, as_list, as_object, is_resource
from .layout import AutoGrid, Tabs
from .v2 import is_v2, version_of  # noqa: F401 (version_of: named by callers)

CLASSIC = "v1"


def in_schema(rendered: Sequence[Rendered], schema: str) -> list[Rendered]:
    """``rendered`` (classic, as built) in the format ``schema``: the same
    list for ``v1``, else each dashboard as a v2 resource of that version,
    laid out as its module's ``V2_LAYOUT`` says and valid for Grafana."""
    if schema == CLASSIC:
        return list(rendered)
    return [as_v2(r, schema) for r in rendered]


def as_v2(r: Rendered, version: str) -> Rendered:
    """One classic dashboard as a v2 resource of ``version`` (a resource
    already is left as it is)."""
    from .v2 import to_v2, validate_v2

    where = r.source or r.uid
    if is_resource(r.data):
        return r
    resource = to_v2(r.data, version)
    layout = getattr(sys.modules.get(r.source), "V2_LAYOUT", None) if r.source else None
    if layout is not None:
        try:
            resource["spec"]["layout"] = laid_out(resource["spec"]["layout"], layout)
        except ValueError as e:
            raise RenderError(f"{where}: V2_LAYOUT: {e}") from None
    issues = validate_v2(resource)
    if issues:
        more = f" (and {len(issues) - 1} more)" if len(issues) > 1 else ""
        raise RenderError(f"{where}: dashboard '{r.uid}' as {version} does not match Grafana's v2 schema: "
                          f"{issues[0]}{more}")
    return dataclasses.replace(r, data=resource)


# -- V2_LAYOUT --


def laid_out(layout: dict, wanted: Any) -> dict:
    """``layout`` (what the conversion made: a ``RowsLayout`` of the rows, or
    a ``GridLayout`` without them) as ``wanted`` (a ``Tabs`` or an
    ``AutoGrid``) places it. Every panel stays placed exactly once: a row
    the layout leaves out, or names that the dashboard lacks, is an error."""
    if isinstance(wanted, AutoGrid):
        if wanted.row is not None:
            raise ValueError(f"auto_grid({wanted.row!r}) names a row: put it inside tabs(...)")
        if layout.get("kind") != "GridLayout":
            raise ValueError("auto_grid() lays out a dashboard without rows; this one has rows "
                             "(name them in tabs(...))")
        return auto_grid_of(layout, wanted)
    if not isinstance(wanted, Tabs):
        raise ValueError(f"expected tabs(...) or auto_grid(...), not {wanted!r}")
    if layout.get("kind") != "RowsLayout":
        raise ValueError("tabs(...) shows rows as tabs; this dashboard has no rows")
    rows = {}
    for row in as_list(as_object(layout.get("spec")).get("rows")):
        spec = as_object(as_object(row).get("spec"))
        title = spec.get("title", "")
        if title in rows:
            raise ValueError(f"two rows are titled {title!r}: a tab names one")
        rows[title] = spec
    named = [w.row if isinstance(w, AutoGrid) else w for w in wanted.rows] or list(rows)
    unknown = [t for t in named if t not in rows]
    if unknown:
        raise ValueError(f"names the row {unknown[0]!r}, which the dashboard does not have "
                         f"(rows: {', '.join(repr(t) for t in rows)})")
    left = [t for t in rows if t not in named]
    if left:
        raise ValueError(f"leaves out the row {left[0]!r}: its panels would not be shown")
    if len(set(named)) != len(named):
        raise ValueError("names a row twice")
    grids = {w.row: w for w in wanted.rows if isinstance(w, AutoGrid)}
    out = []
    for title in named:
        inner = rows[title]["layout"]
        if title in grids:
            inner = auto_grid_of(inner, grids[title])
        out.append({"kind": "TabsLayoutTab", "spec": {"title": title, "layout": inner}})
    return {"kind": "TabsLayout", "spec": {"tabs": out}}


def auto_grid_of(grid: dict, wanted: AutoGrid) -> dict:
    """A ``GridLayout``'s panels on an ``AutoGridLayout``, in reading order
    (top to bottom, left to right)."""
    if grid.get("kind") != "GridLayout":
        raise ValueError(f"auto_grid({wanted.row!r}): the row holds a {grid.get('kind')}, not a grid")
    items = [as_object(as_object(i).get("spec")) for i in as_list(as_object(grid.get("spec")).get("items"))]
    if any("repeat" in i for i in items):
        raise ValueError(f"auto_grid({wanted.row!r}): a repeated panel keeps its place on a grid")
    items.sort(key=lambda i: (i.get("y", 0), i.get("x", 0)))
    return {"kind": "AutoGridLayout", "spec": {
        "maxColumnCount": wanted.columns, "columnWidthMode": wanted.width, "rowHeightMode": wanted.height,
        "fillScreen": False,
        "items": [{"kind": "AutoGridLayoutItem", "spec": {"element": i["element"]}} for i in items]}}


# -- reading either format --

def is_v2_data(data: Any) -> bool:
    """Whether ``data`` is a v2 resource (elements and a layout)."""
    return is_resource(data) and is_v2(data)


def classic_of(data: dict) -> dict:
    """The classic model of a dashboard of any format: itself, the spec of
    a classic resource, or a v2 dashboard converted back (tabs and auto grids
    become rows; what has no classic equivalent is left out)."""
    if not is_resource(data):
        return data
    name = as_object(data.get("metadata")).get("name")
    if not is_v2_data(data):
        return {**data["spec"], **({"uid": name} if name else {})}
    from .v2 import to_v1

    classic, _notes = to_v1(data)
    if name and not classic.get("uid"):
        classic = {**classic, "uid": name}
    return classic


def classic_view(r: Rendered) -> Rendered:
    """``r`` with its classic model as ``data`` (the lint rules, ``check``
    and the panel-level diff read that); the same object when it is one."""
    if not is_resource(r.data):
        return r
    return dataclasses.replace(r, data=classic_of(r.data))


def canonical(data: dict) -> dict:
    """A dashboard of either format as the classic model the v2 conversion
    gives back, so that two formats of one dashboard compare equal: a v2
    dashboard converted back; a classic one converted there and back."""
    from .v2 import to_v2

    if not is_v2_data(data):
        data = to_v2(classic_of(data), "v2beta1")
    return classic_of(data)


def layout_of(data: dict) -> str:
    """The shape of a dashboard's v2 layout, as people read it, e.g.
    ``TabsLayout(AutoGridLayout, GridLayout)``; of a classic dashboard, the
    shape the conversion gives it (rows: a ``RowsLayout``)."""
    from .v2 import to_v2

    spec = (data if is_v2_data(data) else to_v2(classic_of(data), "v2beta1"))["spec"]
    layout = as_object(spec.get("layout"))
    children = [as_object(as_object(c.get("spec")).get("layout")).get("kind", "?")
                for c in as_list(as_object(layout.get("spec")).get("rows") or as_object(layout.get("spec")).get("tabs"))
                if isinstance(c, dict)]
    kind = str(layout.get("kind", "?"))
    nested = any(c != "GridLayout" for c in children)  # a row or tab holding more than a grid
    return f"{kind}({', '.join(children)})" if nested else kind
