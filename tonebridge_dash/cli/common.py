"""What the commands share: the Typer app, the options used by several
commands, loading the settings and the dashboards once per command, and
printing a validate or check outcome.

Heavy imports (grafanalib, jsonschema, requests) happen inside the commands
so that ``tb-dash --help`` starts fast.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from .. import __version__
from ..errors import EXIT_USAGE, TbDashError, shown
from . import params

params.install()  # option values coerced without importing pydantic (see params)

app = typer.Typer(
    name="tb-dash",
    help=(
        "Monitoring as code: render Grafana dashboards, push them, and "
        "generate alert rules from one set of PromQL definitions.\n\n"
        "Exit codes: 0 success; 1 failure (diff/check/validate: differences or "
        "problems found); 2 usage or settings error; 3 push refused to overwrite "
        "a dashboard edited by hand; 130/143 stopped by Ctrl-C/SIGTERM.\n\n"
        "Example: tb-dash render --out build/dashboards"
    ),
    add_completion=True,  # --install-completion / --show-completion for bash, zsh, fish
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

ConfigOption = typer.Option(
    None, "--config", "-c", metavar="PATH",
    help="Settings file (default: ./tb-dash.yaml when it exists, else built-in defaults).",
)
FormatOption = typer.Option("text", "--format", "-f", metavar="[text|json]", help="text or json.")


class Schema(str, Enum):
    """The dashboard formats (``settings.dashboards.SCHEMAS``): the classic
    model and the ``dashboard.grafana.app`` v2 versions; render's --schema
    and migrate's --to."""

    v1 = "v1"
    v2beta1 = "v2beta1"
    v2 = "v2"
StrictOption = typer.Option(False, "--strict", help="Warnings fail too (exit 1).")
DirArgument = typer.Argument(
    None, metavar="[DIR]", show_default=False,
    help="A directory of dashboard *.json files (default: what render would write, built in memory).")


def version_text() -> str:
    """``tb-dash 0.1.0``, and when it runs from a git checkout, the commit and
    whether the working tree has changes the commit does not hold:
    ``tb-dash 0.1.0 (git 1a2b3c4, dirty)``."""
    import subprocess

    root = Path(__file__).resolve().parent.parent.parent
    try:
        done = subprocess.run(["git", "-C", str(root), "describe", "--always", "--dirty", "--abbrev=7"],
                              capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return f"tb-dash {__version__}"
    described = done.stdout.strip()
    if done.returncode != 0 or not described or not (root / "tonebridge_dash").is_dir():
        return f"tb-dash {__version__}"
    commit, dirty = described.removesuffix("-dirty"), described.endswith("-dirty")
    return f"tb-dash {__version__} (git {commit}{', dirty' if dirty else ''})"


def _version(value: bool) -> None:
    if value:
        typer.echo(version_text())
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    pass


# What an option's value is, where its type alone says little (<str>, <int range>).
_METAVARS = {"rate_interval": "DURATION", "interval": "DURATION", "range_": "DURATION", "range": "DURATION",
             "timeout": "SECONDS", "hours": "HOURS", "width": "PIXELS"}


def tidy_help(command):
    """Help that names values, not Python types: an option's choices as
    ``[a|b]``, else its metavar or what it is (``DURATION``, ``N``, ``NAME``);
    an argument by its metavar only. Applied to every subcommand."""
    for sub in getattr(command, "commands", {}).values():
        tidy_help(sub)
    for param in command.params:
        if param.param_type_name == "argument":
            param.display_type_rich = lambda ctx: ""  # [DIR] says it; "<path>" adds nothing
            continue
        if getattr(param, "is_flag", False) or getattr(param, "count", False):
            continue
        desc = getattr(param, "type_descriptor", None)
        if desc is not None and desc.is_choice:
            label = "[" + "|".join(str(getattr(c, "value", c)) for c in desc.choices or ()) + "]"
        elif param.metavar:
            label = param.metavar
        elif desc is not None and str(desc.ranged_type_name) in ("int", "float"):
            label = _METAVARS.get(param.name or "", "N")
        else:
            label = _METAVARS.get(param.name or "", (param.name or "value").upper().strip("_"))
        param.display_type_rich = lambda ctx, label=label: label
    return command


def load_settings(config: Optional[Path]):
    from ..settings import load_settings as load

    return load(config)


def warn(message: str) -> None:
    """A warning: one line on stderr; the command goes on."""
    typer.echo(f"tb-dash: warning: {shown(message)}", err=True)


def dashboards(cfg, directory: Optional[Path] = None, check: bool = True, gate: bool = False,
               stream: bool = False, schema: bool = False):
    """The dashboards a command reads: the ``*.json`` files in ``directory``
    as they are (with ``stream``, read one at a time as the command asks
    for them), or the content's built in memory: valid for Grafana unless
    the command checks them itself (``check``), past every lint error with
    ``gate`` (what render writes), with ``schema`` in the settings' format
    (``dashboards.schema``: v2 resources for v2beta1 and v2, as render
    writes them)."""
    if directory is not None:
        from ..dashboard.files import iter_dir, load_dir

        return iter_dir(directory) if stream else load_dir(directory)
    from ..dashboard.render import build_all

    built = build_all(cfg, check=check and not gate)
    if gate:
        from ..lint import gate as past_every_rule

        past_every_rule(built, cfg, warn)
    if schema and cfg.dashboards.v2:
        from ..dashboard.versioned import in_schema

        built = in_schema(built, cfg.dashboards.schema)
    return built


def output_format(fmt: str) -> str:
    if fmt not in ("text", "json"):
        raise TbDashError(f"--format must be 'text' or 'json', not '{fmt}'", exit_code=EXIT_USAGE)
    return fmt


def finish(outcome, fmt: str, format_text, strict: bool) -> None:
    """Print a validate or check outcome; exit 1 when it failed."""
    if fmt == "json":
        from ..files.write import report_text

        typer.echo(report_text(outcome.to_json()))
    else:
        typer.echo(format_text(outcome))
    if outcome.failed(strict):
        raise typer.Exit(1)


def check_current(out: Path, files, patterns, what: str, command: str) -> None:
    """``--check``: one line per file that is not current, a summary, exit 1 unless all are."""
    from ..files.current import compare

    drift = compare(out, files, patterns)
    for line in drift.lines():
        typer.echo(line)
    if not drift.current:
        typer.echo(f"tb-dash: error: {drift.summary(what, command)}", err=True)
        raise typer.Exit(1)
    typer.echo(drift.summary(what, command), err=True)
