"""The seed's SLOs (§11) as rules: the SLIs recorded over the standard
windows, the error budget left, and multi-window multi-burn-rate alerts as
in the Google SRE workbook (chapter "Alerting on SLOs").

The availability SLO (99.9%) and the error-rate SLO (< 0.1%) are one budget:
the share of requests that may fail (5xx) in the SLO window. Latency (p95)
and throughput are recorded for the SLO dashboard; their alerts are the
seed's HighResponseTime and the dashboard's colours.
"""

from __future__ import annotations

from dataclasses import dataclass

from tonebridge_dash.promql import seconds
from tonebridge_dash.rules import Alert, Group, Record, RuleFile

from . import queries as q
from .alerts import CRITICAL, WARNING, percent

FILENAME = "tonebridge-slo.rules.yml"
SERVICE = {"service": "tonebridge"}  # the one label the recorded SLIs keep
WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d")
BURN_ALERT = "ErrorBudgetBurn"
BUDGET_ALERT = "ErrorBudgetConsumed"


@dataclass(frozen=True)
class BurnRateAlert:
    """Fire when ``budget_spent`` of the SLO window's budget would be spent
    within ``long_window`` at the current rate, in both windows."""

    severity: str
    budget_spent: float
    long_window: str
    short_window: str

    def factor(self, slo_window: str) -> float:
        """The burn rate that spends ``budget_spent`` in ``long_window``
        (14.4 for 2% in 1h of a 30-day window)."""
        return round(self.budget_spent * seconds(slo_window) / seconds(self.long_window), 6)


# The workbook's recommended table: page at 2% of the budget in 1h (14.4x
# for 30 days) and 5% in 6h (6x); ticket at 10% in 3 days (1x).
BURN_RATE_ALERTS = (
    BurnRateAlert(CRITICAL, 0.02, "1h", "5m"),
    BurnRateAlert(CRITICAL, 0.05, "6h", "30m"),
    BurnRateAlert(WARNING, 0.10, "3d", "6h"),
)


def windows(cfg) -> tuple[str, ...]:
    """The standard windows, plus the SLO window when the settings change it."""
    return WINDOWS if cfg.slo.window in WINDOWS else (*WINDOWS, cfg.slo.window)


def recordings(cfg) -> list[Record]:
    out = []
    for w in windows(cfg):
        scope = q.rule_scope(w)
        out += [
            Record(q.sli_error_ratio_series(w), q.sli_error_ratio(cfg, scope), SERVICE),
            Record(q.sli_latency_p95_series(w), q.latency_quantile(cfg, 0.95, scope), SERVICE),
            Record(q.sli_request_rate_series(w), q.request_rate(cfg, scope), SERVICE),
        ]
    window = cfg.slo.window
    out.append(Record(q.error_budget_remaining_series(window), q.error_budget_remaining(cfg, window), SERVICE))
    return out


def _labels(cfg, name: str, severity: str, **extra: str) -> dict[str, str]:
    labels = {"severity": severity, "slo": "availability", **extra}
    team = cfg.alerts.teams.get(name)
    if team:
        labels["team"] = team
    return labels


def burn_rate_alert(cfg, b: BurnRateAlert) -> Alert:
    window, factor = cfg.slo.window, b.factor(cfg.slo.window)
    return Alert(
        BURN_ALERT,
        q.burn_rate_exceeds(cfg, factor, b.long_window, b.short_window),
        labels=_labels(cfg, BURN_ALERT, b.severity, long_window=b.long_window, short_window=b.short_window),
        annotations={
            "summary": f"Availability error budget burn rate above {factor:g}x",
            "description": (
                "Error budget burn rate is {{ $value | humanize }}x over the last "
                f"{b.long_window} and above {factor:g}x over the last {b.short_window} too: "
                f"at {factor:g}x, {percent(b.budget_spent)} of the {window} budget "
                f"(SLO {percent(cfg.slo.availability)} available) goes in {b.long_window}"),
        },
    )


def error_budget_consumed_alert(cfg) -> Alert:
    window, consumed = cfg.slo.window, cfg.slo.error_budget_alert_consumed
    return Alert(
        BUDGET_ALERT,
        q.below(q.error_budget_remaining_series(window), round(1 - consumed, 12)),
        labels=_labels(cfg, BUDGET_ALERT, WARNING),
        annotations={
            "summary": f"More than {percent(consumed)} of the {window} error budget is spent",
            "description": (
                "{{ $value | humanizePercentage }} of the " + window + " error budget remains "
                f"(SLO {percent(cfg.slo.availability)} available; alert at {percent(consumed)} spent)"),
        },
    )


def rule_file(cfg) -> RuleFile:
    # One group: Prometheus evaluates a group's rules in order, so the alerts
    # read the series recorded in the same evaluation, not the previous one.
    return RuleFile(FILENAME, [
        Group("tonebridge_slo", [
            *recordings(cfg),
            *(burn_rate_alert(cfg, b) for b in BURN_RATE_ALERTS),
            error_budget_consumed_alert(cfg),
        ], cfg.alerts.interval),
    ], source=__name__)
