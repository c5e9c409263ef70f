"""Synthetic traffic, written as OpenMetrics text, from a traffic profile.

A ``Profile`` (content: the service's jobs, instances, label values and
rates) says what the traffic looks like; every metric of its catalog gets a
few hours of plausible samples: counters that only rise, histograms with
cumulative buckets up to ``+Inf`` and matching ``_sum`` and ``_count``,
summaries with their quantiles, gauges that wander around a level, and
``up`` for every target. What the profile leaves out gets a default by
metric type (a counter rising 1/s, a gauge at 1, observations spread
around the middle bucket), never an error. ``promtool tsdb
create-blocks-from openmetrics`` turns the text into TSDB blocks (see
``server``).

The output depends only on the arguments: the same profile, ``end``,
``duration``, ``step`` and ``seed`` give the same bytes.
"""

from __future__ import annotations

import itertools
import math
import random
import time as _time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Mapping, Sequence

from ..content import import_content
from ..errors import SettingsError
from .catalog import COUNTER, GAUGE, HISTOGRAM, SCRAPE, SUMMARY, Metric

Weights = Mapping[str, float]  # label value -> relative weight

DEFAULT_RATE = 1.0  # a counter's per-second rate per instance, when the profile names none
DEFAULT_LEVEL = 1.0  # a gauge's level
DEFAULT_OBSERVATIONS = 1.0  # histogram or summary observations per second per instance
DEFAULT_SIGMA = 1.0  # spread of a log-normal distribution the profile does not give
DEFAULT_LABEL_VALUES = 2  # values of a label the profile does not describe


@dataclass(frozen=True)
class Profile:
    """What a service's traffic looks like (the content's traffic profile)."""

    metrics: Sequence[Metric]
    jobs: Mapping[str, str] = field(default_factory=dict)  # metric source -> job name
    instances: Mapping[str, Sequence[str]] = field(default_factory=dict)  # job -> instances
    label_values: Mapping[str, Weights] = field(default_factory=dict)  # label -> values
    # metric -> label -> values, where a label means something else on that metric
    metric_label_values: Mapping[str, Mapping[str, Weights]] = field(default_factory=dict)
    # labels that only occur together -> their rows of values
    label_groups: Mapping[tuple[str, ...], Sequence[tuple[str, ...]]] = field(default_factory=dict)
    rates: Mapping[str, float] = field(default_factory=dict)  # counter -> per-second rate per instance
    levels: Mapping[str, float] = field(default_factory=dict)  # gauge -> level
    steady: frozenset[str] = frozenset()  # gauges that do not wander
    flat: frozenset[str] = frozenset()  # counters without the daily traffic shape
    distributions: Mapping[str, tuple[float, float]] = field(default_factory=dict)  # (median, sigma)
    observations: Mapping[str, float] = field(default_factory=dict)  # observations per second

    def job(self, source: str) -> str:
        return self.jobs.get(source, source)

    def instances_of(self, job: str) -> tuple[str, ...]:
        return tuple(self.instances.get(job) or (f"{job}-0:8080",))

    def all_jobs(self) -> tuple[str, ...]:
        """Every job of the profile: those with instances, then those its
        metrics' sources map to."""
        sources = (self.job(m.source) for m in self.metrics if m.source != SCRAPE)
        return tuple(dict.fromkeys([*self.instances, *self.jobs.values(), *sources]))

    def distribution(self, metric: Metric) -> tuple[float, float]:
        """(median, sigma) of its observations; without one, the middle
        bucket (or 1 of its unit)."""
        if metric.name in self.distributions:
            return self.distributions[metric.name]
        middle = metric.buckets[len(metric.buckets) // 2] if metric.buckets else 1.0
        return float(middle), DEFAULT_SIGMA

    def values(self, metric: Metric, label: str) -> Weights:
        return (self.metric_label_values.get(metric.name, {}).get(label) or self.label_values.get(label)
                or {f"{label}-{i}": 1.0 for i in range(1, DEFAULT_LABEL_VALUES + 1)})


def load_profile(module: str) -> Profile:
    """The ``PROFILE`` of a content module (``content.traffic`` in the settings)."""
    profile = getattr(import_content(module, "content.traffic"), "PROFILE", None)
    if not isinstance(profile, Profile):
        raise SettingsError(f"content.traffic: module '{module}' has no PROFILE (a synthetic.Profile)")
    return profile


@dataclass(frozen=True)
class Series:
    metric: Metric
    labels: tuple[tuple[str, str], ...]
    weight: float  # share of the metric's traffic on this series


def jobs_for(metric: Metric, profile: Profile) -> tuple[str, ...]:
    if metric.source == SCRAPE:  # ``up``: one per scraped target
        return profile.all_jobs()
    return (profile.job(metric.source),)


def _label_choices(metric: Metric, profile: Profile) -> list[list[tuple[tuple[tuple[str, str], ...], float]]]:
    """For each independent label (or group of labels that occur together),
    the list of (label pairs, weight) choices."""
    labels = list(metric.labels)
    choices = []
    for group, rows in profile.label_groups.items():
        if all(label in labels for label in group):
            choices.append([(tuple(zip(group, row)), 1.0 / len(rows)) for row in rows])
            labels = [label for label in labels if label not in group]
    for label in labels:
        values = profile.values(metric, label)
        total = sum(values.values())
        choices.append([(((label, v),), w / total) for v, w in values.items()])
    return choices


def series_of(metric: Metric, profile: Profile) -> list[Series]:
    out = []
    for job in jobs_for(metric, profile):
        for instance in profile.instances_of(job):
            base = (("instance", instance), ("job", job))
            for combo in itertools.product(*_label_choices(metric, profile)):
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


def _counter_lines(metric: Metric, s: Series, rate: float, w: Window, rng: random.Random,
                   flat: bool = False) -> Iterator[str]:
    name, labels = metric.name, _fmt_labels(s.labels)
    value = rng.uniform(1000, 5000) * rate * s.weight  # counters started before the window
    integer = metric.unit not in _CONTINUOUS_UNITS  # events are counted whole
    # A flat counter (CPU seconds per mode add up to one per second) ignores the traffic's shape.
    daily = _daily if not flat else (lambda t: 1.0)
    for t in w.times():
        value += rate * s.weight * w.step * daily(t) * rng.uniform(0.8, 1.2)
        yield f"{name}{labels} {_fmt(math.floor(value) if integer else round(value, 6))} {t}\n"


def _gauge_lines(name: str, s: Series, level: float, w: Window, rng: random.Random,
                 steady: bool = False) -> Iterator[str]:
    labels = _fmt_labels(s.labels)
    value = level
    for t in w.times():
        if not steady:
            value = level * (0.85 + 0.3 * rng.random()) * (_daily(t) if level < 1e6 else 1)
        yield f"{name}{labels} {_fmt(round(value, 3))} {t}\n"


def _histogram_lines(metric: Metric, s: Series, w: Window, rng: random.Random, profile: Profile) -> Iterator[str]:
    median, sigma = profile.distribution(metric)
    median *= rng.uniform(0.7, 1.4)  # each endpoint has its own speed
    bounds = [*metric.buckets, math.inf]
    shares = [_lognormal_cdf(b, median, sigma) for b in bounds]
    mean = median * math.exp(sigma**2 / 2)
    rate = profile.observations.get(metric.name, DEFAULT_OBSERVATIONS) * s.weight
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


def _summary_lines(metric: Metric, s: Series, w: Window, rng: random.Random, profile: Profile) -> Iterator[str]:
    median, sigma = profile.distribution(metric)
    median *= rng.uniform(0.7, 1.4)
    for q in metric.quantiles:
        labels = _fmt_labels(sorted(s.labels + (("quantile", _fmt(q)),)))
        base = _lognormal_quantile(q, median, sigma)
        for t in w.times():
            yield f"{metric.name}{labels} {round(base * rng.uniform(0.9, 1.1), 3)} {t}\n"
    rate = profile.observations.get(metric.name, DEFAULT_OBSERVATIONS) * s.weight
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


def _family(metric: Metric) -> tuple[str, str]:
    """OpenMetrics family name and type. A counter's samples must end in
    ``_total``; the catalog's counters that do not are written as ``unknown``."""
    if metric.type == COUNTER:
        if metric.name.endswith("_total"):
            return metric.name[: -len("_total")], "counter"
        return metric.name, "unknown"
    return metric.name, metric.type


def metric_lines(metric: Metric, w: Window, rng: random.Random, profile: Profile) -> Iterator[str]:
    family, kind = _family(metric)
    yield f"# TYPE {family} {kind}\n"
    yield f"# HELP {family} {_escape(metric.help)}\n"
    name = metric.name
    for s in series_of(metric, profile):
        if metric.type == COUNTER:
            yield from _counter_lines(metric, s, profile.rates.get(name, DEFAULT_RATE), w, rng, name in profile.flat)
        elif metric.type == GAUGE:
            yield from _gauge_lines(name, s, profile.levels.get(name, DEFAULT_LEVEL), w, rng, name in profile.steady)
        elif metric.type == HISTOGRAM:
            yield from _histogram_lines(metric, s, w, rng, profile)
        elif metric.type == SUMMARY:
            yield from _summary_lines(metric, s, w, rng, profile)


def generate(w: Window, profile: Profile, seed: int = 0) -> Iterator[str]:
    """OpenMetrics text, line by line, ending with ``# EOF``."""
    rng = random.Random(seed)
    for metric in sorted(profile.metrics, key=lambda x: x.name):
        yield from metric_lines(metric, w, rng, profile)
    yield "# EOF\n"


def write(path: Path, w: Window, profile: Profile, seed: int = 0) -> int:
    """Write the OpenMetrics file; returns the number of samples."""
    samples = 0
    with open(path, "w", encoding="utf-8") as f:
        buffer = []
        for line in generate(w, profile, seed):
            if not line.startswith("#"):
                samples += 1
            buffer.append(line)
            if len(buffer) >= 10000:
                f.writelines(buffer)
                buffer.clear()
        f.writelines(buffer)
    return samples
