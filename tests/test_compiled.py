"""Compiled schema validators are kept in the user's cache (``compiled``):
read back instead of compiled again, compiled afresh when the file is
damaged or the schema changed, never read from a directory others may
write, and not kept at all when the cache is off."""

from __future__ import annotations

import os

import fastjsonschema
import pytest

from tonebridge_dash import compiled

SCHEMA = {"$id": "https://example.com/thing", "type": "object", "required": ["name"],
          "properties": {"name": {"type": "string", "pattern": "^[a-z]+$"}, "n": {"type": "integer", "default": 1}}}


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TB_DASH_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / "schemas"


@pytest.fixture()
def compiles(monkeypatch):
    """How many times fastjsonschema generated code."""
    count = []
    real = fastjsonschema.compile_to_code
    monkeypatch.setattr(fastjsonschema, "compile_to_code", lambda *a, **k: count.append(1) or real(*a, **k))
    return count


def _works(validate):
    doc = {"name": "abc"}
    assert validate(doc) == doc and "n" not in doc  # the default is not written into the document
    with pytest.raises(fastjsonschema.JsonSchemaValueException, match="must match pattern"):
        validate({"name": "ABC"})
    with pytest.raises(fastjsonschema.JsonSchemaValueException, match="must contain"):
        validate({})


def test_compiled_once_then_read_from_the_cache(cache, compiles):
    _works(compiled.validator(SCHEMA, "thing"))
    assert len(compiles) == 1 and len(list(cache.glob("*.bin"))) == 1
    assert oct(cache.stat().st_mode & 0o777) == "0o700"
    _works(compiled.validator(SCHEMA, "thing"))
    assert len(compiles) == 1  # read back, not generated again


def test_a_changed_schema_is_compiled_afresh(cache, compiles):
    compiled.validator(SCHEMA, "thing")
    changed = {**SCHEMA, "required": []}
    assert compiled.validator(changed, "thing")({}) == {}
    assert len(compiles) == 2 and len(list(cache.glob("*.bin"))) == 2


@pytest.mark.parametrize("damage", [lambda b: b[: len(b) // 2], lambda b: b[:-1] + bytes([b[-1] ^ 1]),
                                    lambda b: b"", lambda b: b"not a cache file\n" + b[30:]])
def test_a_damaged_file_is_compiled_afresh_and_replaced(cache, compiles, damage):
    compiled.validator(SCHEMA, "thing")
    (path,) = cache.glob("*.bin")
    path.write_bytes(damage(path.read_bytes()))
    _works(compiled.validator(SCHEMA, "thing"))
    assert len(compiles) == 2
    _works(compiled.validator(SCHEMA, "thing"))
    assert len(compiles) == 2  # the damaged file was replaced by a good one


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_directory_others_may_write_is_not_used(cache, compiles):
    compiled.validator(SCHEMA, "thing")
    cache.chmod(0o777)
    (path,) = cache.glob("*.bin")
    before = path.read_bytes()
    _works(compiled.validator(SCHEMA, "thing"))
    assert len(compiles) == 2 and path.read_bytes() == before  # neither read nor written


@pytest.mark.parametrize("value", ["off", "", "0"])
def test_the_cache_can_be_turned_off(tmp_path, monkeypatch, compiles, value):
    monkeypatch.setenv("TB_DASH_CACHE_DIR", value)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    assert compiled.cache_dir() is None
    _works(compiled.validator(SCHEMA, "thing"))
    _works(compiled.validator(SCHEMA, "thing"))
    assert len(compiles) == 2 and list(tmp_path.rglob("*")) == []


def test_an_unwritable_cache_is_only_slower(tmp_path, monkeypatch, compiles):
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    monkeypatch.setenv("TB_DASH_CACHE_DIR", str(blocked))
    _works(compiled.validator(SCHEMA, "thing"))
    assert len(compiles) == 1


def test_the_default_place_is_the_users_cache(monkeypatch, tmp_path):
    monkeypatch.delenv("TB_DASH_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert compiled.cache_dir() == tmp_path / "tb-dash" / "schemas"
