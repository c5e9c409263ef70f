"""The entry point: every command registered on one app, and the boundary
where expected failures become one line on stderr and an exit code."""

from __future__ import annotations

import sys

import typer

from ..errors import TbDashError, clip
from . import alerting, config, dashboards, grafana, importing, preview, prometheus, pulling  # noqa: F401 (they register their commands)
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
