"""Shared fixtures: settings and the rendered dashboards."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

import pytest

from tonebridge_dash.dashboard.render import build_all
from tonebridge_dash.settings import from_mapping

# Compiled schemas are cached in a directory of the test run's own, never the
# user's, removed when the run ends.
if "TB_DASH_CACHE_DIR" not in os.environ:
    os.environ["TB_DASH_CACHE_DIR"] = tempfile.mkdtemp(prefix="tb-dash-test-cache-")
    atexit.register(shutil.rmtree, os.environ["TB_DASH_CACHE_DIR"], True)


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
