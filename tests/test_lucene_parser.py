"""Elasticsearch's query_string semantics, checked on Lucene itself.

Small documents typed by the dynamic mapping; each test asserts which of them
a query matches, so a parser configured unlike Elasticsearch's (operator,
analysis, a keyword twin, number and date ranges, leniency) fails here.
"""

from __future__ import annotations

import pytest

from elasticsearch_emulator import lucene_session
from tonebridge_dash.elasticsearch.lucene import QueryError
from tonebridge_dash.elasticsearch.lucene_query import all_of, any_of, contains, escape, phrase, range_at_least, term
from tonebridge_dash.elasticsearch.store import LogStore
from tonebridge_dash.errors import UsageError

DOCS = {
    "a": {"timestamp": "2024-01-15T10:30:45.123Z", "level": "ERROR", "path": "/api/v1/transform", "status": 500,
          "duration_ms": 1000, "message": "Transform request failed", "user_id": "user_123",
          "metadata": {"error_type": "timeout"}},
    "b": {"timestamp": "2024-01-15T23:59:59.999Z", "level": "WARN", "path": "/api/v1/Transform", "status": 404,
          "duration_ms": 999, "message": "retry after an error", "user_id": "user_1234"},
    "c": {"timestamp": "2024-01-16T00:00:00.000Z", "level": "INFO", "path": "/health", "status": 200,
          "duration_ms": 3, "message": "ok", "user_id": "user_12", "ratio": 0.25},
}
NOW = 1705363200000  # 2024-01-16T00:00:00Z


@pytest.fixture(scope="module")
def store():
    session = lucene_session()
    with session:
        s = LogStore(session)
        s.add("logs", DOCS.values())
        yield s


def matched(store, query: str, *, lenient: bool = True) -> set[str]:
    ids = store.session.search(["logs"], query, lenient=lenient, now_ms=NOW)
    names = list(DOCS)
    return {names[int(i)] for i in ids}


@pytest.mark.lucene
@pytest.mark.parametrize("query, expected", [
    # default operator OR; a bare word searches every field
    ("ERROR ok", {"a", "b", "c"}),  # b: "error" is a word of its message
    ("error", {"a", "b"}),  # the level of a, a word of b's message (text fields are lower-cased)
    # a text field analyzes; its keyword twin is exact and case-sensitive
    ("level:error", {"a"}),
    ("level.keyword:error", set()),
    ("level.keyword:ERROR", {"a"}),
    ('message:"request failed"', {"a"}),
    ('message:"failed request"', set()),
    ("path:transform", {"a", "b"}),
    (r"path.keyword:\/api\/v1\/transform", {"a"}),
    # the standard tokenizer keeps user_123 one token: no near miss
    ("user_id:user_123", {"a"}),
    # numbers: points, exact and ranges (>=, >, [ ], { })
    ("status:500", {"a"}),
    ("status:>=404", {"a", "b"}),
    ("status:>404", {"a"}),
    ("status:<404", {"c"}),
    ("status:[200 TO 404]", {"b", "c"}),
    ("status:{200 TO 500}", {"b"}),
    ("duration_ms:>=1000", {"a"}),
    ("duration_ms:>=999.5", {"a"}),  # a fractional bound rounds up for a long
    ("status:500.5", set()),  # has a decimal part: matches no long
    ("ratio:0.25", {"c"}),
    # lenient (Grafana names no default field): a value a field cannot hold matches nothing
    ("status:abc", set()),
    # dates: a day is every millisecond of it; date math against "now"
    ("timestamp:[2024-01-15 TO 2024-01-15]", {"a", "b"}),
    ("timestamp:{2024-01-15 TO *]", {"c"}),
    ("timestamp:>=now-1h", {"b", "c"}),
    ("timestamp:[now-1d/d TO now/d}", {"a", "b"}),
    # wildcards and prefixes (leading allowed; text normalized, keyword not)
    ("message:TRANS*", {"a"}),
    ("path.keyword:*Transform", {"b"}),
    ("message:retr?", {"b"}),
    ("message:transform\\ req*", {"a"}),  # analyze_wildcard: "transform" AND prefix "req"... or either
    # boolean logic, pure negation, existence, field patterns
    ("NOT level:INFO", {"a", "b"}),
    ("level:(ERROR OR WARN) AND NOT status:404", {"a"}),
    ("+level:ERROR -status:500", set()),
    ("_exists_:metadata.error_type", {"a"}),
    ("metadata.error_type:*", {"a"}),
    (r"metadata.\*:timeout", {"a"}),
    ("no_such_field:x", set()),
    ("*", {"a", "b", "c"}),
])
def test_query_string_matches_as_elasticsearch(store, query, expected):
    assert matched(store, query) == expected


@pytest.mark.lucene
def test_a_value_a_field_cannot_hold_is_an_error_when_not_lenient(store):
    with pytest.raises(QueryError) as e:
        matched(store, "status:abc", lenient=False)
    assert e.value.reason == 'failed to create query: For input string: "abc"'


@pytest.mark.lucene
@pytest.mark.parametrize("query", ["level:(ERROR", 'message:"unterminated', "status:[1 TO", "AND", "level:"])
def test_a_query_lucene_cannot_parse_is_a_clear_error(store, query):
    with pytest.raises(QueryError) as e:
        matched(store, query)
    assert e.value.kind == "parse_exception"
    assert e.value.reason.startswith(f"Cannot parse '{query}'")
    assert "\n" not in e.value.message
    assert store.session.search(["logs"], "level:ERROR", now_ms=NOW) == ["0"]  # the JVM goes on


NASTY = ["a:b", "x AND y", "AND", "OR", "NOT", "(1+1)=2", 'say "hi"', "back\\slash", "<=>", "a/b/c", "[x]", "{y}",
         "wh?t*", "~tilde^2", "a || b && !c", "  spaced  ", "ünïcödé 日本", "-minus", "+plus"]
ALL_TAGS = NASTY + ["decoy", "what now"]


@pytest.fixture(scope="module")
def tags():
    session = lucene_session()
    with session:
        s = LogStore(session)
        s.add("tags", ({"tag": v} for v in ALL_TAGS))
        yield s


@pytest.mark.lucene
@pytest.mark.parametrize("value", NASTY)
def test_escaped_values_match_exactly_themselves(tags, value):
    index = str(NASTY.index(value))
    if value.startswith(("<", ">")):
        with pytest.raises(UsageError):
            term("tag.keyword", value)
    else:
        assert tags.session.search(["tags"], term("tag.keyword", value)) == [index]
    assert tags.session.search(["tags"], phrase("tag.keyword", value)) == [index]
    found = tags.session.search(["tags"], contains("tag.keyword", value))  # a substring: "AND" is in "x AND y"
    assert index in found and all(value in ALL_TAGS[int(i)] for i in found)


@pytest.mark.lucene
def test_unescaped_values_do_not_mean_themselves(tags):
    """Why escaping is needed: the same values written raw fail or match something else."""
    for raw in ("tag.keyword:[x]", "tag.keyword:a:b"):
        with pytest.raises(QueryError):
            tags.session.search(["tags"], raw)
    assert tags.session.search(["tags"], "tag.keyword:(1+1)=2") != [str(NASTY.index("(1+1)=2"))]
    assert sorted(tags.session.search(["tags"], "tag.keyword:wh?t*")) == [str(NASTY.index("wh?t*")),
                                                                      str(ALL_TAGS.index("what now"))]


def test_query_builders_text():
    assert escape("a b:c") == r"a\ b\:c"
    assert escape("OR") == r"\OR"
    assert term("path.keyword", "/api/v1") == r"path.keyword:\/api\/v1"
    assert phrase("message", 'say "hi" \\') == r'message:"say \"hi\" \\"'
    assert contains("query.keyword", "DROP TABLE") == r"query.keyword:*DROP\ TABLE*"
    assert range_at_least("duration_ms", 1000) == "duration_ms:>=1000"
    assert any_of("a:1", "b:2") == "((a:1) OR (b:2))"
    assert all_of("a:1") == "a:1"
    for bad in (lambda: escape(""), lambda: range_at_least("x", True), lambda: range_at_least("x", float("nan")),
                lambda: any_of(), lambda: term("a b", "x")):
        with pytest.raises(UsageError):
            bad()
