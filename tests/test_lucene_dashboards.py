"""The Logs and Audit dashboards show the truth, on Lucene itself.

Both dashboards are rendered as ``render`` renders them; every Elasticsearch
target is turned into the ``_msearch`` item Grafana sends for it (the
dashboard's time range, or the panel's own ``timeFrom``, as a filter on the
time field; the query as ``query_string`` with ``analyze_wildcard``; the
variables escaped as Grafana's lucene format does; the bucket aggregations
and metrics) and answered by Lucene over records in the spec's §3.1 format
whose truth is computed by plain Python (``log_records``). Each §8.1
analysis, the §2.2 level breakdown and each §10.2 pattern must show exactly
that truth, and no near miss of a pattern is ever matched.
"""

from __future__ import annotations

import re

import pytest

import log_records as lr
from elasticsearch_emulator import lucene_session
from tonebridge_dash.durations import seconds
from tonebridge_dash.elasticsearch.evaluate import evaluate
from tonebridge_dash.elasticsearch.request import auto_interval_ms, grafana_request, lucene_escape
from tonebridge_dash.elasticsearch.store import LogStore
from tonebridge_dash.elasticsearch.targets import is_elasticsearch
from tonebridge_dash.kit import build_one

pytestmark = pytest.mark.lucene

RECORDS = lr.records()


@pytest.fixture(scope="module")
def store():
    with lucene_session() as session:
        s = LogStore(session)
        s.add(lr.INDEX, RECORDS)
        yield s


@pytest.fixture(scope="module")
def boards(cfg):
    from dashboards import audit, logs

    return {name: build_one(module.build, cfg).data for name, module in (("logs", logs), ("audit", audit))}


def panels(board: dict) -> list[dict]:
    out = []
    for p in board["panels"]:
        out.append(p)
        out.extend(p.get("panels") or [])
    return out


def panel(board: dict, title: str) -> dict:
    return next(p for p in panels(board) if p.get("title", "").startswith(title))


def time_range(board: dict, p: dict, now: int = lr.NOW) -> tuple[int, int]:
    """The range Grafana queries a panel over: its ``timeFrom``, else the dashboard's."""
    if p.get("timeFrom"):
        return now - int(seconds(p["timeFrom"]) * 1000), now
    start, end = board["time"]["from"], board["time"]["to"]
    assert end == "now" and start.startswith("now-")
    return now - int(seconds(start[4:]) * 1000), now


def variables(board: dict, **values) -> dict:
    out = {v["name"]: v["current"]["value"] for v in board["templating"]["list"]}
    return {**out, **values}


def index_of(cfg, board: dict, t: dict) -> str:
    """The index the target's datasource (the dashboard's variable, resolved) reads."""
    uid = t["datasource"]["uid"]
    m = re.fullmatch(r"\$\{?(\w+)\}?", uid)
    uid = variables(board)[m.group(1)] if m else uid
    assert uid in (cfg.logs.datasource.uid, cfg.logs.audit_datasource.uid), uid
    return cfg.logs.index if uid == cfg.logs.datasource.uid else cfg.logs.audit_index


def answer(cfg, store, board: dict, p: dict, *, start: int | None = None, **values) -> dict:
    (t,) = [t for t in p["targets"] if is_elasticsearch(t)]
    lo, hi = time_range(board, p)
    header, body = grafana_request(t, index=index_of(cfg, board, t), time_field=cfg.logs.time_field,
                                   start_ms=lo if start is None else start, end_ms=hi,
                                   variables=variables(board, **values))
    out = evaluate(store, header, body, now_ms=lr.NOW)
    assert out["status"] == 200, out
    return out


def hit_ids(out: dict) -> list[str]:
    return [h["_source"]["trace_id"] for h in out["hits"]["hits"]]


def buckets(out: dict, agg: str = "2") -> list[dict]:
    return out["aggregations"][agg]["buckets"]


def test_every_elasticsearch_target_parses_and_answers(cfg, store, boards):
    seen = 0
    for board in boards.values():
        for p in panels(board):
            for t in p.get("targets") or []:
                assert is_elasticsearch(t), (p["title"], t)
                assert t["timeField"] == cfg.logs.time_field and t["query"].strip()
                answer(cfg, store, board, p)
                seen += 1
    assert seen == 7 + 1 + 2 * 3


def test_errors_of_the_last_hour_by_type(cfg, store, boards):
    board = boards["logs"]
    p = panel(board, "Errors of the last hour by type")
    truth = lr.truth_errors_by_type(RECORDS, lr.NOW - lr.HOUR, lr.NOW)
    assert len(truth) >= 2
    for start in (None, lr.NOW - lr.SPAN):  # the panel's hour, or a wider range: the query keeps to the hour
        got = buckets(answer(cfg, store, board, p, start=start))
        assert {b["key"]: b["doc_count"] for b in got} == dict(truth)
        assert [b["doc_count"] for b in got] == sorted(truth.values(), reverse=True)


def test_error_lines_of_the_last_hour_newest_first(cfg, store, boards):
    board = boards["logs"]
    truth = [r["trace_id"] for r in sorted(RECORDS, key=lr.millis, reverse=True)
             if r["level"] == "ERROR" and lr.within(r, lr.NOW - lr.HOUR, lr.NOW)]
    assert truth
    assert hit_ids(answer(cfg, store, board, panel(board, "Error lines of the last hour"))) == truth


@pytest.mark.parametrize("user", lr.USERS)
def test_one_users_activity_newest_first(cfg, store, boards, user):
    """``$user_id`` holds any user id: Grafana escapes it (``user:7 (x)``,
    ``o"brien+1``), and ``user_123`` is not ``user_1234``."""
    board = boards["logs"]
    p = panel(board, "Activity of $user_id")
    truth = lr.truth_user_activity(RECORDS, user, lr.NOW - 24 * lr.HOUR, lr.NOW)
    assert truth
    for start in (None, lr.NOW - lr.SPAN):  # 24 hours, whatever the range
        assert hit_ids(answer(cfg, store, board, p, start=start, user_id=user)) == truth


def test_the_user_variable_is_escaped_as_grafana_escapes_it():
    assert lucene_escape("user:7 (x)") == r"user\:7\ \(x\)"
    assert lucene_escape('o"brien+1') == r'o\"brien\+1'
    assert lucene_escape("123") == "123"


def test_slow_endpoints_count_and_average_duration(cfg, store, boards):
    board = boards["logs"]
    p = panel(board, "Slow endpoints")
    lo, hi = time_range(board, p)
    truth = lr.truth_slow_by_path(RECORDS, lo, hi)
    got = buckets(answer(cfg, store, board, p), "3")
    assert {b["key"]: (b["doc_count"], b["2"]["value"]) for b in got} == truth
    assert [b["2"]["value"] for b in got] == sorted((avg for _, avg in truth.values()), reverse=True)
    assert 999 in lr.DURATIONS and 1000 in lr.DURATIONS  # both sides of the line are in the records
    assert lr.truth_slow_by_path(RECORDS, lo, hi, 1000) != lr.truth_slow_by_path(RECORDS, lo, hi, 999)


def test_level_breakdown_over_time(cfg, store, boards):
    board = boards["logs"]
    p = panel(board, "Lines by level")
    lo, hi = time_range(board, p)
    truth = lr.truth_levels(RECORDS, lo, hi, auto_interval_ms(lo, hi))
    got = buckets(answer(cfg, store, board, p))
    assert [b["key"] for b in got] == sorted(truth)
    assert set(truth) == set(lr.LEVELS)
    for b in got:
        series = {s["key"]: s["doc_count"] for s in b["3"]["buckets"] if s["doc_count"]}
        assert series == dict(truth[b["key"]]), b["key"]


def test_errors_by_service_and_log_volume(cfg, store, boards):
    board = boards["logs"]
    p = panel(board, "Errors by service")
    lo, hi = time_range(board, p)
    assert {b["key"]: b["doc_count"] for b in buckets(answer(cfg, store, board, p))} == \
        dict(lr.truth_by_service(RECORDS, lo, hi))
    volume = answer(cfg, store, board, panel(board, "Log volume"))
    assert sum(b["doc_count"] for b in buckets(volume)) == sum(lr.within(r, lo, hi) for r in RECORDS)


@pytest.mark.parametrize("number", range(3))
def test_each_audit_pattern_shows_exactly_what_the_spec_regex_finds(cfg, store, boards, number):
    from panels.log_queries import AUDIT_PATTERNS

    board = boards["audit"]
    pattern = AUDIT_PATTERNS[number]
    assert pattern.regex == lr.PATTERNS[number]
    lo, hi = time_range(board, panel(board, f"{pattern.title}: lines"))
    truth = lr.truth_audit(RECORDS, pattern.regex, lo, hi)
    assert truth
    lines = answer(cfg, store, board, panel(board, f"{pattern.title}: lines"))
    assert sorted(hit_ids(lines)) == truth
    over_time = answer(cfg, store, board, panel(board, f"{pattern.title}: matches"))
    assert sum(b["doc_count"] for b in buckets(over_time)) == len(truth)
    misses = {r["trace_id"] for r in RECORDS if any(m in (r["message"], r["metadata"].get("query"))
                                                    for m in lr.NEAR_MISSES)}
    assert misses and not misses & set(hit_ids(lines))


def test_all_patterns_over_time_one_series_each(cfg, store, boards):
    from panels.log_queries import AUDIT_PATTERNS

    board = boards["audit"]
    p = panel(board, "Suspicious patterns")
    lo, hi = time_range(board, p)
    got = buckets(answer(cfg, store, board, p))
    assert set(got) == {pattern.title for pattern in AUDIT_PATTERNS}
    for pattern in AUDIT_PATTERNS:
        total = sum(b["doc_count"] for b in got[pattern.title]["3"]["buckets"])
        assert total == len(lr.truth_audit(RECORDS, pattern.regex, lo, hi))


def test_every_log_lines_panel_links_trace_id_to_jaeger(cfg, boards):
    lines = [p for board in boards.values() for p in panels(board) if p.get("type") == "logs"]
    assert len(lines) == 2 + 3
    for p in lines:
        (override,) = [o for o in p["fieldConfig"]["overrides"] if o["matcher"]["options"] == "trace_id"]
        (link,) = override["properties"][0]["value"]
        assert link["internal"]["datasourceUid"] == cfg.traces.datasource.uid
        assert link["internal"]["query"]["query"] == "${__value.raw}"


def test_audit_logs_in_an_index_of_their_own(store):
    """``logs.audit_index``: the Audit dashboard starts on the audit
    datasource, and shows the lines of that index only."""
    from dashboards import audit
    from panels.log_queries import AUDIT_PATTERNS
    from tonebridge_dash.settings import from_mapping

    cfg = from_mapping({"logs": {"audit_index": "audit-*"}})
    board = build_one(audit.build, cfg).data
    assert variables(board)["elasticsearch_datasource"] == cfg.logs.audit_datasource.uid == "elasticsearch-audit"
    audit_lines = [dict(r, trace_id=f"audit-{i}") for i, r in enumerate(RECORDS[:40])]
    store.add("audit-2024.01.15", audit_lines)
    for pattern in AUDIT_PATTERNS:
        p = panel(board, f"{pattern.title}: lines")
        lo, hi = time_range(board, p)
        truth = lr.truth_audit(audit_lines, pattern.regex, lo, hi)
        assert truth and sorted(hit_ids(answer(cfg, store, board, p))) == truth
