"""The log panels (spec §2.2, §8.1, §10.2): Grafana's Elasticsearch
datasource over the indexes Fluentd writes (the settings' ``logs``).

Each panel reads one query of ``panels.log_queries``; every panel that shows
log lines links each line's ``trace_id`` to its trace in the Jaeger
datasource (``traces.datasource``, §5).
"""

from __future__ import annotations

from typing import Sequence

from grafanalib import core as g

from tonebridge_dash.kit import elastic

from . import log_fields as f
from . import log_queries as q

ELASTICSEARCH_VARIABLE = "elasticsearch_datasource"  # the log dashboards' datasource variable
DATASOURCE = elastic.datasource_ref("${" + ELASTICSEARCH_VARIABLE + "}")
LINES_LIMIT = 1000  # log lines a panel shows (Grafana Explore's default)
TRAIL_LIMIT = 5000  # one user's lines over 24 hours: the whole trail, newest first
TERMS_SIZE = 50  # buckets of a terms aggregation: every path, service or error type of a deployment


def target(cfg, query: str, metrics, buckets=(), *, ref_id: str = "A", alias: str = "") -> dict:
    return elastic.target(query, metrics, buckets, datasource=DATASOURCE, time_field=cfg.logs.time_field,
                          ref_id=ref_id, alias=alias)


def over_time(cfg) -> elastic.Bucket:
    return elastic.date_histogram(cfg.logs.time_field)


def trace_link(cfg) -> dict:
    """A field override: the ``trace_id`` of a line opens that trace in Jaeger."""
    jaeger = cfg.traces.datasource
    return {"matcher": {"id": "byName", "options": f.TRACE_ID.name}, "properties": [{"id": "links", "value": [{
        "title": "Open the trace in Jaeger", "url": "",
        "internal": {"datasourceUid": jaeger.uid, "datasourceName": jaeger.name,
                     "query": {"query": "${__value.raw}"}}}]}]}


def _base(title: str, description: str, targets: Sequence[dict], time_from: str | None = None) -> dict:
    return dict(title=title, description=description, dataSource=DATASOURCE, targets=list(targets),
                maxDataPoints=None, timeFrom=time_from)


def lines(cfg, title: str, description: str, query: str, *, time_from: str | None = None,
          limit: int = LINES_LIMIT) -> g.Logs:
    """Log lines, newest first, each with its details and its trace link."""
    return g.Logs(**_base(title, description, [target(cfg, query, elastic.logs(limit))], time_from),
                  showTime=True, wrapLogMessages=True, sortOrder="Descending", enableLogDetails=True,
                  overrides=[trace_link(cfg)], extraJson={"options": {"showLogContextToggle": True}})


def counts_over_time(title: str, description: str, targets: Sequence[dict], *, stack: bool = True) -> g.TimeSeries:
    """Counts of lines per interval, as bars (one series per target or bucket)."""
    return g.TimeSeries(**_base(title, description, targets), unit="short", drawStyle="bars",
                        fillOpacity=80, lineWidth=1, showPoints="never", legendDisplayMode="table",
                        legendPlacement="bottom", legendCalcs=["sum", "max"], tooltipMode="multi",
                        tooltipSort="desc", valueMin=0,
                        stacking={"mode": "normal" if stack else "none", "group": "A"})


def bars(title: str, description: str, targets: Sequence[dict], *, time_from: str | None = None) -> g.BarChart:
    """Counts per term, as horizontal bars."""
    return g.BarChart(**_base(title, description, targets, time_from), orientation="horizontal",
                      showValue="always", legendDisplayMode="hidden", showLegend=False, xTickLabelRotation=0,
                      extraJson={"options": {"xTickLabelMaxLength": 0, "fullHighlight": False},
                                 "fieldConfig": {"defaults": {"unit": "short"}}})


# -- the Logs dashboard -------------------------------------------------------

def log_volume(cfg) -> g.TimeSeries:
    return counts_over_time("Log volume", "Log lines written per interval, every service and level.",
                            [target(cfg, q.every_line(), elastic.count(), over_time(cfg), alias="lines")])


def levels_over_time(cfg) -> g.TimeSeries:
    return counts_over_time(
        "Lines by level (§2.2)",
        f"Log lines per interval by level ({', '.join(f.LEVELS)}), on level.keyword.",
        [target(cfg, q.every_line(), elastic.count(),
                [elastic.terms(f.LEVEL.keyword, size=len(f.LEVELS) * 2, order_by="_key", order="asc"),
                 over_time(cfg)])])


def errors_by_service(cfg) -> g.BarChart:
    return bars("Errors by service", "ERROR lines in the time range, per service.",
                [target(cfg, q.errors(), elastic.count(), elastic.terms(f.SERVICE.keyword, size=TERMS_SIZE))])


def errors_by_type(cfg) -> g.BarChart:
    return bars("Errors of the last hour by type (§8.1)",
                "ERROR lines of the last hour per error_type (the spec's error_types aggregation).",
                [target(cfg, q.errors_last_hour(), elastic.count(),
                        elastic.terms(f.ERROR_TYPE.keyword, size=TERMS_SIZE))], time_from="1h")


def error_lines(cfg) -> g.Logs:
    return lines(cfg, "Error lines of the last hour (§8.1)",
                 "The ERROR lines of the last hour, newest first; a line's trace_id opens its trace.",
                 q.errors_last_hour(), time_from="1h")


def user_activity(cfg) -> g.Logs:
    return lines(cfg, "Activity of $user_id over 24 hours (§8.1)",
                 "Every line of the user named in the user_id box over the last 24 hours, newest first.",
                 q.user_activity(), time_from="24h", limit=TRAIL_LIMIT)


def slow_endpoints(cfg) -> g.Table:
    """§8.1 performance analysis: per path, the requests of at least 1 s and
    their average duration, slowest first."""
    average = elastic.avg(f.DURATION_MS.name)
    t = target(cfg, q.slow_requests(), [elastic.count(), average],
               elastic.terms(f.PATH.keyword, size=TERMS_SIZE, order_by=average))
    return g.Table(**_base("Slow endpoints (§8.1)",
                           f"Requests of {q.SLOW_MS} ms or longer per path: how many, and their average duration.",
                           [t]),
                   unit="short", filterable=True,
                   overrides=[{"matcher": {"id": "byName", "options": "Average duration"},
                               "properties": [{"id": "unit", "value": "ms"}, {"id": "decimals", "value": 1}]}],
                   transformations=[{"id": "organize", "options": {
                       "excludeByName": {}, "indexByName": {"Path": 0, "Requests": 1, "Average duration": 2},
                       "renameByName": {f.PATH.keyword: "Path", "Count": "Requests",
                                        f"Average {f.DURATION_MS.name}": "Average duration"}}}])


# -- the Audit dashboard ------------------------------------------------------

def audit_over_time(cfg) -> g.TimeSeries:
    return counts_over_time(
        "Suspicious patterns (§10.2)", "Lines with each of the spec's suspicious patterns, per interval.",
        [target(cfg, q.audit_any(), elastic.count(),
                [elastic.filters(**{p.title: p.query for p in q.AUDIT_PATTERNS}), over_time(cfg)])])


def pattern_over_time(cfg, pattern: q.AuditPattern) -> g.TimeSeries:
    return counts_over_time(f"{pattern.title}: matches",
                            f"Lines with `{pattern.literal}` (the spec's /{pattern.regex}/) per interval.",
                            [target(cfg, pattern.query, elastic.count(), over_time(cfg), alias=pattern.name)])


def pattern_lines(cfg, pattern: q.AuditPattern) -> g.Logs:
    return lines(cfg, f"{pattern.title}: lines",
                 f"The lines with `{pattern.literal}`, newest first; a line's trace_id opens its trace.",
                 pattern.query)
