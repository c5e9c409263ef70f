"""Elasticsearch's bucket and metric aggregations over matched documents.

Buckets: ``terms`` (count desc then key asc, or the order asked, ``size``,
``min_doc_count``, ``missing``), ``date_histogram`` (``fixed_interval`` or
``calendar_interval`` aligned to the epoch in UTC, ``offset``, empty buckets
filled when ``min_doc_count`` is 0, ``extended_bounds``), ``histogram`` and
``filters`` (each filter matched by Lucene). Metrics: ``avg``, ``sum``,
``min``, ``max``, ``value_count``, ``cardinality``, ``stats``, computed from
doc values (a ``long`` is summed as a double, a ``float`` holds single
precision). Anything else is refused by name rather than guessed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

from tonebridge_dash.elasticsearch.mapping import (AGGREGATABLE, BOOLEAN, DATE, NUMERIC, TEXT, format_date,
                                                  parse_date)
from tonebridge_dash.elasticsearch.store import Document
from tonebridge_dash.errors import TbDashError, clip

MAX_BUCKETS = 65536
_UNITS_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
_CALENDAR = {"minute": "m", "1m": "m", "hour": "h", "1h": "h", "day": "d", "1d": "d", "week": "w", "1w": "w",
             "month": "M", "1M": "M", "quarter": "q", "1q": "q", "year": "y", "1y": "y"}


class AggregationError(TbDashError):
    """A request Elasticsearch would refuse (``kind`` is its error type)."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(clip(reason, 300))
        self.kind, self.reason = kind, reason


@dataclass
class Context:
    types: dict[str, str]  # each field's type over the searched indexes
    everything: list[Document]  # every document of the searched indexes
    matching: Callable[[dict], set[str]]  # the ids a filter query (query DSL) matches


def _interval_ms(text: str, name: str = "fixed_interval") -> int:
    m = re.fullmatch(r"(\d+)(ms|s|m|h|d)", str(text))
    if not m or int(m.group(1)) == 0:
        raise AggregationError("illegal_argument_exception",
                               f"failed to parse setting [date_histogram.{name}] with value [{clip(str(text), 40)}] "
                               "as a time value: unit is missing or unrecognized")
    return int(m.group(1)) * _UNITS_MS[m.group(2)]


def _offset_ms(text: Any) -> int:
    if text in (None, "", 0):
        return 0
    sign = -1 if str(text).startswith("-") else 1
    return sign * _interval_ms(str(text).lstrip("+-"), "offset")


def _calendar_floor(millis: int, unit: str) -> int:
    t = datetime.fromtimestamp(millis / 1000, tz=timezone.utc)
    if unit == "w":
        t = datetime(t.year, t.month, t.day, tzinfo=timezone.utc)
        return int(t.timestamp() * 1000) - t.weekday() * 86_400_000
    parts = {"m": (t.year, t.month, t.day, t.hour, t.minute), "h": (t.year, t.month, t.day, t.hour),
             "d": (t.year, t.month, t.day), "M": (t.year, t.month, 1),
             "q": (t.year, (t.month - 1) // 3 * 3 + 1, 1), "y": (t.year, 1, 1)}[unit]
    return int(datetime(*parts, tzinfo=timezone.utc).timestamp() * 1000)


def _calendar_next(key: int, unit: str) -> int:
    if unit in ("m", "h", "d", "w"):
        return key + {"m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}[unit]
    t = datetime.fromtimestamp(key / 1000, tz=timezone.utc)
    months = {"M": 1, "q": 3, "y": 12}[unit]
    year, month = divmod(t.month - 1 + months, 12)
    return int(datetime(t.year + year, month + 1, 1, tzinfo=timezone.utc).timestamp() * 1000)


def _field_values(doc: Document, field: str) -> list:
    return doc.values.get(field, [])


def _check_field(ctx: Context, field: str, agg: str, allowed: frozenset = AGGREGATABLE) -> str | None:
    kind = ctx.types.get(field)
    if kind == TEXT:
        raise AggregationError(
            "illegal_argument_exception",
            "Text fields are not optimised for operations that require per-document field data like "
            "aggregations and sorting, so these operations are disabled by default. Please use a keyword "
            f"field instead. Alternatively, set fielddata=true on [{field}] in order to load field data by "
            "uninverting the inverted index. Note that this can use significant memory.")
    if kind is not None and kind not in allowed:
        raise AggregationError("illegal_argument_exception",
                               f"Field [{field}] of type [{kind}] is not supported for aggregation [{agg}]")
    return kind


def _histogram(spec: dict, docs: list[Document], ctx: Context, *, dates: bool) -> dict:
    field = spec.get("field")
    kind = _check_field(ctx, field, "date_histogram" if dates else "histogram", NUMERIC)
    offset = _offset_ms(spec.get("offset")) if dates else float(spec.get("offset", 0))
    if dates and "interval" in spec:
        raise AggregationError("illegal_argument_exception",
                               "[interval] on [date_histogram] is not supported: use [fixed_interval] or "
                               "[calendar_interval]")
    if dates and "calendar_interval" in spec:
        unit = _CALENDAR.get(str(spec["calendar_interval"]))
        if unit is None:
            raise AggregationError("illegal_argument_exception",
                                   f"The supplied interval [{clip(str(spec['calendar_interval']), 40)}] "
                                   "could not be parsed as a calendar interval.")
        floor = lambda v: _calendar_floor(int(v) - offset, unit) + offset  # noqa: E731
        step = lambda k: _calendar_next(k - offset, unit) + offset  # noqa: E731
    else:
        size = _interval_ms(spec.get("fixed_interval", "")) if dates else float(spec.get("interval", 0))
        if size <= 0:
            raise AggregationError("illegal_argument_exception", "[interval] must be >0 for histogram aggregation")
        floor = lambda v: math.floor((v - offset) / size) * size + offset  # noqa: E731
        step = lambda k: k + size  # noqa: E731
    groups: dict[Any, list[Document]] = {}
    if kind is not None:
        for doc in docs:
            for key in {floor(v) for v in _field_values(doc, field)}:
                groups.setdefault(key, []).append(doc)
    min_count = int(spec.get("min_doc_count", 0))
    keys = sorted(groups)
    if min_count == 0:
        bounds = spec.get("extended_bounds") or {}
        low = [floor(_bound(bounds["min"]))] if "min" in bounds else []
        high = [floor(_bound(bounds["max"]))] if "max" in bounds else []
        if keys or (low and high):
            first, last = min(keys[:1] + low), max(keys[-1:] + high)
            keys, key = [], first
            while key <= last:
                keys.append(key)
                if len(keys) > MAX_BUCKETS:
                    raise _too_many()
                key = step(key)
    buckets = []
    for key in keys:
        members = groups.get(key, [])
        if len(members) < min_count:
            continue
        bucket: dict[str, Any] = {"key": int(key) if dates else float(key), "doc_count": len(members)}
        if dates:
            text = str(int(key)) if spec.get("format") == "epoch_millis" else format_date(int(key))
            bucket = {"key_as_string": text, **bucket}
        bucket.update(aggregate(spec.get("_subs", {}), members, ctx))
        buckets.append(bucket)
    if _order_desc(spec.get("order")):
        buckets.reverse()
    return {"buckets": buckets}


def _bound(value: Any) -> float:
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value):
        return int(value)
    millis = parse_date(str(value))
    if millis is None:
        raise AggregationError("parse_exception", f"failed to parse date field [{clip(str(value), 60)}]")
    return millis


def _order_desc(order: Any) -> bool:
    return isinstance(order, dict) and order.get("_key") == "desc"


def _too_many() -> AggregationError:
    return AggregationError("too_many_buckets_exception",
                            f"Trying to create too many buckets. Must be less than or equal to: [{MAX_BUCKETS}] "
                            "but this number of buckets was exceeded. This limit can be set by changing the "
                            "[search.max_buckets] cluster level setting.")


def _term_key(kind: str | None, value: Any) -> dict:
    if kind == BOOLEAN:
        return {"key": 1 if value else 0, "key_as_string": "true" if value else "false"}
    if kind == DATE:
        return {"key": value, "key_as_string": format_date(value)}
    return {"key": value}


def _terms(spec: dict, docs: list[Document], ctx: Context) -> dict:
    field = spec.get("field")
    kind = _check_field(ctx, field, "terms")
    size = int(spec.get("size", 10))
    min_count = int(spec.get("min_doc_count", 1))
    missing = spec.get("missing")
    groups: dict[Any, list[Document]] = {}
    for doc in docs:
        values = set(_field_values(doc, field)) or ({missing} if missing is not None else set())
        for value in values:
            groups.setdefault(value, []).append(doc)
    if min_count == 0:
        for doc in ctx.everything:
            for value in _field_values(doc, field):
                groups.setdefault(value, [])
    subs = spec.get("_subs", {})
    rows = [(key, members, aggregate(subs, members, ctx)) for key, members in groups.items()
            if len(members) >= min_count]
    rows.sort(key=lambda row: _terms_sort_key(spec.get("order"), row, kind))
    chosen = rows[:size] if size > 0 else rows
    buckets = [{**_term_key(kind, key), "doc_count": len(members), **subs_out} for key, members, subs_out in chosen]
    other = sum(len(m) for _, m, _ in rows[len(chosen):])
    return {"doc_count_error_upper_bound": 0, "sum_other_doc_count": other, "buckets": buckets}


def _terms_sort_key(order: Any, row: tuple, kind: str | None) -> tuple:
    key, members, subs = row
    orders = order if isinstance(order, list) else [order or {"_count": "desc"}]
    parts: list = []
    by_key = False
    for entry in orders:
        for name, direction in entry.items():
            sign = -1 if direction == "desc" else 1
            if name in ("_key", "_term"):
                by_key = True
                parts.append(_Ordered(key, sign))
            elif name == "_count":
                parts.append(sign * len(members))
            else:
                agg, _, prop = name.replace("[", ".").rstrip("]").partition(".")
                value = subs.get(agg, {}).get(prop or "value")
                parts.append(_Ordered(value, sign))
    if not by_key:
        parts.append(_Ordered(key, 1))
    return tuple(parts)


class _Ordered:
    """A sort key with a direction; None (an empty metric) sorts last either way."""

    def __init__(self, value: Any, sign: int) -> None:
        self.value, self.sign = value, sign

    def __lt__(self, other: _Ordered) -> bool:
        if self.value is None or other.value is None:
            return other.value is None and self.value is not None
        return self.value < other.value if self.sign > 0 else self.value > other.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Ordered) and self.value == other.value


def _filters(spec: dict, docs: list[Document], ctx: Context) -> dict:
    filters = spec.get("filters")
    if not isinstance(filters, dict):
        raise AggregationError("parsing_exception", "[filters] must be an object of named filters here")
    buckets = {}
    ids = {d.id for d in docs}
    for label, query in filters.items():
        matched = ctx.matching(query) & ids
        members = [d for d in docs if d.id in matched]
        buckets[label] = {"doc_count": len(members), **aggregate(spec.get("_subs", {}), members, ctx)}
    return {"buckets": buckets}


def _metric(kind_name: str, spec: dict, docs: list[Document], ctx: Context) -> dict:
    field = spec.get("field")
    allowed = AGGREGATABLE if kind_name in ("value_count", "cardinality") else NUMERIC
    kind = _check_field(ctx, field, kind_name, allowed)
    values = [v for d in docs for v in _field_values(d, field)]
    numbers = [float(v) for v in values] if kind in NUMERIC else []
    if kind_name == "value_count":
        return {"value": len(values)}
    if kind_name == "cardinality":
        return {"value": len(set(values))}
    stats = {"count": len(numbers), "min": min(numbers) if numbers else None,
             "max": max(numbers) if numbers else None,
             "avg": math.fsum(numbers) / len(numbers) if numbers else None, "sum": math.fsum(numbers)}
    if kind_name == "stats":
        return stats
    out: dict[str, Any] = {"value": stats[kind_name]}
    if kind == DATE and kind_name in ("min", "max") and out["value"] is not None:
        out["value_as_string"] = format_date(int(out["value"]))
    return out


_BUCKETS = {"terms": _terms, "filters": _filters,
            "date_histogram": lambda s, d, c: _histogram(s, d, c, dates=True),
            "histogram": lambda s, d, c: _histogram(s, d, c, dates=False)}
_METRICS = ("avg", "sum", "min", "max", "value_count", "cardinality", "stats")


def aggregate(aggs: dict, docs: list[Document], ctx: Context) -> dict:
    """The ``aggregations`` object of ``aggs`` (a request's ``aggs``) over ``docs``."""
    out: dict[str, Any] = {}
    for name, body in (aggs or {}).items():
        if not isinstance(body, dict):
            raise AggregationError("parsing_exception", f"Expected [START_OBJECT] under [{clip(str(name), 60)}]")
        subs = body.get("aggs", body.get("aggregations", {}))
        kinds = [k for k in body if k not in ("aggs", "aggregations", "meta")]
        if len(kinds) != 1:
            raise AggregationError("parsing_exception", f"Expected one aggregation type under [{clip(name, 60)}]")
        kind = kinds[0]
        spec = dict(body[kind] or {})
        if kind in _BUCKETS:
            out[name] = _BUCKETS[kind]({**spec, "_subs": subs}, docs, ctx)
        elif kind in _METRICS:
            out[name] = _metric(kind, spec, docs, ctx)
        else:
            raise AggregationError("unsupported_aggregation",
                                   f"the [{clip(kind, 40)}] aggregation is not evaluated by this emulator")
    return out
