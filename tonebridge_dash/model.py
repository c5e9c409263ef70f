"""A Grafana dashboard as the engine reads it: the JSON of one rendered or
loaded dashboard, and safe ways to walk it.

Dashboards read from files may hold anything, so every accessor here skips
what is not of the expected JSON type instead of failing (the schema rule
reports wrong types).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

from .errors import UsageError, clip

GRID_COLUMNS = 24  # the width of Grafana's dashboard grid
PROMETHEUS = "prometheus"  # the Prometheus datasource plugin's type
RESOURCE = "dashboard.grafana.app/"  # the apiVersion of Grafana's dashboard resources, before the version
# What Grafana accepts as a dashboard uid. \Z, not $: $ also matches before a
# final newline, and a uid names a file. Prefer UID_RE.fullmatch.
UID_RE = re.compile(r"^[a-zA-Z0-9_-]{1,40}\Z")
_REF_IDS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# The lint profiles a dashboard answers to: the house's rules (our own
# content), or what Grafana itself loads (imported and foreign dashboards).
HOUSE, GRAFANA = "house", "grafana"
PROFILES = (HOUSE, GRAFANA)


def check_profile(profile: str, where: str) -> str:
    if profile not in PROFILES:
        raise UsageError(f"{where}: unknown lint profile {profile!r} (profiles: {', '.join(PROFILES)})")
    return profile


def ref_id(i: int) -> str:
    """The refId Grafana gives the ``i``-th query: A..Z, then AA, AB..."""
    return _REF_IDS[i] if i < len(_REF_IDS) else ref_id(i // len(_REF_IDS) - 1) + _REF_IDS[i % len(_REF_IDS)]


@dataclass(frozen=True)
class Rendered:
    """One dashboard's JSON, with where it came from (a module or a file)."""

    uid: str
    title: str
    data: dict  # the Grafana dashboard JSON
    source: str = ""
    profile: str = ""  # the lint profile it answers to ("house", "grafana"); "" for the caller's default
    digest: str = ""  # read from a file (or validate's view of one): the sha256 of its bytes, "" otherwise

    @classmethod
    def of(cls, data: dict, source: str = "") -> "Rendered":
        """A classic dashboard, or a resource (its uid ``metadata.name``, its title the ``spec``'s)."""
        d, uid = (data["spec"], as_object(data.get("metadata")).get("name")) if is_resource(data) else (data, data.get("uid"))
        return cls(str(uid or ""), str(d.get("title", "")), data, source)

    @property
    def filename(self) -> str:
        return f"{self.uid}.json"

    def panels(self) -> list[dict]:
        return list(iter_panels(self.data))


def is_resource(data: Any) -> bool:  # a dashboard.grafana.app resource: a v2 dashboard, or a classic one's
    return isinstance(data, dict) and str(data.get("apiVersion")).startswith(RESOURCE) and isinstance(data.get("spec"), dict)


def as_object(value: Any) -> dict:
    """``value`` when it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list:
    """``value`` when it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []


def walk_panels(data: Mapping[str, Any]) -> Iterator[tuple[str, dict]]:
    """``(JSON path, panel)`` for every panel, those inside rows included,
    skipping anything that is not a JSON object."""
    for i, p in enumerate(as_list(data.get("panels"))):
        if isinstance(p, dict):
            yield f"panels[{i}]", p
            for j, child in enumerate(as_list(p.get("panels"))):
                if isinstance(child, dict):
                    yield f"panels[{i}].panels[{j}]", child


def iter_panels(data: Mapping[str, Any]) -> Iterator[dict]:
    """Every panel, those inside rows included."""
    return (p for _, p in walk_panels(data))


def template_variables(data: Mapping[str, Any]) -> list[dict]:
    """The dashboard's templating variables that are JSON objects."""
    return [v for v in as_list(as_object(data.get("templating")).get("list")) if isinstance(v, dict)]


def json_nodes(value: Any) -> Iterator[tuple[Any, Any, int]]:
    """``(value, link, depth)`` for ``value`` and everything inside it, in
    document order, iteratively (a deep value cannot exhaust the stack).
    ``json_path(link)`` renders where a value is; only then, because most
    walks never need to say it."""
    stack: list[tuple[Any, Any, int]] = [(value, None, 0)]
    while stack:
        v, link, depth = stack.pop()
        yield v, link, depth
        if isinstance(v, dict):
            stack.extend((item, (link, k), depth + 1) for k, item in reversed(v.items()))
        elif isinstance(v, (list, tuple)):
            stack.extend((v[i], (link, i), depth + 1) for i in range(len(v) - 1, -1, -1))


def json_path(link: Any) -> str:
    """The path ``json_nodes`` linked, as ``panels[3].fieldConfig.unit``
    (each key clipped: a message never quotes a megabyte key)."""
    parts = []
    while link is not None:
        link, key = link
        parts.append(key)
    out = ""
    for p in reversed(parts):
        out += f"[{p}]" if isinstance(p, int) else (f".{clip(str(p), 60)}" if out else clip(str(p), 60))
    return out or "(top level)"


def _opaque(value: Any) -> None:
    """What json cannot encode holds no number for it to refuse."""
    return None


def non_finite(value: Any) -> Iterator[tuple[str, float]]:
    """``(JSON path, number)`` for every NaN or infinite number inside
    ``value``, in document order: what JSON cannot hold (``json.dumps``
    would write ``NaN`` or ``Infinity``, which no JSON parser accepts).
    Most values have none: json's encoder says so in C before any walk."""
    try:
        json.dumps(value, allow_nan=False, default=_opaque)
        return
    except (ValueError, TypeError, RecursionError):
        pass  # one somewhere (or a key or depth json refuses): walk to name each
    for v, link, _ in json_nodes(value):
        if isinstance(v, float) and not math.isfinite(v):
            yield json_path(link), v
