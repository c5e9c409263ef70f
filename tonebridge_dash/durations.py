"""Prometheus durations (``30s``, ``5m``, ``1h30m``) as seconds: what the
settings, PromQL variables and SLO windows are written in.

Only what Prometheus itself accepts: units from the largest to the
smallest, each at most once (``1h30m``, not ``30m1h`` or ``5m5m``), and no
longer than the 292 years its durations (nanoseconds in 64 bits) can hold.
A duration Prometheus would refuse is refused here, before it reaches a
rule file that promtool rejects.
"""

from __future__ import annotations

import re

_UNIT_SECONDS = {"y": 31536000, "w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1, "ms": 0.001}
_ORDER = tuple(_UNIT_SECONDS)  # largest first, as Prometheus requires
_PART = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")
MAX_SECONDS = (2**63 - 1) / 1e9  # about 292 years: Prometheus's largest duration


def seconds(duration: str) -> float:
    """``"6h"`` -> 21600.0; a compound like ``"1h30m"`` works too. A
    ``ValueError`` says why anything else is not a Prometheus duration."""
    text = duration.strip()
    if len(text) > 64 or not text or _PART.sub("", text):
        raise ValueError(f"not a duration: {duration[:40]!r}")
    total, last = 0.0, -1
    for number, unit in _PART.findall(text):
        if _ORDER.index(unit) <= last:
            raise ValueError(f"{duration!r}: units go from the largest to the smallest, each once (1h30m)")
        last = _ORDER.index(unit)
        total += int(number) * _UNIT_SECONDS[unit]
    if total > MAX_SECONDS:
        raise ValueError(f"{duration!r} is longer than the 292 years Prometheus can hold")
    return total
