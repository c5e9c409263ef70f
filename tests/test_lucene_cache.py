"""validate's Lucene check remembers what it learnt (``elasticsearch.lucene_cache``):
each exact query text's verdict, and the bridge's compiled classes, kept in
the user's trusted cache. A warm run starts no JVM; a changed query, a
tampered entry or an untrusted directory goes to Lucene again, and the
check says the same as without the cache."""

from __future__ import annotations

import copy
import os

import pytest

from tonebridge_dash import compiled, lint
from tonebridge_dash.elasticsearch import lucene as es_lucene
from tonebridge_dash.elasticsearch import lucene_cache
from tonebridge_dash.lint import elastic
from tonebridge_dash.lint import lucene as lint_lucene
from tonebridge_dash.model import Rendered

pytestmark = pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX owners and modes")

BROKEN = "level:(ERROR OR"
KEY, HOW = "k" * 64, "syntax"


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    """A cache directory of this test's own (0700, under the system's)."""
    base = tmp_path / "home"
    base.mkdir(mode=0o700)
    monkeypatch.setenv("TB_DASH_CACHE_DIR", str(base / "tb-dash"))
    return base / "tb-dash" / "lucene"


# --- the entries themselves (no JVM) ------------------------------------------------------
def test_a_verdict_is_kept_and_read_back_parsed_or_refused(cache):
    assert lucene_cache.verdict(KEY, HOW, "level:ERROR") == (False, None)
    lucene_cache.keep_verdict(KEY, HOW, "level:ERROR", None)
    lucene_cache.keep_verdict(KEY, HOW, BROKEN, "Cannot parse 'level:(ERROR OR'")
    assert lucene_cache.verdict(KEY, HOW, "level:ERROR") == (True, None)
    assert lucene_cache.verdict(KEY, HOW, BROKEN) == (True, "Cannot parse 'level:(ERROR OR'")
    # the exact text, the bridge and the question are the key
    assert lucene_cache.verdict(KEY, HOW, "level:ERROR ") == (False, None)
    assert lucene_cache.verdict("j" * 64, HOW, "level:ERROR") == (False, None)
    assert lucene_cache.verdict(KEY, "other", "level:ERROR") == (False, None)


def test_a_tampered_verdict_is_ignored(cache):
    lucene_cache.keep_verdict(KEY, HOW, BROKEN, "Cannot parse")
    (entry,) = cache.glob("verdict-*.json")
    entry.write_bytes(entry.read_bytes().replace(b'"ok": false', b'"ok": true '))
    assert lucene_cache.verdict(KEY, HOW, BROKEN) == (False, None)


def test_an_untrusted_cache_directory_is_neither_read_nor_written(cache):
    lucene_cache.keep_verdict(KEY, HOW, BROKEN, "Cannot parse")
    assert lucene_cache.verdict(KEY, HOW, BROKEN) == (True, "Cannot parse")
    cache.parent.parent.chmod(0o777)  # a parent others may write: they could swap the cache
    try:
        assert lucene_cache.verdict(KEY, HOW, BROKEN) == (False, None)
        before = sorted(p.name for p in cache.iterdir())
        lucene_cache.keep_verdict(KEY, HOW, "level:ERROR", None)
        lucene_cache.keep_classes("c" * 64, str(cache.parent.parent))
        assert sorted(p.name for p in cache.iterdir()) == before
    finally:
        cache.parent.parent.chmod(0o700)


def test_off_turns_the_cache_off(cache, monkeypatch):
    monkeypatch.setenv("TB_DASH_CACHE_DIR", "off")
    assert compiled.cache_dir("lucene") is None
    lucene_cache.keep_verdict(KEY, HOW, BROKEN, "Cannot parse")
    assert lucene_cache.verdict(KEY, HOW, BROKEN) == (False, None)
    assert not cache.exists()


def test_cached_classes_are_copied_only_under_plain_class_names(cache, tmp_path):
    import base64
    import json

    made = tmp_path / "made"
    made.mkdir()
    (made / "LuceneBridge.class").write_bytes(b"\xca\xfe\xba\xbe one")
    (made / "LuceneBridge$1.class").write_bytes(b"\xca\xfe\xba\xbe two")
    lucene_cache.keep_classes("c" * 64, str(made))
    into = tmp_path / "into"
    into.mkdir()
    assert lucene_cache.restore_classes("c" * 64, str(into))
    assert sorted(p.name for p in into.iterdir()) == ["LuceneBridge$1.class", "LuceneBridge.class"]
    (entry,) = cache.glob("classes-*.json")
    evil = json.dumps({"../escaped.class": base64.b64encode(b"x").decode()}).encode()
    compiled.write_entry(cache, entry, lucene_cache.CLASSES_FORM, evil)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert not lucene_cache.restore_classes("c" * 64, str(elsewhere))
    assert list(elsewhere.iterdir()) == [] and not (tmp_path / "escaped.class").exists()


# --- validate on Lucene ---------------------------------------------------------------------
@pytest.fixture()
def lucene(cache, monkeypatch):
    """Lucene there, no session of the process's own, and a count of the
    sessions validate starts (each a real one, closed at the end)."""
    from elasticsearch_emulator import lucene_session

    lucene_session().close()  # skips without Lucene (fails under CI), as every Lucene test does
    started: list = []

    def counting(*args, **kwargs):
        session = es_lucene.LuceneSession(*args, **kwargs)
        started.append(session)
        return session

    monkeypatch.setattr(lint_lucene, "LuceneSession", counting)
    monkeypatch.setattr(lint_lucene, "_session", None)
    elastic._parse_error.cache_clear()
    yield started
    for session in started:
        session.close()
    elastic._parse_error.cache_clear()


def _fresh_process(monkeypatch) -> None:
    """What a new ``tb-dash validate`` starts with: no session, nothing in memory."""
    monkeypatch.setattr(lint_lucene, "_session", None)
    elastic._parse_error.cache_clear()


@pytest.fixture(scope="module")
def logs(cfg):
    from tonebridge_dash.dashboard.render import build_all

    return next(r for r in build_all(cfg, check=False) if r.uid == "tb-logs")


def _with_query(logs: Rendered, query: str) -> Rendered:
    data = copy.deepcopy(logs.data)
    panel = next(p for p in data["panels"] if p.get("title") == "Errors by service")
    panel["targets"][0]["query"] = query
    return Rendered(str(data["uid"]), data["title"], data)


def _lucene_findings(result) -> list[tuple[str, str]]:
    return [(f.severity, f.message) for f in result.findings if f.rule == "target-es-lucene"]


@pytest.mark.lucene
def test_a_warm_validate_starts_no_lucene(lucene, logs, cfg, monkeypatch):
    cold = _lucene_findings(lint.validate([logs], cfg))
    assert len(lucene) == 1 and cold == []
    _fresh_process(monkeypatch)
    assert _lucene_findings(lint.validate([logs], cfg)) == cold
    assert len(lucene) == 1  # every verdict came from the cache: no javac, no JVM


@pytest.mark.lucene
def test_a_changed_query_is_parsed_again_and_a_refusal_is_cached_as_an_error(lucene, logs, cfg, monkeypatch):
    lint.validate([logs], cfg)
    _fresh_process(monkeypatch)
    broken = _lucene_findings(lint.validate([_with_query(logs, BROKEN)], cfg))
    assert len(lucene) == 2  # the changed query was not known: Lucene started, once
    assert [s for s, _ in broken] == ["error"] and "Cannot parse 'level:(ERROR OR'" in broken[0][1]
    _fresh_process(monkeypatch)
    assert _lucene_findings(lint.validate([_with_query(logs, BROKEN)], cfg)) == broken
    assert len(lucene) == 2  # the refusal came from the cache, still an error


@pytest.mark.lucene
def test_a_tampered_verdict_goes_to_lucene_again(lucene, cache, logs, cfg, monkeypatch):
    broken = _lucene_findings(lint.validate([_with_query(logs, BROKEN)], cfg))
    for entry in cache.glob("verdict-*.json"):
        entry.write_bytes(entry.read_bytes().replace(b'"ok": false', b'"ok": true '))
    _fresh_process(monkeypatch)
    assert _lucene_findings(lint.validate([_with_query(logs, BROKEN)], cfg)) == broken
    assert len(lucene) == 2


@pytest.mark.lucene
def test_the_bridge_is_compiled_once_then_its_classes_are_reused(cache, monkeypatch):
    from elasticsearch_emulator import lucene_session

    ran: list[str] = []
    real_run = es_lucene.subprocess.run

    def run(command, *args, **kwargs):
        ran.append(os.path.basename(command[0]))
        return real_run(command, *args, **kwargs)

    monkeypatch.setattr(es_lucene.subprocess, "run", run)
    with lucene_session() as first:
        assert first.javac_ran
    with lucene_session() as second:
        assert not second.javac_ran
        second.index("empty", {}, [])
        assert second.search_explained(["empty"], ["level:ERROR"], now_ms=0)[1]  # the copied classes run
    assert ran == ["javac"]
    cache.parent.parent.chmod(0o777)  # others could have swapped the classes: not loaded, compiled privately
    try:
        with lucene_session() as third:
            assert third.javac_ran
    finally:
        cache.parent.parent.chmod(0o700)
    monkeypatch.setenv("TB_DASH_CACHE_DIR", "off")
    with lucene_session() as fourth:
        assert fourth.javac_ran
    assert ran == ["javac"] * 3
