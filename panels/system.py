"""System health: nodes (node_exporter) and containers (cAdvisor,
kube-state-metrics) (seed §6.2)."""

from __future__ import annotations

from . import common as c
from . import queries as q
from .queries import CONTAINERS, NODE, Scope


def cpu_usage_timeseries(cfg, scope: Scope = NODE) -> c.g.TimeSeries:
    return c.timeseries(
        "CPU usage",
        "Busy share of CPU time per instance (1 - idle).",
        "percentunit",
        [c.target(q.cpu_usage_ratio(cfg, scope), "{{instance}}")],
        threshold=cfg.thresholds.cpu_usage_ratio,
        max_value=1,
    )


def memory_usage_timeseries(cfg, scope: Scope = NODE) -> c.g.TimeSeries:
    return c.timeseries(
        "Memory usage",
        "Used share of memory per instance (1 - MemAvailable / MemTotal). "
        "Red is the HighMemoryUsage alert threshold.",
        "percentunit",
        [c.target(q.memory_usage_ratio(cfg, scope), "{{instance}}")],
        threshold=cfg.thresholds.memory_usage_ratio,
        max_value=1,
    )


def disk_usage_bargauge(cfg, scope: Scope = NODE) -> c.g.BarGauge:
    return c.bargauge(
        "Disk usage",
        "Used share of each filesystem. Red is the DiskSpaceRunningOut alert threshold.",
        "percentunit",
        [c.target(q.disk_usage_ratio(cfg, scope), "{{instance}} {{mountpoint}}", instant=True)],
        threshold=cfg.thresholds.disk_usage_ratio,
        max_value=1,
    )


def disk_io_timeseries(cfg, scope: Scope = NODE) -> c.g.TimeSeries:
    return c.timeseries(
        "Disk I/O",
        "Bytes read from and written to disk per second, per instance.",
        "Bps",
        [
            c.target(q.disk_io_bytes(cfg, "read", scope), "{{instance}} read"),
            c.target(q.disk_io_bytes(cfg, "written", scope), "{{instance}} written"),
        ],
    )


def network_traffic_timeseries(cfg, scope: Scope = NODE) -> c.g.TimeSeries:
    return c.timeseries(
        "Network traffic",
        "Bytes received and transmitted per second, per instance (loopback excluded).",
        "Bps",
        [
            c.target(q.network_bytes(cfg, "receive", scope), "{{instance}} in"),
            c.target(q.network_bytes(cfg, "transmit", scope), "{{instance}} out"),
        ],
    )


READY, RESTARTS = "Ready", "Restarts (1h)"


def container_status_table(cfg, scope: Scope = CONTAINERS) -> c.g.Table:
    return c.table(
        "Container status",
        "Whether each container passes its readiness probe, and its restarts in the last hour.",
        "short",
        [
            c.target(q.containers_ready(cfg, scope), "ready", instant=True, fmt="table"),
            c.target(q.container_restarts(cfg, scope), "restarts (1h)", instant=True, fmt="table"),
        ],
        names={"namespace": "Namespace", "pod": "Pod", "container": "Container",
               c.value_column("A"): READY, c.value_column("B"): RESTARTS},
        columns=[
            c.column(READY, mappings=[c.mapping({1: ("Ready", "green"), 0: ("Not ready", "red")})]),
            c.column(RESTARTS, decimals=0, thresholds={"mode": "absolute", "steps": [
                {"color": "text", "value": None}, {"color": "orange", "value": 1}]}),
        ],
    )


def container_cpu_timeseries(cfg, scope: Scope = CONTAINERS) -> c.g.TimeSeries:
    return c.timeseries(
        "Container CPU",
        "CPU cores used per pod.",
        "suffix: cores",
        [c.target(q.container_cpu_cores(cfg, scope), "{{pod}}")],
        stack=True,
    )


def container_memory_timeseries(cfg, scope: Scope = CONTAINERS) -> c.g.TimeSeries:
    return c.timeseries(
        "Container memory",
        "Working-set memory per pod.",
        "bytes",
        [c.target(q.container_memory_bytes(cfg, scope), "{{pod}}")],
        stack=True,
    )
