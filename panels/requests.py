"""Request traffic, errors and latency of the gateway (seed §6.1, §6.2)."""

from __future__ import annotations

from . import common as c
from . import queries as q
from .queries import SERVICE, Scope


def request_rate_timeseries(cfg, scope: Scope = SERVICE, by: tuple[str, ...] = ()) -> c.g.TimeSeries:
    legend = "{{" + by[0] + "}}" if by else "requests/s"
    split = f" by {', '.join(by)}" if by else ""
    return c.timeseries(
        f"Request rate{split}",
        "Requests per second served by ToneBridge (all statuses).",
        "reqps",
        [c.target(q.request_rate(cfg, scope, by), legend)],
    )


def request_rate_stat(cfg, scope: Scope = SERVICE) -> c.g.Stat:
    return c.stat(
        "Requests per second",
        "Current requests per second, all endpoints and statuses.",
        "reqps",
        [c.target(q.request_rate(cfg, scope), "requests/s")],
    )


def error_ratio_timeseries(cfg, scope: Scope = SERVICE, by: tuple[str, ...] = ()) -> c.g.TimeSeries:
    legend = "{{" + by[0] + "}}" if by else "5xx share"
    split = f" by {', '.join(by)}" if by else ""
    return c.timeseries(
        f"Error rate (5xx share){split}",
        "Share of responses with a 5xx status. Orange and red lines are the "
        "warning level and the HighErrorRate alert threshold from the settings.",
        "percentunit",
        [c.target(q.error_ratio(cfg, scope, by), legend)],
        threshold=cfg.thresholds.error_ratio,
    )


def error_ratio_stat(cfg, scope: Scope = SERVICE) -> c.g.Stat:
    return c.stat(
        "Error rate (5xx share)",
        "Share of responses with a 5xx status over the rate window.",
        "percentunit",
        [c.target(q.error_ratio(cfg, scope), "5xx share")],
        threshold=cfg.thresholds.error_ratio,
        decimals=2,
    )


def success_ratio_timeseries(cfg, scope: Scope = SERVICE) -> c.g.TimeSeries:
    return c.timeseries(
        "Success rate (non-5xx share)",
        "Share of responses that are not 5xx: the availability SLI. The red "
        "line is the availability SLO target.",
        "percentunit",
        [c.target(q.success_ratio(cfg, scope), "success")],
        threshold=c.slo_target(cfg.slo.availability),
        lower_is_worse=True,
        min_value=None,
        max_value=1,
    )


def success_ratio_stat(cfg, scope: Scope = SERVICE) -> c.g.Stat:
    return c.stat(
        "Success rate",
        "Share of responses that are not 5xx, against the availability SLO.",
        "percentunit",
        [c.target(q.success_ratio(cfg, scope), "success")],
        threshold=c.slo_target(cfg.slo.availability),
        lower_is_worse=True,
        decimals=3,
    )


def latency_p95_timeseries(cfg, scope: Scope = SERVICE) -> c.g.TimeSeries:
    return c.timeseries(
        "Response time (p95)",
        "95th percentile of request duration. Orange is the latency SLO, red "
        "the HighResponseTime alert threshold.",
        "s",
        [c.target(q.latency_quantile(cfg, 0.95, scope), "p95", exemplar=True)],
        threshold=cfg.thresholds.latency_p95_seconds,
    )


def latency_percentiles_timeseries(cfg, scope: Scope = SERVICE) -> c.g.TimeSeries:
    return c.timeseries(
        "Response time percentiles",
        "p50, p95 and p99 of request duration, and the mean.",
        "s",
        [
            c.target(q.latency_quantile(cfg, 0.5, scope), "p50", exemplar=True),
            c.target(q.latency_quantile(cfg, 0.95, scope), "p95", exemplar=True),
            c.target(q.latency_quantile(cfg, 0.99, scope), "p99", exemplar=True),
            c.target(q.latency_mean(cfg, scope), "mean"),
        ],
        threshold=cfg.thresholds.latency_p95_seconds,
        fill=0,
    )


def latency_heatmap(cfg, scope: Scope = SERVICE) -> c.Heatmap:
    return c.heatmap(
        "Response time distribution",
        "Requests per second in each duration bucket of "
        "tonebridge_request_duration_seconds.",
        "s",
        [c.target(q.latency_buckets(cfg, scope), "{{le}}", fmt="heatmap", exemplar=True)],
    )


def active_connections_timeseries(cfg, scope: Scope = SERVICE) -> c.g.TimeSeries:
    return c.timeseries(
        "Active connections",
        "Open client connections (sessions) to the gateway.",
        "suffix: connections",
        [c.target(q.active_connections(cfg, scope), "connections")],
    )


def transformation_latency_timeseries(cfg, scope: Scope = SERVICE) -> c.g.TimeSeries:
    return c.timeseries(
        "Transformation latency (p90) by type",
        "90th percentile of transformation latency reported by the LLM "
        "service's summary, slowest instance per type.",
        "ms",
        [c.target(q.transformation_latency(cfg, 0.9, scope), "{{transformation_type}}")],
        fill=0,
    )
