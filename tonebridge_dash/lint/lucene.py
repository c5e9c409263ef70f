"""Elasticsearch's query_string parser, on Lucene itself, for validate's
``target-es-lucene`` (``elastic``).

The parser is Debian's Lucene behind ``elasticsearch.lucene``, started once
per process and only when a dashboard has an Elasticsearch target, holding
one empty index: only the syntax is checked (what a field's type would make
of a value is ``check``'s, against the real mapping).

Each exact query text's verdict is kept in the user's cache
(``elasticsearch.lucene_cache``): when every query of a run is known there,
no ``javac`` and no JVM is started; a miss starts the session once.

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

from ..elasticsearch import lucene_cache
from ..elasticsearch.lucene import LuceneSession, QueryError, current_key
from ..elasticsearch.lucene import unavailable  # noqa: F401 (for the rule)

_EMPTY = "tb-dash-validate"  # an index with no field: only the syntax is checked
_HOW = "query_string syntax, lenient, analyze_wildcard, empty index, now 0"  # what a verdict answers
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
    """Why Elasticsearch's query_string parser refuses ``query``, or None:
    from the verdict cache (``lucene_cache``) when it holds this exact
    text, else from Lucene (started on the first miss), then kept."""
    key = current_key()
    known, reason = lucene_cache.verdict(key, _HOW, query)
    if not known:
        try:
            _parser().search_explained([_EMPTY], [query], lenient=True, analyze_wildcard=True, now_ms=0)
            reason = None
        except QueryError as e:
            reason = e.reason
        lucene_cache.keep_verdict(key, _HOW, query, reason)
    return None if reason is None else reason.split(" Was expecting", 1)[0]  # Lucene's list of every token
