"""However ``preview --png`` ends, it leaves no Chromium running and no
Chromium profile in the temporary directory: stopped by SIGINT, SIGTERM
or SIGHUP while a page is drawing (exit 128+N, one line on stderr), or
killed by SIGKILL (Chromium dies with it; the next run removes the
profile left behind).

Each run is a process of its own: the signals, the processes left behind
and the temporary directory (its ``TMPDIR``) are the point."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from preview_fakes import FakePrometheus
from tonebridge_dash.preview.chromium import find_chromium

pytestmark = pytest.mark.chromium

PREFIX = "tb-dash-chromium-"
DASHBOARD = {"uid": "slow", "title": "Slow", "panels": [
    {"id": 1, "type": "timeseries", "title": "Waits", "gridPos": {"x": 0, "y": 0, "w": 24, "h": 8},
     "targets": [{"refId": "A", "expr": "x"}]}]}


@pytest.fixture(autouse=True)
def chromium_needed():
    if find_chromium() is None:
        pytest.skip("chromium not installed (apt-get install chromium); .ci/run installs it")


@pytest.fixture(scope="module")
def hanging():
    with FakePrometheus(hang=120) as p:  # the page waits for its range query: the run is mid-way
        yield p


@pytest.fixture
def workdir():
    # short: Chromium puts a socket in $TMPDIR, and a socket's path has at most 107 bytes
    path = Path(tempfile.mkdtemp(prefix="tbsig-"))
    (path / "in").mkdir()
    (path / "in" / "slow.json").write_text(json.dumps(DASHBOARD), encoding="utf-8")
    (path / "tmp").mkdir()
    yield path
    shutil.rmtree(path, ignore_errors=True)


def start(workdir: Path, prometheus_url: str) -> subprocess.Popen:
    env = {**os.environ, "TMPDIR": str(workdir / "tmp")}
    return subprocess.Popen([sys.executable, "-m", "tonebridge_dash", "preview", str(workdir / "in"), "--png",
                             str(workdir / "out"), "-p", prometheus_url, "--timeout", "300"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def profiles(workdir: Path) -> list[Path]:
    return sorted((workdir / "tmp").glob(PREFIX + "*"))


def processes_using(path: Path) -> list[str]:
    """The command lines of the processes that name ``path`` (Chromium and its helpers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if str(path) in cmdline:
                found.append(f"{entry.name}: {cmdline[:120]}")
    return found


def wait_until(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout}s")
        time.sleep(0.1)
    return value


def drawing(workdir: Path, prometheus: FakePrometheus) -> subprocess.Popen:
    """A run started and caught mid-way: Chromium up, its page waiting for Prometheus."""
    seen = len(prometheus.requests)
    run = start(workdir, prometheus.url)
    wait_until(lambda: any("query_range" in r for r in prometheus.requests[seen:]) or run.poll() is not None,
               60, "the page asking for its data")
    assert run.poll() is None, run.communicate()
    assert len(profiles(workdir)) == 1
    return run


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_stops_it_with_nothing_left(workdir, hanging, signum):
    run = drawing(workdir, hanging)
    run.send_signal(signum)
    out, err = run.communicate(timeout=30)
    assert run.returncode == 128 + signum, err
    assert err.count("\n") == 1 and signum.name in err and "Traceback" not in err, err
    assert profiles(workdir) == []
    wait_until(lambda: processes_using(workdir / "tmp") == [], 10, "every Chromium process ending")


def test_sigkill_leaves_no_chromium_and_the_next_run_removes_its_profile(workdir, hanging):
    run = drawing(workdir, hanging)
    run.kill()
    run.communicate(timeout=30)
    wait_until(lambda: processes_using(workdir / "tmp") == [], 15, "Chromium dying with its parent")
    (left,) = profiles(workdir)  # no handler sees SIGKILL
    with FakePrometheus() as quick:
        again = start(workdir, quick.url)
        _, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    assert profiles(workdir) == [] and not left.exists()
    assert (workdir / "out" / "slow.png").is_file()


def test_a_page_that_never_finishes_fails_with_nothing_left(workdir, hanging):
    seen = len(hanging.requests)
    env = {**os.environ, "TMPDIR": str(workdir / "tmp")}
    done = subprocess.run([sys.executable, "-m", "tonebridge_dash", "preview", str(workdir / "in"), "--png",
                           str(workdir / "out"), "-p", hanging.url, "--timeout", "2"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert any("query_range" in r for r in hanging.requests[seen:])
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "did not happen within 2s" in done.stderr, done.stderr
    assert profiles(workdir) == []
    wait_until(lambda: processes_using(workdir / "tmp") == [], 10, "every Chromium process ending")
