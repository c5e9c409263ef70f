"""tb-dash demo: its Prometheus dies with it whatever ends it (SIGINT,
SIGTERM, SIGHUP, SIGKILL), and its temporary directory does not outlive it
by more than the next start.

The demo runs as a process of its own: the signals, its child process and
what is left after it are the point."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tonebridge_dash.prometheus import lifetime
from tonebridge_dash.prometheus.server import find_binary

needs_prometheus = pytest.mark.skipif(
    any(find_binary(b) is None for b in ("prometheus", "promtool")),
    reason="prometheus and promtool not installed (apt-get install prometheus); .ci/run installs it")


def children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def gone(pid: int, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while True:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
        except OSError:
            return True
        if state == "Z":  # dead, waiting for its (new) parent to reap it
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)


def start_demo(tmp_path):
    """A running ``tb-dash demo``: (process, its Prometheus' pid, its workdir).
    The history only (``--no-live``: one Prometheus start less); the live
    demo stopped by a signal is test_console_script's."""
    demo = subprocess.Popen([sys.executable, "-m", "tonebridge_dash", "demo", "--hours", "0.25", "--no-live"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                            start_new_session=True)
    line = demo.stdout.readline()
    assert line.startswith("Prometheus at http://127.0.0.1:"), line + demo.stderr.read()
    [server] = [c for c in children(demo.pid) if "prometheus" in Path(f"/proc/{c}/cmdline").read_text()]
    cmdline = Path(f"/proc/{server}/cmdline").read_text()
    workdir = Path(re.search(r"--storage\.tsdb\.path=(\S+?)/tsdb", cmdline).group(1))
    return demo, server, workdir


@needs_prometheus
@pytest.mark.parametrize("signum", [signal.SIGHUP, signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_demo_and_its_prometheus_and_removes_its_directory(tmp_path, signum):
    """Before, SIGHUP (a closed terminal) killed tb-dash and left Prometheus
    running, re-parented, and its directory."""
    demo, server, workdir = start_demo(tmp_path)
    demo.send_signal(signum)
    code, err = demo.wait(timeout=30), demo.stderr.read()
    assert code == 0 and "stopped" in err, err
    assert gone(server) and not workdir.exists()


@needs_prometheus
def test_sigkill_takes_prometheus_with_it_and_the_next_start_removes_the_directory(tmp_path):
    """Before: Prometheus kept running, re-parented and listening, and its
    temporary directory stayed for ever."""
    demo, server, workdir = start_demo(tmp_path)
    try:
        demo.kill()
        demo.wait(timeout=10)
        assert gone(server), "prometheus outlived tb-dash"
        assert workdir.exists()  # nothing in tb-dash ran: the next start cleans up
        again, server2, workdir2 = start_demo(tmp_path)
        again.send_signal(signal.SIGTERM)
        assert again.wait(timeout=30) == 0
        assert not workdir.exists() and not workdir2.exists()
    finally:
        if not gone(server, 0):
            os.kill(server, signal.SIGKILL)


def test_only_directories_whose_owner_is_gone_are_removed(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    orphan, mine, unclaimed, other = (tmp_path / f"tb-dash-prometheus-{n}" for n in ("a", "b", "c", "d"))
    for d in (orphan, mine, unclaimed):
        d.mkdir()
    other.write_text("not a directory")
    (orphan / lifetime.OWNER).write_text(f"{dead.pid} 1\n")
    lifetime.claim(mine)
    assert lifetime.remove_orphans(tmp_path, "tb-dash-prometheus-") == [orphan]
    assert not orphan.exists() and mine.exists() and unclaimed.exists() and other.exists()


def test_an_orphans_server_still_running_is_stopped(tmp_path):
    """A server whose parent's death was not signalled (another system, or a
    tb-dash before this change) is killed when its directory is removed."""
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    server = subprocess.Popen(["sleep", "300"])
    try:
        d = tmp_path / "tb-dash-prometheus-x"
        d.mkdir()
        (d / lifetime.OWNER).write_text(f"{dead.pid} 1\n")
        lifetime.record_child(d, server.pid)
        assert lifetime.remove_orphans(tmp_path, "tb-dash-prometheus-") == [d]
        assert server.wait(timeout=10) == -signal.SIGKILL
    finally:
        server.kill()
