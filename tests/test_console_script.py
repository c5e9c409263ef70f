"""The installed ``tb-dash`` command with its output a pipe, as a shell
pipeline, ``out=$(...)`` or a CI step runs it: every command ends (the
reader sees the end of its output) and leaves no process and no temporary
file behind.

Each command runs in a session of its own, with a marker in its
environment (which every process it starts inherits) and ``TMPDIR`` a
directory of the test's; after its output ended, nothing may run with the
marker and the directory must be empty. Before, ``validate DIR`` ended its
process with ``os._exit``, which skipped the shutdown of its worker pool:
the forked workers lived on, holding stdout, and the pipe never ended.

So every test here runs the installed script as a process of its own.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest

from emulated import TOKEN, emu  # noqa: F401 (fixture)
from tonebridge_dash.preview.chromium import find_chromium

TB = Path(sys.executable).with_name("tb-dash")  # the console script installed beside the interpreter
ENDS_WITHIN = 120  # seconds: generous, a hang is what is tested, not speed

pytestmark = pytest.mark.skipif(not TB.exists(), reason="tb-dash is not installed beside this interpreter")


def marked(marker: str) -> list[str]:
    """The processes running (not zombies) with ``marker`` in their environment."""
    found = []
    needle = marker.encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle not in (entry / "environ").read_bytes():
                continue
            stat = (entry / "stat").read_text()
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if stat.rsplit(")", 1)[-1].split()[0] != "Z":
            found.append(f"{entry.name}: {stat[:80]}")
    return found


class Piped:
    """``tb-dash ARGS`` started with stdout and stderr pipes."""

    made: list[Path] = []  # the temporary directories, removed after each test

    def __init__(self, tmp_path: Path, *args: str, env: dict | None = None) -> None:
        self.marker = f"TB_DASH_TEST_MARK={uuid.uuid4().hex}"
        # short: Chromium puts a socket in $TMPDIR, and a socket's path has at most 107 bytes
        self.tmp = Path(tempfile.mkdtemp(prefix="tbpipe-"))
        self.made.append(self.tmp)
        key, value = self.marker.split("=")
        environ = {**os.environ, "TMPDIR": str(self.tmp), key: value, "TB_DASH_API": "legacy", **(env or {})}
        for name in ("GRAFANA_URL", "GRAFANA_USER", "GRAFANA_PASSWORD"):
            environ.pop(name, None)
        self.process = subprocess.Popen([str(TB), *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, cwd=tmp_path, env=environ,
                                        start_new_session=True)

    def end(self) -> tuple[int, str, str]:
        """Read both pipes to their end: (exit code, stdout, stderr). A pipe
        still held open by anything the command started fails the test."""
        try:
            out, err = self.process.communicate(timeout=ENDS_WITHIN)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"tb-dash's output did not end within {ENDS_WITHIN} s; left: {marked(self.marker)}")
        assert "Traceback" not in out.decode() + err.decode()
        assert TOKEN not in out.decode() + err.decode()
        return self.process.returncode, out.decode(), err.decode()

    def left(self) -> tuple[list[str], list[str]]:
        """What runs and what is in the temporary directory now."""
        return marked(self.marker), sorted(p.name for p in self.tmp.iterdir())

    def kill(self) -> None:
        for line in marked(self.marker):
            try:
                os.kill(int(line.split(":")[0]), signal.SIGKILL)
            except OSError:
                pass


@pytest.fixture(autouse=True)
def _temporary_directories():
    yield
    while Piped.made:
        shutil.rmtree(Piped.made.pop(), ignore_errors=True)


def ends_clean(tmp_path: Path, *args: str, env: dict | None = None, code: int = 0) -> tuple[str, str]:
    run = Piped(tmp_path, *args, env=env)
    got, out, err = run.end()
    assert got == code, f"exit {got}: {err[-2000:]}"
    assert run.left() == ([], [])
    return out, err


@pytest.fixture()
def out_dir(tmp_path):
    """The dashboards rendered, with copies enough for validate's worker processes."""
    out, _ = ends_clean(tmp_path, "render", "--out", "out")
    files = sorted((tmp_path / "out").glob("*.json"))
    for copy in (1, 2):
        for f in files:
            dashboard = json.loads(f.read_text())
            dashboard["uid"] = f"{dashboard['uid'][:30]}-{copy}"
            dashboard["title"] = f"{dashboard['title']} {copy}"
            (f.parent / f"{copy}-{f.name}").write_text(json.dumps(dashboard))
    return "out"


def test_render_ends(tmp_path):
    out, err = ends_clean(tmp_path, "render", "--out", "out")
    assert "created" in out and "rendered" in err and list((tmp_path / "out").glob("*.json"))


@pytest.mark.parametrize("workers", ["2", "1"])
def test_validate_with_worker_processes_ends(tmp_path, out_dir, workers):
    """The case that hung: several files checked by forked workers."""
    for _ in range(3):  # it was racy: sometimes the workers were gone in time
        out, _ = ends_clean(tmp_path, "validate", out_dir, env={"TB_DASH_WORKERS": workers})
        assert "validated 21 dashboards: 0 error(s)" in out


def test_validate_ends_when_its_reader_goes_away(tmp_path, out_dir):
    """``tb-dash validate DIR | head -1``: the reader closes the pipe early;
    the command still ends, its workers with it, without a traceback."""
    run = Piped(tmp_path, "validate", out_dir, env={"TB_DASH_WORKERS": "2"})
    run.process.stdout.readline()
    run.process.stdout.close()
    try:
        err = run.process.stderr.read().decode()
        run.process.wait(timeout=ENDS_WITHIN)
    except subprocess.TimeoutExpired:
        run.kill()
        pytest.fail("validate did not end after its reader went away")
    assert "Traceback" not in err
    assert run.left() == ([], [])


def test_rules_list_and_config_end(tmp_path):
    out, _ = ends_clean(tmp_path, "rules", "--out", "rules")
    assert list((tmp_path / "rules").glob("*.yml"))
    out, _ = ends_clean(tmp_path, "list", "--format", "json")
    assert json.loads(out)
    out, _ = ends_clean(tmp_path, "config")
    assert out.strip()


def test_import_ends(tmp_path, out_dir):
    (tmp_path / "pkg").mkdir()
    first = sorted((tmp_path / out_dir).glob("tb-*.json"))[0]
    ends_clean(tmp_path, "import", str(first), "--out", "pkg")
    assert list((tmp_path / "pkg").glob("*.py"))


def test_diff_push_and_pull_end(tmp_path, emu):
    grafana = {"GRAFANA_TOKEN": TOKEN}
    out, _ = ends_clean(tmp_path, "diff", "--grafana-url", emu.url, env=grafana, code=1)  # all new
    assert "new" in out
    out, _ = ends_clean(tmp_path, "push", "--grafana-url", emu.url, "-j", "4", env=grafana)
    assert "created" in out
    ends_clean(tmp_path, "diff", "--grafana-url", emu.url, env=grafana)
    ends_clean(tmp_path, "pull", "--all", "--out", "pulled", "--grafana-url", emu.url, env=grafana)
    assert list((tmp_path / "pulled").glob("*.json"))


def test_a_refused_command_ends(tmp_path):
    """An expected failure: one line on stderr, exit 2, nothing left."""
    _, err = ends_clean(tmp_path, "push", "--grafana-url", "not a url", code=2)
    assert len(err.splitlines()) == 1 and err.startswith("tb-dash: error:")


def test_check_ends(tmp_path, out_dir, prometheus):
    ends_clean(tmp_path, "check", out_dir, "--prometheus-url", prometheus.url, "--time", str(prometheus.end))


@pytest.mark.chromium
def test_preview_png_ends(tmp_path, prometheus):
    if find_chromium() is None:
        pytest.skip("chromium not installed (apt-get install chromium); .ci/run installs it")
    ends_clean(tmp_path, "render", "--out", "out")
    ends_clean(tmp_path, "preview", "out", "--png", "png", "--prometheus-url", prometheus.url,
               "--time", str(prometheus.end))
    assert len(list((tmp_path / "png").glob("*.png"))) == len(list((tmp_path / "out").glob("*.json")))


@pytest.mark.prometheus
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_demo_stopped_by_a_signal_ends(tmp_path, signum):
    if any(shutil.which(b) is None for b in ("prometheus", "promtool")):
        pytest.skip("prometheus and promtool not installed (apt-get install prometheus); .ci/run installs it")
    run = Piped(tmp_path, "demo", "--hours", "0.25")
    line = run.process.stdout.readline().decode()
    assert line.startswith("Prometheus at http://127.0.0.1:"), line
    run.process.send_signal(signum)
    code, _, err = run.end()
    assert code == 0 and "stopped" in err
    assert run.left() == ([], [])
