"""Every shell block of the README and the docs that names ``tb-dash`` runs
as written, in a clean copy of the repository (its tracked files).

A block says how it is tested in an HTML comment just above it, invisible
on the page: ``<!-- docs-test: skip REASON -->`` for one that cannot run
here (a real Grafana, a Kubernetes cluster, a server until Ctrl-C; the
block that runs ``bash .ci/run`` is CI itself and needs none),
``<!-- docs-test: prometheus ... -->`` (and ``chromium``) for one that needs
Debian's tools. A block that needs Prometheus runs against ``tb-dash demo``,
started by the test with its history only: the URLs of the block become the
demo's and every check and preview runs at the end of the demo's data (a
live demo's "now" moves under a test: just after it starts, or between two
scrapes, check at now can find the data ended; the docs' date is an
example). Blocks run in bash (``-e -o pipefail``): the shell is the point,
so ``tb-dash`` is a process here, the command as a reader types it."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, needs
BLOCK = re.compile(r"(?:<!-- docs-test: (?P<how>[^\n]*?) -->\n)?^```(?:sh|bash|shell)\n(?P<body>.*?)^```", re.S | re.M)
URLS = re.compile(r"https?://(?:127\.0\.0\.1:9099|localhost:9090|prometheus:9090)")
TOOLS = ("prometheus", "chromium", "lucene")
# The README's two set-up commands need no comment above them: the block that runs .ci/run is CI.
SET_UP = "sets up a virtual environment from the package index and runs the whole suite: that is CI (.ci/run) on a clean clone"


def blocks():
    """(where, how, body) of every shell block that names tb-dash."""
    pages = [ROOT / "README.md", *sorted(p for p in (ROOT / "docs").rglob("*.md") if p.parent.name != "reference")]
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for m in BLOCK.finditer(text):
            if re.search(r"(^|[\s/(])tb-dash\s", m.group("body")):
                line = text.count("\n", 0, m.start("body"))
                how = (m.group("how") or "").strip()
                if not how and re.search(r"^bash \.ci/run\b", m.group("body"), re.M):
                    how = f"skip {SET_UP}"
                yield f"{page.relative_to(ROOT)}:{line}", how, m.group("body")


def _params():
    for where, how, body in blocks():
        marks = []
        if how.startswith("skip"):
            marks.append(pytest.mark.skip(reason=f"{where}: {how[4:].strip() or 'skipped'}"))
        marks += [getattr(pytest.mark, t) for t in TOOLS if re.search(rf"\b{t}\b", how.split("(")[0])]
        yield pytest.param(how, body, id=where, marks=marks)


def test_every_block_is_found_and_every_skip_says_why():
    found = list(blocks())
    assert len(found) >= 15
    for where, how, _ in found:
        assert not how.startswith("skip") or len(how) > len("skip ") + 10, f"{where}: say why it is skipped"
        words = set(how.split("(")[0].split()) - {"skip"}
        assert how.startswith("skip") or words <= set(TOOLS), f"{where}: unknown docs-test words {words}"


@pytest.fixture(scope="module")
def shell_env(tmp_path_factory):
    """The environment of a block: ``tb-dash`` this checkout's (a shim to
    this interpreter), none of the reader's Grafana settings."""
    bin_dir = tmp_path_factory.mktemp("bin")
    shim = bin_dir / "tb-dash"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m tonebridge_dash "$@"\n')
    shim.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRAFANA_", "TB_DASH_API", "PROMETHEUS_URL"))}
    env["PATH"] = f"{bin_dir}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.pop("PYTHONPATH", None)
    return env


def clean_copy(to: Path) -> Path:
    """The repository's tracked files (as they are in the working tree), in ``to``."""
    listed = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True, check=False)
    if listed.returncode != 0:
        pytest.skip("not a git checkout: the tracked files are unknown")
    for name in filter(None, listed.stdout.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (to / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, to / name)
    return to


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def demo(tmp_path_factory, shell_env):
    """``tb-dash demo`` on a free port, the history only (``--no-live``): its
    URL and the time its data ends. A process: it serves until stopped."""
    from tonebridge_dash.prometheus.server import find_binary

    if any(find_binary(b) is None for b in ("prometheus", "promtool")):
        pytest.skip("prometheus and promtool not installed; .ci/run installs them")
    workdir = tmp_path_factory.mktemp("demo")
    proc = subprocess.Popen(["tb-dash", "demo", "--hours", "1", "--no-live", "--port", str(_free_port())],
                            cwd=workdir, env=shell_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        line = proc.stdout.readline()
        found = re.search(r"(http://127\.0\.0\.1:\d+): .* last at (\S+)$", line.strip())
        assert found, line + proc.stderr.read()
        yield found.groups()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def against(body: str, url: str, end: str) -> str:
    """A block pointed at the demo: its URLs the demo's, and every check and
    preview at the end of the demo's data (its own --time, or none: now)."""
    body = re.sub(r"--time \S+", f"--time {end}", URLS.sub(url, body))
    return re.sub(r"(tb-dash (?:check|preview)\b(?:(?!--time)[^\n&|;#>])*?)(\s*(?:$|&&|\||;|#|>))",
                  lambda m: m.group(1) + ("" if "--time" in m.group(1) else f" --time {end}") + m.group(2),
                  body, flags=re.M)


def test_a_block_against_the_demo_checks_at_the_end_of_its_data():
    block = "tb-dash check -p http://localhost:9090   # now\ntb-dash render && tb-dash check d -p http://prometheus:9090 --time 2026-01-31T12:00:00Z --format json\n"
    assert against(block, "http://127.0.0.1:1", "T") == (
        "tb-dash check -p http://127.0.0.1:1 --time T   # now\n"
        "tb-dash render && tb-dash check d -p http://127.0.0.1:1 --time T --format json\n")


@pytest.mark.parametrize("how,body", list(_params()))
def test_the_block_runs(how, body, tmp_path, shell_env, request):
    for tool in TOOLS:
        if re.search(rf"\b{tool}\b", how.split("(")[0]):
            needs(tool)
    repo = clean_copy(tmp_path / "repo")
    if URLS.search(body):  # check or preview: against the demo
        body = against(body, *request.getfixturevalue("demo"))
    done = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", body], cwd=repo, env=shell_env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"exit {done.returncode}\n--- stdout\n{done.stdout[-3000:]}\n--- stderr\n{done.stderr[-3000:]}"
    assert "Traceback" not in done.stdout + done.stderr
