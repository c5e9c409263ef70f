"""Targets of Grafana's Elasticsearch datasource, as its query model writes
them: ``query`` (Lucene, from ``lucene_query``), ``metrics``, ``bucketAggs``
and ``timeField``.

``target`` numbers the metrics and bucket aggregations (ids "1", "2"...: the
metrics first, then the buckets, as Grafana's editor does) and resolves a
terms aggregation's ``order_by`` given as a metric (``avg(...)``) to that
metric's id. Bucket aggregations nest in the order given (the first is the
outermost); metrics are computed in the innermost bucket.

- metrics: ``count()``, ``avg(field)``, ``sum_of(field)``, ``max_of(field)``,
  ``min_of(field)``, ``logs(limit)`` (log lines, newest first, for the logs
  panel), ``raw_data(size)`` (documents, newest first, for a table);
- buckets: ``terms(field, ...)`` (on a ``.keyword``, number or date field),
  ``date_histogram(field, interval)`` (``auto``: Grafana's interval),
  ``filters(label=query, ...)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field as dataclass_field
from typing import Any, Mapping

from tonebridge_dash.errors import UsageError

DATASOURCE_TYPE = "elasticsearch"
LOGS, RAW_DATA, COUNT = "logs", "raw_data", "count"
DOCUMENT_METRICS = frozenset({LOGS, RAW_DATA, "raw_document"})
DEFAULT_SIZE = 500  # Grafana's default limit of log lines and documents


@dataclass(frozen=True)
class Metric:
    type: str
    field: str = ""
    settings: Mapping[str, Any] = dataclass_field(default_factory=dict)


@dataclass(frozen=True)
class Bucket:
    type: str
    field: str = ""
    settings: Mapping[str, Any] = dataclass_field(default_factory=dict)
    order_by: Metric | str | None = None  # terms: a metric of the target, "_count" or "_key"


def count() -> Metric:
    return Metric(COUNT)


def avg(field_name: str) -> Metric:
    return Metric("avg", field_name)


def sum_of(field_name: str) -> Metric:
    return Metric("sum", field_name)


def max_of(field_name: str) -> Metric:
    return Metric("max", field_name)


def min_of(field_name: str) -> Metric:
    return Metric("min", field_name)


def logs(limit: int = DEFAULT_SIZE) -> Metric:
    """Log lines for the logs panel, newest first (at most ``limit``)."""
    return Metric(LOGS, settings={"limit": str(limit)})


def raw_data(size: int = DEFAULT_SIZE) -> Metric:
    """Documents for a table, newest first (at most ``size``)."""
    return Metric(RAW_DATA, settings={"size": str(size)})


def terms(field_name: str, *, size: int = 10, order_by: Metric | str = "_count", order: str = "desc",
          min_doc_count: int = 1) -> Bucket:
    """One bucket per value of ``field_name`` (a ``.keyword`` field for text),
    the ``size`` first by ``order_by``."""
    if order not in ("asc", "desc"):
        raise UsageError(f"terms order is asc or desc, not {order!r}")
    return Bucket("terms", field_name, {"min_doc_count": str(min_doc_count), "size": str(size), "order": order},
                  order_by)


def date_histogram(field_name: str, interval: str = "auto", *, min_doc_count: int = 0) -> Bucket:
    """One bucket per ``interval`` of ``field_name`` over the time range."""
    return Bucket("date_histogram", field_name, {"interval": interval, "min_doc_count": str(min_doc_count),
                                                 "trimEdges": "0"})


def filters(**queries: str) -> Bucket:
    """One bucket per labelled Lucene query (``label=query``)."""
    if not queries:
        raise UsageError("filters of no query")
    return Bucket("filters", settings={"filters": [{"label": k, "query": v} for k, v in queries.items()]})


def target(query: str, metrics: list[Metric] | Metric, buckets: list[Bucket] | Bucket = (), *,
           datasource: Mapping[str, str], time_field: str, ref_id: str = "A", alias: str = "") -> dict:
    """One Elasticsearch target as Grafana stores it in a panel."""
    metrics = [metrics] if isinstance(metrics, Metric) else list(metrics)
    buckets = [buckets] if isinstance(buckets, Bucket) else list(buckets)
    if not metrics:
        raise UsageError("an Elasticsearch target needs a metric")
    documents = [m for m in metrics if m.type in DOCUMENT_METRICS]
    if documents and (len(metrics) > 1 or buckets):
        raise UsageError(f"a {documents[0].type} target has no other metric and no bucket aggregation")
    if not documents and not buckets:
        raise UsageError("a metric target needs a bucket aggregation (Grafana refuses it otherwise)")
    ids = {id(m): str(i + 1) for i, m in enumerate(metrics)}
    metric_json = []
    for m in metrics:
        entry: dict[str, Any] = {"id": ids[id(m)], "type": m.type}
        if m.field:
            entry["field"] = m.field
        if m.settings:
            entry["settings"] = dict(m.settings)
        metric_json.append(entry)
    bucket_json = []
    for i, b in enumerate(buckets):
        settings = dict(b.settings)
        if b.type == "terms":
            order_by = b.order_by
            if isinstance(order_by, Metric):
                if id(order_by) not in ids:
                    raise UsageError("a terms aggregation is ordered by a metric of its own target")
                order_by = ids[id(order_by)]
            settings["orderBy"] = order_by
        entry = {"id": str(len(metrics) + i + 1), "type": b.type, "settings": settings}
        if b.field:
            entry["field"] = b.field
        bucket_json.append(entry)
    return {"refId": ref_id, "datasource": dict(datasource), "query": query, "alias": alias,
            "metrics": metric_json, "bucketAggs": bucket_json, "timeField": time_field}


def datasource_ref(uid: str) -> dict[str, str]:
    return {"type": DATASOURCE_TYPE, "uid": uid}


def is_elasticsearch(t: Any) -> bool:
    """Whether the panel target ``t`` is one of Grafana's Elasticsearch datasource."""
    return isinstance(t, dict) and isinstance(t.get("datasource"), dict) and \
        t["datasource"].get("type") == DATASOURCE_TYPE
