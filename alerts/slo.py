"""The seed's SLOs (§11) as rules: the SLIs recorded over the standard
windows, the error budget left, and multi-window multi-burn-rate alerts as
in the Google SRE workbook (chapter "Alerting on SLOs").

The availability SLO (99.9%) and the error-rate SLO (< 0.1%) are one budget:
the share of requests that may fail (5xx) in the SLO window. Latency (p95)
and throughput are recorded for the SLO dashboard; their alerts are the
seed's HighResponseTime and the dashboard's colours.
"""

from __future__ import annotations

from panels import queries as q
from panels.objectives import BURN_RATE_ALERTS, WINDOWS, BurnRateAlert
from tonebridge_dash.kit import Alert, Group, Record, RuleFile

from ._common import WARNING, labels, links, percent

FILENAME = "tonebridge-slo.rules.yml"
SERVICE = {"service": "tonebridge"}  # the one label the recorded SLIs keep
BURN_ALERT = "ErrorBudgetBurn"
BUDGET_ALERT = "ErrorBudgetConsumed"


def windows(cfg) -> tuple[str, ...]:
    """The standard windows, plus the SLO window when the settings change it."""
    return WINDOWS if cfg.slo.window in WINDOWS else (*WINDOWS, cfg.slo.window)


def recordings(cfg) -> list[Record]:
    """The short window's SLIs from the raw series, every longer window's
    from those (multi-window recording rules: see ``queries.sli_long``)."""
    short, *longer = windows(cfg)
    out = [Record(series, expr, SERVICE) for series, expr in q.sli_short(cfg, q.rule_scope(short))]
    for w in longer:
        out += [Record(series, expr, SERVICE) for series, expr in q.sli_long(w, short)]
    window = cfg.slo.window
    out.append(Record(q.error_budget_remaining_series(window), q.error_budget_remaining(cfg, window), SERVICE))
    return out


def burn_rate_alert(cfg, b: BurnRateAlert) -> Alert:
    window, factor = cfg.slo.window, b.factor(cfg.slo.window)
    return Alert(
        BURN_ALERT,
        q.burn_rate_exceeds(cfg, factor, b.long_window, b.short_window),
        labels=labels(cfg, BURN_ALERT, b.severity, slo="availability", long_window=b.long_window,
                      short_window=b.short_window),
        annotations={
            "summary": f"Availability error budget burn rate above {factor:g}x",
            "description": (
                "Error budget burn rate is {{ $value | humanize }}x over the last "
                f"{b.long_window} and above {factor:g}x over the last {b.short_window} too: "
                f"at {factor:g}x, {percent(b.budget_spent)} of the {window} budget "
                f"(SLO {percent(cfg.slo.availability)} available) goes in {b.long_window}"),
            **links(cfg)(BURN_ALERT, "slo", "Error budget burn rate"),
        },
    )


def error_budget_consumed_alert(cfg) -> Alert:
    window, consumed = cfg.slo.window, cfg.slo.error_budget_alert_consumed
    return Alert(
        BUDGET_ALERT,
        q.below(q.error_budget_remaining_series(window), round(1 - consumed, 12)),
        labels=labels(cfg, BUDGET_ALERT, WARNING, slo="availability"),
        annotations={
            "summary": f"More than {percent(consumed)} of the {window} error budget is spent",
            "description": (
                "{{ $value | humanizePercentage }} of the " + window + " error budget remains "
                f"(SLO {percent(cfg.slo.availability)} available; alert at {percent(consumed)} spent)"),
            **links(cfg)(BUDGET_ALERT, "slo", "Error budget remaining"),
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
