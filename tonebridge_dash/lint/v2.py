"""validate on a v2 dashboard (``dashboard.grafana.app`` v2beta1/v2), as
dashboard-linter reads one (its ``lint/v2.go``): the v2 schema and element
references are checked on the v2 document itself; every other rule runs on
its classic equivalent (``dashboard.v2.to_v1``: the same panels, queries,
positions and variables), and a finding on a panel names the element."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ..dashboard.v2 import NotADashboard, is_v2, to_v1, validate_v2
from ..errors import UsageError
from ..model import Rendered

SCHEMA_RULE = "schema"


@dataclass(frozen=True)
class V2View:
    """A v2 dashboard as the rules see it."""

    classic: Rendered  # its classic equivalent, where the rules run
    problems: tuple[str, ...]  # its v2 schema and reference problems
    elements: dict  # classic panel id -> element name


def view(r: Rendered) -> V2View | None:
    """The view of ``r`` when it is a v2 dashboard, else None."""
    if not is_v2(r.data):
        return None
    try:
        classic, _notes = to_v1(r.data)
    except NotADashboard as e:  # a version tb-dash does not read
        raise UsageError(f"{r.source or r.uid}: {e}") from None
    elements: dict[Any, str] = {}
    spec = r.data.get("spec") if isinstance(r.data.get("spec"), dict) and "apiVersion" in r.data else r.data
    for name, element in (spec.get("elements") or {}).items() if isinstance(spec.get("elements"), dict) else ():
        element_spec = element.get("spec") if isinstance(element, dict) else None
        if isinstance(element_spec, dict) and "id" in element_spec:
            elements.setdefault(element_spec["id"], name)
    data = replace(Rendered.of(classic, r.source), digest=r.digest, profile=r.profile)
    return V2View(data, tuple(validate_v2(r.data)), elements)


def name_elements(v: V2View, finding):
    """A finding on a classic panel, naming the v2 element it came from."""
    if not finding.panel and finding.panel_id is None:
        return finding
    name = v.elements.get(finding.panel_id)
    if name is None:
        return finding
    return replace(finding, panel=f"{name} '{finding.panel}'" if finding.panel else name)
