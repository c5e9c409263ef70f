"""The ``tb-dash`` command line: a thin layer that parses, calls the
library, prints and exits with a documented code.

Exit codes: 0 success; 1 something failed (or, for diff/check/validate, the
answer is "no"); 2 usage, settings or input error; 3 push refused to
overwrite a dashboard edited by hand.

Heavy imports (grafanalib, jsonschema, requests) happen inside the commands
so that ``tb-dash --help`` starts fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from . import __version__
from .errors import EXIT_USAGE, TbDashError

app = typer.Typer(
    name="tb-dash",
    help=(
        "ToneBridge monitoring as code: render Grafana dashboards, push them, "
        "and generate alert rules from one set of PromQL definitions.\n\n"
        "Exit codes: 0 success; 1 failure (diff/check/validate: differences or "
        "problems found); 2 usage or settings error; 3 push refused to overwrite "
        "a dashboard edited by hand.\n\n"
        "Example: tb-dash render --out build/dashboards"
    ),
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

ConfigOption = typer.Option(
    None, "--config", "-c", metavar="PATH",
    help="Settings file (default: ./tb-dash.yaml when it exists, else built-in defaults).",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tb-dash {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    pass


def load_settings(config: Optional[Path]):
    from .settings import load_settings as load

    return load(config)


def render_dashboards(cfg):
    from .render import render_all

    return render_all(cfg)


@app.command()
def render(
    out: Path = typer.Option(Path("build/dashboards"), "--out", "-o", metavar="DIR",
                             help="Directory for the <uid>.json files."),
    config: Optional[Path] = ConfigOption,
    schema_version: Optional[int] = typer.Option(
        None, "--schema-version", min=39, max=42,
        help="Grafana dashboard schemaVersion to write (39-42; default from settings, 41)."),
) -> None:
    """Render every dashboard to Grafana JSON, one <uid>.json per dashboard.

    Output is validated against Grafana's official JSON Schemas and written
    atomically with sorted keys: two runs give identical bytes.

    Examples:

      tb-dash render

      tb-dash render --out /tmp/dashboards --config tb-dash.yaml
    """
    import dataclasses

    from .render import write_all

    cfg = load_settings(config)
    if schema_version is not None:
        cfg = dataclasses.replace(
            cfg, dashboards=dataclasses.replace(cfg.dashboards, schema_version=schema_version))
    rendered = render_dashboards(cfg)
    paths = write_all(rendered, out)
    for r, p in zip(rendered, paths):
        typer.echo(f"{p}  {r.title}")
    typer.echo(f"rendered {len(paths)} dashboards to {out}", err=True)


@app.command("list")
def list_dashboards(
    config: Optional[Path] = ConfigOption,
    fmt: str = typer.Option("text", "--format", "-f", help="text or json."),
) -> None:
    """List the dashboards and their panels (type, size, title).

    Example: tb-dash list --format json
    """
    if fmt not in ("text", "json"):
        raise TbDashError(f"--format must be 'text' or 'json', not '{fmt}'", exit_code=EXIT_USAGE)
    rendered = render_dashboards(load_settings(config))
    if fmt == "json":
        import json

        typer.echo(json.dumps([
            {"uid": r.uid, "title": r.title,
             "panels": [{"id": p.get("id"), "type": p.get("type"), "title": p.get("title", ""),
                         "gridPos": p.get("gridPos")} for p in r.panels()]}
            for r in rendered], indent=2))
        return
    for r in rendered:
        panels = [p for p in r.panels() if p.get("type") != "row"]
        typer.echo(f"{r.uid}  {r.title}  ({len(panels)} panels)")
        for p in r.panels():
            pos = p.get("gridPos", {})
            if p.get("type") == "row":
                typer.echo(f"  == {p.get('title', '')}")
            else:
                typer.echo(f"    {p.get('type', '?'):<11} {pos.get('w', '?'):>2}x{pos.get('h', '?'):<2} "
                           f"{p.get('title', '')}")


def main() -> None:
    """Console entry point: expected failures end in one line on stderr."""
    try:
        app(prog_name="tb-dash")
    except TbDashError as e:
        typer.echo(f"tb-dash: error: {e.message}", err=True)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        typer.echo("tb-dash: interrupted", err=True)
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    main()
