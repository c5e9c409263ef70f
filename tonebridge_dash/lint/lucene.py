"""``target-lucene``: every Elasticsearch target's query parses as
Elasticsearch's query_string parses it, on Lucene itself.

The query is first given the dashboard's variables as Grafana would (each
variable's current value, escaped by Grafana's ``lucene`` format; Grafana's
own ``$__`` variables stay as they are). The parser is Debian's Lucene behind
``elasticsearch.lucene``, started once per process and only when a dashboard
has an Elasticsearch target; where it is not installed, the rule says so in
one warning per dashboard instead of guessing.
"""

from __future__ import annotations

import atexit
import threading
from typing import Any, Iterator

from ..elasticsearch.lucene import LuceneError, LuceneSession, QueryError, unavailable
from ..elasticsearch.request import interpolate
from ..elasticsearch.targets import is_elasticsearch
from ..errors import clip
from ..findings import WARNING
from ..model import as_list
from .view import Dashboard, Issue, ref as _ref

_EMPTY = "tb-dash-validate"  # an index with no field: only the syntax is checked
_lock = threading.Lock()
_session: LuceneSession | None = None


def _parser() -> LuceneSession:
    global _session
    with _lock:
        if _session is None:
            session = LuceneSession()
            session.index(_EMPTY, {}, [])
            atexit.register(session.close)
            _session = session
        return _session


def parse_error(query: str) -> str | None:
    """Why Elasticsearch's query_string parser refuses ``query``, or None."""
    try:
        _parser().search_explained([_EMPTY], [query], lenient=True, analyze_wildcard=True, now_ms=0)
    except QueryError as e:
        return e.reason
    return None


def _current(v: dict) -> Any:
    current = v.get("current")
    value = current.get("value") if isinstance(current, dict) else None
    if value is None or value == []:
        value = v.get("query") if v.get("type") in ("textbox", "constant") else None
    return value if isinstance(value, (str, list)) else None


def rule_target_lucene(d: Dashboard) -> Iterator[Issue]:
    targets = [(p, t) for p in d.panels for t in as_list(p.get("targets")) if is_elasticsearch(t)]
    if not targets:
        return
    missing = unavailable()
    if missing is not None:
        yield Issue(None, f"the Elasticsearch queries were not parsed: {missing}", WARNING)
        return
    values = {str(v.get("name")): _current(v) for v in d.templating() if _current(v) not in (None, "")}
    for p, t in targets:
        query = t.get("query")
        if query is None or query == "":
            continue  # Grafana sends no query_string: every document
        if not isinstance(query, str):
            yield Issue(p, f"target {_ref(t)}: the query is {type(query).__name__}, not text")
            continue
        try:
            reason = parse_error(interpolate(query, values))
        except LuceneError as e:
            yield Issue(p, f"target {_ref(t)}: the query was not parsed: {e.message}", WARNING)
            return
        if reason is not None:
            reason = reason.split(" Was expecting", 1)[0]  # Lucene's list of every token it could take
            yield Issue(p, f"target {_ref(t)}: Lucene cannot parse the query: {clip(reason, 200)}")
