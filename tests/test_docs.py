"""The README stays true: its settings example validates, its catalog
lists every metric, and its commands exist."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from panels.metrics import CATALOG
from tonebridge_dash.settings import DEFAULTS, from_mapping

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    start = README.index(f"## {title}")
    end = README.find("\n## ", start + 1)
    return README[start:end if end != -1 else None]


def test_settings_example_is_valid_and_shows_the_defaults():
    block = re.search(r"```yaml\n(.*?)```", _section("Settings"), re.S).group(1)
    example = yaml.safe_load(block)
    cfg = from_mapping(example, "README")
    defaults = from_mapping({}).raw  # the engine's defaults under the content's
    assert set(example) == set(DEFAULTS), "the example shows every top-level section"
    for section in ("content", "selectors", "thresholds", "slo", "alerts", "alertmanager"):
        assert example[section] == defaults[section], section
    assert cfg.environment("prod").url.startswith("https://")


def test_metric_catalog_table_lists_every_metric():
    table = _section("Metric catalog")
    for metric in CATALOG:
        assert f"`{metric.name}`" in table, metric.name


def test_readme_starts_with_the_render_and_test_commands():
    first_block = re.search(r"```sh\n(.*?)```", README, re.S).group(1).strip().splitlines()
    assert "tb-dash render" in first_block[0]
    assert first_block[1].startswith("bash .ci/run")
