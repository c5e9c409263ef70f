"""query_string (Lucene syntax) text with every value quoted or escaped.

Queries for Grafana's Elasticsearch datasource are written with these
functions only, never by hand: a value holding a reserved character
(``+ - = && || > < ! ( ) { } [ ] ^ " ~ * ? : \\ /``), a space, or one of
the words AND, OR, NOT, stays one value.

- ``term(field, value)``: the field's own matching: a text field analyzes the
  value (any of its words), a ``.keyword`` field matches it exactly, a number
  field compares numbers.
- ``phrase(field, value)``: the words of ``value`` next to each other, in
  order (a text field) or the exact value (a keyword field). The standard
  analyzer drops punctuation, so ``'; OR '1'='1`` is the phrase "or 1 1"
  and also matches ``OR 1=1``: use ``contains`` where punctuation matters.
- ``contains(field, value)``: ``value`` anywhere in a ``.keyword`` field,
  case and punctuation included (a leading wildcard query): what a regular
  expression made of a literal string finds, for values of at most 256
  characters (longer ones are not in the keyword twin).
- ``range_at_least(field, n)``, ``since(field, "now-1h")`` (a date field
  from a moment, date math allowed), ``any_of(...)``, ``all_of(...)``.
"""

from __future__ import annotations

import re

from tonebridge_dash.errors import UsageError, clip

RESERVED = frozenset('+-=&|><!(){}[]^"~*?:\\/')
WHITESPACE = frozenset(" \t\n\r\u3000")
OPERATORS = frozenset({"AND", "OR", "NOT"})


def escape(value: object) -> str:
    """``value`` as one query_string term: reserved characters and whitespace
    escaped with a backslash, an operator word's first letter escaped."""
    text = str(value)
    if not text:
        raise UsageError("an empty value is not a query_string term")
    out = "".join("\\" + c if c in RESERVED or c in WHITESPACE else c for c in text)
    return "\\" + out if text in OPERATORS else out


def _field(field: str) -> str:
    if not field or any(c in WHITESPACE for c in field):
        raise UsageError(f"invalid field name for a query: {clip(repr(field), 80)}")
    return escape(field)


def term(field: str, value: object) -> str:
    """``field:value`` with ``value`` escaped."""
    text = str(value)
    if text[:1] in ("<", ">"):
        # Elasticsearch reads a leading < or > as a range even when escaped.
        raise UsageError(f"{clip(repr(text), 80)} starts with {text[0]!r}: "
                         "query it with phrase() (a term would be read as a range)")
    return f"{_field(field)}:{escape(value)}"


def phrase(field: str, value: object) -> str:
    """``field:"value"`` with the quote and backslash inside escaped."""
    text = str(value)
    if not text:
        raise UsageError("an empty phrase is not a query")
    inner = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'{_field(field)}:"{inner}"'


def contains(field: str, value: object) -> str:
    """``field:*value*``: ``value`` (escaped, wildcards included) anywhere in
    ``field``, which should be a ``.keyword`` field."""
    return f"{_field(field)}:*{escape(value)}*"


def range_at_least(field: str, n: int | float) -> str:
    """``field:>=n``."""
    if isinstance(n, bool) or not isinstance(n, (int, float)) or n != n or n in (float("inf"), float("-inf")):
        raise UsageError(f"range_at_least needs a finite number, not {clip(repr(n), 40)}")
    return f"{_field(field)}:>={n!r}"


_DATE = re.compile(r"now([+-]\d+[yMwdhHms])*(/[yMwdhHms])?|\d{4}-\d{2}-\d{2}([T ][0-9:.]+)?(Z|[+-]\d{2}:?\d{2})?")


def since(field: str, moment: str) -> str:
    """``field:>=moment``: a date field from ``moment`` on (``now-1h``, an
    ISO date), as a range of the query itself."""
    if not isinstance(moment, str) or not _DATE.fullmatch(moment):
        raise UsageError(f"since needs date math (now-1h) or an ISO date, not {clip(repr(moment), 40)}")
    return f"{_field(field)}:>={escape(moment)}"


def _join(operator: str, queries: tuple[str, ...]) -> str:
    if not queries:
        raise UsageError(f"{operator.lower()} of no query")
    return queries[0] if len(queries) == 1 else "(" + f" {operator} ".join(f"({q})" for q in queries) + ")"


def any_of(*queries: str) -> str:
    """Documents any of ``queries`` match."""
    return _join("OR", queries)


def all_of(*queries: str) -> str:
    """Documents every one of ``queries`` matches."""
    return _join("AND", queries)
