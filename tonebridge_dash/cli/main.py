"""The entry point: every command registered on one app, and the boundary
where expected failures become one line on stderr and an exit code."""

from __future__ import annotations

import gc
import os
import sys

import typer

from ..errors import TbDashError, clip
from . import alerting, config, dashboards, grafana, importing, migrating, preview, prometheus, pulling  # noqa: F401 (they register their commands)
from .common import app, tidy_help

MESSAGE_LIMIT = 1000  # the one line of an error, whatever value it quotes


def main() -> None:
    """Console entry point: expected failures end in one line on stderr."""
    try:
        tidy_help(typer.main.get_command(app))(prog_name="tb-dash")
    except TbDashError as e:
        typer.echo(f"tb-dash: error: {clip(e.message, MESSAGE_LIMIT)}", err=True)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        typer.echo("tb-dash: interrupted", err=True)
        sys.exit(130)
    except OSError as e:  # a file the library did not anticipate; still one line
        where = f"{e.filename}: " if e.filename else ""
        typer.echo(f"tb-dash: error: {clip(f'{where}{e.strerror or e}', MESSAGE_LIMIT)}", err=True)
        sys.exit(1)


def run() -> None:
    """The ``tb-dash`` command: ``main``, then an ordinary exit.

    The interpreter's own shutdown runs: threads and worker processes are
    joined and exit handlers run (temporary directories removed), so the
    command leaves nothing behind and a reader of its output sees the end
    of it. What the shutdown would spend collecting cycles among the
    objects left (every module's and a push's dashboards) is skipped by
    freezing them first: they are freed by reference counting alone, as
    the collector is off (see ``tonebridge_dash.__main__``)."""
    try:
        main()
        code = 0
    except SystemExit as e:
        code = _exit_code(e.code)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader that went away; a stream closed
            code = code or 1
            _quiet(stream)
    gc.freeze()
    sys.exit(code)


def _quiet(stream) -> None:
    """A stream whose reader went away: the exit's own flush would print a
    second error; point its descriptor at /dev/null."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _exit_code(code) -> int:
    """What ``sys.exit(code)`` would exit with."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1
