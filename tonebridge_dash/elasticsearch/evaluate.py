"""One Grafana Elasticsearch request answered as Elasticsearch answers it.

``evaluate`` takes an ``_msearch`` item (its header and body) over a
``LogStore``: the query (``bool`` filters and musts of ``range`` and
``query_string``, ``match_all``) is matched by Lucene, then the hits are
sorted and cut (``size``, ``from``, ``sort`` with ``_doc``), ``fields`` are
formatted and ``aggs`` computed; the answer is one item of ``responses[]``,
an error item (with Elasticsearch's types and messages) where it would fail.
``msearch`` answers a whole NDJSON body. A query this module does not
evaluate is refused by name, never answered approximately.
"""

from __future__ import annotations

import json
import time
from typing import Any

from tonebridge_dash.elasticsearch.aggregations import AggregationError, Context, aggregate
from tonebridge_dash.elasticsearch.lucene import QueryError
from tonebridge_dash.elasticsearch.mapping import DATE, TEXT, format_date
from tonebridge_dash.elasticsearch.store import Document, IndexNotFound, LogStore, glob_match
from tonebridge_dash.errors import TbDashError, clip

MAX_RESULT_WINDOW = 10000
TRACK_TOTAL_HITS = 10000


class RequestError(TbDashError):
    """A request Elasticsearch would refuse before searching (``kind``, ``status``)."""

    def __init__(self, kind: str, reason: str, status: int = 400) -> None:
        super().__init__(clip(reason, 300))
        self.kind, self.reason, self.status = kind, reason, status


def _clauses(value: Any) -> list:
    return value if isinstance(value, list) else [] if value is None else [value]


def query_parts(query: Any) -> tuple[list[str], list[dict], bool, bool]:
    """The query_string texts and range filters every hit must match, and
    whether the texts are lenient and analyze wildcards."""
    texts: list[str] = []
    ranges: list[dict] = []
    flags = {"lenient": True, "analyze_wildcard": True}

    def walk(node: Any) -> None:
        if not isinstance(node, dict) or len(node) != 1:
            raise RequestError("parsing_exception", "a query is an object with one query type")
        (kind, body), = node.items()
        if kind == "match_all":
            return
        if kind == "bool":
            for occur, clauses in body.items():
                if occur in ("filter", "must"):
                    for clause in _clauses(clauses):
                        walk(clause)
                elif occur not in ("boost", "minimum_should_match") or clauses not in (1, 1.0, None):
                    raise RequestError("unsupported_query", f"bool [{clip(occur, 40)}] is not evaluated here")
        elif kind == "range":
            (field, bounds), = body.items()
            ranges.append({"field": field, **{k: bounds[k] for k in ("gte", "gt", "lte", "lt", "format")
                                              if k in bounds}})
        elif kind == "query_string":
            if body.get("default_field", "*") != "*" or body.get("fields") not in (None, ["*"]):
                raise RequestError("unsupported_query", "query_string with fields is not evaluated here")
            texts.append(str(body.get("query", "")))
            flags["lenient"] &= bool(body.get("lenient", True))
            flags["analyze_wildcard"] &= bool(body.get("analyze_wildcard", False))
        else:
            raise RequestError("unsupported_query", f"the [{clip(kind, 40)}] query is not evaluated here")

    if query is not None:
        walk(query)
    return texts, ranges, flags["lenient"], flags["analyze_wildcard"]


def _match(store: LogStore, names: list[str], query: Any, now_ms: int) -> list[Document]:
    texts, ranges, lenient, analyze = query_parts(query)
    ids = store.session.search_explained(names, texts, ranges=ranges, lenient=lenient, analyze_wildcard=analyze,
                                         now_ms=now_ms)[0]
    return sorted((store.documents[i] for i in ids), key=lambda d: d.seq)


def _sort_spec(sort: Any) -> list[tuple[str, str, dict]]:
    """``sort`` as (field, order, options); a dict of several fields keeps its order."""
    entries = sort if isinstance(sort, list) else [] if sort is None else [{k: v} for k, v in sort.items()]
    out = []
    for entry in entries:
        if isinstance(entry, str):
            out.append((entry, "desc" if entry == "_score" else "asc", {}))
            continue
        for field, options in entry.items():
            options = {"order": options} if isinstance(options, str) else dict(options or {})
            out.append((field, options.get("order", "desc" if field == "_score" else "asc"), options))
    return out


def _sort_value(doc: Document, field: str, order: str) -> Any:
    if field == "_doc":
        return doc.seq
    if field == "_score":
        return 0.0
    values = doc.values.get(field, [])
    if not values:
        return None
    return max(values) if order == "desc" else min(values)


def _sorted_hits(docs: list[Document], spec: list, types: dict[str, str]) -> list[tuple[Document, list]]:
    for field, _, options in spec:
        if field in ("_doc", "_score"):
            continue
        if types.get(field) == TEXT:
            raise RequestError("illegal_argument_exception",
                               f"Text fields are not optimised for operations that require per-document field "
                               f"data like aggregations and sorting, so these operations are disabled by default. "
                               f"Please use a keyword field instead. Alternatively, set fielddata=true on [{field}] "
                               f"in order to load field data by uninverting the inverted index. Note that this can "
                               f"use significant memory.")
        if field not in types and "unmapped_type" not in options:
            raise RequestError("query_shard_exception", f"No mapping found for [{field}] in order to sort on")
    rows = [(doc, [_sort_value(doc, f, o) for f, o, _ in spec]) for doc in docs]
    for position in reversed(range(len(spec))):  # stable sorts, last key first; missing values last
        desc = spec[position][1] == "desc"
        present = [r for r in rows if r[1][position] is not None]
        missing = [r for r in rows if r[1][position] is None]
        present.sort(key=lambda r: r[1][position], reverse=desc)
        rows = present + missing
    return rows


def _fields(doc: Document, body: dict, types: dict[str, str]) -> dict:
    wanted = [f if isinstance(f, str) else f.get("field") for f in
              _clauses(body.get("fields")) + _clauses(body.get("docvalue_fields"))]
    out = {}
    for name, values in doc.values.items():
        if values and any(glob_match(w, name) for w in wanted if w):
            out[name] = [format_date(v) for v in values] if types.get(name) == DATE else list(values)
    return out


def _error(status: int, kind: str, reason: str, index: str | None = None, caused_by: dict | None = None) -> dict:
    root = {"type": kind, "reason": reason, **({"index": index} if index else {})}
    if status == 404:
        return {"error": {"root_cause": [root], **root}, "status": status}
    failure = {"shard": 0, "index": index, "node": "emulated", "reason": {**root, **({"caused_by": caused_by}
                                                                                     if caused_by else {})}}
    return {"error": {"root_cause": [root], "type": "search_phase_execution_exception",
                      "reason": "all shards failed", "phase": "query", "grouped": True,
                      "failed_shards": [failure]}, "status": status}


def evaluate(store: LogStore, header: dict, body: dict, *, now_ms: int | None = None) -> dict:
    """One ``responses[]`` item for the request ``header`` + ``body``."""
    started = time.perf_counter()
    now = int(time.time() * 1000) if now_ms is None else int(now_ms)
    try:
        names = store.resolve(header.get("index"), ignore_unavailable=bool(header.get("ignore_unavailable")))
    except IndexNotFound as e:
        return _error(404, "index_not_found_exception", f"no such index [{e.name}]", e.name)
    first = names[0] if names else None
    types = store.field_types(names)
    try:
        size, offset = int(body.get("size", 10)), int(body.get("from", 0))
        if size + offset > MAX_RESULT_WINDOW:
            raise RequestError("illegal_argument_exception",
                               f"Result window is too large, from + size must be less than or equal to: "
                               f"[{MAX_RESULT_WINDOW}] but was [{size + offset}].")
        docs = _match(store, names, body.get("query"), now) if names else []
        spec = _sort_spec(body.get("sort"))
        rows = _sorted_hits(docs, spec, types) if spec else [(d, None) for d in docs]
        ctx = Context(types=types, everything=[d for d in store.documents.values() if d.index in names],
                      matching=lambda q: {d.id for d in _match(store, names, q, now)})
        aggregations = aggregate(body.get("aggs", body.get("aggregations")), docs, ctx)
    except QueryError as e:
        if e.kind == "parse_exception":
            texts = query_parts(body.get("query"))[0]
            return _error(400, "query_shard_exception", f"Failed to parse query [{' '.join(texts)}]", first,
                          {"type": "parse_exception", "reason": e.reason})
        return _error(400, e.kind, e.reason, first)
    except (RequestError, AggregationError) as e:
        return _error(getattr(e, "status", 400), e.kind, e.reason, first)
    sorted_by = bool(spec) and [s[0] for s in spec] != ["_score"]
    hits = []
    for doc, sort_values in rows[offset:offset + size]:
        hit: dict[str, Any] = {"_index": doc.index, "_id": doc.id, "_score": None if sorted_by else 0.0,
                               "_source": doc.source}
        fields = _fields(doc, body, types)
        if fields:
            hit["fields"] = fields
        if sorted_by:
            hit["sort"] = sort_values
        hits.append(hit)
    track = body.get("track_total_hits", TRACK_TOTAL_HITS)
    limit = len(docs) if track is True else int(track) if track is not False else None
    out: dict[str, Any] = {"took": int((time.perf_counter() - started) * 1000), "timed_out": False,
                           "_shards": {"total": len(names), "successful": len(names), "skipped": 0, "failed": 0},
                           "hits": {"max_score": None if sorted_by or not hits else 0.0, "hits": hits}}
    if limit is not None:
        out["hits"]["total"] = ({"value": len(docs), "relation": "eq"} if len(docs) <= limit
                                else {"value": limit, "relation": "gte"})
    if aggregations:
        out["aggregations"] = aggregations
    out["status"] = 200
    return out


def msearch(store: LogStore, ndjson: str, *, now_ms: int | None = None) -> dict:
    """The answer to ``POST /_msearch`` with the body ``ndjson``."""
    started = time.perf_counter()
    lines = [line for line in ndjson.splitlines() if line.strip()]
    if not lines or len(lines) % 2:
        raise RequestError("illegal_argument_exception", "The msearch request must be terminated by a newline [\\n]"
                           if not lines else "an _msearch body is pairs of a header line and a body line")
    try:
        pairs = [(json.loads(lines[i]), json.loads(lines[i + 1])) for i in range(0, len(lines), 2)]
    except json.JSONDecodeError as e:
        raise RequestError("x_content_parse_exception", f"a line is not JSON: {e.msg}") from None
    if not all(isinstance(h, dict) and isinstance(b, dict) for h, b in pairs):
        raise RequestError("x_content_parse_exception", "each line of an _msearch body is a JSON object")
    responses = [evaluate(store, header, body, now_ms=now_ms) for header, body in pairs]
    return {"took": int((time.perf_counter() - started) * 1000), "responses": responses}
