"""``tb-dash push`` to one Grafana, or to several at the same time.

One push prints its summary (or its JSON report) and its one-line error,
and gives its exit code. Several (``--env a --env b``, ``--all-envs``) are
validated once, then run concurrently, one thread per Grafana, each with
its own client, folder and summary, printed under a header in the order
they were named; their exit codes are folded into one: a signal's 128+N
over 1 (something failed) over 3 (something refused) over 0.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Sequence

import typer

from ..errors import EXIT_FAILED, EXIT_OK, EXIT_REFUSED, TbDashError, redact_url, shown
from .common import warn

if TYPE_CHECKING:  # the Grafana modules are loaded by a push only (help and other commands need none)
    from ..grafana.connecting import Connecting
    from ..grafana.fleet import Options

SEVERITY = {EXIT_OK: 0, EXIT_REFUSED: 1, EXIT_FAILED: 2}  # and a signal's 128+N above all


def fold(codes: Sequence[int]) -> int:
    """The exit code of several pushes: the worst of theirs."""
    return max(codes, key=lambda c: SEVERITY.get(c, 3 if c < 128 else 4 + c), default=EXIT_OK)


def options_of(target, *, dry_run: bool, force: bool, backup_dir: Path, prune: bool,
               only: Optional[list]) -> "Options":
    from ..grafana.fleet import Options

    return Options(dry_run=dry_run, force=force, backup_dir=backup_dir, prune=prune, only=only,
                   concurrency=target.concurrency)


def push_one(connecting: "Connecting", cfg, everything, found, stop, options: "Options", *, json: bool,
             yes: bool) -> int:
    """Push to one Grafana; print its summary; its exit code (the error line raised)."""
    from ..grafana.fleet import push_env
    from ..grafana.summary import push_error, push_lines
    from ..progress import progress
    from .style import painter

    env, url, report = push_env(connecting, cfg, everything, found, stop, options, warn=warn,
                                confirm=None if yes else confirm_deletes, on_progress=progress("push"))
    if json:
        from ..grafana.report import push_json

        print_json(push_json(report, env.folder.title, url))
    else:
        for line in push_lines(report, env.folder.title, painter()):
            typer.echo(line)
    problem = push_error(report)
    if problem:
        raise TbDashError(problem, exit_code=report.exit_code)
    return report.exit_code


def push_to_each(target, names: Sequence[str], cfg, everything, found, stop, options: "Options", *,
                 json: bool) -> int:
    """Push to the environments ``names`` at once; print each summary under
    its header (or one JSON report listing them); the folded exit code."""
    from ..grafana.fleet import push_many
    from ..grafana.report import push_json
    from ..grafana.summary import push_error, push_lines
    from .style import painter

    def connect_to(name: str):
        return lambda: dataclasses.replace(target, env=[name]).connect_api(cfg)

    results = push_many(connect_to, names, cfg, everything, found, stop, options, warn=warn)
    codes, reports, paint = [], [], painter()
    for name, result in zip(names, results):
        if isinstance(result, TbDashError):
            codes.append(result.exit_code)
            reports.append({"env": name, "error": result.message, "exit_code": result.exit_code})
            if not json:
                typer.echo(f"== {name} ==")
                typer.echo(f"failed: {shown(result.message)}")
            warn_error(name, result.message)
            continue
        env, url, report = result
        problem = push_error(report)
        codes.append(report.exit_code)
        reports.append({"env": name, **push_json(report, env.folder.title, url)})
        if not json:
            typer.echo(f"== {name} ({redact_url(url)}) ==")
            for line in push_lines(report, env.folder.title, paint):
                typer.echo(line)
        if problem:
            warn_error(name, problem)
    code = fold(codes)
    if json:
        print_json({"command": "push", "schema_version": 1, "environments": reports, "exit_code": code})
    else:
        failed = [n for n, c in zip(names, codes) if c]
        typer.echo(f"{len(names)} environments: {len(names) - len(failed)} ok"
                   + (f", not ok: {', '.join(failed)}" if failed else "") + f" (exit {code})")
    return code


def confirm_deletes(folder_title: str):
    """Ask on the terminal before deleting: the list first, on stderr."""
    def ask(doomed) -> bool:
        from ..grafana.summary import table

        warn(f"push --prune will delete {len(doomed)} dashboard(s) from the folder '{folder_title}', "
             "which the code no longer has:")
        for line in table([(d.uid, d.title, d.url) for d in doomed]):
            typer.echo(f"  {line}", err=True)
        return typer.confirm("Delete them?", default=False, err=True)
    return ask


def print_json(data) -> None:
    from ..files.write import json_text

    typer.echo(json_text(data, "the report", indent=2, ensure_ascii=False))


def warn_error(name: str, message: str) -> None:
    typer.echo(f"tb-dash: error: [{name}] {shown(message)}", err=True)
