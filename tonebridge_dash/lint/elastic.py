"""validate's rules on Elasticsearch targets (Grafana's Elasticsearch query
model: ``query``, ``metrics``, ``bucketAggs``, ``timeField``).

- ``target-es-time-field``: the target names its time field (Grafana's
  editor and its logs view read ``timeField``), the logs' time field of the
  settings; ``--fix`` sets it from ``logs.time_field``.
- ``target-es-lucene``: the query (the dashboard's variables at their
  current values, as Grafana's lucene format writes them) and every
  ``filters`` bucket's query parse on Lucene itself, configured as
  Elasticsearch's query_string (``lucene``: Debian's Lucene in a JVM started
  once per process, only when a dashboard has such a target). Without Java
  and Lucene, one warning per dashboard says they were not parsed.
- ``target-es-aggregatable``: a terms (or histogram) aggregation and a
  numeric metric read a field that supports them: not a ``text`` field
  (Elasticsearch refuses: "Text fields are not optimised..."), whose
  ``.keyword`` twin is the one to aggregate on; ``--fix`` appends
  ``.keyword``. The field types come from the content's log-field catalog
  (``content.log_fields``: its ``mapping_types()``); without one, only the
  time field and ``.keyword`` fields are known, and nothing else is judged.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Iterator

from ..content import import_content
from ..elasticsearch import msearch
from ..elasticsearch.lucene import LuceneError
from ..elasticsearch.check import datasources
from ..elasticsearch.request import interpolate
from ..elasticsearch.mapping import KEYWORD, KEYWORD_SUFFIX, NUMERIC, TEXT
from ..errors import SettingsError, clip
from ..findings import ERROR, WARNING
from ..model import as_list, as_object, iter_panels
from . import lucene
from .view import Dashboard, Issue, Rule, ref

DEFAULT_TIME_FIELD = "timestamp"
NUMERIC_METRICS = frozenset({"avg", "sum", "min", "max", "percentiles", "extended_stats"})


def _time_field(cfg: Any) -> str:
    logs = getattr(cfg, "logs", None)
    return getattr(logs, "time_field", "") or DEFAULT_TIME_FIELD


def _targets(d: Dashboard) -> Iterator[tuple[dict, int, dict]]:
    """(panel, index, target) of every Elasticsearch target of ``d``."""
    known = frozenset(datasources(d.cfg))
    for p in d.panels:
        for i, t in enumerate(as_list(p.get("targets"))):
            if isinstance(t, dict) and msearch.reads_elasticsearch(msearch.target_datasource(d.data, p, t), known):
                yield p, i, t


# --- target-es-time-field ------------------------------------------------------------
def rule_target_es_time_field(d: Dashboard) -> Iterator[Issue]:
    wanted = _time_field(d.cfg)
    for p, i, t in _targets(d):
        field = t.get("timeField")
        if not isinstance(field, str) or not field.strip():
            yield Issue(p, f"target {ref(t)} has no timeField (the logs' time field is '{wanted}')", target=i)
        elif d.cfg is not None and field != wanted:
            yield Issue(p, f"target {ref(t)}: timeField '{clip(field, 60)}' is not the logs' time field "
                           f"'{wanted}'", WARNING, i)


# --- target-es-lucene ----------------------------------------------------------------------
def _queries(t: dict, values: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """(what, query text) of a target's query and its filters buckets' queries."""
    query = t.get("query")
    if isinstance(query, str):
        query = interpolate(query, values)
    if query not in (None, ""):
        yield "query", query
    for agg in as_list(t.get("bucketAggs")):
        if isinstance(agg, dict) and agg.get("type") == "filters":
            for f in as_list(as_object(agg.get("settings")).get("filters")):
                text = interpolate(str(f.get("query") or ""), values) if isinstance(f, dict) else ""
                if text.strip():
                    yield f"filter '{clip(str(f.get('label') or text), 40)}'", text


def rule_target_es_lucene(d: Dashboard) -> Iterator[Issue]:
    found = list(_targets(d))
    if not found:
        return
    missing = lucene.unavailable()
    if missing is not None:
        yield Issue(None, f"the Elasticsearch queries were not parsed: {missing}", WARNING)
        return
    values = msearch.dashboard_values(d.data)
    for p, i, t in found:
        for what, query in _queries(t, values):
            if not isinstance(query, str):
                yield Issue(p, f"target {ref(t)}: the {what} is {type(query).__name__}, not text", target=i)
                continue
            try:
                reason = _parse_error(query)
            except LuceneError as e:
                yield Issue(p, f"target {ref(t)}: the {what} was not parsed: {e.message}", WARNING, i)
                return
            if reason is not None:
                yield Issue(p, f"target {ref(t)}: Lucene cannot parse the {what}: {clip(reason, 200)}", target=i)


@lru_cache(maxsize=4096)
def _parse_error(query: str) -> str | None:
    return lucene.parse_error(query)


# --- target-es-aggregatable ---------------------------------------------------------------
_catalogs: dict[str, dict[str, str]] = {}


def field_types(cfg: Any) -> dict[str, str]:
    """The log fields' Elasticsearch types from the content's catalog
    (``content.log_fields``), the logs' time field a date; {} without one."""
    module = getattr(getattr(cfg, "content", None), "log_fields", "") or ""
    if not module:
        return {}
    if module not in _catalogs:
        types = getattr(import_content(module, "content.log_fields"), "mapping_types", None)
        if not callable(types):
            raise SettingsError(f"content.log_fields: module '{module}' has no mapping_types()")
        _catalogs[module] = {str(k): str(v) for k, v in types().items()}
    return _catalogs[module]


def _unaggregatable(field: str, types: dict[str, str], numeric: bool) -> str | None:
    """Why ``field`` cannot be aggregated (numerically): its type, or None."""
    kind = types.get(field) or (KEYWORD if field.endswith(KEYWORD_SUFFIX) else None)
    if kind == TEXT or (numeric and kind is not None and kind not in NUMERIC):
        return kind
    return None


def _aggregated(t: dict) -> Iterator[tuple[dict, str, bool]]:
    """(aggregation or metric, its field, whether it needs a number)."""
    for agg in as_list(t.get("bucketAggs")):
        if isinstance(agg, dict) and agg.get("type") in ("terms", "histogram") and isinstance(agg.get("field"), str):
            yield agg, agg["field"], agg["type"] == "histogram"
    for m in as_list(t.get("metrics")):
        if isinstance(m, dict) and m.get("type") in NUMERIC_METRICS and isinstance(m.get("field"), str):
            yield m, m["field"], True


def rule_target_es_aggregatable(d: Dashboard) -> Iterator[Issue]:
    types = {**field_types(d.cfg), _time_field(d.cfg): "date"}
    for p, i, t in _targets(d):
        for agg, field, numeric in _aggregated(t):
            kind = _unaggregatable(field, types, numeric)
            if kind is None:
                continue
            twin = field + KEYWORD_SUFFIX
            fix = f": use '{twin}'" if kind == TEXT and types.get(twin) == KEYWORD and not numeric else ""
            yield Issue(p, f"target {ref(t)}: {agg.get('type')} on '{field}', a {kind} field{fix}", target=i)


def fix(data: dict, cfg: Any, skip) -> list[str]:
    """``--fix``: the time field set from the settings; a terms aggregation
    on a text field moved to its keyword twin. What changed, one line each."""
    if cfg is None:
        return []
    d = Dashboard("", "", data, list(iter_panels(data)), cfg)
    wanted, types = _time_field(cfg), field_types(cfg)
    changes = []
    for p, i, t in _targets(d):
        title = str(p.get("title", ""))
        if not t.get("timeField") and not skip("target-es-time-field", title, i):
            t["timeField"] = wanted
            changes.append(f"panel '{title}' target {t.get('refId', '?')}: timeField {wanted}")
        if skip("target-es-aggregatable", title, i):
            continue
        for agg, field, numeric in _aggregated(t):
            if not numeric and types.get(field) == TEXT and types.get(field + KEYWORD_SUFFIX) == KEYWORD:
                agg["field"] = field + KEYWORD_SUFFIX
                changes.append(f"panel '{title}' target {t.get('refId', '?')}: {field}.keyword")
    return changes


ELASTIC_RULES: tuple[Rule, ...] = (
    Rule("target-es-time-field", ERROR, "every Elasticsearch target names its time field (the logs' time field)",
         "set timeField to the settings' logs.time_field; tb-dash validate DIR --fix does it",
         rule_target_es_time_field),
    Rule("target-es-lucene", ERROR, "every Elasticsearch query (and filters bucket) parses on Lucene as "
         "Elasticsearch's query_string parses it",
         "fix the query: build it with kit.lucene (term, phrase, contains...), which quotes and escapes values",
         rule_target_es_lucene),
    Rule("target-es-aggregatable", ERROR, "terms aggregations read keyword (or number, date) fields; numeric "
         "metrics read numbers", "aggregate on the field's .keyword twin; tb-dash validate DIR --fix does it",
         rule_target_es_aggregatable),
)
