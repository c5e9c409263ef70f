"""All Lucene (query_string) queries of the log side, written once, as
functions named after what they find. The Logs and Audit dashboards and the
log alert rules call the same functions; every value is quoted or escaped by
``kit.lucene`` (never by hand: ``'; OR '1'='1`` and ``SELECT * FROM users``
are exactly where hand escaping goes wrong).

Fixes to the spec's §8.1 queries, which would find nothing on Fluentd's
dynamically mapped indexes:
- ``{"term": {"level": "ERROR"}}`` on the analyzed ``level`` field looks for
  the token ``ERROR``, but the index holds ``error``: the exact match is on
  ``level.keyword``;
- ``error_type.keyword`` is kept as the spec writes it: a top-level field of
  the error lines (§3.1's example is a successful request and has none);
- ``{"term": {"user_id": ...}}`` works on the analyzed field only by luck of
  the tokenizer: the exact match is on ``user_id.keyword``.

§10.2's patterns are regular expressions over the whole log line
(``re.search(pattern, log_entry)``), case and punctuation included. A phrase
on an analyzed field loses both (``'; OR '1'='1`` becomes the words "or 1
1", which ``OR 1=1`` also has), so each pattern is its literal text anywhere
in the keyword twin of ``message`` or of any other string field
(``*.keyword``: the statement may be in the line's metadata), a
case-sensitive wildcard: exactly what the regular expression finds, for
values up to 256 characters (longer values are not in the keyword twins;
docs/logs.md). ``message.keyword`` is named on its own too, so that the
query finds the usual case even where field-name wildcards are not expanded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tonebridge_dash.kit import lucene

from . import log_fields as f

ERROR = "ERROR"
LAST_HOUR = "now-1h"
LAST_DAY = "now-24h"
SLOW_MS = 1000  # §8.1: duration_ms >= 1000
ALL_KEYWORDS = "*" + f.KEYWORD_SUFFIX  # every string field's exact twin
AUDITED = (f.MESSAGE.keyword, ALL_KEYWORDS)  # the message first, then any string field of the line
USER_VARIABLE = "$user_id"  # the Logs dashboard's textbox


def level(name: str) -> str:
    """Lines of one §2.2 level."""
    if name not in f.LEVELS:
        raise ValueError(f"unknown level {name!r} (§2.2: {', '.join(f.LEVELS)})")
    return lucene.term(f.LEVEL.keyword, name)


def every_line() -> str:
    """Every line (the log volume, the level breakdown: its terms bucket
    the lines by level, so a line without one is in no bucket)."""
    return "*"


def errors() -> str:
    """§8.1 error log search: level ERROR."""
    return level(ERROR)


def errors_last_hour() -> str:
    """§8.1: the errors of the last hour (the range is in the query, so the
    panel shows the last hour whatever the dashboard's range)."""
    return lucene.all_of(errors(), lucene.since(f.TIMESTAMP.name, LAST_HOUR))


def user_activity(user: str = USER_VARIABLE) -> str:
    """§8.1: one user's lines over the last 24 hours (shown newest first).
    ``user`` is a value (escaped) or the dashboard's ``$user_id``, which
    Grafana replaces with the value escaped by its ``lucene`` format."""
    return lucene.all_of(lucene.term(f.USER_ID.keyword, user), lucene.since(f.TIMESTAMP.name, LAST_DAY))


def slow_requests(threshold_ms: int = SLOW_MS) -> str:
    """§8.1 performance analysis: requests that took ``threshold_ms`` or longer."""
    return lucene.range_at_least(f.DURATION_MS.name, threshold_ms)


@dataclass(frozen=True)
class AuditPattern:
    """One of §10.2's suspicious patterns: the spec's regular expression,
    its literal text and the Lucene query that finds it."""

    name: str
    title: str
    regex: str  # as the spec writes it
    literal: str  # the text the regular expression matches

    @property
    def query(self) -> str:
        return lucene.any_of(*(lucene.contains(field, self.literal) for field in AUDITED))

    def matches(self, text: str) -> bool:
        """The spec's own test (``re.search``): the reference the query is checked against."""
        return re.search(self.regex, text) is not None


AUDIT_PATTERNS: tuple[AuditPattern, ...] = (
    AuditPattern("select_all_users", "SELECT * FROM users (every user's data read)", r"SELECT \* FROM users",
                 "SELECT * FROM users"),
    AuditPattern("drop_table", "DROP TABLE (a table dropped)", r"DROP TABLE", "DROP TABLE"),
    AuditPattern("sql_injection", "'; OR '1'='1 (SQL injection)", r"'; OR '1'='1", "'; OR '1'='1"),
)


def audit_any() -> str:
    """A line with any of §10.2's patterns."""
    return lucene.any_of(*(p.query for p in AUDIT_PATTERNS))
