"""File output: durable (file and directory synced), all or nothing for a
set of files, temporaries of a killed run removed, special files refused."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from contextlib import contextmanager

import pytest

from tonebridge_dash.dashboard.render import build_all, write_dashboards
from tonebridge_dash.model import Rendered
from tonebridge_dash.files.write import OutputError, write_all, write_atomic


def temporaries(directory) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


def dead_pid() -> int:
    """The pid of a process that has ended (a process of its own: its pid is the point)."""
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


@contextmanager
def unblocked_after(fifo, seconds: float = 60):
    """A guard against a hang, not a measure: if the command opened ``fifo``
    and waits for its other end, a peer opens and closes it after
    ``seconds``, so the command ends; the list it yields then says so."""
    fired: list[bool] = []

    def peer():
        fired.append(True)
        os.close(os.open(fifo, os.O_RDWR | os.O_NONBLOCK))

    timer = threading.Timer(seconds, peer)
    timer.start()
    try:
        yield fired
    finally:
        timer.cancel()


def test_writes_are_synced_to_disk_file_and_directory(tmp_path, monkeypatch):
    """Before: no fsync at all; a power cut after render could bring back the
    old files, or empty ones."""
    synced = []
    real = os.fsync

    def fsync(fd):
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    write_all(tmp_path, [("a.json", b"1\n", 0o644), ("b.json", b"2\n", 0o644)])
    files = [s for s in synced if s.endswith(".tmp")]
    assert len(files) == 2 and all(os.path.basename(f).startswith((".a.json.", ".b.json.")) for f in files)
    assert str(tmp_path) in synced, synced  # the renames themselves
    synced.clear()
    write_atomic(tmp_path / "c.json", b"3\n")
    assert any(s.endswith(".tmp") for s in synced) and str(tmp_path) in synced


def test_a_failure_half_way_leaves_every_old_file_and_no_temporary(tmp_path):
    """Before: the files before the failure were already replaced, a mix of
    old and new."""
    write_all(tmp_path, [("a", b"old a", 0o644), ("b", b"old b", 0o644)])

    def files():
        yield "a", b"new a", 0o644
        yield "b", b"new b", 0o644
        raise OutputError("the third file cannot be encoded")

    with pytest.raises(OutputError):
        write_all(tmp_path, files())
    assert (tmp_path / "a").read_bytes() == b"old a" and (tmp_path / "b").read_bytes() == b"old b"
    assert temporaries(tmp_path) == []


def test_render_is_all_or_nothing_when_a_dashboard_cannot_be_encoded(cfg, tmp_path):
    dashboards = build_all(cfg)
    write_dashboards(dashboards, tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    broken = Rendered.of({**dashboards[-1].data, "refresh": float("nan")})
    changed = [Rendered.of({**d.data, "title": d.title + " v2"}) for d in dashboards[:-1]]
    with pytest.raises(OutputError, match=r"refresh is nan, which JSON cannot hold"):
        write_dashboards([*changed, broken], tmp_path)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_a_killed_render_leaves_the_old_files_and_the_next_render_cleans_up(tb, tmp_path):
    """tb-dash is killed (SIGKILL) when it starts renaming: every file is
    still the old one, and the next render writes them all and leaves no
    temporary file behind (before: a mix of old and new files, and a stray
    temporary that later renders kept). The killed render is a process of
    its own: SIGKILL ends a process."""
    out = tmp_path / "out"
    assert tb("render", "--out", out).code == 0
    old = {p.name: p.read_bytes() for p in out.glob("*.json")}
    (tmp_path / "tb-dash.yaml").write_text("dashboards:\n  refresh: 1m\n")
    kill_on_rename = textwrap.dedent("""
        import os, signal, sys
        rename = os.replace
        def replace(src, dst, *a, **k):  # the first rename into out/ (the caches' are let through)
            if os.path.basename(os.path.dirname(os.path.abspath(dst))) == "out":
                os.kill(os.getpid(), signal.SIGKILL)
            return rename(src, dst, *a, **k)
        os.replace = replace
        sys.argv = ["tb-dash", "render", "--out", "out"]
        from tonebridge_dash.cli import main
        main()
    """)
    killed = subprocess.run([sys.executable, "-c", kill_on_rename], cwd=tmp_path, capture_output=True, timeout=60)
    assert killed.returncode == -9
    assert {p.name: p.read_bytes() for p in out.glob("*.json")} == old
    assert temporaries(out)  # what the killed run left
    done = tb("render", "--out", "out")
    assert done.code == 0, done.err
    assert temporaries(out) == []
    assert all(b'"refresh": "1m"' in p.read_bytes() for p in out.glob("*.json"))


def test_only_temporaries_of_dead_processes_are_removed(tmp_path):
    stale = tmp_path / f".a.json.{dead_pid()}.0.tmp"
    live = tmp_path / f".b.json.{os.getppid()}.0.tmp"  # a process that is running
    other = tmp_path / ".notes.tmp"
    for p in (stale, live, other):
        p.write_text("x")
    write_all(tmp_path, [("a.json", b"{}\n", 0o644)])
    assert not stale.exists() and live.exists() and other.exists()


@pytest.mark.parametrize("command", [("render", "--out", "out"), ("rules", "--out", "out")])
def test_a_fifo_where_a_file_goes_is_refused_and_nothing_is_written(tb, tmp_path, command):
    """Before: render opened the FIFO to compare it and hung for ever."""
    out = tmp_path / "out"
    out.mkdir()
    fifo = out / ("tb-overview.json" if command[0] == "render" else "alertmanager.yml")
    os.mkfifo(fifo)
    with unblocked_after(fifo) as hung:
        done = tb(*command)
    assert not hung, "the command opened the FIFO and waited for its other end"
    assert done.code == 1, done.err
    assert done.err.strip() == f"tb-dash: error: {fifo.relative_to(tmp_path)}: is a FIFO, not a regular file; " \
                                  "tb-dash does not write over it"
    assert sorted(p.name for p in out.iterdir()) == [fifo.name]  # nothing else written, no temporary


def test_a_device_where_a_file_goes_is_refused(tmp_path):
    (tmp_path / "tb-overview.json").symlink_to("/dev/null")
    with pytest.raises(OutputError, match="is a character device, not a regular file"):
        write_all(tmp_path, [("tb-overview.json", b"{}\n", 0o644)])
    assert os.path.islink(tmp_path / "tb-overview.json")
