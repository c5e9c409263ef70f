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

An ``exact`` profile has figures that are known to the last digit, for
tests that compare what a panel shows with the truth: no jitter and no
daily shape, counters rising at exactly their rate times their share,
gauges at their level, histograms with exactly ``bucket_shares`` of their
observations at or below each bucket bound (spread evenly within a bucket,
so their sum is exact too), summaries at the exact quantiles of their
distribution.
"""

from __future__ import annotations

import itertools
import math
import random
import time as _time
from dataclasses import dataclass, field, replace
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
    # histogram -> bucket bound -> cumulative share of observations at or below it
    bucket_shares: Mapping[str, Mapping[float, float]] = field(default_factory=dict)
    exact: bool = False  # figures known exactly: no jitter, no daily shape (see the module's docstring)

    def job(self, source: str) -> str:
        return self.jobs.get(source, source)

    def moved(self, sources: Mapping[str, str]) -> "Profile":
        """The traffic with each metric ``sources`` names emitted by that
        source (the settings' ``sources``: metric -> source), in its job."""
        if all(sources.get(m.name, m.source) == m.source for m in self.metrics):
            return self
        return replace(self, metrics=tuple(replace(m, source=sources.get(m.name, m.source)) for m in self.metrics))

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

    def shares(self, metric: Metric) -> list[float]:
        """Cumulative share of observations at or below each bucket bound, ``+Inf`` last."""
        given = self.bucket_shares.get(metric.name)
        if given is not None:
            return [*(float(given.get(b, 0.0)) for b in metric.buckets), 1.0]
        median, sigma = self.distribution(metric)
        return [*(_lognormal_cdf(b, median, sigma) for b in metric.buckets), 1.0]

    def mean(self, metric: Metric) -> float:
        """Mean observation: of the buckets (even within each) when shares are
        given, else of the log-normal distribution."""
        if metric.name in self.bucket_shares:
            bounds, shares = [0.0, *metric.buckets], [0.0, *self.shares(metric)[:-1]]
            return sum((shares[i + 1] - shares[i]) * (bounds[i] + bounds[i + 1]) / 2 for i in range(len(bounds) - 1))
        median, sigma = self.distribution(metric)
        return median * math.exp(sigma**2 / 2)

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


class _Noise:
    """Jitter and the daily shape, or neither for an exact profile."""

    def __init__(self, rng: random.Random, exact: bool):
        self.rng, self.exact = rng, exact

    def factor(self, lo: float, hi: float) -> float:
        """A random factor in [lo, hi]; 1 when exact."""
        return 1.0 if self.exact else self.rng.uniform(lo, hi)

    def start(self, per_second: float) -> float:
        """A counter's value before the window (0 when exact)."""
        return 0.0 if self.exact else self.rng.uniform(1000, 5000) * per_second

    def daily(self, t: float) -> float:
        return 1.0 if self.exact else _daily(t)


def _counter_lines(metric: Metric, s: Series, rate: float, w: Window, noise: _Noise,
                   flat: bool = False) -> Iterator[str]:
    name, labels = metric.name, _fmt_labels(s.labels)
    value = noise.start(rate * s.weight)  # counters started before the window
    # Events are counted whole (an exact profile keeps the exact fractions).
    integer = metric.unit not in _CONTINUOUS_UNITS and not noise.exact
    # A flat counter (CPU seconds per mode add up to one per second) ignores the traffic's shape.
    daily = noise.daily if not flat else (lambda t: 1.0)
    for t in w.times():
        value += rate * s.weight * w.step * daily(t) * noise.factor(0.8, 1.2)
        yield f"{name}{labels} {_fmt(math.floor(value) if integer else round(value, 6))} {t}\n"


def _gauge_lines(name: str, s: Series, level: float, w: Window, noise: _Noise,
                 steady: bool = False) -> Iterator[str]:
    labels = _fmt_labels(s.labels)
    value = level
    for t in w.times():
        if not steady and not noise.exact:
            value = level * noise.factor(0.85, 1.15) * (noise.daily(t) if level < 1e6 else 1)
        yield f"{name}{labels} {_fmt(round(value, 3))} {t}\n"


def _histogram_lines(metric: Metric, s: Series, w: Window, noise: _Noise, profile: Profile) -> Iterator[str]:
    speed = noise.factor(0.7, 1.4)  # each endpoint has its own speed
    bounds = [*metric.buckets, math.inf]
    if metric.name in profile.bucket_shares or speed == 1.0:
        shares, mean = profile.shares(metric), profile.mean(metric)
    else:
        median, sigma = profile.distribution(metric)
        shares = [_lognormal_cdf(b, median * speed, sigma) for b in bounds]
        mean = median * speed * math.exp(sigma**2 / 2)
    rate = profile.observations.get(metric.name, DEFAULT_OBSERVATIONS) * s.weight
    count = noise.start(rate)
    counts, total = [], []
    for t in w.times():
        count += rate * w.step * noise.daily(t) * noise.factor(0.8, 1.2)
        counts.append(count)
        total.append(count * mean)
    times = list(w.times())
    whole = math.floor if not noise.exact else (lambda c: round(c, 6))
    for b, share in zip(bounds, shares):
        labels = _fmt_labels(sorted(s.labels + (("le", _fmt(b) if b != math.inf else "+Inf"),)))
        for t, c in zip(times, counts):
            yield f"{metric.name}_bucket{labels} {_fmt(whole(c * share))} {t}\n"
    labels = _fmt_labels(s.labels)
    for t, c in zip(times, counts):
        yield f"{metric.name}_count{labels} {_fmt(whole(c))} {t}\n"
    for t, v in zip(times, total):
        yield f"{metric.name}_sum{labels} {_fmt(round(v, 6))} {t}\n"


def _summary_lines(metric: Metric, s: Series, w: Window, noise: _Noise, profile: Profile) -> Iterator[str]:
    median, sigma = profile.distribution(metric)
    median *= noise.factor(0.7, 1.4)
    for q in metric.quantiles:
        labels = _fmt_labels(sorted(s.labels + (("quantile", _fmt(q)),)))
        base = _lognormal_quantile(q, median, sigma)
        for t in w.times():
            yield f"{metric.name}{labels} {_fmt(round(base * noise.factor(0.9, 1.1), 6))} {t}\n"
    rate = profile.observations.get(metric.name, DEFAULT_OBSERVATIONS) * s.weight
    count = noise.start(rate)
    mean = median * math.exp(sigma**2 / 2)
    labels = _fmt_labels(s.labels)
    counts = []
    whole = math.floor if not noise.exact else (lambda c: round(c, 6))
    for t in w.times():
        count += rate * w.step * noise.factor(0.8, 1.2)
        counts.append(count)
    for t, c in zip(w.times(), counts):
        yield f"{metric.name}_count{labels} {_fmt(whole(c))} {t}\n"
    for t, c in zip(w.times(), counts):
        yield f"{metric.name}_sum{labels} {_fmt(round(c * mean, 6))} {t}\n"


def _family(metric: Metric) -> tuple[str, str]:
    """OpenMetrics family name and type. A counter's samples must end in
    ``_total``; the catalog's counters that do not are written as ``unknown``."""
    if metric.type == COUNTER:
        if metric.name.endswith("_total"):
            return metric.name[: -len("_total")], "counter"
        return metric.name, "unknown"
    return metric.name, metric.type


def metric_lines(metric: Metric, w: Window, rng: random.Random, profile: Profile) -> Iterator[str]:
    noise = _Noise(rng, profile.exact)
    family, kind = _family(metric)
    yield f"# TYPE {family} {kind}\n"
    yield f"# HELP {family} {_escape(metric.help)}\n"
    name = metric.name
    for s in series_of(metric, profile):
        if metric.type == COUNTER:
            yield from _counter_lines(metric, s, profile.rates.get(name, DEFAULT_RATE), w, noise, name in profile.flat)
        elif metric.type == GAUGE:
            yield from _gauge_lines(name, s, profile.levels.get(name, DEFAULT_LEVEL), w, noise, name in profile.steady)
        elif metric.type == HISTOGRAM:
            yield from _histogram_lines(metric, s, w, noise, profile)
        elif metric.type == SUMMARY:
            yield from _summary_lines(metric, s, w, noise, profile)


def generate(w: Window, profile: Profile, seed: int = 0) -> Iterator[str]:
    """OpenMetrics text, line by line, ending with ``# EOF``."""
    rng = random.Random(seed)
    for metric in sorted(profile.metrics, key=lambda x: x.name):
        yield from metric_lines(metric, w, rng, profile)
    yield "# EOF\n"


def write(path: Path, w: Window, profile: Profile, seed: int = 0, watch=None) -> int:
    """Write the OpenMetrics file; returns the number of samples. ``watch``
    (a callable) sees every line (``exporter.Continuation.line``)."""
    samples = 0
    with open(path, "w", encoding="utf-8") as f:
        buffer = []
        for line in generate(w, profile, seed):
            if watch is not None:
                watch(line)
            if not line.startswith("#"):
                samples += 1
            buffer.append(line)
            if len(buffer) >= 10000:
                f.writelines(buffer)
                buffer.clear()
        f.writelines(buffer)
    return samples
