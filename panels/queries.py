"""All PromQL, written once, as functions named after what they measure.

Dashboards and alert rules call the same functions. A ``Scope`` says where a
query runs: on a dashboard (Grafana's ``$__rate_interval`` and the filter
variables) or in a rule file (a fixed window, no variables).

Fixes to the seed's PromQL (docs/spec.md lists them all):
- error rate is the ratio of 5xx responses to all responses, not a 5xx rate
  (a per-second rate compared with 5% pages on 1% errors at high traffic);
- ``histogram_quantile`` aggregates buckets with ``sum by (le)`` (without it
  the quantile is computed per series and the panel shows dozens of lines);
- §11's latency SLI reads ``tonebridge_request_duration_seconds_bucket``
  (the seed drops the ``tonebridge_`` prefix, a metric nobody emits).
"""

from __future__ import annotations

from . import metrics as m
from .metrics import Metric
# The scopes and selectors, here too for the panels and dashboards that read them from the queries.
from .scope import (CONTAINERS, ENDPOINT, NODE, RATE_INTERVAL, SERVICE, Scope,  # noqa: F401
                    configured, rule_scope, selector, source_filters, source_matchers, source_of)

STATUS_5XX = 'status=~"5.."'
STATUS_NOT_5XX = 'status!~"5.."'
STATUS_403 = 'status="403"'
RANGE = "$__range"


def _rate(cfg, metric: Metric, scope: Scope, *extra: str, fn: str = "rate", window: str | None = None,
          suffix: str = "") -> str:
    return f"{fn}({selector(cfg, metric, scope, *extra, suffix=suffix)}[{window or scope.window}])"


def _by(labels: tuple[str, ...] | list[str]) -> str:
    return f" by ({', '.join(labels)})" if labels else ""


def _ratio(numerator: str, denominator: str) -> str:
    return f"{numerator}\n/\n{denominator}"


# --- requests (seed §6.1, §6.2 application, §11 throughput) ---------------
def request_rate(cfg, scope: Scope = SERVICE, by: tuple[str, ...] = ()) -> str:
    """Requests per second (the seed's ``rate(tonebridge_requests_total[5m])``,
    summed so the panel shows one line per ``by`` group, not per series)."""
    return f"sum{_by(by)} ({_rate(cfg, m.REQUESTS, scope)})"


def _error_rate(cfg, scope: Scope, by: tuple[str, ...] = ()) -> str:
    return f"sum{_by(by)} ({_rate(cfg, m.REQUESTS, scope, STATUS_5XX)})"


def error_ratio(cfg, scope: Scope = SERVICE, by: tuple[str, ...] = ()) -> str:
    """Share of responses that are 5xx, 0..1. Fix: the seed's "error rate" is
    a per-second rate of 5xx; compared with 5% it is not a ratio at all."""
    return _ratio(_error_rate(cfg, scope, by), request_rate(cfg, scope, by))


def success_ratio(cfg, scope: Scope = SERVICE, by: tuple[str, ...] = ()) -> str:
    """Share of responses that are not 5xx, 0..1 (§11 availability SLI)."""
    ok = f"sum{_by(by)} ({_rate(cfg, m.REQUESTS, scope, STATUS_NOT_5XX)})"
    return _ratio(ok, request_rate(cfg, scope, by))


def forbidden_rate(cfg, scope: Scope = SERVICE) -> str:
    """403 responses per second (§10.1 UnauthorizedAPIAccess)."""
    return f"sum ({_rate(cfg, m.REQUESTS, scope, STATUS_403)})"


def latency_quantile(cfg, q: float, scope: Scope = SERVICE, by: tuple[str, ...] = ()) -> str:
    """The q-quantile of request duration in seconds. Fix: buckets are
    aggregated ``sum by (le)`` before ``histogram_quantile``."""
    labels = ("le", *by)
    buckets = f"sum{_by(labels)} ({_rate(cfg, m.REQUEST_DURATION, scope, suffix='_bucket')})"
    return f"histogram_quantile({q:g}, {buckets})"


def latency_buckets(cfg, scope: Scope = SERVICE) -> str:
    """Requests per second in each duration bucket, for a heatmap."""
    return f"sum by (le) ({_rate(cfg, m.REQUEST_DURATION, scope, suffix='_bucket')})"


def latency_mean(cfg, scope: Scope = SERVICE) -> str:
    """Mean request duration in seconds."""
    return _ratio(
        f"sum ({_rate(cfg, m.REQUEST_DURATION, scope, suffix='_sum')})",
        f"sum ({_rate(cfg, m.REQUEST_DURATION, scope, suffix='_count')})",
    )


def active_connections(cfg, scope: Scope = SERVICE) -> str:
    """Open connections (the gauge carries only job and instance: the
    application dashboard's endpoint filter does not apply)."""
    return f"sum ({selector(cfg, m.ACTIVE_CONNECTIONS, scope)})"


def active_users(cfg, scope: Scope = SERVICE, window: str = "5m") -> str:
    """Distinct users whose activity counter rose in the last ``window``
    (seed §6.1). The window is the definition of "active", not a rate window.
    Fix: the seed's ``count(increase(...) > 0)`` counts series, and a user
    served by two gateway replicas has two; ``count by (user_id)`` first
    makes one series per user."""
    active = f"increase({selector(cfg, m.USER_ACTIVITY, scope)}[{window}]) > 0"
    return f"count(count by (user_id) ({active}))"


def transformation_latency(cfg, quantile: float, scope: Scope = SERVICE,
                           by: tuple[str, ...] = ("transformation_type",)) -> str:
    """A summary quantile of transformation latency in milliseconds. Summary
    quantiles cannot be averaged; the slowest instance is shown."""
    q = f'quantile="{quantile:g}"'
    return f"max{_by(by)} ({selector(cfg, m.TRANSFORMATION_LATENCY, scope, q)})"


# --- business (§4.2, §6.2) --------------------------------------------------
def transformations_per_minute(cfg, scope: Scope = SERVICE, by: tuple[str, ...] = ()) -> str:
    return f"sum{_by(by)} ({_rate(cfg, m.TRANSFORMATIONS, scope)}) * 60"


def transformations_in_range(cfg, scope: Scope = SERVICE, by: tuple[str, ...] = ()) -> str:
    """Transformations completed in the dashboard's time range."""
    return f"sum{_by(by)} ({_rate(cfg, m.TRANSFORMATIONS, scope, fn='increase', window=RANGE)})"


def popular_transformation_types(cfg, scope: Scope = SERVICE, top: int = 5) -> str:
    return f"topk({top}, {transformations_in_range(cfg, scope, by=('transformation_type',))})"


def transformation_error_ratio(cfg, scope: Scope = SERVICE) -> str:
    """Share of transformations that failed, 0..1 (§4.2 ErrorRate)."""
    failed = "sum (" + _rate(cfg, m.TRANSFORMATIONS, scope, 'status="error"') + ")"
    return _ratio(failed, f"sum ({_rate(cfg, m.TRANSFORMATIONS, scope)})")


def average_text_length(cfg, scope: Scope = SERVICE) -> str:
    """Mean input length in characters (§4.2 AverageTextLength)."""
    return _ratio(
        f"sum ({_rate(cfg, m.TEXT_LENGTH, scope, suffix='_sum')})",
        f"sum ({_rate(cfg, m.TEXT_LENGTH, scope, suffix='_count')})",
    )


def cache_hit_ratio(cfg, scope: Scope = SERVICE) -> str:
    """Share of cache look-ups that hit, 0..1 (§4.2 CacheHitRate)."""
    hits = "sum (" + _rate(cfg, m.CACHE_REQUESTS, scope, 'result="hit"') + ")"
    return _ratio(hits, f"sum ({_rate(cfg, m.CACHE_REQUESTS, scope)})")


def llm_tokens_rate(cfg, scope: Scope = SERVICE) -> str:
    return f"sum by (model, kind) ({_rate(cfg, m.LLM_TOKENS, scope)})"


def llm_cost_in_range(cfg, scope: Scope = SERVICE, by: tuple[str, ...] = ("model",)) -> str:
    return f"sum{_by(by)} ({_rate(cfg, m.LLM_COST, scope, fn='increase', window=RANGE)})"


def llm_cost_per_hour(cfg, scope: Scope = SERVICE) -> str:
    return f"sum by (model) ({_rate(cfg, m.LLM_COST, scope)}) * 3600"


def cost_per_transformation(cfg, scope: Scope = SERVICE) -> str:
    return _ratio(llm_cost_in_range(cfg, scope, by=()), transformations_in_range(cfg, scope))


# --- security (§10.1) -------------------------------------------------------
def failed_login_rate(cfg, scope: Scope = SERVICE) -> str:
    return f"sum ({_rate(cfg, m.LOGIN_ATTEMPTS_FAILED, scope)})"


def table_query_rate(cfg, table: str, scope: Scope = SERVICE) -> str:
    return "sum (" + _rate(cfg, m.DATABASE_QUERIES, scope, f'table="{table}"') + ")"


def target_up(cfg, scope: Scope, source: str) -> str:
    """``up`` of the targets of ``source``, as its selector in the settings picks them."""
    return selector(cfg, m.UP, scope, *configured(cfg, source))


# --- system health (§6.2, §7.1) ---------------------------------------------
def cpu_usage_ratio(cfg, scope: Scope = NODE) -> str:
    """Busy share of CPU time per instance, 0..1."""
    idle = "avg by (instance) (" + _rate(cfg, m.NODE_CPU, scope, 'mode="idle"') + ")"
    return f"1 - {idle}"


def memory_usage_ratio(cfg, scope: Scope = NODE) -> str:
    """Used share of memory per instance, 0..1 (§7.1 HighMemoryUsage)."""
    avail = selector(cfg, m.NODE_MEM_AVAILABLE, scope)
    total = selector(cfg, m.NODE_MEM_TOTAL, scope)
    return f"1 - ({avail} / {total})"


def disk_usage_ratio(cfg, scope: Scope = NODE) -> str:
    """Used share of each filesystem, 0..1 (§7.1 DiskSpaceRunningOut), on
    the filesystems ``selectors.filesystem`` keeps (not tmpfs: always "full")."""
    avail = selector(cfg, m.NODE_FS_AVAIL, scope, *configured(cfg, "filesystem"))
    size = selector(cfg, m.NODE_FS_SIZE, scope, *configured(cfg, "filesystem"))
    return f"1 - ({avail} / {size})"


def disk_io_bytes(cfg, direction: str, scope: Scope = NODE) -> str:
    metric = {"read": m.NODE_DISK_READ, "written": m.NODE_DISK_WRITTEN}[direction]
    return f"sum by (instance) ({_rate(cfg, metric, scope)})"


def network_bytes(cfg, direction: str, scope: Scope = NODE) -> str:
    metric = {"receive": m.NODE_NET_RX, "transmit": m.NODE_NET_TX}[direction]
    return "sum by (instance) (" + _rate(cfg, metric, scope, 'device!="lo"') + ")"


def containers_ready(cfg, scope: Scope = CONTAINERS) -> str:
    """1 when the container is ready, 0 when not. ``max``, not ``sum``: two
    kube-state-metrics replicas report the same container twice."""
    ready = selector(cfg, m.CONTAINER_READY, scope, *configured(cfg, "namespace"))
    return f"max by (namespace, pod, container) ({ready})"


def container_restarts(cfg, scope: Scope = CONTAINERS, window: str = "1h") -> str:
    """Whole restarts in the last ``window``: ``increase`` extrapolates to the
    window's edges and gives fractions of a restart, so it is rounded."""
    restarts = _rate(cfg, m.CONTAINER_RESTARTS, scope, *configured(cfg, "namespace"), fn="increase", window=window)
    return f"round(max by (namespace, pod, container) ({restarts}))"


def container_cpu_cores(cfg, scope: Scope = CONTAINERS) -> str:
    return "sum by (pod) (" + _rate(cfg, m.CONTAINER_CPU, scope, *configured(cfg, "namespace"), 'container!=""') + ")"


def container_memory_bytes(cfg, scope: Scope = CONTAINERS) -> str:
    memory = selector(cfg, m.CONTAINER_MEMORY, scope, *configured(cfg, "namespace"), 'container!=""')
    return f"sum by (pod) ({memory})"


# --- alert conditions (§7.1, §10.1) ----------------------------------------
# Comparisons bind more loosely than arithmetic in PromQL, so ``expr > v``
# needs no parentheses for any expression above (none uses and/or/unless).
def above(expr: str, value: float) -> str:
    return f"{expr} > {value:g}"


def below(expr: str, value: float) -> str:
    return f"{expr} < {value:g}"


def equal_to(expr: str, value: float) -> str:
    return f"{expr} == {value:g}"


# --- SLIs and SLOs (§11) ------------------------------------------------------
# Recording rules store the SLIs once per window, named level:metric:operations
# (the level "service" is the one label they keep, service="tonebridge");
# burn rates, budget and the SLO dashboard read the recorded series.
SLO_LEVEL = "service"


def recorded(metric: str, operation: str, window: str) -> str:
    """The name of a recorded SLI series, e.g. ``service:tonebridge_requests_errors:ratio_rate5m``."""
    return f"{SLO_LEVEL}:{metric}:{operation}{window}"


SHORT_WINDOW = "5m"  # the one window recorded from the raw series; the longer ones derive from it


def sli_error_rate_series(window: str = SHORT_WINDOW) -> str:
    """Recorded 5xx responses per second over the short window."""
    return recorded("tonebridge_requests_errors", "rate", window)


def sli_latency_buckets_series(window: str = SHORT_WINDOW) -> str:
    """Recorded requests per second in each duration bucket (``le``) over the short window."""
    return f"{SLO_LEVEL}_le:tonebridge_request_duration_seconds_bucket:rate{window}"


def sli_short(cfg, scope: Scope) -> list[tuple[str, str]]:
    """(series, expression) of the SLIs recorded from the raw series over the
    short window: requests/s, 5xx/s (0, not "no data", while no 5xx series
    exists: client libraries create ``status="500"`` at the first 500), the
    duration buckets; then the ratio and p95 from those."""
    w = scope.window
    return [
        (sli_request_rate_series(w), request_rate(cfg, scope)),
        (sli_error_rate_series(w), f"{_error_rate(cfg, scope)} or vector(0)"),
        (sli_latency_buckets_series(w), latency_buckets(cfg, scope)),
        (sli_error_ratio_series(w), _ratio(sli_error_rate_series(w), sli_request_rate_series(w))),
        (sli_latency_p95_series(w), f"histogram_quantile(0.95, {sli_latency_buckets_series(w)})"),
    ]


def sli_long(window: str, short: str = SHORT_WINDOW) -> list[tuple[str, str]]:
    """(series, expression) of the SLIs over a longer ``window``, derived from
    the short window's recorded series (as the SRE workbook and Sloth do), not
    from ``rate(...[30d])`` over every raw series at each evaluation: the cost
    stays the same however many series the traffic has. The ratio sums errors
    and requests over the window, so it weighs each moment by its traffic;
    throughput is the mean rate, right from the first day of data (a
    ``rate(...[30d])`` divides by 30 days however young the series)."""
    def over(series: str, fn: str = "sum_over_time") -> str:
        return f"{fn}({series}[{window}])"

    return [
        (sli_request_rate_series(window), over(sli_request_rate_series(short), "avg_over_time")),
        (sli_error_ratio_series(window),
         _ratio(over(sli_error_rate_series(short)), over(sli_request_rate_series(short)))),
        (sli_latency_p95_series(window), f"histogram_quantile(0.95, {over(sli_latency_buckets_series(short))})"),
    ]


def sli_error_ratio_series(window: str) -> str:
    """Recorded share of 5xx responses over ``window`` (error-rate SLI; availability is 1 minus it)."""
    return recorded("tonebridge_requests_errors", "ratio_rate", window)


def sli_latency_p95_series(window: str) -> str:
    return recorded("tonebridge_request_duration_seconds", "p95_rate", window)


def sli_request_rate_series(window: str) -> str:
    return recorded("tonebridge_requests", "rate", window)


def error_budget_remaining_series(window: str) -> str:
    return recorded("tonebridge_error_budget", "remaining_ratio", window)


def error_budget(cfg) -> float:
    """The share of requests allowed to fail: 1 - the availability objective."""
    return round(1 - cfg.slo.availability, 12)


def availability(cfg, window: str) -> str:
    """Availability SLI over ``window``, 0..1. Fix: the seed's §11 SLI is
    ``1 - rate(5xx[30d])``, one minus a per-second rate, not a ratio."""
    return f"1 - {sli_error_ratio_series(window)}"


def burn_rate(cfg, window: str) -> str:
    """How fast the error budget burns over ``window``: 1 spends exactly the
    budget in the SLO window, 14.4 spends 2% of a 30-day budget in an hour."""
    return f"{sli_error_ratio_series(window)} / {error_budget(cfg):g}"


def burn_rate_exceeds(cfg, factor: float, long_window: str, short_window: str) -> str:
    """The multi-window condition of the Google SRE workbook: both the long
    and the short window burn faster than ``factor`` (the short window lets
    the alert resolve soon after the errors stop)."""
    return f"{above(burn_rate(cfg, long_window), factor)}\nand\n{above(burn_rate(cfg, short_window), factor)}"


def error_budget_remaining(cfg, window: str) -> str:
    """Share of the error budget left over ``window``: 1 - consumed (negative when overspent)."""
    return f"1 - {burn_rate(cfg, window)}"


def error_budget_remaining_minutes(cfg, window: str, budget_minutes: float) -> str:
    """The remaining budget as minutes of total outage (the seed's §11 unit;
    ``budget_minutes`` is the whole budget, 43.2 for 99.9% over 30 days)."""
    return f"{error_budget_remaining_series(window)} * {budget_minutes:g}"


# --- template variables -----------------------------------------------------
def label_values(cfg, metric: Metric, label: str, *matchers: str) -> str:
    """A Grafana query-variable query: the values of ``label`` on ``metric``
    (of its source, as the settings select it)."""
    return f"label_values({selector(cfg, metric, Scope(), *matchers)}, {label})"
