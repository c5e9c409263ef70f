"""``tb-dash migrate``: dashboard files between the classic model and
Grafana's v2 (the library function is ``importing.v2migrate``)."""

from __future__ import annotations

from pathlib import Path
from typing import List

import typer

from ..errors import shown
from .common import Schema, app, warn


@app.command()
def migrate(
    files: List[Path] = typer.Argument(..., metavar="FILE...", show_default=False,
                                       help="Dashboard JSON files: classic (any schemaVersion, an API answer "
                                            "{dashboard: ...}, a v0alpha1/v1beta1 resource) or v2."),
    to: Schema = typer.Option(..., "--to", help="v2beta1 or v2: dashboard.grafana.app resources; v1: the "
                                                 "classic model."),
    out: Path = typer.Option(..., "--out", "-o", metavar="DIR", help="Where the converted files go "
                             "(<uid>.json each)."),
    force: bool = typer.Option(False, "--force", help="Replace files in DIR that migrate did not write or that "
                               "were edited since."),
) -> None:
    """Convert dashboards between the classic model and Grafana's v2 format.

    To v2 the conversion is Grafana's own (apps/dashboard/pkg/migration/
    conversion): panels become elements, rows a RowsLayout (collapsed rows
    kept), a grid a GridLayout with the same positions, variables and
    annotations typed kinds. A classic dashboard older than schemaVersion
    33 is migrated first as import migrates it. To v1 a v2 dashboard
    becomes its classic equivalent; what the classic model cannot hold
    (tabs, an auto grid, conditional rendering...) is approximated and
    said on stderr, one line per item. A v2 result that does not match
    Grafana's published schema is said on stderr too.

    Each file is written atomically as <uid>.json in DIR, all or nothing;
    a file there that migrate did not write, or that was edited since, is
    not overwritten without --force (DIR/.tb-dash-migrated remembers what
    migrate wrote).

    Exit codes: 0 converted; 2 a FILE unreadable or not a dashboard, two
    FILEs for one output file, a bad option; 3 a file in DIR edited by hand
    (--force replaces it).

    Examples:

      tb-dash migrate exported/*.json --to v2beta1 --out build/v2

      tb-dash migrate build/dashboards/tb-overview.json --to v2 --out build/v2

      tb-dash migrate from-grafana-13/*.json --to v1 --out classic --force
    """
    from ..importing.v2migrate import migrate_files

    for c in migrate_files(files, to.value, out, force):
        typer.echo(f"{c.status:<9} {out / c.name}  {shown(c.title)}")
        for note in c.migrated:
            warn(f"{c.source}: migrated: {note}")
        for note in c.notes:
            warn(f"{c.source}: not carried over: {note}")
        if c.problems:
            more = f" (and {len(c.problems) - 1} more)" if len(c.problems) > 1 else ""
            warn(f"{c.source}: the {to.value} result does not match Grafana's schema: {c.problems[0]}{more}")
