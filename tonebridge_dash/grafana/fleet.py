"""Pushing to one Grafana or to several at once, as ``tb-dash push`` does:
what the command line chose comes in as plain values and callables
(``connect``, ``confirm``); the summaries are the caller's to print.

Several Grafanas (``push_many``) are checked once, then pushed to
concurrently, one thread each with its own client, folder and report; a
Grafana that cannot be reached fails alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

from ..errors import TbDashError
from ..threads import signals_to_main_thread
from .connecting import Connecting


@dataclass(frozen=True)
class Options:
    """How to push: the options of ``tb-dash push`` that every Grafana shares."""

    dry_run: bool = False
    force: bool = False
    backup_dir: Optional[Path] = None
    prune: bool = False
    only: Optional[list] = None
    concurrency: int = 8


def push_env(connection, cfg, everything, found, stop, options: Options, *, warn: Callable[[str], None],
             confirm: Optional[Callable[[str], Callable]] = None, validated: bool = False,
             on_progress=None):
    """One push: (environment, client url, report). ``connection`` is a
    ``Connecting`` under way or a callable returning (environment, client);
    ``confirm(folder title)`` asks before deleting (None: not asked)."""
    from ..files.checked import DEFAULT_CACHE_DIR
    from .push import git_revision, push as run_push

    connecting = connection if isinstance(connection, Connecting) else None
    env, client = connecting.result() if connecting is not None else connection()
    pruning = None
    if options.prune:
        from .prune import Prune

        pruning = Prune(keep=frozenset(r.uid for r in everything),
                        only=frozenset(options.only) if options.only else None,
                        confirm=confirm(env.folder.title) if confirm is not None else None)
    with client:
        report = run_push(client, found, folder_uid=env.folder.uid, folder_title=env.folder.title,
                          force=options.force, dry_run=options.dry_run, backup_dir=options.backup_dir,
                          revision=git_revision(), concurrency=options.concurrency, on_progress=on_progress,
                          cfg=cfg, warn=warn, stop=stop, prune=pruning, validated=validated,
                          cache_dir=DEFAULT_CACHE_DIR, early=connecting.early if connecting is not None else None)
    return env, client.base_url, report


def push_many(connect_to: Callable[[str], Callable[[], Any]], names: Sequence[str], cfg, everything, found,
              stop, options: Options, *, warn: Callable[[str], None]) -> list:
    """Push to the environments ``names`` at once, the dashboards checked
    once for all of them: per name, in order, (environment, url, report) or
    the ``TbDashError`` that ended its push (unreachable, 401, the folder)."""
    from concurrent.futures import ThreadPoolExecutor

    from ..files.checked import DEFAULT_CACHE_DIR
    from .push import validate

    validate(found, cfg, warn, DEFAULT_CACHE_DIR)  # once for all of them

    def one(name: str):
        try:
            return push_env(connect_to(name), cfg, everything, found, stop, options, warn=warn, validated=True)
        except TbDashError as e:  # this Grafana only
            return e

    with ThreadPoolExecutor(max_workers=len(names), thread_name_prefix="tb-dash-env",
                            initializer=signals_to_main_thread) as pool:
        return list(pool.map(one, names))
