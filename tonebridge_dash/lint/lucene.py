"""Elasticsearch's query_string parser, on Lucene itself, for validate's
``target-es-lucene`` (``elastic``).

The parser is Debian's Lucene behind ``elasticsearch.lucene``, started once
per process and only when a dashboard has an Elasticsearch target, holding
one empty index: only the syntax is checked (what a field's type would make
of a value is ``check``'s, against the real mapping).
"""

from __future__ import annotations

import atexit
import threading

from ..elasticsearch.lucene import LuceneSession, QueryError, unavailable  # noqa: F401 (unavailable: for the rule)

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
        return e.reason.split(" Was expecting", 1)[0]  # Lucene's list of every token it could take
    return None
