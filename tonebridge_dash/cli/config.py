"""Commands on the settings: init (a commented tb-dash.yaml to start from)
and config (the effective settings and where each value came from)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..errors import EXIT_USAGE, TbDashError
from .common import ConfigOption, FormatOption, app, output_format


@app.command()
def init(
    out: Path = typer.Option(Path("tb-dash.yaml"), "--out", "-o", metavar="PATH", help="Where to write it."),
    force: bool = typer.Option(False, "--force", help="Replace an existing file."),
) -> None:
    """Write a commented tb-dash.yaml: every key at its default (the engine's
    under the content's) and two example environments, staging and prod.

    Examples:

      tb-dash init

      tb-dash init --out config/tb-dash.yaml
    """
    from ..files.write import write_atomic
    from ..settings.view import starter

    if (out.exists() or out.is_symlink()) and not force:
        raise TbDashError(f"{out} already exists (--force replaces it)", exit_code=EXIT_USAGE)
    write_atomic(out, starter().encode("utf-8"))
    typer.echo(f"wrote {out}: edit the environments' URLs, then 'tb-dash config' shows the result")


@app.command()
def config(
    config: Optional[Path] = ConfigOption,
    fmt: str = FormatOption,
) -> None:
    """Print the effective settings, one key per line, with where each value
    comes from: the settings file, the content's defaults or the engine's.
    URLs are shown redacted; settings never hold secrets.

    Examples:

      tb-dash config

      tb-dash config --config staging.yaml --format json
    """
    from ..settings import DEFAULT_FILE
    from ..settings.view import as_text, effective, read_file

    output_format(fmt)
    path = config if config is not None else (Path(DEFAULT_FILE) if Path(DEFAULT_FILE).is_file() else None)
    source = str(path) if path is not None else "defaults"
    merged, origins = effective(read_file(path) if path is not None else {}, source)
    if fmt == "json":
        import json

        typer.echo(json.dumps({"source": source, "settings": merged, "origins": origins}, indent=2,
                              ensure_ascii=False))
        return
    typer.echo(f"# {source if path is not None else 'no settings file: the defaults'}")
    typer.echo(as_text(merged, origins))
