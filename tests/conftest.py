"""Shared fixtures: settings and the rendered dashboards."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from typing import NamedTuple

import pytest

from tonebridge_dash.dashboard.render import build_all
from tonebridge_dash.settings import from_mapping

# Compiled schemas are cached in a directory of the test run's own, never the
# user's, removed when the run ends.
if "TB_DASH_CACHE_DIR" not in os.environ:
    os.environ["TB_DASH_CACHE_DIR"] = tempfile.mkdtemp(prefix="tb-dash-test-cache-")
    atexit.register(shutil.rmtree, os.environ["TB_DASH_CACHE_DIR"], True)


class Ran(NamedTuple):
    """What a command did: its exit code and what it printed."""

    code: int
    out: str
    err: str


# What a command reads from the environment; a test sets what it needs.
COMMAND_ENV = ("GRAFANA_TOKEN", "GRAFANA_USER", "GRAFANA_PASSWORD", "GRAFANA_URL", "TB_DASH_API",
               "TB_DASH_WORKERS", "PROMETHEUS_URL")


@pytest.fixture()
def tb(monkeypatch, capsys, tmp_path):
    """Run a ``tb-dash`` command in this process, as the console script
    would (the same entry point, its exit code, stdout and stderr):
    ``tb("render", "--out", "x", env={...}, cwd=path)`` returns a ``Ran``.
    It runs in the test's own directory unless ``cwd`` says otherwise, with
    none of the Grafana settings of the environment; it never prints a
    traceback."""
    from tonebridge_dash import cli

    for key in COMMAND_ENV:
        monkeypatch.delenv(key, raising=False)

    def run(*args: str, env: dict | None = None, cwd=None) -> Ran:
        monkeypatch.chdir(cwd or tmp_path)
        for key, value in (env or {}).items():
            if value is None:
                monkeypatch.delenv(key, raising=False)
            else:
                monkeypatch.setenv(key, str(value))
        monkeypatch.setattr(sys, "argv", ["tb-dash", *map(str, args)])
        capsys.readouterr()
        try:
            cli.main()
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err
        return Ran(code, out, err)

    return run


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under ``CI=true`` a tool the tests need (prometheus, promtool,
    amtool, chromium, Lucene) missing is a failure, never a silent skip:
    every such skip says "not installed"."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") == "true" and report.skipped and "not installed" in str(report.longrepr):
        report.outcome = "failed"
        report.longrepr = f"CI=true: a tool the tests need is missing: {report.longrepr}"


@pytest.fixture(scope="session")
def cfg():
    """The default settings (no tb-dash.yaml)."""
    return from_mapping({})


@pytest.fixture(scope="session")
def rendered(cfg):
    """Every dashboard rendered with the default settings, by uid."""
    return {r.uid: r for r in build_all(cfg)}


@pytest.fixture(scope="session")
def prometheus(cfg):
    """A real Prometheus (Debian's ``prometheus``) over three hours of
    synthetic ToneBridge traffic, backfilled with promtool, with the
    project's recording rules backfilled over it; stopped after the session.
    Query it at ``prometheus.end``, the last sample."""
    from tonebridge_dash.prometheus.server import SyntheticPrometheus, find_binary

    missing = [b for b in ("prometheus", "promtool") if find_binary(b) is None]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed (apt-get install prometheus); .ci/run installs it")
    with SyntheticPrometheus(cfg=cfg) as prom:
        yield prom
