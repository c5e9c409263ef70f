"""Synthetic ToneBridge traffic, written as OpenMetrics text.

Every metric of the catalog (``panels/metrics.py``) gets a few hours of
plausible samples: counters that only rise, histograms with cumulative
buckets up to ``+Inf`` and matching ``_sum`` and ``_count``, summaries with
their quantiles, gauges that wander around a level, and ``up`` for every
target. About 1% of requests are 5xx. ``promtool tsdb create-blocks-from
openmetrics`` turns the text into TSDB blocks (see ``promserver``).

The output depends only on the arguments: the same ``end``, ``duration``,
``step`` and ``seed`` give the same bytes.
"""

from __future__ import annotations

import itertools
import math
import random
import time as _time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from panels import metrics as m

# --- the targets Prometheus would scrape -----------------------------------
GATEWAY = "tonebridge-gateway"
LLM = "tonebridge-llm"
NODE = "node"
POSTGRESQL = "postgresql"
KSM = "kube-state-metrics"
CADVISOR = "cadvisor"

INSTANCES: dict[str, tuple[str, ...]] = {
    GATEWAY: ("gateway-0:8080", "gateway-1:8080"),
    LLM: ("llm-0:8000", "llm-1:8000"),
    NODE: ("node-1:9100", "node-2:9100"),
    POSTGRESQL: ("postgres-exporter:9187",),
    KSM: ("kube-state-metrics:8080",),
    CADVISOR: ("node-1:10250", "node-2:10250"),
}

# Which job emits each metric (the catalog's ``source`` decides the rest).
_TONEBRIDGE_JOB = {
    m.TRANSFORMATIONS.name: LLM,
    m.TRANSFORMATION_LATENCY.name: LLM,
    m.TEXT_LENGTH.name: LLM,
    m.LLM_TOKENS.name: LLM,
    m.LLM_COST.name: LLM,
}
_SOURCE_JOB = {m.NODE_EXPORTER: NODE, m.CADVISOR: CADVISOR, m.KUBE_STATE_METRICS: KSM}

# Label values, and their relative weights where the mix matters.
LABEL_VALUES: dict[str, dict[str, float]] = {
    "method": {"POST": 0.7, "GET": 0.3},
    "endpoint": {"/api/v1/transform": 0.6, "/api/v1/history": 0.2, "/api/v1/users/me": 0.15, "/healthz": 0.05},
    # 5xx add up to 1% of requests.
    "status": {"200": 0.955, "400": 0.025, "401": 0.007, "403": 0.003, "500": 0.007, "503": 0.003},
    "transformation_type": {"polite": 0.4, "casual": 0.25, "formal": 0.2, "concise": 0.15},
    "model": {"gpt-4o-mini": 0.5, "gpt-4": 0.35, "llama-3-8b": 0.15},  # gpt-4: the spec's example
    "user_id": {f"u{i:03d}": 1.0 for i in range(1, 21)},
    "cache": {"response": 0.6, "prompt": 0.4},
    "result": {"hit": 0.85, "miss": 0.15},
    "kind": {"prompt": 0.6, "completion": 0.4},
    "table": {"users": 0.2, "transformations": 0.6, "sessions": 0.2},
    "operation": {"select": 0.8, "insert": 0.15, "update": 0.05},
    "cpu": {str(i): 1.0 for i in range(4)},
    "mode": {"idle": 0.7, "user": 0.2, "system": 0.08, "iowait": 0.02},
    "device": {"nvme0n1": 0.8, "sda": 0.2},
}
# Per-metric label values where a label means something else there.
_METRIC_LABEL_VALUES = {
    m.NODE_NET_RX.name: {"device": {"eth0": 0.95, "lo": 0.05}},
    m.NODE_NET_TX.name: {"device": {"eth0": 0.95, "lo": 0.05}},
    m.TRANSFORMATIONS.name: {"status": {"success": 0.985, "error": 0.015}},
    m.LOGIN_ATTEMPTS_FAILED.name: {"method": {"password": 0.8, "token": 0.2}},
}
# Labels that only occur together.
FILESYSTEMS = (("/dev/nvme0n1p1", "ext4", "/"), ("/dev/nvme0n1p2", "ext4", "/var/lib"),
               ("tmpfs", "tmpfs", "/run"))
CONTAINERS = (("tonebridge", "gateway-7d9f-abcde", "gateway"), ("tonebridge", "gateway-7d9f-fghij", "gateway"),
              ("tonebridge", "llm-5c6b-klmno", "llm"), ("tonebridge", "llm-5c6b-pqrst", "llm"),
              ("tonebridge", "postgresql-0", "postgresql"), ("monitoring", "prometheus-0", "prometheus"),
              # cAdvisor's pod-level series carry container="".
              ("tonebridge", "gateway-7d9f-abcde", ""))
_GROUPS = {("device", "fstype", "mountpoint"): FILESYSTEMS, ("namespace", "pod", "container"): CONTAINERS}

# Per-second rate of each counter for one instance, before label weights
# (node_cpu: 4 CPUs, each spending every second in some mode).
_RATES = {
    m.REQUESTS.name: 40.0, m.TRANSFORMATIONS.name: 12.0, m.CACHE_REQUESTS.name: 30.0,
    m.LLM_TOKENS.name: 4000.0, m.LLM_COST.name: 0.02, m.USER_ACTIVITY.name: 3.0,
    m.LOGIN_ATTEMPTS_FAILED.name: 0.05, m.DATABASE_QUERIES.name: 60.0,
    m.NODE_CPU.name: 4.0, m.NODE_DISK_READ.name: 2e6, m.NODE_DISK_WRITTEN.name: 5e6,
    m.NODE_NET_RX.name: 8e6, m.NODE_NET_TX.name: 6e6,
    m.CONTAINER_CPU.name: 0.4, m.CONTAINER_RESTARTS.name: 0.0002,
}
# Level of each gauge.
_LEVELS = {
    m.ACTIVE_CONNECTIONS.name: 120.0, m.NODE_MEM_TOTAL.name: 16 * 2**30, m.NODE_MEM_AVAILABLE.name: 6 * 2**30,
    m.NODE_FS_SIZE.name: 200 * 2**30, m.NODE_FS_AVAIL.name: 90 * 2**30,
    m.CONTAINER_MEMORY.name: 300 * 2**20, m.CONTAINER_READY.name: 1.0, m.UP.name: 1.0,
}
_STEADY = {m.NODE_MEM_TOTAL.name, m.NODE_FS_SIZE.name, m.CONTAINER_READY.name, m.UP.name}

# Log-normal observation distributions: (median, sigma) per histogram/summary.
_DISTRIBUTIONS = {
    m.REQUEST_DURATION.name: (0.12, 0.9),
    m.TEXT_LENGTH.name: (400.0, 0.8),
    m.TRANSFORMATION_LATENCY.name: (850.0, 0.5),
}
_OBSERVATIONS = {m.REQUEST_DURATION.name: 40.0, m.TEXT_LENGTH.name: 12.0, m.TRANSFORMATION_LATENCY.name: 12.0}


@dataclass(frozen=True)
class Series:
    metric: m.Metric
    labels: tuple[tuple[str, str], ...]
    weight: float  # share of the metric's traffic on this series


def jobs_for(metric: m.Metric) -> tuple[str, ...]:
    if metric.source == m.PROMETHEUS:
        return tuple(INSTANCES)
    if metric.source == m.TONEBRIDGE:
        return (_TONEBRIDGE_JOB.get(metric.name, GATEWAY),)
    return (_SOURCE_JOB[metric.source],)


def _label_choices(metric: m.Metric) -> list[list[tuple[tuple[tuple[str, str], ...], float]]]:
    """For each independent label (or group of labels that occur together),
    the list of (label pairs, weight) choices."""
    labels = list(metric.labels)
    choices = []
    for group, rows in _GROUPS.items():
        if all(label in labels for label in group):
            choices.append([(tuple(zip(group, row)), 1.0 / len(rows)) for row in rows])
            labels = [label for label in labels if label not in group]
    overrides = _METRIC_LABEL_VALUES.get(metric.name, {})
    for label in labels:
        values = overrides.get(label) or LABEL_VALUES[label]
        total = sum(values.values())
        choices.append([(((label, v),), w / total) for v, w in values.items()])
    return choices


def series_of(metric: m.Metric) -> list[Series]:
    out = []
    for job in jobs_for(metric):
        for instance in INSTANCES[job]:
            base = (("instance", instance), ("job", job))
            for combo in itertools.product(*_label_choices(metric)):
                pairs = base + tuple(p for pairs, _ in combo for p in pairs)
                weight = math.prod(w for _, w in combo)
                out.append(Series(metric, tuple(sorted(pairs)), weight))
    return out


def _fmt_labels(pairs: Iterable[tuple[str, str]]) -> str:
    body = ",".join(f'{k}="{_escape(v)}"' for k, v in pairs)
    return "{" + body + "}" if body else ""


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _fmt(value: float) -> str:
    if value == math.inf:
        return "+Inf"
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


def _normal_cdf(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def _lognormal_cdf(x: float, median: float, sigma: float) -> float:
    if x == math.inf:
        return 1.0
    return _normal_cdf(math.log(x / median) / sigma) if x > 0 else 0.0


def _lognormal_quantile(q: float, median: float, sigma: float) -> float:
    # Inverse of the normal CDF by bisection: precise enough, no scipy.
    lo, hi = -8.0, 8.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if _normal_cdf(mid) < q else (lo, mid)
    return median * math.exp(sigma * (lo + hi) / 2)


def _daily(t: float) -> float:
    """Traffic shape over the day: busier in the (UTC) afternoon."""
    return 1.0 + 0.35 * math.sin((t % 86400) / 86400 * 2 * math.pi - math.pi / 2)


@dataclass(frozen=True)
class Window:
    start: int  # unix seconds of the first sample
    end: int  # unix seconds of the last sample
    step: int

    def times(self) -> range:
        return range(self.start, self.end + 1, self.step)


def window(end: float | None = None, duration: int = 3 * 3600, step: int = 30) -> Window:
    """Sample times ending at ``end`` (default: now) rounded down to ``step``."""
    end_s = int(_time.time() if end is None else end) // step * step
    return Window(end_s - duration // step * step, end_s, step)


_CONTINUOUS_UNITS = {"seconds", "bytes", "USD"}


def _counter_lines(metric: m.Metric, s: Series, rate: float, w: Window, rng: random.Random) -> Iterator[str]:
    name, labels = metric.name, _fmt_labels(s.labels)
    value = rng.uniform(1000, 5000) * rate * s.weight  # counters started before the window
    integer = metric.unit not in _CONTINUOUS_UNITS  # events are counted whole
    # CPU seconds per mode add up to one per second whatever the traffic.
    daily = _daily if metric.name != m.NODE_CPU.name else (lambda t: 1.0)
    for t in w.times():
        value += rate * s.weight * w.step * daily(t) * rng.uniform(0.8, 1.2)
        yield f"{name}{labels} {_fmt(math.floor(value) if integer else round(value, 6))} {t}\n"


def _gauge_lines(name: str, s: Series, level: float, w: Window, rng: random.Random) -> Iterator[str]:
    labels = _fmt_labels(s.labels)
    steady = name in _STEADY
    value = level
    for t in w.times():
        if not steady:
            value = level * (0.85 + 0.3 * rng.random()) * (_daily(t) if level < 1e6 else 1)
        yield f"{name}{labels} {_fmt(round(value, 3))} {t}\n"


def _histogram_lines(metric: m.Metric, s: Series, w: Window, rng: random.Random) -> Iterator[str]:
    median, sigma = _DISTRIBUTIONS[metric.name]
    median *= rng.uniform(0.7, 1.4)  # each endpoint has its own speed
    bounds = [*metric.buckets, math.inf]
    shares = [_lognormal_cdf(b, median, sigma) for b in bounds]
    mean = median * math.exp(sigma**2 / 2)
    rate = _OBSERVATIONS[metric.name] * s.weight
    count = rng.uniform(1000, 5000) * rate
    counts, total = [], []
    for t in w.times():
        count += rate * w.step * _daily(t) * rng.uniform(0.8, 1.2)
        counts.append(count)
        total.append(count * mean)
    times = list(w.times())
    for b, share in zip(bounds, shares):
        labels = _fmt_labels(sorted(s.labels + (("le", _fmt(b) if b != math.inf else "+Inf"),)))
        for t, c in zip(times, counts):
            yield f"{metric.name}_bucket{labels} {math.floor(c * share)} {t}\n"
    labels = _fmt_labels(s.labels)
    for t, c in zip(times, counts):
        yield f"{metric.name}_count{labels} {math.floor(c)} {t}\n"
    for t, v in zip(times, total):
        yield f"{metric.name}_sum{labels} {round(v, 3)} {t}\n"


def _summary_lines(metric: m.Metric, s: Series, w: Window, rng: random.Random) -> Iterator[str]:
    median, sigma = _DISTRIBUTIONS[metric.name]
    median *= rng.uniform(0.7, 1.4)
    for q in metric.quantiles:
        labels = _fmt_labels(sorted(s.labels + (("quantile", _fmt(q)),)))
        base = _lognormal_quantile(q, median, sigma)
        for t in w.times():
            yield f"{metric.name}{labels} {round(base * rng.uniform(0.9, 1.1), 3)} {t}\n"
    rate = _OBSERVATIONS[metric.name] * s.weight
    count = rng.uniform(1000, 5000) * rate
    mean = median * math.exp(sigma**2 / 2)
    labels = _fmt_labels(s.labels)
    counts = []
    for t in w.times():
        count += rate * w.step * rng.uniform(0.8, 1.2)
        counts.append(count)
    for t, c in zip(w.times(), counts):
        yield f"{metric.name}_count{labels} {math.floor(c)} {t}\n"
    for t, c in zip(w.times(), counts):
        yield f"{metric.name}_sum{labels} {round(c * mean, 3)} {t}\n"


def _family(metric: m.Metric) -> tuple[str, str]:
    """OpenMetrics family name and type. A counter's samples must end in
    ``_total``; the catalog's counters that do not are written as ``unknown``."""
    if metric.type == m.COUNTER:
        if metric.name.endswith("_total"):
            return metric.name[: -len("_total")], "counter"
        return metric.name, "unknown"
    return metric.name, metric.type


def metric_lines(metric: m.Metric, w: Window, rng: random.Random) -> Iterator[str]:
    family, kind = _family(metric)
    yield f"# TYPE {family} {kind}\n"
    yield f"# HELP {family} {_escape(metric.help)}\n"
    for s in series_of(metric):
        if metric.type == m.COUNTER:
            yield from _counter_lines(metric, s, _RATES[metric.name], w, rng)
        elif metric.type == m.GAUGE:
            yield from _gauge_lines(metric.name, s, _LEVELS[metric.name], w, rng)
        elif metric.type == m.HISTOGRAM:
            yield from _histogram_lines(metric, s, w, rng)
        elif metric.type == m.SUMMARY:
            yield from _summary_lines(metric, s, w, rng)


def generate(w: Window, seed: int = 0, catalog: Sequence[m.Metric] = m.CATALOG) -> Iterator[str]:
    """OpenMetrics text, line by line, ending with ``# EOF``."""
    rng = random.Random(seed)
    for metric in sorted(catalog, key=lambda x: x.name):
        yield from metric_lines(metric, w, rng)
    yield "# EOF\n"


def write(path: Path, w: Window, seed: int = 0) -> int:
    """Write the OpenMetrics file; returns the number of samples."""
    samples = 0
    with open(path, "w", encoding="utf-8") as f:
        buffer = []
        for line in generate(w, seed):
            if not line.startswith("#"):
                samples += 1
            buffer.append(line)
            if len(buffer) >= 10000:
                f.writelines(buffer)
                buffer.clear()
        f.writelines(buffer)
    return samples
