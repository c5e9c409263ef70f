"""What every ToneBridge alert shares: the spec's severities, its labels
(``severity`` and the ``team`` from the settings) and how descriptions print
thresholds in the unit their summary names."""

from __future__ import annotations

from panels.objectives import CRITICAL, WARNING

SECURITY = "security"  # the spec's severity of the §10.1 security alerts

__all__ = ["CRITICAL", "SECURITY", "WARNING", "labels", "per_second", "percent", "seconds"]


def percent(ratio: float) -> str:
    """0.05 -> "5%": thresholds printed in descriptions as the summary's unit."""
    return f"{ratio * 100:g}%"


def seconds(value: float) -> str:
    return f"{value:g}s"


def per_second(value: float) -> str:
    return f"{value:g}/s"


def labels(cfg, name: str, severity: str, **extra: str) -> dict[str, str]:
    """``severity``, any ``extra`` labels, and the alert's ``team`` from the
    settings (``alerts.teams``) when it has one."""
    out = {"severity": severity, **extra}
    team = cfg.alerts.teams.get(name)
    if team:
        out["team"] = team
    return out
