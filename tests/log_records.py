"""Log records in the spec's §3.1 format whose truth is known.

``records()`` generates the lines of a day and a half before ``NOW`` (seeded,
so every run is the same): every §2.2 level, several services, users whose
ids are prefixes of one another (``user_123``, ``user_1234``) or hold Lucene's
reserved characters, durations on both sides of the §8.1 threshold (999,
1000), ERROR and FATAL lines with an ``error_type``, and lines holding
§10.2's patterns and their near misses (in ``message`` and, for some, in
``metadata.query``). The ``truth_*`` functions compute what each analysis
must show from the records with plain Python, never through Lucene.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import datetime, timezone

NOW = int(datetime(2024, 1, 15, 12, tzinfo=timezone.utc).timestamp() * 1000)
MINUTE = 60_000
HOUR = 60 * MINUTE
SPAN = 36 * HOUR  # the records cover the 36 hours before NOW
INDEX = "tonebridge-2024.01.15"
LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
LEVEL_WEIGHTS = (2, 6, 20, 5, 4, 1)
SERVICES = ("gateway", "llm-service", "auth")
ERROR_TYPES = ("timeout", "upstream_5xx", "validation", "rate_limited")
PATHS = ("/api/v1/transform", "/api/v1/tones", "/api/v1/history", "/api/v1/admin/query", "/health")
USERS = ("user_123", "user_1234", "user_12", "user:7 (x)", 'o"brien+1', "user_42")
DURATIONS = (3, 20, 234, 999, 1000, 1001, 1500, 2500, 4000)
AUDIT_MESSAGES = (
    "query executed: SELECT * FROM users",
    "query executed: SELECT * FROM users WHERE org_id = 'org_456'",
    "export SELECT * FROM users_archive",
    "admin ran DROP TABLE sessions",
    "migration: DROP TABLES now",
    "login name = ''; OR '1'='1",
    "search x'; OR '1'='1 --",
)
NEAR_MISSES = (
    "query executed: SELECT id FROM users",
    "query executed: select * from users",
    "query executed: SELECT * FROM  users",
    "we will drop tables later",
    "DROP  TABLE",
    "login with OR 1=1",
    "login with ' OR '1'='1",
    "login with '; or '1'='1",
)
PATTERNS = (r"SELECT \* FROM users", r"DROP TABLE", r"'; OR '1'='1")  # §10.2, as the spec writes them


def iso(millis: int) -> str:
    moment = datetime.fromtimestamp(millis / 1000, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{millis % 1000:03d}Z"


def millis(record: dict) -> int:
    return int(datetime.fromisoformat(record["timestamp"].replace("Z", "+00:00")).timestamp() * 1000)


def records(n: int = 1500, seed: int = 21) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        level = rng.choices(LEVELS, LEVEL_WEIGHTS)[0]
        ts = NOW - rng.randrange(1, SPAN)
        path = rng.choice(PATHS)
        record = {
            "timestamp": iso(ts), "level": level, "service": rng.choice(SERVICES),
            "trace_id": f"550e8400-e29b-41d4-a716-{i:012x}", "span_id": f"{rng.getrandbits(64):016x}",
            "user_id": rng.choice(USERS), "org_id": f"org_{rng.randrange(1, 4)}", "method": rng.choice(("GET", "POST")),
            "path": path, "status": {"ERROR": 500, "FATAL": 503}.get(level, rng.choice((200, 200, 201, 404))),
            "duration_ms": rng.choice(DURATIONS),
            "message": f"{level.lower()} handling request {i}",
            "metadata": {"transformation_type": rng.choice(("tone", "summary")), "target_tone": "warm",
                         "text_length": rng.randrange(10, 500), "model_used": rng.choice(("gpt-4", "claude"))},
        }
        if level in ("ERROR", "FATAL"):
            record["error_type"] = "panic" if level == "FATAL" else rng.choice(ERROR_TYPES)
        roll = rng.random()
        if roll < 0.04:
            record["message"] = rng.choice(AUDIT_MESSAGES)
        elif roll < 0.08:
            record["message"] = rng.choice(NEAR_MISSES)
        elif roll < 0.09:
            record["metadata"]["query"] = rng.choice(AUDIT_MESSAGES + NEAR_MISSES)
        out.append(record)
    # Every user, level and audit line is present at least once in the last hour.
    for i, message in enumerate(AUDIT_MESSAGES + NEAR_MISSES):
        out[i]["message"] = message
        out[i]["timestamp"] = iso(NOW - (i + 1) * MINUTE)
    return out


def line(record: dict) -> str:
    """The record as Fluentd receives it: §10.2's ``log_entry``."""
    return json.dumps(record, ensure_ascii=False)


def within(record: dict, start: int, end: int) -> bool:
    return start <= millis(record) <= end


def truth_errors_by_type(rs: list[dict], start: int, end: int) -> Counter:
    return Counter(r["error_type"] for r in rs if r["level"] == "ERROR" and within(r, start, end)
                   and "error_type" in r)


def truth_user_activity(rs: list[dict], user: str, start: int, end: int) -> list[str]:
    """The user's lines' trace ids, newest first."""
    mine = [r for r in rs if r["user_id"] == user and within(r, start, end)]
    return [r["trace_id"] for r in sorted(mine, key=millis, reverse=True)]


def truth_slow_by_path(rs: list[dict], start: int, end: int, threshold: int = 1000) -> dict[str, tuple[int, float]]:
    by: dict[str, list[int]] = {}
    for r in rs:
        if r["duration_ms"] >= threshold and within(r, start, end):
            by.setdefault(r["path"], []).append(r["duration_ms"])
    return {path: (len(ds), sum(ds) / len(ds)) for path, ds in by.items()}


def truth_levels(rs: list[dict], start: int, end: int, interval: int) -> dict[str, Counter]:
    """Per level, the lines per interval bucket (keys: bucket start)."""
    out: dict[str, Counter] = {}
    for r in rs:
        if within(r, start, end):
            ms = millis(r)
            out.setdefault(r["level"], Counter())[ms - ms % interval] += 1
    return out


def truth_by_service(rs: list[dict], start: int, end: int) -> Counter:
    return Counter(r["service"] for r in rs if r["level"] == "ERROR" and within(r, start, end))


def truth_audit(rs: list[dict], regex: str, start: int, end: int) -> list[str]:
    """The trace ids of the lines the spec's regex finds (``re.search`` over the line)."""
    import re

    return sorted(r["trace_id"] for r in rs if within(r, start, end) and re.search(regex, line(r)))
