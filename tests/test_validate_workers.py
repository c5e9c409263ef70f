"""validate DIR checks its files in worker processes (``lint.workers``):
the same report as one process, in the same order, the same one-line
error for a bad file wherever it is, and a clear error for a bad
TB_DASH_WORKERS."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CORPUS = Path(__file__).parent / "dashboards_corpus"


def _validate(directory, workers, *more):
    """``tb-dash validate`` in a process of its own (see the test that uses it)."""
    env = {**os.environ, "TB_DASH_WORKERS": str(workers)}
    return subprocess.run([sys.executable, "-m", "tonebridge_dash", "validate", str(directory), *more],
                          capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture(scope="module")
def many(tmp_path_factory):
    """Twenty dashboards: the corpus, twice over, the second time with the
    first one's uid (uid-unique must still name the first)."""
    out = tmp_path_factory.mktemp("many")
    files = sorted(CORPUS.glob("*.json"))
    for i in range(20):
        data = json.loads(files[i % len(files)].read_text())
        data["uid"] = f"d{i % 15:02}"
        (out / f"d{i:02}.json").write_text(json.dumps(data))
    return out


def _report(done):
    data = json.loads(done.stdout)
    data.pop("seconds")
    return data


def test_several_workers_report_what_one_does(many):
    """Processes of their own: each has its own hash seed, so what depends on
    it (the order of a set) differs between them as between two runs of the
    command; forked from one process, the workers would share it."""
    one, three = _validate(many, 1, "--format", "json"), _validate(many, 3, "--format", "json")
    assert one.returncode == three.returncode and one.stderr == three.stderr == ""
    assert _report(one) == _report(three)
    assert any(f["rule"] == "uid-unique" for f in _report(one)["findings"])
    assert _validate(many, 3).stdout == _validate(many, 1).stdout  # the text report too


@pytest.mark.parametrize("workers", [1, 3])
def test_a_bad_file_among_them_is_the_same_one_line(tb, many, tmp_path, workers):
    bad = tmp_path / "dir"
    shutil.copytree(many, bad)
    (bad / "d07.json").write_text('{"title": "broken", ')
    done = tb("validate", bad, env={"TB_DASH_WORKERS": workers})
    assert done.code == 2
    assert done.err.strip().splitlines() == [done.err.strip()]
    assert "d07.json: not valid JSON" in done.err


@pytest.mark.parametrize("value", ["0", "many", "-2"])
def test_a_bad_number_of_workers_is_a_usage_error(tb, many, value):
    done = tb("validate", many, env={"TB_DASH_WORKERS": value})
    assert done.code == 2 and done.err.startswith("tb-dash: error: TB_DASH_WORKERS=")


def _die_on_the_third(path):
    if path.name == "d03.json":
        os._exit(9)  # as a worker killed by the system would end
    from tonebridge_dash.cli.dashboards import _loaded

    return _loaded(path)


def test_a_worker_that_dies_ends_the_run_with_one_error_not_a_hang(many):
    from tonebridge_dash.dashboard.files import paths
    from tonebridge_dash.lint import Run
    from tonebridge_dash.lint.workers import check_files
    from tonebridge_dash.errors import TbDashError

    with pytest.raises(TbDashError, match="a worker process of validate died"):
        list(check_files(paths(many), _die_on_the_third, Run(None, profile="grafana"), 2))
