"""Elasticsearch's query_string parser, on Lucene itself, for validate's
``target-es-lucene`` (``elastic``).

The parser is Debian's Lucene behind ``elasticsearch.lucene``, started once
per process and only when a dashboard has an Elasticsearch target, holding
one empty index: only the syntax is checked (what a field's type would make
of a value is ``check``'s, against the real mapping).

A process forked by ``validate``'s workers starts its own session (the
parent's pipes are not its to write to) and closes it when it ends: a
worker ends without running ``atexit``, so multiprocessing's finalizers do
it, and the JVM and its class files go with the worker.
"""

from __future__ import annotations

import atexit
import os
import threading
from multiprocessing import util

from ..elasticsearch.lucene import LuceneSession, QueryError, unavailable  # noqa: F401 (unavailable: for the rule)

_EMPTY = "tb-dash-validate"  # an index with no field: only the syntax is checked
_lock = threading.Lock()
_session: LuceneSession | None = None
_owner: int | None = None  # the process that started it


def _parser() -> LuceneSession:
    global _session, _owner
    with _lock:
        if _session is None or _owner != os.getpid():
            session = LuceneSession()
            session.index(_EMPTY, {}, [])
            atexit.register(session.close)
            util.Finalize(session, session.close, exitpriority=10)  # a forked worker's end
            _session, _owner = session, os.getpid()
        return _session


def parse_error(query: str) -> str | None:
    """Why Elasticsearch's query_string parser refuses ``query``, or None."""
    try:
        _parser().search_explained([_EMPTY], [query], lenient=True, analyze_wildcard=True, now_ms=0)
    except QueryError as e:
        return e.reason.split(" Was expecting", 1)[0]  # Lucene's list of every token it could take
    return None
