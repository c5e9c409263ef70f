"""Elasticsearch panels in the preview: the server runs a panel's queries
itself and hands the page what to draw.

The page asks ``/api/es/<uid>/<panel id>?from=..&to=..&var-name=..``; the
server builds the ``_msearch`` Grafana would send for that panel's targets
(``elasticsearch.request``, the same builder ``check`` uses), posts it to the
one Elasticsearch URL it was started with (``preview --elasticsearch-url``)
and turns each answer into a frame, much as Grafana's response parser does:

- ``logs``: the lines, newest first: time, level, message and the other
  fields of the line (shown as text, never as markup);
- ``series``: a time series per metric and per terms bucket above the
  innermost ``date_histogram`` (times in seconds, as the page's Prometheus
  series);
- ``table``: a row per bucket of the innermost terms or filters aggregation
  (its key, then one column per metric), or per document of ``raw_data``;
- ``error``: Elasticsearch's (or Grafana's) refusal, one line.

The browser never names an index, a URL or a query: only a dashboard, a
panel of it, a time range and variable values, as in Grafana.
"""

from __future__ import annotations

from typing import Any, Mapping

from ..elasticsearch import msearch
from ..elasticsearch.check import EsDatasource
from ..elasticsearch.client import ElasticsearchClient, ElasticsearchUnreachable, error_reason
from ..elasticsearch.request import grafana_request, ndjson
from ..elasticsearch.targets import COUNT, DOCUMENT_METRICS, LOGS
from ..errors import UsageError, clip
from ..model import as_list, as_object, iter_panels

METRIC_NAMES = {"count": "Count", "avg": "Average", "sum": "Sum", "max": "Max", "min": "Min",
                "cardinality": "Unique count"}


def _metric_name(m: Mapping[str, Any]) -> str:
    name = METRIC_NAMES.get(str(m.get("type")), str(m.get("type")))
    return name if m.get("type") == COUNT else f"{name} {m.get('field', '')}".strip()


def _value(bucket: Mapping[str, Any], m: Mapping[str, Any]) -> Any:
    if m.get("type") == COUNT:
        return bucket.get("doc_count")
    return as_object(bucket.get(str(m.get("id")))).get("value")


def _flatten(source: Any, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in as_object(source).items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = value if isinstance(value, (str, int, float, bool)) or value is None else str(value)
    return out


def _lines(answer: Mapping[str, Any], time_field: str) -> list[dict]:
    out = []
    for hit in as_list(as_object(answer.get("hits")).get("hits")):
        fields = _flatten(as_object(hit).get("_source"))
        stamp = as_list(as_object(as_object(hit).get("fields")).get(time_field))
        out.append({"time": stamp[0] if stamp else fields.get(time_field), "level": fields.pop("level", None),
                    "message": fields.pop("message", None),
                    "fields": {k: v for k, v in fields.items() if k != time_field}})
    return out


def _buckets(node: Any) -> list[tuple[str, dict]]:
    """(key, bucket) of a bucket aggregation's answer (filters' buckets are named)."""
    buckets = as_object(node).get("buckets")
    if isinstance(buckets, dict):
        return [(str(k), as_object(v)) for k, v in buckets.items()]
    out = []
    for b in (as_object(b) for b in as_list(buckets)):
        out.append((str(b["key_as_string"] if "key_as_string" in b else b.get("key")), b))
    return out


def _metric_frames(target: Mapping[str, Any], answer: Mapping[str, Any]) -> dict:
    aggs = [a for a in as_list(target.get("bucketAggs")) if isinstance(a, dict)]
    metrics = [m for m in as_list(target.get("metrics")) if isinstance(m, dict) and not m.get("hide")]
    series: list[dict] = []
    rows: list[list] = []
    last = aggs[-1] if aggs else {}

    def walk(node: Mapping[str, Any], depth: int, labels: dict[str, str]) -> None:
        agg = aggs[depth]
        answer_node = as_object(node.get(str(agg.get("id"))))
        if depth == len(aggs) - 1 and agg.get("type") == "date_histogram":
            for m in metrics:
                buckets = as_list(answer_node.get("buckets"))
                name = " ".join([*labels.values(), _metric_name(m)]) if labels and len(metrics) > 1 else \
                    " ".join(labels.values()) or _metric_name(m)
                series.append({"name": name, "labels": dict(labels), "refId": target.get("refId", "A"),
                               "times": [as_object(b).get("key", 0) / 1000 for b in buckets],
                               "values": [_number(_value(as_object(b), m)) for b in buckets]})
            return
        for key, bucket in _buckets(answer_node):
            if depth == len(aggs) - 1:
                rows.append([*labels.values(), key, *(_value(bucket, m) for m in metrics)])
            else:
                walk(bucket, depth + 1, {**labels, str(agg.get("field") or agg.get("id")): key})

    if aggs:
        walk(as_object(answer.get("aggregations")), 0, {})
    if series or last.get("type") == "date_histogram":
        return {"type": "series", "series": series}
    keys = [str(a.get("field") or a.get("type")) for a in aggs]
    return {"type": "table", "columns": [*keys, *(_metric_name(m) for m in metrics)], "rows": rows}


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def frame(target: Mapping[str, Any], answer: Mapping[str, Any], time_field: str) -> dict:
    """What the page draws for one target's answer."""
    base = {"refId": str(target.get("refId", "A")), "query": str(target.get("query") or "")}
    if "error" in answer:
        return {**base, "type": "error", "error": error_reason(answer)}
    kind = as_object(as_list(target.get("metrics"))[0] if as_list(target.get("metrics")) else {}).get("type")
    if kind == LOGS:
        return {**base, "type": "logs", "lines": _lines(answer, time_field)}
    if kind in DOCUMENT_METRICS:
        lines = _lines(answer, time_field)
        columns = sorted({k for line in lines for k in line["fields"]})
        return {**base, "type": "table", "columns": ["time", "level", "message", *columns],
                "rows": [[line["time"], line["level"], line["message"], *(line["fields"].get(c) for c in columns)]
                         for line in lines]}
    return {**base, **_metric_frames(target, answer)}


def _values(data: Mapping[str, Any], chosen: Mapping[str, list[str]]) -> dict[str, Any]:
    values = msearch.dashboard_values(data)
    for name, picked in chosen.items():
        if name in values:
            values[name] = picked[0] if len(picked) == 1 else list(picked)
    return values


def panel_frames(data: Mapping[str, Any], uid: str, panel_id: str, span: tuple[int, int],
                 chosen: Mapping[str, list[str]], sources: Mapping[str, EsDatasource],
                 client: ElasticsearchClient | None) -> dict | None:
    """The frames of one panel's Elasticsearch targets (None: no such panel)."""
    panel = next((p for p in iter_panels(data) if str(p.get("id")) == panel_id), None)
    if panel is None:
        return None
    values = _values(data, chosen)
    targets = [t for t in msearch.es_targets(data, uid, frozenset(sources)) if str(t.panel_id) == panel_id]
    frames: list[dict] = []
    items: list[tuple[int, msearch.EsTarget, EsDatasource, dict, dict]] = []
    for t in targets:
        ds = sources.get(t.datasource_uid)
        base = {"refId": t.ref_id, "query": t.query}
        if ds is None:
            frames.append({**base, "type": "error",
                           "error": f"datasource '{t.datasource_uid}' is not an Elasticsearch datasource of the settings"})
            continue
        start, end = span
        if t.panel_json.get("timeFrom") or t.panel_json.get("timeShift"):  # the panel's own range, as Grafana
            start, end = msearch.time_range({"time": {"from": str(start), "to": str(end)}}, end, t.panel_json)
        try:
            header, body = grafana_request(t.target, index=ds.index, time_field=ds.time_field, start_ms=start,
                                           end_ms=end, variables=values)
        except UsageError as e:
            frames.append({**base, "type": "error", "error": e.message})
            continue
        frames.append({})
        items.append((len(frames) - 1, t, ds, header, body))
    if items:
        try:
            if client is None:
                raise ElasticsearchUnreachable("no Elasticsearch URL (preview --elasticsearch-url)")
            answers = client.msearch(ndjson([(h, b) for _, _, _, h, b in items]))
        except ElasticsearchUnreachable as e:
            answers = [{"error": e.message}] * len(items)
        for (slot, t, ds, _, _), answer in zip(items, answers):
            frames[slot] = frame(t.target, answer, ds.time_field)
    return {"panel": panel_id, "frames": frames, "queries": [clip(t.query, 2000) for t in targets]}
