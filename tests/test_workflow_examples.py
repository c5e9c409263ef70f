"""The shipped CI example and pre-commit hooks call tb-dash as it is: every
command they run exists and takes the options they pass."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import typer
import yaml

from tonebridge_dash.cli import app

ROOT = Path(__file__).parent.parent


def _invocations() -> list[list[str]]:
    """Every tb-dash command line of the example workflow and the hooks."""
    out = []
    workflow = yaml.safe_load((ROOT / "examples" / "github-actions.yml").read_text())
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            for line in str(step.get("run", "")).split("&&"):
                words = shlex.split(re.split(r"[|>]", line)[0])
                if words and words[0].endswith("tb-dash"):
                    out.append(words[1:])
    for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text()):
        words = shlex.split(hook["entry"]) + list(hook.get("args", []))
        assert words[0] == "tb-dash" and hook["language"] == "python" and hook["pass_filenames"] is False
        out.append(words[1:])
    return out


def test_every_shipped_invocation_names_a_command_and_its_options():
    group = typer.main.get_command(app)
    calls = _invocations()
    assert {c[0] for c in calls} >= {"validate", "render", "rules", "diff", "push"}
    for call in calls:
        command = group.commands.get(call[0])
        assert command is not None, call
        options = {o for p in command.params for o in getattr(p, "opts", [])}
        choices = {}
        for p in command.params:
            if hasattr(getattr(p, "type", None), "choices"):
                choices.update({o: set(p.type.choices) for o in p.opts})
        for i, word in enumerate(call[1:], 1):
            if word.startswith("-"):
                assert word in options, (call, word)
                if word in choices:
                    assert call[i + 1] in choices[word], (call, word)
