"""``tb-dash pull``: live dashboards -> normalised ``<uid>.json`` files, with
the same Grafana target options as push and diff."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from ..errors import EXIT_USAGE, TbDashError
from .common import ConfigOption, app, load_settings, warn
from .grafana import GrafanaTarget, PushFormat, grafana_target, print_json


@app.command()
@grafana_target
def pull(
    target: GrafanaTarget,
    uids: Optional[List[str]] = typer.Option(None, "--uid", metavar="UID", show_default=False,
                                             help="The dashboard with this uid; repeat for more."),
    folder: Optional[str] = typer.Option(None, "--folder", metavar="TITLE",
                                         help="Every dashboard directly in this folder (its title, or its "
                                              "uid when titles are ambiguous; General is the root)."),
    everything: bool = typer.Option(False, "--all", help="Every dashboard of the org."),
    out: Path = typer.Option(Path("pulled"), "--out", "-o", metavar="DIR",
                             help="Where the <uid>.json files are written."),
    config: Optional[Path] = ConfigOption,
    fmt: PushFormat = typer.Option(PushFormat.text, "--format", "-f", metavar="[text|json]",
                                   help="The summary's format."),
) -> None:
    """Save live dashboards from Grafana as <uid>.json files: what Grafana
    holds, without what it sets on every save (id, version, iteration),
    with sorted keys and 2-space indent as render writes. Feed them to
    import (to adopt them as code), or to diff --from, validate or push
    --from. Nothing is written unless every dashboard was read; files that
    did not change are left alone, other *.json files in DIR are kept.

    Choose with exactly one of --uid (repeatable), --folder or --all; the
    search is read page by page, so a fleet of any size comes in. It reads
    through the legacy /api, which Grafana 11 to 13 serve, whatever --api
    says (that chooses what push writes through).

    Exit codes: 0 pulled; 1 a file could not be written; 2 usage error,
    a uid or folder Grafana does not have, or Grafana unreachable or
    refusing (as for diff).

    Examples:

      tb-dash pull --grafana-url https://grafana.example.com --uid nodes

      tb-dash pull --env prod --folder "Team A" --out pulled

      tb-dash pull --env prod --all --format json

      tb-dash pull --env prod --uid nodes && tb-dash import pulled/nodes.json
    """
    from ..grafana import pull as engine
    from ..files.write import output_dir
    from ..progress import progress
    from .style import painter

    chosen = sum((bool(uids), folder is not None, everything))
    if chosen != 1:
        raise TbDashError("pull needs exactly one of --uid UID, --folder TITLE or --all"
                          + (" (more than one was given)" if chosen else ""), exit_code=EXIT_USAGE)
    if folder is not None and not folder.strip():
        raise TbDashError("--folder needs a folder title or uid", exit_code=EXIT_USAGE)
    output_dir(out)
    try:
        wanted = [engine.check_uid(u) for u in uids or ()]
        cfg = load_settings(config)
        env, client = target.connect(cfg)
        with client:
            chosen_uids = engine.select(client, uids=wanted, folder=folder)
            pulled = engine.pull(client, chosen_uids, named=bool(wanted), concurrency=target.concurrency,
                                 on_progress=progress("pull"))
            files = engine.encoded(pulled)
    except TbDashError as e:
        raise TbDashError(e.message, exit_code=EXIT_USAGE) from None
    if not files:
        warn(f"no dashboards {'in the folder ' + repr(folder) if folder is not None else 'in Grafana'}; "
             "nothing written")
    written = engine.write(files, out) if files else []
    for stale in engine.left_over(out, written):
        warn(f"{stale}: not pulled this time (deleted or moved in Grafana?); left in place")
    if fmt == PushFormat.json:
        print_json(engine.pull_json(written, out, client.base_url))
    else:
        for line in engine.pull_lines(written, out, client.base_url, painter()):
            typer.echo(line)
