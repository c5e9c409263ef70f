"""A panel's Elasticsearch targets as the ``_msearch`` request Grafana sends.

Grafana's Elasticsearch datasource (its backend query builder) turns each
target (``query``, ``metrics``, ``bucketAggs``, ``timeField``) into one item
of an ``_msearch`` body: a header line (``search_type``,
``ignore_unavailable``, the datasource's ``index``) and a body line:

- ``size`` 0 and, in ``query.bool.filter``, a ``range`` on the time field
  (``gte``/``lte`` in ``epoch_millis``) and, unless the query is blank, a
  ``query_string`` with ``analyze_wildcard: true`` (one filter is written
  as an object, two as a list);
- a logs target (first metric ``logs``): ``size`` the metric's limit (500),
  sorted by the time field then ``_doc``, newest first, ``docvalue_fields``,
  ``fields`` with the time in nanosecond ISO format, a ``highlight`` and a
  ``date_histogram`` (id "1", interval auto) of the lines;
  ``raw_data``/``raw_document`` the same without the highlight;
- otherwise the bucket aggregations, each nested in the one before
  (``date_histogram`` with ``min_doc_count`` 0, ``extended_bounds`` of the
  range, ``format: epoch_millis``, ``fixed_interval``; ``terms`` with
  ``size`` (500 unless set), ``order`` and ``min_doc_count``; ``filters``
  of query_string filters; ``histogram``), and the metrics other than
  ``count`` inside the innermost.

``$__interval`` and ``$__interval_ms`` in the encoded body become the
interval; the dashboard's variables are replaced in the query first, each
value Lucene-escaped as Grafana's ``lucene`` format escapes it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterator, Mapping

from ..model import as_list, as_object, iter_panels, template_variables

ELASTICSEARCH = "elasticsearch"  # the datasource plugin's type
DEFAULT_SIZE = 500
LOGS, RAW_DATA, RAW_DOCUMENT, COUNT = "logs", "raw_data", "raw_document", "count"
PIPELINE_METRICS = frozenset({"moving_avg", "moving_fn", "derivative", "cumulative_sum", "bucket_script",
                              "serial_diff"})
_LUCENE_SPECIAL = re.compile(r'([!*+\-=<>\s&|()\[\]{}^~?:\\/"])')
_VARIABLE = re.compile(r"\$(\w+)|\$\{(\w+)(?::(\w+))?\}|\[\[(\w+)(?::(\w+))?\]\]")
_RELATIVE = re.compile(r"now(?:([+-])(\d+)([smhdwMy]))?")
_UNIT_MS = {"s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000,
            "M": 30 * 86_400_000, "y": 365 * 86_400_000}


@dataclass(frozen=True)
class EsTarget:
    """One Elasticsearch target of a dashboard and where it is."""

    dashboard: str  # uid
    panel: str  # title
    panel_id: Any
    panel_type: str
    ref_id: str
    target: dict
    datasource_uid: str  # the datasource it reads, variables resolved ("" when unknown)

    @property
    def query(self) -> str:
        return str(self.target.get("query") or "")


def lucene_escape(value: str) -> str:
    """``value`` as Grafana's ``lucene`` variable format writes it."""
    try:
        float(value)
        return value  # a number stays as it is (JavaScript's isNaN(+value) is false)
    except ValueError:
        return _LUCENE_SPECIAL.sub(r"\\\1", value)


def _variable_text(variable: Mapping[str, Any]) -> str:
    current = as_object(variable.get("current"))
    value = current.get("value", variable.get("query", "") if variable.get("type") in ("constant", "textbox")
                        else "")
    values = ["" if v is None else str(v) for v in (value if isinstance(value, list) else [value])]
    if "$__all" in values:
        return str(variable.get("allValue") or "*")
    if len(values) == 1:
        return lucene_escape(values[0])
    return "(" + " OR ".join(f'"{lucene_escape(v)}"' for v in values) + ")" if values else "__empty__"


def dashboard_values(data: Mapping[str, Any]) -> dict[str, str]:
    """Each variable of the dashboard -> the text Grafana puts in a Lucene query."""
    return {str(v["name"]): _variable_text(v) for v in template_variables(data) if v.get("name")}


def interpolate(text: str, values: Mapping[str, str]) -> str:
    """``text`` with the dashboard's variables replaced (built-ins such as
    ``$__interval`` are left for the encoder, as Grafana leaves them)."""
    def replace(m: re.Match) -> str:
        name = m.group(1) or m.group(2) or m.group(4)
        return values.get(name, m.group(0))

    return _VARIABLE.sub(replace, text)


def _datasource_uid(ref: Any, data: Mapping[str, Any]) -> tuple[str, str]:
    """(type, uid) of a datasource reference, a variable resolved to its value."""
    if isinstance(ref, str):
        return "", ref
    ref = as_object(ref)
    kind, uid = str(ref.get("type") or ""), str(ref.get("uid") or "")
    m = re.fullmatch(r"\$\{?(\w+)\}?", uid)
    if m:
        for v in template_variables(data):
            if v.get("name") == m.group(1) and v.get("type") == "datasource":
                value = as_object(v.get("current")).get("value")
                return kind or str(v.get("query") or ""), str(value if isinstance(value, str) else "")
    return kind, uid


def target_datasource(data: Mapping[str, Any], panel: Mapping[str, Any], target: Mapping[str, Any]) -> tuple[str, str]:
    """(type, uid) of the datasource a target reads: its own, else its panel's."""
    return _datasource_uid(target.get("datasource") or panel.get("datasource"), data)


def is_elasticsearch(source: tuple[str, str], known_uids: frozenset[str] = frozenset()) -> bool:
    """Whether a target's (type, uid) is an Elasticsearch datasource."""
    return source[0] == ELASTICSEARCH or source[1] in known_uids


def es_targets(data: Mapping[str, Any], uid: str, known_uids: frozenset[str] = frozenset()) -> Iterator[EsTarget]:
    """Every Elasticsearch target of a dashboard: one whose own or panel's
    datasource is of type elasticsearch, or one of ``known_uids``."""
    for p in iter_panels(data):
        for i, t in enumerate(as_list(p.get("targets"))):
            if not isinstance(t, dict) or t.get("hide") is True:
                continue
            source = target_datasource(data, p, t)
            if is_elasticsearch(source, known_uids):
                yield EsTarget(uid, str(p.get("title", "")), p.get("id"), str(p.get("type", "")),
                               str(t.get("refId") or chr(65 + i)), t, source[1])


def parse_time(text: Any, now_ms: int) -> int:
    """Epoch milliseconds of a dashboard time (``now``, ``now-1h``, epoch
    milliseconds or an ISO date)."""
    value = str(text).strip()
    m = _RELATIVE.fullmatch(value)
    if m:
        if not m.group(1):
            return now_ms
        delta = int(m.group(2)) * _UNIT_MS[m.group(3)]
        return now_ms + delta if m.group(1) == "+" else now_ms - delta
    if re.fullmatch(r"\d+", value):
        return int(value)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"not a dashboard time: {value[:40]!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp() * 1000)


def time_range(data: Mapping[str, Any], now_ms: int, default: str = "now-6h") -> tuple[int, int]:
    """The dashboard's default time range in epoch milliseconds."""
    time = as_object(data.get("time"))
    try:
        return parse_time(time.get("from", default), now_ms), parse_time(time.get("to", "now"), now_ms)
    except ValueError:
        return parse_time(default, now_ms), now_ms


def _int(value: Any, default: int) -> int:
    """Grafana's stringToIntWithDefaultValue: a number or numeric text, 0 or junk -> ``default``."""
    try:
        n = int(str(value))
    except (TypeError, ValueError):
        return default
    return n or default


def _as_int(value: Any, default: Any) -> Any:
    """A number or numeric text as an int (Grafana's setIntPath), else ``default``."""
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return default


def _settings(agg: Mapping[str, Any]) -> dict:
    return dict(as_object(agg.get("settings")))


def header(index: str) -> dict:
    """The header line of one search, as Grafana writes it."""
    return {"search_type": "query_then_fetch", "ignore_unavailable": True, "index": index}


def _date_histogram(agg: Mapping[str, Any], settings: dict, start: int, end: int, time_field: str) -> dict:
    out: dict[str, Any] = {"field": agg.get("field") or time_field,
                           "min_doc_count": _as_int(settings.get("min_doc_count"), 0),
                           "extended_bounds": {"min": start, "max": end},
                           "format": settings.get("format") or "epoch_millis"}
    interval = str(settings.get("interval") or "auto")
    out["fixed_interval"] = "$__interval_msms" if interval == "auto" else interval
    for key in ("offset", "missing"):
        if isinstance(settings.get(key), str):
            out[key] = settings[key]
    zone = settings.get("timeZone")
    if isinstance(zone, str) and zone != "utc":
        out["time_zone"] = zone
    return out


def _terms(agg: Mapping[str, Any], settings: dict, metrics: list[dict], subs: dict) -> dict:
    out: dict[str, Any] = {"field": agg.get("field"), "size": _int(settings.get("size"), DEFAULT_SIZE), "order": {}}
    if _as_int(settings.get("min_doc_count"), None) is not None:
        out["min_doc_count"] = _as_int(settings["min_doc_count"], None)
    if isinstance(settings.get("missing"), str):
        out["missing"] = settings["missing"]
    order_by = settings.get("orderBy")
    if isinstance(order_by, str) and order_by:
        direction = settings.get("order") or "desc"
        metric_id = re.match(r"\d+", order_by)
        if metric_id:
            for m in metrics:
                if str(m.get("id")) == metric_id.group(0):
                    if m.get("type") == COUNT:
                        out["order"]["_count"] = direction
                    else:
                        out["order"][order_by] = direction
                        subs[str(m["id"])] = {m["type"]: {"field": m.get("field")}}
                    break
        else:
            out["order"][order_by] = direction
    if "_term" in out["order"]:
        out["order"]["_key"] = out["order"].pop("_term")
    return out


def _metric(metric: Mapping[str, Any]) -> dict:
    body: dict[str, Any] = {"field": metric.get("field")}
    settings = _settings(metric)
    if isinstance(settings.get("script"), dict) and "inline" in settings["script"]:
        settings["script"] = settings["script"]["inline"]
    body.update({k: v for k, v in settings.items() if k and v is not None})
    return body


def _aggregations(target: Mapping[str, Any], start: int, end: int, time_field: str) -> dict:
    metrics = [m for m in as_list(target.get("metrics")) if isinstance(m, dict)]
    root: dict = {}
    level = root
    for agg in (a for a in as_list(target.get("bucketAggs")) if isinstance(a, dict)):
        settings = _settings(agg)
        kind, key = agg.get("type"), str(agg.get("id"))
        subs: dict = {}
        if kind == "date_histogram":
            node = {"date_histogram": _date_histogram(agg, settings, start, end, time_field)}
        elif kind == "terms":
            node = {"terms": _terms(agg, settings, metrics, subs)}
        elif kind == "histogram":
            node = {"histogram": {"field": agg.get("field"), "interval": _int(settings.get("interval"), 1000),
                                  "min_doc_count": _as_int(settings.get("min_doc_count"), 0)}}
        elif kind == "filters":
            filters = {}
            for f in (f for f in as_list(settings.get("filters")) if isinstance(f, dict)):
                query = str(f.get("query") or "")
                filters[str(f.get("label") or query)] = {"query_string": {"query": query, "analyze_wildcard": True}}
            if not filters:
                continue
            node = {"filters": {"filters": filters}}
        else:
            continue  # geohash_grid, nested: no panel of this project uses them
        level[key] = node
        level = subs
        node["aggs"] = subs
    for m in metrics:
        kind = m.get("type")
        if kind == COUNT or kind in PIPELINE_METRICS or not kind:
            continue
        level[str(m.get("id"))] = {kind: _metric(m)}
    return _drop_empty(root)


def _drop_empty(aggs: dict) -> dict:
    for node in aggs.values():
        if node.get("aggs") == {}:
            del node["aggs"]
        elif "aggs" in node:
            _drop_empty(node["aggs"])
    return aggs


def search_body(target: Mapping[str, Any], time_field: str, start: int, end: int,
                values: Mapping[str, str] | None = None) -> dict:
    """The body line Grafana sends for ``target`` over [start, end] (epoch ms)."""
    query = interpolate(str(target.get("query") or ""), values or {})
    filters: list[dict] = [{"range": {time_field: {"gte": start, "lte": end, "format": "epoch_millis"}}}]
    if query.strip():
        filters.append({"query_string": {"analyze_wildcard": True, "query": query}})
    body: dict[str, Any] = {"size": 0, "query": {"bool": {"filter": filters[0] if len(filters) == 1 else filters}}}
    metrics = [m for m in as_list(target.get("metrics")) if isinstance(m, dict)]
    first = metrics[0] if metrics else {}
    kind = first.get("type")
    if kind in (LOGS, RAW_DATA, RAW_DOCUMENT):
        settings = _settings(first)
        order = "asc" if kind == LOGS and settings.get("sortDirection") == "asc" else "desc"
        body["sort"] = {time_field: {"order": order, "unmapped_type": "boolean"}, "_doc": {"order": order}}
        body["docvalue_fields"] = [time_field]
        body["script_fields"] = {}
        body["fields"] = [{"field": time_field, "format": "strict_date_optional_time_nanos"}]
        body["size"] = _int(settings.get("limit" if kind == LOGS else "size"), DEFAULT_SIZE)
        if kind == LOGS:  # the lines, and their count over time (a date_histogram "1")
            body["highlight"] = {"fields": {"*": {}}, "pre_tags": ["@HIGHLIGHT@"], "post_tags": ["@/HIGHLIGHT@"],
                                 "fragment_size": 2147483647}
            body["aggs"] = {"1": {"date_histogram": _date_histogram({}, {"interval": "auto"}, start, end,
                                                                    time_field)}}
        return body
    aggs = _aggregations(target, start, end, time_field)
    if aggs:
        body["aggs"] = aggs
    return body


def go_duration(ms: int) -> str:
    """``ms`` as Go's time.Duration prints it (what ``$__interval`` becomes): 1m0s, 30s, 500ms."""
    if ms < 1000:
        return f"{ms}ms"
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs = f"{rest // 1000}" + (f".{rest % 1000:03d}".rstrip("0") if rest % 1000 else "") + "s"
    return (f"{hours}h" if hours else "") + (f"{minutes}m" if hours or minutes else "") + secs


def encode(items: list[tuple[dict, dict]], interval_ms: int) -> str:
    """The NDJSON body of ``_msearch`` for (header, body) pairs, with
    ``$__interval_ms`` and ``$__interval`` replaced as Grafana replaces them."""
    lines = []
    for head, body in items:
        text = json.dumps(body, separators=(",", ":"))
        text = text.replace("$__interval_ms", str(interval_ms)).replace("$__interval", go_duration(interval_ms))
        lines += [json.dumps(head, separators=(",", ":")), text]
    return "\n".join(lines) + "\n"


MSEARCH_PATH = "_msearch?max_concurrent_shard_requests=5"  # Grafana's default query parameters


def fields_of(target: Mapping[str, Any], time_field: str) -> list[str]:
    """The fields a target's aggregations, metrics and time filter read."""
    out = [time_field]
    for agg in as_list(target.get("bucketAggs")):
        if isinstance(agg, dict) and agg.get("field") and agg.get("type") != "filters":
            out.append(str(agg["field"]))
    for m in as_list(target.get("metrics")):
        if isinstance(m, dict) and m.get("field") and m.get("type") not in PIPELINE_METRICS | {COUNT}:
            out.append(str(m["field"]))
    return list(dict.fromkeys(out))


def query_fields(query: str) -> list[str]:
    """The field names a query_string text names (``field:``), outside
    quotes and escapes; ``_exists_`` names its field as the value."""
    out: list[str] = []
    i, n, token = 0, len(query), ""
    while i < n:
        c = query[i]
        if c == "\\":
            token += query[i:i + 2]
            i += 2
            continue
        if c == '"':
            end = i + 1
            while end < n and query[end] != '"':
                end += 2 if query[end] == "\\" else 1
            i, token = end + 1, ""
            continue
        if c == ":" and token:
            name = token.replace("\\", "")
            if name == "_exists_":
                m = re.match(r"[\w.@-]+", query[i + 1:])
                if m:
                    out.append(m.group(0))
            elif "*" not in name:
                out.append(name)
            token = ""
        elif c.isspace() or c in "()+!-[]{}^~" and not token:
            token = ""
        elif c in "()":
            token = ""
        else:
            token += c
        i += 1
    return list(dict.fromkeys(out))
