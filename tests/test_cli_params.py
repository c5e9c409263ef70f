"""Option values are coerced without pydantic (``cli.params``): the same
values and the same messages as typer's own coercion, for every option of
every command; and a command run does not import pydantic."""

from __future__ import annotations

import json
import subprocess
import sys
import typing
from enum import Enum
from pathlib import Path

import pytest
import typer
from typer import _coercion
from typer._click import Context
from typer._click.exceptions import BadParameter

from tonebridge_dash.cli import app

SAMPLES = {
    str: ["x", "", "  spaced  ", "ü"],
    int: ["3", "0", "-1", "+5", "11", "65536", "2.0", "2.5", "abc", " 7 ", "1_000", "1__0", "_1", "1e3",
          "0x10", "\u0661\u0662", "inf"],
    float: ["1.5", "0", "-2", "1e3", "x", "3600", "0.05", "inf", "nan", "1_000", "0x10", "\u0661", ".5",
            "5.", "1e400"],
    bool: ["true", "false", "yes", "0", "maybe"],
    Path: ["some/dir", "-", "/", "."],
}


def _params():
    command = typer.main.get_command(app)
    for name, sub in sorted(command.commands.items()):
        for param in sub.params:
            descriptor = getattr(param, "type_descriptor", None)
            if descriptor is not None:
                yield name, sub, param, descriptor


def _values(annotation):
    if typing.get_origin(annotation) is list:
        return [tuple(v) for v in (["a", "b"], ["x"])] if typing.get_args(annotation)[0] is str else \
            [tuple(SAMPLES[typing.get_args(annotation)[0]][:2])]
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return [m.value for m in annotation] + [m.value.upper() for m in annotation] + ["bogus"]
    return SAMPLES.get(annotation, [])


def _outcome(runtime, value, param, ctx):
    try:
        return ("value", runtime.coerce(value, param=param, ctx=ctx))
    except BadParameter as e:
        return ("error", e.message.replace("Value error, ", ""))


CASES = [(f"{name} --{param.name}", sub, param, d) for name, sub, param, d in _params()
         if _values(d.annotation)]


@pytest.mark.parametrize("name,command,param,descriptor", CASES, ids=[c[0] for c in CASES])
def test_the_same_values_and_messages_as_typer(name, command, param, descriptor):
    ctx = Context(command)
    ours = param.get_runtime_param()
    theirs = _coercion.build_runtime_param(descriptor)
    for value in _values(descriptor.annotation):
        assert _outcome(ours, value, param, ctx) == _outcome(theirs, value, param, ctx), (name, value)


def test_every_option_of_the_command_line_is_coerced_without_pydantic():
    slow = [f"{name} --{param.name} ({descriptor.annotation})" for name, _, param, descriptor in _params()
            if type(param.get_runtime_param()).__name__ != "Plain"]
    assert slow == []


def test_a_command_run_does_not_import_pydantic(tmp_path):
    """A process of its own: what a command imports is seen only in an
    interpreter that has imported nothing else (the test run has pydantic)."""
    script = ("import sys\n"
              "sys.argv = ['tb-dash', 'push', '--retries', '3', '--concurrency', '2', '--timeout', '5',\n"
              "            '--format', 'json', '--from', 'nowhere', '--api', 'legacy', '--grafana-url',\n"
              "            'http://127.0.0.1:9']\n"
              "from tonebridge_dash.cli import main\n"
              "try:\n"
              "    main()\n"
              "except SystemExit as e:\n"
              "    print(e.code, 'pydantic' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert done.stdout.split() == ["2", "False"], done.stdout + done.stderr
    assert "nowhere: not a directory" in done.stderr


def test_the_command_ends_at_once_with_everything_written(tmp_path):
    """``tb-dash`` (``cli.run``) ends the process without freeing what it
    built object by object: its output is whole and its exit code kept.
    Processes of their own: the end of the process is what is tested."""
    done = subprocess.run([sys.executable, "-m", "tonebridge_dash", "render", "--format", "json", "--out",
                           str(tmp_path / "out")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and json.loads(done.stdout)["files"]
    done = subprocess.run([sys.executable, "-m", "tonebridge_dash", "push", "--retries", "x"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "Input should be a valid integer" in done.stderr


def test_a_reader_that_goes_away_is_no_traceback():
    """A process of its own: its stdout is a pipe whose reader exits."""
    reader = subprocess.Popen(["head", "-c", "10"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    done = subprocess.run([sys.executable, "-m", "tonebridge_dash", "validate", "--list-rules"],
                          stdout=reader.stdin, stderr=subprocess.PIPE, text=True, timeout=60)
    reader.stdin.close()
    reader.wait()
    assert "Traceback" not in done.stderr and done.returncode in (0, 1)
