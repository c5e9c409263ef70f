"""Where a query runs and which series its selectors pick: the ``Scope``
(dashboard filters or a rule file's fixed window), the source each metric
comes from (the settings' ``sources`` over the catalog's), and that
source's label matchers (the settings' ``selectors``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Iterable

from . import metrics as m
from .metrics import Metric

RATE_INTERVAL = "$__rate_interval"


@dataclass(frozen=True)
class Scope:
    """Where a query runs: the rate window, the label matchers its selectors
    get (each only on a metric that has the label: ``endpoint=~".+"``, the
    "All" of a filter, matches no series of a metric without an
    ``endpoint`` label), and on a dashboard the job and instance filters.

    ``main``: the metric whose source the dashboard's ``$job`` and
    ``$instance`` filter (their values are its jobs and instances). A
    metric from another source filters on that source's own pair,
    ``$<source>_job`` and ``$<source>_instance`` (the dashboard adds them:
    ``source_filters``), so a choice of ``$job`` never blanks it. Sources
    are the settings' (``sources``), so a metric that moves takes its
    filters along. None (rule files, the container panels): no such filters."""

    window: str = RATE_INTERVAL
    matchers: tuple[str, ...] = ()
    main: Metric | None = None

    def for_metric(self, cfg, metric: Metric) -> tuple[str, ...]:
        """The scope's matchers for a selector of ``metric``."""
        labels = {*metric.labels, "job", "instance"}
        kept = tuple(x for x in self.matchers if re.split(r"\s*[=!]", x, maxsplit=1)[0].strip() in labels)
        if self.main is None:
            return kept
        source = source_of(cfg, metric)
        prefix = "" if source == source_of(cfg, self.main) else f"{source}_"
        return (f'job=~"${prefix}job"', f'instance=~"${prefix}instance"', *kept)

    def plus(self, *matchers: str) -> "Scope":
        return replace(self, matchers=self.matchers + tuple(matchers))


# On dashboards: the job and instance filter variables (Grafana's template
# variables named by grafana/dashboard-linter's conventions) of the source
# the dashboard is about; other sources get their own pair.
SERVICE = Scope(main=m.REQUESTS)
ENDPOINT = SERVICE.plus('endpoint=~"$endpoint"')
NODE = Scope(main=m.NODE_CPU)
CONTAINERS = Scope(matchers=('namespace=~"$namespace"',))


def source_of(cfg, metric: Metric) -> str:
    """The source that emits ``metric``: the settings' ``sources``, else the catalog's."""
    return cfg.sources.get(metric.name, metric.source)


# A selector filtered on a source's own pair: the series name and the source
# (quoted values, the settings' selectors among them, may hold braces).
_OWN_FILTER = re.compile(r'([a-zA-Z_:][a-zA-Z0-9_:]*)\{(?:"(?:[^"\\]|\\.)*"|[^{}"])*?job=~"\$(\w+)_job"')


def source_filters(cfg, exprs: Iterable[str]) -> dict[str, Metric]:
    """The sources whose own filters (``$<source>_job``, ``$<source>_instance``)
    ``exprs`` use, each with the first metric of the catalog they read from
    it: a dashboard's variables for that source list its values."""
    read: dict[str, set[str]] = {}
    for expr in exprs:
        for series, source in _OWN_FILTER.findall(expr):
            read.setdefault(source, set()).add(series)
    out = {}
    for source, series in read.items():
        out[source] = next(x for x in m.CATALOG if source_of(cfg, x) == source and x.series_names() & series)
    return out


def rule_scope(window: str = "5m", *matchers: str) -> Scope:
    """A scope for rule files: a fixed window and no Grafana variables."""
    return Scope(window=window, matchers=tuple(matchers))


def configured(cfg, name: str) -> tuple[str, ...]:
    """The label matchers of ``selectors.<name>`` in the settings (none when empty)."""
    matchers = cfg.selectors.get(name, "").strip()
    return (matchers,) if matchers else ()


def source_matchers(cfg, metric: Metric) -> tuple[str, ...]:
    """The settings' label matchers for what emits ``metric`` (``selectors.<source>``)."""
    return configured(cfg, source_of(cfg, metric))


def selector(cfg, metric: Metric, scope: Scope, *extra: str, suffix: str = "") -> str:
    """``metric{matchers}``: its source's selector from the settings, the
    scope's matchers, then ``extra``."""
    matchers = [*source_matchers(cfg, metric), *scope.for_metric(cfg, metric), *extra]
    name = metric.series(suffix)
    return f"{name}{{{', '.join(matchers)}}}" if matchers else name
