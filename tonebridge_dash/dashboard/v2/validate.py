"""Whether a v2 dashboard is one Grafana accepts: the resource's envelope,
its spec against Grafana's published JSON Schema of that version (vendored
from the foundation SDK, ``schemas/grafana/dashboardv2*.jsonschema.json``),
and every element reference of the layout resolving to an element."""

from __future__ import annotations

from typing import Any, Iterator

from ..schema import definition_validator
from .common import GROUP, READ_VERSIONS, VERSIONS
from .alpha import upgrade
from .to_v2 import version_of

SCHEMA_FILES = {"v2beta1": "dashboardv2beta1", "v2": "dashboardv2"}


def validate_v2(doc: Any, version: str | None = None) -> list[str]:
    """Every problem of a v2 resource (or a bare spec, checked as
    ``version``, v2beta1 by default), one line each naming where; empty
    when Grafana would take it."""
    problems: list[str] = []
    if not isinstance(doc, dict):
        return [f"(dashboard): expected a JSON object, not {type(doc).__name__}"]
    doc = upgrade(doc)  # v2alpha1 is checked as Grafana converts it, as v2beta1
    if "apiVersion" in doc or "kind" in doc:
        found = version_of(doc)
        if found is None or found not in VERSIONS:
            problems.append(f"apiVersion: {doc.get('apiVersion')!r} is not {GROUP}/" + " or /".join(READ_VERSIONS))
        version = found if found in VERSIONS else version
        if doc.get("kind") != "Dashboard":
            problems.append(f"kind: {doc.get('kind')!r}, expected 'Dashboard'")
        metadata = doc.get("metadata")
        if not isinstance(metadata, dict) or not isinstance(metadata.get("name"), str) or not metadata["name"]:
            problems.append("metadata.name: missing (the dashboard's uid)")
        spec, where = doc.get("spec"), "spec"
    else:
        spec, where = doc, ""
    if not isinstance(spec, dict):
        return problems + [f"{where or '(dashboard)'}: expected the dashboard spec object"]
    validator = definition_validator(SCHEMA_FILES.get(version or "v2beta1", "dashboardv2beta1"), "Dashboard")
    problems += [str(issue) for issue in validator.errors(spec, where)]
    problems += references(spec, where)
    return problems


def references(spec: dict, where: str = "spec") -> list[str]:
    """Layout items naming no element, and elements no layout item places."""
    elements = spec.get("elements") if isinstance(spec.get("elements"), dict) else {}
    prefix = f"{where}." if where else ""
    problems, placed = [], set()
    for path, name in element_references(spec.get("layout"), f"{prefix}layout"):
        placed.add(name)
        if name not in elements:
            problems.append(f"{path}: element {name!r} is not in {prefix}elements")
    for name in elements:
        if name not in placed:
            problems.append(f"{prefix}elements.{name}: not placed by the layout (Grafana does not show it)")
    return problems


def layout_items(layout: Any, path: str = "layout") -> Iterator[tuple[str, dict]]:
    """(path, item spec) of every item of a layout tree, grid and auto grid
    items, in rows and tabs at any depth."""
    if not isinstance(layout, dict):
        return
    spec = layout.get("spec") if isinstance(layout.get("spec"), dict) else {}
    kind = layout.get("kind")
    if kind in ("GridLayout", "AutoGridLayout"):
        for i, item in enumerate(spec.get("items") if isinstance(spec.get("items"), list) else []):
            if isinstance(item, dict) and isinstance(item.get("spec"), dict):
                yield f"{path}.spec.items[{i}]", item["spec"]
    elif kind in ("RowsLayout", "TabsLayout"):
        key = "rows" if kind == "RowsLayout" else "tabs"
        for i, section in enumerate(spec.get(key) if isinstance(spec.get(key), list) else []):
            inner = section.get("spec") if isinstance(section, dict) else None
            if isinstance(inner, dict):
                yield from layout_items(inner.get("layout"), f"{path}.spec.{key}[{i}].spec.layout")


def element_references(layout: Any, path: str = "layout") -> Iterator[tuple[str, str]]:
    for item_path, item in layout_items(layout, path):
        element = item.get("element")
        name = element.get("name") if isinstance(element, dict) else None
        if isinstance(name, str):
            yield f"{item_path}.element", name
