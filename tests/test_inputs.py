"""Inputs tb-dash reads (settings, dashboard JSON, token files): bounded in
size, nesting and alias expansion, regular files only, and every refusal
one line with exit code 2."""

from __future__ import annotations

import resource
import subprocess
import sys

import pytest

from tonebridge_dash.errors import EXIT_USAGE, SettingsError
from tonebridge_dash.settings import load_settings


def bomb(levels: int = 9) -> str:
    """A YAML "billion laughs": nine aliases per level, 9**levels strings
    once expanded, in under 400 bytes."""
    expr = "&a0 [" + ",".join(["lol"] * 9) + "]"
    for i in range(1, levels):
        expr = f"&a{i} [{expr}" + f",*a{i - 1}" * 8 + "]"
    return expr


def run_limited(*args, cwd=None, memory=1 << 30, timeout=60):
    """``tb-dash *args`` in a process that may use at most ``memory`` bytes."""
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return subprocess.run([sys.executable, "-m", "tonebridge_dash", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, preexec_fn=limit)


def one_line_error(done, code=EXIT_USAGE) -> str:
    assert done.returncode == code, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tb-dash: error: "), done.stderr[-2000:]
    return lines[0]


@pytest.mark.parametrize("place", [
    "thresholds:\n  error_ratio: {b}\n",
    "dashboards:\n  tags: {b}\n",
    "alerts:\n  teams: {{X: {b}}}\n",
    "validate:\n  exclude: {b}\n",
])
def test_an_alias_bomb_is_refused_in_bounded_memory(tmp_path, place):
    """Before: the schema error quoted the expanded value, gigabytes of it
    (MemoryError under this 1 GiB limit, or the machine's memory without)."""
    content = place.format(b=bomb())
    assert len(content) < 430
    (tmp_path / "bomb.yaml").write_text(content)
    for command in (("validate",), ("render", "--out", "out"), ("rules", "--out", "out")):
        line = one_line_error(run_limited(*command, "--config", "bomb.yaml", cwd=tmp_path))
        assert "bomb.yaml: invalid YAML: aliases expand to more than 100000 values" in line
    assert not (tmp_path / "out").exists()


def test_a_huge_value_is_clipped_in_the_message(tmp_path):
    """Before: the message quoted the whole 200 kB value."""
    (tmp_path / "tb-dash.yaml").write_text("dashboards:\n  refresh: '" + "x" * 200_000 + "'\n")
    line = one_line_error(run_limited("validate", cwd=tmp_path))
    assert line.startswith("tb-dash: error: tb-dash.yaml: key 'dashboards.refresh': 'xxx")
    assert len(line) < 400


def test_a_value_with_a_newline_stays_on_one_line(tmp_path):
    (tmp_path / "tb-dash.yaml").write_text('thresholds:\n  "a\\nb": {critical: 1}\n')
    line = one_line_error(run_limited("validate", cwd=tmp_path))
    assert "'a\\nb' does not match" in line


@pytest.mark.parametrize("content, message", [
    ("a: &a [*a]\n", "invalid YAML: an alias refers to a value that contains it at line 1"),
    ("a: " + "[" * 100 + "]" * 100 + "\n", "invalid YAML: nested deeper than 64 levels"),
    ("a: &a " + "[" * 40 + "]" * 40 + "\nb: " + "[" * 40 + "*a" + "]" * 40 + "\n",
     "invalid YAML: nested deeper than 64 levels"),  # through an alias
    ("1: x\n", "top level: key 1 is not a string (quote it)"),
    ("dashboards:\n  tags: [2026-01-31]\n", "key 'dashboards.tags[0]': a date is not a plain value"),
    ("dashboards:\n  tags: !!set {a, b}\n", "key 'dashboards.tags': a set is not a plain value"),
    ("dashboards:\n  tags: [!!binary aGVsbG8=]\n", "key 'dashboards.tags[0]': a bytes is not a plain value"),
    ("check:\n  series_budget: " + "9" * 5000 + "\n", "invalid YAML: Exceeds the limit"),
])
def test_yaml_that_cannot_be_settings_is_one_settings_error(tmp_path, content, message):
    (tmp_path / "tb-dash.yaml").write_text(content)
    with pytest.raises(SettingsError) as e:
        load_settings(tmp_path / "tb-dash.yaml")
    assert str(e.value).startswith(f"{tmp_path / 'tb-dash.yaml'}: {message}"), str(e.value)
    assert len(str(e.value)) < 400
