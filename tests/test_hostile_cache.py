"""The user's cache of compiled schemas and parsed YAML holds code that runs
in the process (``compiled``): it is used only when nobody but this user
(or root) could have put anything there. Every directory from ``/`` down
is checked, entries are opened without following links, and what was
opened is checked, not what a path names."""

from __future__ import annotations

import os
import stat

import pytest

from tonebridge_dash import compiled

pytestmark = pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX owners and modes")

SCHEMA = {"type": "object", "properties": {"name": {"type": "string"}}}
FORM = b"tb-dash test entry 1\n"
NOBODY = 65534


@pytest.fixture()
def base(tmp_path):
    """A directory of ours, 0700, whose parents are the system's."""
    d = tmp_path / "home"
    d.mkdir(mode=0o700)
    return d


def _forge(directory, validate_sets: str) -> None:
    """Every compiled entry in ``directory`` replaced by a well-formed one
    whose validator records that it ran (what an attacker would plant)."""
    code = ("validate", compile(f"def validate(data):\n    import os\n    os.environ['{validate_sets}'] = '1'\n"
                                "    return data\n", "<forged>", "exec"))
    import marshal

    for path in directory.glob("*.bin"):
        compiled.write_entry(directory, path, compiled.FORMAT, marshal.dumps(code))


def _cache_in(monkeypatch, where):
    monkeypatch.setenv("TB_DASH_CACHE_DIR", str(where))
    return where / "schemas"


def test_a_parent_others_may_write_makes_the_cache_unused(base, monkeypatch):
    """The reported case: the last directory is ours and 0700, but a parent
    is writable by others, who could rename it and put forged code in its place."""
    cache = _cache_in(monkeypatch, base / "shared" / "tb-dash")
    compiled.validator(SCHEMA, "thing")
    _forge(cache, "TB_DASH_FORGED_RAN")
    monkeypatch.delenv("TB_DASH_FORGED_RAN", raising=False)
    (base / "shared").chmod(0o777)
    compiled.validator(SCHEMA, "thing")({"name": "x"})
    assert "TB_DASH_FORGED_RAN" not in os.environ  # the forged validator did not run: compiled afresh
    before = {p.name: p.read_bytes() for p in cache.iterdir()}
    compiled.validator({**SCHEMA, "required": ["name"]}, "other")
    assert {p.name: p.read_bytes() for p in cache.iterdir()} == before  # and nothing written there


def test_a_safe_cache_is_used(base, monkeypatch):
    """The check does not turn a good cache off: the same layout, 0755 parents
    (proved by planting an entry: ours is trusted, so it runs)."""
    cache = _cache_in(monkeypatch, base / "shared" / "tb-dash")
    compiled.validator(SCHEMA, "thing")
    _forge(cache, "TB_DASH_PLANTED_RAN")
    monkeypatch.delenv("TB_DASH_PLANTED_RAN", raising=False)
    compiled.validator(SCHEMA, "thing")({})
    assert os.environ.pop("TB_DASH_PLANTED_RAN") == "1"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in cache.iterdir())


@pytest.mark.parametrize("mode", [0o770, 0o707, 0o3777])
def test_the_entries_directory_must_be_ours_alone_even_sticky(base, monkeypatch, mode):
    cache = base / "c" / "yaml"
    compiled.write_entry(cache, cache / "e.json", FORM, b"{}")
    assert compiled.read_entry(cache, cache / "e.json", FORM) == b"{}"
    cache.chmod(mode)
    assert compiled.read_entry(cache, cache / "e.json", FORM) is None
    compiled.write_entry(cache, cache / "f.json", FORM, b"{}")
    assert not (cache / "f.json").exists()


def test_a_sticky_shared_parent_is_fine_when_the_next_level_is_ours(base):
    """Like /tmp: others may add names but not rename or remove ours."""
    shared = base / "tmp"
    shared.mkdir()
    shared.chmod(0o1777)
    cache = shared / "mine" / "schemas"
    compiled.write_entry(cache, cache / "e.bin", FORM, b"payload")
    assert compiled.read_entry(cache, cache / "e.bin", FORM) == b"payload"
    shared.chmod(0o777)  # not sticky: anyone may rename "mine" away and put theirs there
    assert compiled.read_entry(cache, cache / "e.bin", FORM) is None


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to give a file away")
@pytest.mark.parametrize("owned_by_other", ["parent", "below-sticky", "entries", "entry"])
def test_what_another_user_owns_is_not_used(base, owned_by_other):
    """Root may trust root's directories, not another user's (this runs as root)."""
    shared = base / "tmp"
    shared.mkdir()
    shared.chmod(0o1777)
    parent = shared / "theirs"
    cache = parent / "yaml"
    compiled.write_entry(cache, cache / "e.json", FORM, b"{}")
    assert compiled.read_entry(cache, cache / "e.json", FORM) == b"{}"
    target = {"parent": base, "below-sticky": parent, "entries": cache, "entry": cache / "e.json"}[owned_by_other]
    os.chown(target, NOBODY, NOBODY)
    assert compiled.read_entry(cache, cache / "e.json", FORM) is None


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to give a file away")
def test_a_parent_owned_by_root_is_trusted_unless_below_a_shared_directory(base):
    """Above a sticky shared directory, root's directories are the system's; below
    one, a directory must be this user's own (root here, so root passes)."""
    cache = base / "a" / "b"
    compiled.write_entry(cache, cache / "e", FORM, b"x")
    assert compiled.read_entry(cache, cache / "e", FORM) == b"x"


def test_an_entry_that_is_a_link_is_not_followed(base, tmp_path):
    cache = base / "c"
    compiled.write_entry(cache, cache / "real", FORM, b"payload")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_bytes((cache / "real").read_bytes())
    (cache / "link").symlink_to(elsewhere)
    assert compiled.read_entry(cache, cache / "link", FORM) is None
    compiled.write_entry(cache, cache / "link", FORM, b"new")  # replaces the link, never writes through it
    assert not (cache / "link").is_symlink() and compiled.read_entry(cache, cache / "link", FORM) == b"new"
    assert elsewhere.read_bytes() != (cache / "link").read_bytes()


@pytest.mark.parametrize("make", ["fifo", "directory", "group-writable"])
def test_an_entry_that_is_not_our_plain_file_is_not_read(base, make):
    cache = base / "c"
    compiled.write_entry(cache, cache / "e", FORM, b"payload")
    entry = cache / "e"
    if make == "group-writable":
        entry.chmod(0o620)
    else:
        entry.unlink()
        os.mkfifo(entry) if make == "fifo" else entry.mkdir()
    assert compiled.read_entry(cache, entry, FORM) is None  # and did not hang on the fifo


def test_a_linked_parent_is_judged_by_where_it_leads(base, tmp_path):
    """A link to a directory others may write does not make it ours."""
    open_dir = tmp_path / "open"
    open_dir.mkdir()
    (base / "cache").symlink_to(open_dir)
    cache = base / "cache" / "schemas"
    compiled.write_entry(cache, cache / "e", FORM, b"x")
    assert compiled.read_entry(cache, cache / "e", FORM) == b"x"  # 0755 under ours: fine
    open_dir.chmod(0o777)
    assert compiled.read_entry(cache, cache / "e", FORM) is None


def test_yaml_is_parsed_afresh_under_an_unsafe_parent(base, monkeypatch):
    """The parsed-YAML cache goes through the same check."""
    from tonebridge_dash.files import read as inputs

    monkeypatch.setenv("TB_DASH_CACHE_DIR", str(base / "shared" / "tb-dash"))
    text = "grafana: {folder: {uid: ops}}\n"
    assert inputs.load_yaml(text, "x.yaml") == {"grafana": {"folder": {"uid": "ops"}}}
    (entry,) = (base / "shared" / "tb-dash" / "yaml").iterdir()
    blob = entry.read_bytes()
    forged = b'{"grafana":{"folder":{"uid":"evil"}}}'
    import hashlib

    entry.write_bytes(blob[:blob.index(b"\n") + 1] + hashlib.sha256(forged).digest() + forged)
    assert inputs.load_yaml(text, "x.yaml")["grafana"]["folder"]["uid"] == "evil"  # ours: trusted
    (base / "shared").chmod(0o777)
    assert inputs.load_yaml(text, "x.yaml")["grafana"]["folder"]["uid"] == "ops"
