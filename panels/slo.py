"""SLO panels (seed §11): each SLI against its target, burn rates and the
error budget left. The SLO-window and budget panels read the series the SLO
recording rules store (``alerts/slo.py``), so they show what the
alerts see, service-wide; the "now" panels read the raw series through the
dashboard's job and instance filters. Targets and colours come from the
same settings as the rules."""

from __future__ import annotations

from tonebridge_dash.kit import seconds
from tonebridge_dash.kit import Threshold

from . import common as c
from . import queries as q
from .queries import SERVICE, Scope
from .objectives import BURN_RATE_ALERTS

BURN_RATE_WINDOWS = ("5m", "30m", "1h", "6h", "3d")  # every window a burn-rate alert reads


def _budget_steps(cfg, scale: float = 1.0) -> Threshold:
    """Red when the budget is overspent, orange once the alert's share is consumed."""
    return Threshold(critical=0, warning=(1 - cfg.slo.error_budget_alert_consumed) * scale)


def _burn_rate_levels(cfg) -> Threshold:
    """Orange at the slowest burn-rate alert (the ticket), red at the fastest page."""
    factors = [b.factor(cfg.slo.window) for b in BURN_RATE_ALERTS]
    return Threshold(critical=max(factors), warning=min(factors))


def budget_minutes(cfg) -> float:
    """The whole budget as minutes of total outage: (1 - 0.999) x 30 days = 43.2 (seed §11)."""
    return q.error_budget(cfg) * seconds(cfg.slo.window) / 60


# --- the SLO window: one number per SLI ---------------------------------------
def availability_slo_stat(cfg) -> c.g.Stat:
    w = cfg.slo.window
    return c.stat(
        f"Availability ({w})",
        f"Share of requests that were not 5xx over the last {w}. "
        f"SLO: at least {cfg.slo.availability:.1%}.",
        "percentunit",
        [c.target(q.availability(cfg, w), "availability")],
        threshold=c.slo_target(cfg.slo.availability), lower_is_worse=True, decimals=3, graph=False,
    )


def error_ratio_slo_stat(cfg) -> c.g.Stat:
    w = cfg.slo.window
    return c.stat(
        f"Error rate ({w})",
        f"Share of responses that were 5xx over the last {w}. SLO: below {cfg.slo.error_ratio:.1%}.",
        "percentunit",
        [c.target(q.sli_error_ratio_series(w), "5xx share")],
        threshold=c.slo_target(cfg.slo.error_ratio), decimals=3, graph=False,
    )


def latency_p95_slo_stat(cfg) -> c.g.Stat:
    w = cfg.slo.window
    return c.stat(
        f"Response time p95 ({w})",
        f"95th percentile of request duration over the last {w}. "
        f"SLO: below {cfg.slo.latency_p95_seconds * 1000:g} ms.",
        "s",
        [c.target(q.sli_latency_p95_series(w), "p95")],
        threshold=c.slo_target(cfg.slo.latency_p95_seconds), graph=False,
    )


def throughput_slo_stat(cfg) -> c.g.Stat:
    w = cfg.slo.window
    return c.stat(
        f"Throughput ({w})",
        f"Mean requests per second over the last {w}. SLO: above {cfg.slo.throughput_rps:g} req/s.",
        "reqps",
        [c.target(q.sli_request_rate_series(w), "requests/s")],
        threshold=c.slo_target(cfg.slo.throughput_rps), lower_is_worse=True, graph=False,
    )


def error_budget_remaining_stat(cfg) -> c.g.Stat:
    w = cfg.slo.window
    return c.stat(
        "Error budget remaining",
        f"Share of the {w} error budget not yet spent (negative: overspent). Orange once "
        f"{cfg.slo.error_budget_alert_consumed:.0%} is consumed, when ErrorBudgetConsumed fires.",
        "percentunit",
        [c.target(q.error_budget_remaining_series(w), "remaining")],
        threshold=_budget_steps(cfg), lower_is_worse=True, decimals=1, graph=False,
    )


def error_budget_minutes_stat(cfg) -> c.g.Stat:
    w, total = cfg.slo.window, budget_minutes(cfg)
    return c.stat(
        "Error budget remaining (minutes)",
        f"The remaining budget as minutes of total outage; the whole {w} budget is {total:g} minutes.",
        "m",
        [c.target(q.error_budget_remaining_minutes(cfg, w, total), "minutes")],
        threshold=_budget_steps(cfg, scale=total), lower_is_worse=True, decimals=1, graph=False,
    )


# --- over time ------------------------------------------------------------------
def burn_rate_timeseries(cfg) -> c.g.TimeSeries:
    levels = _burn_rate_levels(cfg)
    return c.timeseries(
        "Error budget burn rate",
        "How fast the availability error budget burns, per window: 1 spends exactly the "
        f"budget in {cfg.slo.window}. Orange at {levels.warning:g}x (ticket), red at "
        f"{levels.critical:g}x (page); an alert needs its long and its short window above its level.",
        "suffix:x",
        [c.target(q.burn_rate(cfg, w), w) for w in BURN_RATE_WINDOWS],
        threshold=levels, fill=0,
    )


def error_budget_remaining_timeseries(cfg) -> c.g.TimeSeries:
    return c.timeseries(
        "Error budget remaining over time",
        f"Share of the {cfg.slo.window} error budget not yet spent.",
        "percentunit",
        [c.target(q.error_budget_remaining_series(cfg.slo.window), "remaining")],
        threshold=_budget_steps(cfg), lower_is_worse=True, min_value=None,
    )


# --- now, by job and instance (raw series, the dashboard's filters apply) ----------
def latency_p95_slo_timeseries(cfg, scope: Scope = SERVICE) -> c.g.TimeSeries:
    return c.timeseries(
        "Response time p95 against the SLO",
        "95th percentile of request duration for the selected jobs and instances; red "
        f"above the SLO's {cfg.slo.latency_p95_seconds * 1000:g} ms.",
        "s",
        [c.target(q.latency_quantile(cfg, 0.95, scope), "p95", exemplar=True)],
        threshold=c.slo_target(cfg.slo.latency_p95_seconds),
    )


def throughput_slo_timeseries(cfg, scope: Scope = SERVICE) -> c.g.TimeSeries:
    return c.timeseries(
        "Throughput against the SLO",
        "Requests per second for the selected jobs and instances; red below the SLO's "
        f"{cfg.slo.throughput_rps:g} req/s.",
        "reqps",
        [c.target(q.request_rate(cfg, scope), "requests/s")],
        threshold=c.slo_target(cfg.slo.throughput_rps), lower_is_worse=True,
    )
