"""Shared fixtures: settings, the rendered dashboards, the synthetic
Prometheus, and ``tb``, which runs a command in this process.

The tools some tests need (Debian's prometheus, promtool and amtool;
chromium; java, javac and Lucene) give their tests a marker, so that
``pytest -m "not chromium"`` leaves those out; without the tool such a test
skips, saying the tool is "not installed", except under ``CI=true``, where
it fails (``.ci/run`` installs them all)."""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import NamedTuple

import pytest

from tonebridge_dash.dashboard.render import build_all
from tonebridge_dash.settings import from_mapping

# Compiled schemas are cached in a directory of the test run's own, never the
# user's, removed when the run ends.
if "TB_DASH_CACHE_DIR" not in os.environ:
    os.environ["TB_DASH_CACHE_DIR"] = tempfile.mkdtemp(prefix="tb-dash-test-cache-")
    atexit.register(shutil.rmtree, os.environ["TB_DASH_CACHE_DIR"], True)

CI = os.environ.get("CI") == "true"


class Ran(NamedTuple):
    """What a command did: its exit code and what it printed."""

    code: int
    out: str
    err: str


# What a command reads from the environment; a test sets what it needs.
COMMAND_ENV = ("GRAFANA_TOKEN", "GRAFANA_USER", "GRAFANA_PASSWORD", "GRAFANA_URL", "TB_DASH_API",
               "TB_DASH_WORKERS", "PROMETHEUS_URL", "ELASTICSEARCH_URL", "ELASTICSEARCH_API_KEY")
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


ROOT = Path(__file__).resolve().parents[1]  # the checkout: the engine and the project's content


def _under(path: str | None, directory: Path) -> bool:
    return bool(path) and Path(path).resolve().is_relative_to(directory)


def _theirs(path: str | None, cwd: Path) -> bool:
    """Whether a module file is the command directory's own content (not
    the engine's or the project's, even when the command runs here)."""
    return _under(path, cwd) and not _under(path, ROOT)


class _AsIfStarted:
    """What a command run in this process must not see of the test run, or
    leave behind for the next: a content package of its directory shadowed
    by one of the same name imported before (a repository's ``dashboards``
    or ``alerts`` beside the installed ones), the directories it put on
    ``sys.path``, the modules it imported from there, and its signal
    handlers. A command started as a process has none of these."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd.resolve()

    def _shadowed(self) -> dict:
        """The project's content modules whose top-level name is a package
        or module of the command's directory, where it reads its content
        first."""
        own = {p.parent.name for p in self.cwd.glob("*/__init__.py")} | {p.stem for p in self.cwd.glob("*.py")}
        return {name: m for name, m in sys.modules.items()
                if name.split(".")[0] in own - {"tonebridge_dash"} and _under(getattr(m, "__file__", None), ROOT)
                and not _under(getattr(m, "__file__", None), self.cwd)}

    def __enter__(self) -> "_AsIfStarted":
        self.path = list(sys.path)
        self.hidden = self._shadowed()
        for name in self.hidden:
            del sys.modules[name]
        self.modules = set(sys.modules)
        self.handlers = {s: signal.getsignal(s) for s in STOP_SIGNALS}
        return self

    def __exit__(self, *exc) -> None:
        for s, handler in self.handlers.items():
            if signal.getsignal(s) is not handler and handler is not None:
                signal.signal(s, handler)
        tops = {name.split(".")[0] for name in self.hidden}
        for name in set(sys.modules) - self.modules:
            if _theirs(getattr(sys.modules[name], "__file__", None), self.cwd) or name.split(".")[0] in tops:
                del sys.modules[name]
        sys.modules.update(self.hidden)
        sys.path[:] = self.path


@pytest.fixture()
def tb(monkeypatch, capsys, tmp_path):
    """Run a ``tb-dash`` command in this process, as the console script
    would (the same entry point, its exit code, stdout and stderr):
    ``tb("render", "--out", "x", env={...}, cwd=path)`` returns a ``Ran``.
    It runs in the test's own directory unless ``cwd`` says otherwise, with
    none of the Grafana settings of the environment (``env`` sets a
    variable, or removes it with None), and reads its content as a process
    started there would; it never prints a traceback."""
    from tonebridge_dash import cli

    for key in COMMAND_ENV:
        monkeypatch.delenv(key, raising=False)

    def run(*args: str, env: dict | None = None, cwd=None) -> Ran:
        where = Path(cwd or tmp_path)
        monkeypatch.chdir(where)
        for key, value in (env or {}).items():
            if value is None:
                monkeypatch.delenv(key, raising=False)
            else:
                monkeypatch.setenv(key, str(value))
        monkeypatch.setattr(sys, "argv", ["tb-dash", *map(str, args)])
        capsys.readouterr()
        with _AsIfStarted(where):
            try:
                cli.main()
                code = 0
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err
        return Ran(code, out, err)

    return run


# --- the tools the tests need ----------------------------------------------------
@functools.cache
def _missing_prometheus() -> list[str]:
    return [b for b in ("prometheus", "promtool", "amtool") if shutil.which(b) is None]


@functools.cache
def _missing_chromium() -> list[str]:
    from tonebridge_dash.preview.chromium import find_chromium

    return [] if find_chromium() else ["chromium"]


@functools.cache
def _missing_lucene() -> list[str]:
    from tonebridge_dash.elasticsearch.lucene import unavailable

    reason = unavailable()
    return [reason] if reason else []


# marker -> what finds the tools missing (the markers are registered in pyproject.toml)
TOOLS = {"prometheus": _missing_prometheus, "chromium": _missing_chromium, "lucene": _missing_lucene}
# The tests of other files that use a tool when it is there and pass without it.
USES = {"test_fuzz.py::test_fuzzed_settings_end_in_a_documented_exit_code_and_one_line": "prometheus"}
# Words of a skip's reason that name a tool, and its marker.
REASONS = {"chromium": "chromium", "promtool": "prometheus", "amtool": "prometheus", "prometheus": "prometheus",
           "lucene": "lucene", "javac": "lucene"}


def _uses_synthetic_prometheus(item) -> bool:
    info = getattr(item, "_fixtureinfo", None)
    defs = info.name2fixturedefs.get("prometheus") if info else None
    return bool(defs) and getattr(defs[-1].func, "__module__", "") == __name__


def pytest_collection_modifyitems(config, items):
    """Each test that needs a tool gets its marker: by the synthetic
    ``prometheus`` fixture of this file, a skipif whose reason names the
    tool, a marker of its own, or ``USES``. The tests with a tool run
    first (a stable sort: the order within each kind is kept): they are the
    slow ones, and pytest-xdist (``--dist loadfile``) then hands out the
    long files first, so that its workers end together."""
    for item in items:
        if _uses_synthetic_prometheus(item):
            item.add_marker(pytest.mark.prometheus)
        for mark in item.iter_markers("skipif"):
            reason = str(mark.kwargs.get("reason", "")).lower()
            for word, marker in REASONS.items():
                if word in reason:
                    item.add_marker(marker)
        used = USES.get(item.nodeid.split("/")[-1].split("[")[0])
        if used:
            item.add_marker(used)
    with_tool = {item.nodeid.split("::")[0] for item in items if any(item.get_closest_marker(m) for m in TOOLS)}
    items.sort(key=lambda item: item.nodeid.split("::")[0] not in with_tool)


def pytest_runtest_setup(item):
    """Under ``CI=true``, a test marked with a tool fails at once when the
    tool is missing: it can neither skip nor pass without it."""
    if CI:
        for marker, missing in TOOLS.items():
            if item.get_closest_marker(marker) and (gone := missing()):
                pytest.fail(f"CI=true: {', '.join(gone)} not installed; .ci/run installs it", pytrace=False)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under ``CI=true`` a skip for a tool not installed (every such skip
    says "not installed") is a failure, never a silent skip."""
    outcome = yield
    report = outcome.get_result()
    if CI and report.skipped and "not installed" in str(report.longrepr):
        report.outcome = "failed"
        report.longrepr = f"CI=true: a tool the tests need is missing: {report.longrepr}"


def needs(marker: str, *only: str) -> None:
    """Skip the test unless the tools of ``marker`` (``only`` these of
    them) are installed."""
    gone = [t for t in TOOLS[marker]() if not only or t in only]
    if gone:
        pytest.skip(f"{', '.join(gone)} not installed; .ci/run installs it")


# --- shared fixtures ----------------------------------------------------------------
@pytest.fixture(scope="session")
def cfg():
    """The default settings (no tb-dash.yaml)."""
    return from_mapping({})


@pytest.fixture(scope="session")
def rendered(cfg):
    """Every dashboard rendered with the default settings, by uid."""
    return {r.uid: r for r in build_all(cfg)}


@pytest.fixture(scope="session")
def prometheus(cfg, tmp_path_factory):
    """A real Prometheus (Debian's ``prometheus``) over three hours of
    synthetic ToneBridge traffic, backfilled with promtool, with the
    project's recording rules backfilled over it; stopped after the session.
    Query it at ``prometheus.end``, the last sample; ``url`` and
    ``rule_files`` (the recording rules) are the rest. Read it only: every
    test of the session shares it, and under pytest-xdist every worker does
    (the first to need it starts it, and stops it when none uses it)."""
    from tonebridge_dash.prometheus.server import SyntheticPrometheus

    needs("prometheus", "prometheus", "promtool")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker is None:
        with SyntheticPrometheus(cfg=cfg) as prom:
            yield prom
    else:
        yield from _shared(lambda: SyntheticPrometheus(cfg=cfg), tmp_path_factory.getbasetemp().parent, worker)


class _Started(NamedTuple):
    """The synthetic Prometheus another worker started."""

    url: str
    end: float
    rule_files: list


def _shared(start, root: Path, worker: str):
    """The Prometheus of one worker shared with the others of the run
    (``root``, the run's own directory): its address in a file, a lock
    around its start and its end, and a file per worker that uses it."""
    import fcntl
    import json
    import time

    users, state = root / "prometheus-users", root / "prometheus.json"
    users.mkdir(exist_ok=True)
    (users / worker).touch()  # before the lock: the owner cannot stop it under this worker now

    def locked():
        f = open(root / "prometheus.lock", "a")
        fcntl.flock(f, fcntl.LOCK_EX)
        return f

    try:
        with locked():
            data = json.loads(state.read_text()) if state.exists() else None
            if data is None:
                prom = start().__enter__()
                state.write_text(json.dumps({"url": prom.url, "end": prom.end,
                                             "rule_files": [str(p) for p in prom.rule_files]}))
    except BaseException:
        (users / worker).unlink()
        raise
    if data is not None:
        try:
            yield _Started(data["url"], data["end"], [Path(p) for p in data["rule_files"]])
        finally:
            (users / worker).unlink()
        return
    try:
        yield prom
    finally:
        (users / worker).unlink()
        deadline = time.monotonic() + 1800
        while True:  # until no other worker uses it (or, after a crash, half an hour)
            with locked():
                if not any(users.iterdir()) or time.monotonic() > deadline:
                    state.unlink()
                    break
            time.sleep(0.2)
        prom.__exit__(None, None, None)
