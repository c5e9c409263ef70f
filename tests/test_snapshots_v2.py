"""Golden JSON snapshots of every dashboard as a v2 resource: the twins of
``test_snapshots`` for ``dashboards.schema`` v2beta1 (Grafana 12) and v2
(Grafana 13).

The classic snapshots and these change together: a change to a dashboard
shows in both. Update on purpose only:

    pytest --snapshot-update tests/test_snapshots_v2.py
"""

from __future__ import annotations

import pytest
from syrupy.extensions.json import JSONSnapshotExtension

from tonebridge_dash.content import discover
from tonebridge_dash.dashboard.render import build_one
from tonebridge_dash.dashboard.versioned import as_v2
from tonebridge_dash.settings import from_mapping

MODULES = discover(from_mapping({}).content.dashboards, "build")


@pytest.fixture
def snapshot_json(snapshot):
    return snapshot.use_extension(JSONSnapshotExtension)


@pytest.mark.parametrize("version", ["v2beta1", "v2"])
@pytest.mark.parametrize("module", MODULES, ids=[m.name for m in MODULES])
def test_v2_dashboard_matches_snapshot(module, version, snapshot_json):
    rendered = as_v2(build_one(module.fn, from_mapping({}), module.module), version)
    assert rendered.data == snapshot_json
