"""What every ToneBridge alert shares: the spec's severities, its labels
(``severity`` and the ``team`` from the settings) and how descriptions print
thresholds in the unit their summary names."""

from __future__ import annotations

from importlib import import_module
from urllib.parse import urlencode

from panels.objectives import CRITICAL, WARNING
from tonebridge_dash.kit import RulesError
from tonebridge_dash.kit import build_one
from tonebridge_dash.kit import iter_panels

SECURITY = "security"  # the spec's severity of the §10.1 security alerts

__all__ = ["CRITICAL", "SECURITY", "WARNING", "Links", "labels", "links", "per_second", "percent", "seconds"]


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


class Links:
    """The links an alert carries for the person on call: ``runbook_url``
    (the settings' template) and ``dashboard_url``, the panel that shows what
    the alert watches, in the Grafana of the settings (``alerts.grafana_url``),
    keeping the dashboard's uid and the panel's id as rendered."""

    def __init__(self, cfg):
        self.cfg = cfg
        self._panels: dict[str, tuple[str, dict[str, int]]] = {}

    def _dashboard(self, module: str) -> tuple[str, dict[str, int]]:
        if module not in self._panels:
            build = import_module(f"{self.cfg.content.dashboards}.{module}").build
            r = build_one(build, self.cfg, check=False)
            self._panels[module] = (r.uid, {p.get("title"): p.get("id") for p in iter_panels(r.data)})
        return self._panels[module]

    def panel(self, alert: str, dashboard: str, panel: str) -> tuple[str, int]:
        """The uid of the dashboard module ``dashboard`` and the id of its panel titled ``panel``."""
        uid, ids = self._dashboard(dashboard)
        if ids.get(panel) is None:
            raise RulesError(f"alert {alert}: dashboard '{uid}' has no panel titled {panel!r} to link to")
        return uid, ids[panel]

    def __call__(self, alert: str, dashboard: str, panel: str) -> dict[str, str]:
        """The annotations linking ``alert`` to panel ``panel`` of the dashboard module ``dashboard``."""
        uid, panel_id = self.panel(alert, dashboard, panel)
        query = urlencode({"orgId": self.cfg.grafana.org_id, "viewPanel": panel_id})
        out = {"dashboard_url": f"{self.cfg.alerts.grafana_url}/d/{uid}?{query}"}
        runbook = self.cfg.alerts.runbook(alert)
        return {**out, "runbook_url": runbook} if runbook else out


_LINKS: dict[int, tuple[object, Links]] = {}


def links(cfg) -> Links:
    """The ``Links`` of these settings (each dashboard built once per settings)."""
    if id(cfg) not in _LINKS:
        _LINKS[id(cfg)] = (cfg, Links(cfg))  # the settings kept alive, so their id stays theirs
    return _LINKS[id(cfg)][1]
