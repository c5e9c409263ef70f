"""The ``_msearch`` item Grafana's Elasticsearch datasource sends for a target.

As Grafana's backend builds it (``pkg/tsdb/elasticsearch``): ``size`` 0, a
``bool`` filter of the dashboard's time range on the datasource's time field
(``epoch_millis``) and, when the query is not empty, a ``query_string`` with
``analyze_wildcard``; then by the first metric's type:

- ``logs``: the lines newest first (time field, then ``_doc``), ``limit``
  of them, highlighting, and a ``date_histogram`` (id "1") of the lines over
  the range at the panel's interval;
- ``raw_data``/``raw_document``: documents newest first, ``size`` of them;
- otherwise the bucket aggregations nested in order (``date_histogram`` with
  ``extended_bounds`` over the range; ``terms`` with ``size``, ``order`` and
  ``min_doc_count``, a metric it is ordered by inside it; ``filters`` as
  ``query_string``), and every metric but ``count`` in the innermost bucket.

Dashboard variables in the query (``$name``, ``${name}``, ``[[name]]``) are
replaced with the value escaped as Grafana's ``lucene`` format does;
``$__interval_ms`` by the interval. ``grafana_request`` returns the header and
the body; ``ndjson`` writes a whole ``_msearch`` body.
"""

from __future__ import annotations

import json
import re
from typing import Any, Mapping

from tonebridge_dash.elasticsearch.targets import DEFAULT_SIZE, DOCUMENT_METRICS, LOGS
from tonebridge_dash.errors import UsageError, clip

MAX_DATA_POINTS = 1000
# Grafana's interval rounding steps (ms): the interval for "auto" is the
# range over the data points, rounded up to one of these.
_NICE_MS = (10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 15_000, 20_000, 30_000, 60_000, 120_000,
            300_000, 600_000, 900_000, 1_200_000, 1_800_000, 3_600_000, 7_200_000, 10_800_000, 21_600_000,
            43_200_000, 86_400_000, 604_800_000, 2_592_000_000, 31_536_000_000)
_VARIABLE = re.compile(r"\$(\w+)|\$\{(\w+)(?::\w+)?\}|\[\[(\w+)(?::\w+)?\]\]")
_LUCENE_SPECIAL = re.compile(r'([!*+\-=<>\s&|()\[\]{}^~?:\\/"])')


def lucene_escape(value: str) -> str:
    """A variable's value as Grafana's ``lucene`` format writes it: a number
    as it is, other values with Lucene's special characters escaped."""
    try:
        float(value)
        return value
    except ValueError:
        return _LUCENE_SPECIAL.sub(r"\\\1", value)


def interpolate(query: str, variables: Mapping[str, Any]) -> str:
    """``query`` with the dashboard's variables replaced (a list of values
    as ``("a" OR "b")``, as Grafana's lucene format writes several)."""
    def value(m: re.Match) -> str:
        name = m.group(1) or m.group(2) or m.group(3)
        if name not in variables:
            return m.group(0)
        v = variables[name]
        if isinstance(v, (list, tuple)):
            if len(v) == 1:
                return lucene_escape(str(v[0]))
            return "(" + " OR ".join('"' + lucene_escape(str(x)) + '"' for x in v) + ")"
        return lucene_escape(str(v))
    return _VARIABLE.sub(value, query)


def auto_interval_ms(start_ms: int, end_ms: int, max_data_points: int = MAX_DATA_POINTS) -> int:
    raw = max(1, (end_ms - start_ms) // max(1, max_data_points))
    return next((n for n in _NICE_MS if n >= raw), _NICE_MS[-1])


def _int(value: Any, default: int) -> int:
    try:
        n = int(str(value))
    except ValueError:
        return default
    return n or default


def _date_histogram(bucket: Mapping, time_field: str, start_ms: int, end_ms: int, interval_ms: int) -> dict:
    settings = bucket.get("settings") or {}
    interval = str(settings.get("interval", "auto"))
    interval = f"{interval_ms}ms" if interval in ("auto", "$__interval") else \
        interval.replace("$__interval_ms", str(interval_ms))
    body: dict[str, Any] = {"field": bucket.get("field") or time_field, "fixed_interval": interval,
                            "min_doc_count": _int(settings.get("min_doc_count", 0), 0),
                            "extended_bounds": {"min": start_ms, "max": end_ms},
                            "format": settings.get("format", "epoch_millis")}
    for key, name in (("offset", "offset"), ("timeZone", "time_zone")):
        if settings.get(key) and settings.get(key) != "utc":
            body[name] = settings[key]
    return {"date_histogram": body}


def _terms(bucket: Mapping, metrics: list) -> tuple[dict, dict]:
    settings = bucket.get("settings") or {}
    body: dict[str, Any] = {"field": bucket.get("field"), "size": _int(settings.get("size"), DEFAULT_SIZE),
                            "order": {}}  # Grafana sends the order, empty when none is set
    inner: dict = {}
    order_by = settings.get("orderBy")
    if order_by:
        order = settings.get("order", "desc")
        metric = next((m for m in metrics if re.match(r"\d+", str(order_by))
                       and m["id"] == re.match(r"\d+", str(order_by)).group(0)), None)
        if metric is not None and metric["type"] == "count":
            body["order"] = {"_count": order}
        elif metric is not None:
            body["order"] = {str(order_by): order}
            inner[metric["id"]] = _metric(metric)
        else:  # _term is _key to Elasticsearch 7 and later, and Grafana renames it
            body["order"] = {"_key" if order_by == "_term" else str(order_by): order}
    if "min_doc_count" in settings:
        body["min_doc_count"] = _int(settings["min_doc_count"], 0)
    if "missing" in settings:
        body["missing"] = settings["missing"]
    return {"terms": body}, inner


def _metric(metric: Mapping) -> dict:
    return {metric["type"]: {"field": metric.get("field"), **(metric.get("settings") or {})}}


def _filters(bucket: Mapping) -> dict:
    out = {}
    for f in (bucket.get("settings") or {}).get("filters") or []:
        query = f.get("query") or "*"
        out[f.get("label") or query] = {"query_string": {"query": query, "analyze_wildcard": True}}
    return {"filters": {"filters": out}}


def _sorted_newest_first(body: dict, time_field: str, size: int) -> None:
    body["sort"] = {time_field: {"order": "desc", "unmapped_type": "boolean"}, "_doc": {"order": "desc"}}
    body["docvalue_fields"] = [time_field]
    body["size"] = size
    body["script_fields"] = {}


def grafana_request(target: Mapping[str, Any], *, index: str, time_field: str, start_ms: int, end_ms: int,
                    interval_ms: int | None = None, variables: Mapping[str, Any] | None = None) -> tuple[dict, dict]:
    """The header and body Grafana sends for ``target`` over the time range
    ``start_ms``..``end_ms`` (the datasource's ``index`` and ``time_field``)."""
    interval_ms = interval_ms or auto_interval_ms(start_ms, end_ms)
    metrics = list(target.get("metrics") or [])
    buckets = list(target.get("bucketAggs") or [])
    if not metrics or (not buckets and metrics[0].get("type") not in DOCUMENT_METRICS):
        raise UsageError(f"target {clip(str(target.get('refId')), 20)}: invalid query, missing metrics and "
                         "aggregations")
    query = interpolate(str(target.get("query") or ""), {**(variables or {}), "__interval_ms": interval_ms})
    filters: list[dict] = [{"range": {time_field: {"gte": start_ms, "lte": end_ms, "format": "epoch_millis"}}}]
    if query.strip():
        filters.append({"query_string": {"analyze_wildcard": True, "query": query}})
    # One filter is written as an object, several as a list (Grafana's BoolQuery encoding).
    body: dict[str, Any] = {"size": 0, "query": {"bool": {"filter": filters[0] if len(filters) == 1 else filters}}}
    kind = metrics[0].get("type")
    if kind == LOGS:
        settings = metrics[0].get("settings") or {}
        _sorted_newest_first(body, time_field, _int(settings.get("limit"), DEFAULT_SIZE))
        body["highlight"] = {"pre_tags": ["@HIGHLIGHT@"], "post_tags": ["@/HIGHLIGHT@"],
                             "fragment_size": 2147483647, "fields": {"*": {}}}
        body["fields"] = [{"field": time_field, "format": "strict_date_optional_time_nanos"}]
        body["aggs"] = {"1": _date_histogram({"field": time_field, "settings": {"interval": "auto"}}, time_field,
                                             start_ms, end_ms, interval_ms)}
    elif kind in DOCUMENT_METRICS:
        _sorted_newest_first(body, time_field, _int((metrics[0].get("settings") or {}).get("size"), DEFAULT_SIZE))
    else:
        root: dict = {}
        level = root
        for bucket in buckets:
            inner: dict = {}
            if bucket["type"] == "date_histogram":
                agg = _date_histogram(bucket, time_field, start_ms, end_ms, interval_ms)
            elif bucket["type"] == "terms":
                agg, inner = _terms(bucket, metrics)
            elif bucket["type"] == "filters":
                agg = _filters(bucket)
            else:
                raise UsageError(f"the {clip(str(bucket['type']), 40)} bucket aggregation is not built here")
            if inner:
                agg["aggs"] = inner
            level[bucket["id"]] = agg
            level = agg.setdefault("aggs", {})
        for metric in metrics:
            if metric.get("type") != "count":
                level[metric["id"]] = _metric(metric)
        if not level:
            last = root
            for bucket in buckets[:-1]:
                last = last[bucket["id"]]["aggs"]
            last[buckets[-1]["id"]].pop("aggs", None)
        body["aggs"] = root
    header = {"search_type": "query_then_fetch", "ignore_unavailable": True, "index": index}
    return header, body


def ndjson(items: list[tuple[dict, dict]]) -> str:
    """An ``_msearch`` body: each header and body on a line, ending with a newline."""
    return "".join(json.dumps(h, separators=(",", ":")) + "\n" + json.dumps(b, separators=(",", ":")) + "\n"
                   for h, b in items)
