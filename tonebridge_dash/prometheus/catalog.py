"""What a metric catalog entry says: the contract between a service's
instrumentation and the queries that read it.

The content keeps its own catalog (a module of ``Metric`` values); the
engine reads entries of it where it needs to know a metric's shape, for
example to generate synthetic traffic for it.
"""

from __future__ import annotations

from dataclasses import dataclass

COUNTER = "counter"
GAUGE = "gauge"
HISTOGRAM = "histogram"
SUMMARY = "summary"

SCRAPE = "scrape"  # the source of the series Prometheus makes itself for every target (``up``)


@dataclass(frozen=True)
class Metric:
    name: str
    type: str  # COUNTER, GAUGE, HISTOGRAM or SUMMARY
    unit: str
    labels: tuple[str, ...]  # set by the instrumentation; Prometheus adds job and instance
    help: str
    source: str  # what emits it: a service or exporter, the key of its job selector
    seed: str = ""  # where the spec names or asks for it
    buckets: tuple[float, ...] = ()  # histogram bucket upper bounds
    quantiles: tuple[float, ...] = ()  # summary objectives

    def series(self, suffix: str = "") -> str:
        """The name of one of its series: ``_bucket``, ``_sum``, ``_count``."""
        return self.name + suffix

    def series_names(self) -> set[str]:
        """Every series name it implies (histograms and summaries expand)."""
        if self.type == HISTOGRAM:
            return {self.name + "_bucket", self.name + "_sum", self.name + "_count"}
        if self.type == SUMMARY:
            return {self.name, self.name + "_sum", self.name + "_count"}
        return {self.name}
