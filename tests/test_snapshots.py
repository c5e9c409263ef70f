"""Golden JSON snapshots of every rendered dashboard.

A change to any dashboard (a title, a query, a threshold, a position) fails
here until the snapshot is updated on purpose:

    pytest --snapshot-update   # then read the diff of tests/__snapshots__
"""

from __future__ import annotations

import pytest
from syrupy.extensions.json import JSONSnapshotExtension

from tonebridge_dash.content import discover
from tonebridge_dash.dashboard.render import build_one
from tonebridge_dash.settings import from_mapping

MODULES = discover(from_mapping({}).content.dashboards, "build")


@pytest.fixture
def snapshot_json(snapshot):
    return snapshot.use_extension(JSONSnapshotExtension)


@pytest.mark.parametrize("module", MODULES, ids=[m.name for m in MODULES])
def test_dashboard_matches_snapshot(module, snapshot_json):
    rendered = build_one(module.fn, from_mapping({}), module.module)
    assert rendered.data == snapshot_json
