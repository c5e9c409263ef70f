"""Prometheus durations (``30s``, ``5m``, ``1h30m``) as seconds: what the
settings, PromQL variables and SLO windows are written in."""

from __future__ import annotations

import re

_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
_PART = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")


def seconds(duration: str) -> float:
    """``"6h"`` -> 21600.0; a compound like ``"1h30m"`` works too."""
    total, rest = 0.0, duration.strip()
    for number, unit in _PART.findall(rest):
        total += int(number) * _UNIT_SECONDS[unit]
    if not rest or _PART.sub("", rest):
        raise ValueError(f"not a duration: {duration!r}")
    return total
