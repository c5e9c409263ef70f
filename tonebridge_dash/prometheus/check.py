"""``tb-dash check``: run every dashboard query against a live Prometheus.

Each panel target (and each query variable) is turned into the PromQL
Grafana would send: built-in variables get ``Values``, filter variables
their current or default selection ("All" -> ``allValue``). The queries run
as instant queries, ``concurrency`` at a time, each with a timeout. A query
fails the check when Prometheus rejects it, returns no series, or reads a
metric name the server does not know; a result above the settings' series
budget, or one that is NaN everywhere, is a warning.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Iterable, Sequence

from ..durations import seconds
from ..errors import shown
from ..findings import ERROR, WARNING, CheckReport as Report, Finding
from ..progress import Progress
from ..threads import signals_to_main_thread
from . import promql
from .client import PrometheusClient, QueryAnswer

QUERY_ERROR = "query-error"
NO_DATA = "no-data"
UNKNOWN_METRIC = "unknown-metric"
OVER_BUDGET = "over-budget"
NAN_ONLY = "nan-only"
DATA_ENDS = "data-ends"
LOOKBACK_S = 300  # Prometheus' default lookback: an instant query sees samples this old

_HINTS = {
    QUERY_ERROR: "fix the PromQL; 'tb-dash validate' shows syntax errors without a server",
    NO_DATA: "check metric and label names, 'by (le)' for histogram_quantile, and that both sides of "
             "an operator keep the labels they are matched on",
    UNKNOWN_METRIC: "compare the name with what the exporter serves on /metrics (or the recording rules' names)",
    OVER_BUDGET: "aggregate (sum by ...) or filter the query, or raise check.series_budget",
    NAN_ONLY: "a ratio of two zero rates: guard the denominator or accept 'No data' when idle",
    DATA_ENDS: "is the exporter (or the demo) still scraped? to look at the data there is, check at the time given",
}


@dataclass(frozen=True)
class Planned:
    target: promql.Target
    query: str  # the PromQL sent to Prometheus
    metrics: tuple[str, ...]  # metric names it reads ((): could not parse locally)
    undefined: tuple[str, ...] = ()


def plan(rendered: Iterable, rate_interval: str = "1m", interval: str = "1m",
         range_: str | None = None, variables: bool = True) -> list[Planned]:
    """The queries ``check`` sends, in dashboard and panel order."""
    out = []
    for r in rendered:
        values = promql.Values.for_check(rate_interval, interval, range_ or promql.dashboard_range(r.data))
        known = promql.dashboard_variables(r.data)
        found = list(promql.targets(r.data, r.uid))
        if variables:
            found += list(promql.variable_targets(r.data, r.uid))
        for t in found:
            text = promql.variable_check_query(t.variable) if t.variable else t.expr
            s = promql.substitute(text, known, values)
            try:
                names = tuple(promql.metric_names(promql.parse(s.text)))
            except promql.PromQLSyntaxError:
                names = ()
            out.append(Planned(t, s.text, names, s.undefined))
    return out


def _findings(p: Planned, answer: QueryAnswer, known: set[str], budget: int) -> list[Finding]:
    t = p.target
    found: list[Finding] = []

    def add(severity: str, kind: str, message: str) -> None:
        found.append(Finding(severity, kind, t.dashboard, t.panel, message, _HINTS[kind], t.panel_id,
                             t.ref_id, p.query))

    undefined = f" (undefined variable(s): {', '.join('$' + u for u in p.undefined)})" if p.undefined else ""
    unknown = [n for n in p.metrics if n not in known]
    if unknown:
        recorded = " (recorded series: are the recording rules loaded? see tb-dash rules)" \
            if any(":" in n for n in unknown) else ""
        add(ERROR, UNKNOWN_METRIC, f"metric(s) unknown to the server: {', '.join(unknown)}{recorded}")
    if answer.error:
        add(ERROR, QUERY_ERROR, f"query error: {answer.error}{undefined}")
    elif answer.series == 0 and not unknown:  # an unknown metric is the reason: said once
        what = "no values" if t.variable else "no data"
        add(ERROR, NO_DATA, f"{what}: the query returned no series{undefined}")
    else:
        if answer.series > budget:
            add(WARNING, OVER_BUDGET, f"{answer.series} series, over the budget of {budget}")
        if answer.nan_only:
            add(WARNING, NAN_ONLY, "every value is NaN")
    return found


def run(rendered: Sequence, client: PrometheusClient, *, series_budget: int = 500, concurrency: int = 8,
        at: float | None = None, rate_interval: str = "1m", interval: str = "1m",
        range_: str | None = None, progress: Progress | None = None) -> Report:
    """Check every query of ``rendered``; ``progress(done, total)`` is called
    (from this thread) as answers come in."""
    started = time.perf_counter()
    planned = plan(rendered, rate_interval, interval, range_)
    known = client.metric_names()  # fails fast when the server is unreachable
    report = Report(queries=len(planned), at=at,
                    dashboards=[r.uid for r in rendered], titles={r.uid: r.title for r in rendered})
    report.panels = len({(p.target.dashboard, p.target.panel_id, p.target.panel) for p in planned
                         if p.target.variable is None})

    def one(p: Planned) -> list[Finding]:
        return _findings(p, client.instant(p.query, at), known, series_budget)

    with ThreadPoolExecutor(max_workers=max(1, concurrency), initializer=signals_to_main_thread) as pool:
        for done, found in enumerate(pool.map(one, planned), 1):  # map keeps the dashboards' order
            report.findings.extend(found)
            if progress is not None:
                progress(done, len(planned))
    _data_ends(report, planned, client, at, seconds(rate_interval))
    report.seconds = time.perf_counter() - started
    return report


def _data_ends(report: Report, planned: Sequence[Planned], client: PrometheusClient, at: float | None,
               window_s: float) -> None:
    """When the queries without data read metrics whose data ends before the
    window they ask about (a stopped exporter, a demo's history), say so
    once, with the ``--time`` to use: the queries that have data at that time
    are folded into that one finding; the others keep their own."""
    empty = [f for f in report.findings if f.rule == NO_DATA]
    if not empty:
        return
    by_key = {(p.target.dashboard, p.target.panel, p.target.ref_id): p for p in planned}
    metrics = sorted({m for f in empty for m in by_key[(f.dashboard, f.panel, f.ref_id)].metrics})[:5]
    when = time.time() if at is None else at
    ends = [t for t in (client.last_sample(m, when) for m in metrics) if t is not None]
    if not ends or max(ends) >= when - min(window_s / 2, LOOKBACK_S):
        return  # the data is current: each "no data" is the query's own
    end = max(ends)
    folded = [f for f in empty if client.instant(by_key[(f.dashboard, f.panel, f.ref_id)].query, end).series]
    if not folded:
        return
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(end))
    checked = "now" if at is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at))
    gone = {id(f) for f in folded}
    report.findings = [f for f in report.findings if id(f) not in gone]
    report.findings.insert(0, Finding(
        ERROR, DATA_ENDS, folded[0].dashboard, "(all panels)",
        f"the data ends at {stamp}, {_ago(when - end)} before the time checked ({checked}): "
        f"{len(folded)} queries have no data then but do at its end; run with --time {stamp}",
        _HINTS[DATA_ENDS]))


def _ago(seconds: float) -> str:
    return f"{seconds:.0f}s" if seconds < 120 else f"{seconds / 60:.0f} minutes" if seconds < 7200 \
        else f"{seconds / 3600:.1f} hours"


def format_text(report: Report) -> str:
    """Findings grouped by dashboard, then a summary line."""
    lines = []
    by_dashboard: dict[str, list[Finding]] = {}
    for f in report.findings:
        if f.rule == DATA_ENDS:  # about every dashboard: first, once
            lines += [f"{f.severity}: {f.message}", f"  hint: {f.hint}"]
        else:
            by_dashboard.setdefault(f.dashboard, []).append(f)
    for uid in report.dashboards:
        found = by_dashboard.get(uid, [])
        mark = "ok" if not found else f"{sum(f.severity == ERROR for f in found)} error(s), " \
                                      f"{sum(f.severity == WARNING for f in found)} warning(s)"
        lines.append(f"{uid}  {report.titles.get(uid, '')}: {mark}")
        for f in found:
            ref = f" [{f.ref_id}]" if f.ref_id else ""
            lines.append(f"  {f.severity:<7} {f.panel}{ref}: {f.message}")
            lines.append(f"          query: {' '.join(f.query.split())}")
            lines.append(f"          hint: {f.hint}")
    e, w = len(report.errors()), len(report.warnings())
    lines.append(f"checked {report.queries} queries of {report.panels} panels in {len(report.dashboards)} "
                 f"dashboards in {report.seconds:.2f}s: {e} error(s), {w} warning(s)")
    return "\n".join(map(shown, lines))  # a title from a file cannot forge a line or drive the terminal
