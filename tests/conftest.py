"""Shared fixtures: settings and the rendered dashboards."""

from __future__ import annotations

import pytest

from tonebridge_dash.render import render_all
from tonebridge_dash.settings import from_mapping


@pytest.fixture(scope="session")
def cfg():
    """The default settings (no tb-dash.yaml)."""
    return from_mapping({})


@pytest.fixture(scope="session")
def rendered(cfg):
    """Every dashboard rendered with the default settings, by uid."""
    return {r.uid: r for r in render_all(cfg)}
