"""The README and the docs stay true: the settings example validates, the
catalog lists every metric, and the README starts with its two commands."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from panels.metrics import CATALOG
from tonebridge_dash.settings import DEFAULTS, from_mapping

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _section(page: str, title: str) -> str:
    text = (ROOT / "docs" / page).read_text(encoding="utf-8")
    start = text.index(f"# {title}")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else None]


def test_settings_example_is_valid_and_shows_the_defaults():
    block = re.search(r"```yaml\n(.*?)```", _section("settings.md", "Settings"), re.S).group(1)
    example = yaml.safe_load(block)
    cfg = from_mapping(example, "docs/settings.md")
    defaults = from_mapping({}).raw  # the engine's defaults under the content's
    assert set(example) == set(DEFAULTS), "the example shows every top-level section"
    for section in ("content", "selectors", "thresholds", "slo", "alerts", "alertmanager"):
        assert example[section] == defaults[section], section
    assert cfg.environment("prod").url.startswith("https://")


def test_metric_catalog_table_lists_every_metric():
    table = _section("writing.md", "Metric catalog")
    for metric in CATALOG:
        assert f"`{metric.name}`" in table, metric.name


def test_readme_starts_with_the_render_and_test_commands():
    first_block = re.search(r"```sh\n(.*?)```", README, re.S).group(1).strip().splitlines()
    assert "tb-dash render" in first_block[0]
    assert first_block[1].startswith("bash .ci/run")
