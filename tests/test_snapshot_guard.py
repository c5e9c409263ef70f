"""The snapshot suite must fail when a dashboard changes: run it on a copy
of the project with one panel title edited, and on an unedited copy."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _copy_project(dest: Path) -> Path:
    for name in ("panels", "dashboards", "tonebridge_dash"):
        shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    (dest / "tests").mkdir()
    shutil.copy(ROOT / "tests" / "test_snapshots.py", dest / "tests")
    shutil.copytree(ROOT / "tests" / "__snapshots__" / "test_snapshots",
                    dest / "tests" / "__snapshots__" / "test_snapshots")
    shutil.copy(ROOT / "pyproject.toml", dest)
    return dest


def _run_snapshots(project: Path) -> subprocess.CompletedProcess:
    """The snapshot tests of ``project`` in a pytest process of its own: the
    copy's packages (``panels``, ``dashboards``) must be the ones imported,
    and this run has imported the project's under the same names."""
    env = {**os.environ, "PYTHONPATH": str(project)}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_snapshots.py"],
        cwd=project, env=env, capture_output=True, text=True, timeout=120)


def test_snapshots_fail_when_a_panel_title_changes(tmp_path, request):
    if request.config.getoption("--snapshot-update"):
        pytest.skip("the snapshots are being updated: the guard needs them current")
    unchanged = _run_snapshots(_copy_project(tmp_path / "same"))
    assert unchanged.returncode == 0, ("the snapshots are not current (see test_snapshots.py); "
                                       "the guard needs them current\n" + unchanged.stdout[-2000:])

    edited = _copy_project(tmp_path / "edited")
    source = edited / "panels" / "requests.py"
    text = source.read_text()
    assert '"Response time (p95)",' in text
    source.write_text(text.replace('"Response time (p95)",', '"Response time p95",'))
    result = _run_snapshots(edited)
    assert result.returncode == 1, result.stdout[-2000:]
    assert "FAILED tests/test_snapshots.py::test_dashboard_matches_snapshot[overview]" in result.stdout
    assert "Response time p95" in result.stdout
