"""Dashboard files checked by several processes at once.

``validate DIR`` spends nearly all its time in the rules, one dashboard at
a time, on one core. With several files and several cores, the files are
checked by forked worker processes (each reads, migrates and checks one
file at a time and sends back only its findings), in the order of the
files; what needs every dashboard (uid-unique) and the report stay in the
parent. ``TB_DASH_WORKERS`` sets how many (1: none). Where ``fork`` is not
available, or for a few files, the files are checked here, one by one.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from ..errors import TbDashError, UsageError

MAX_WORKERS = 8
FEW = 4  # files: not worth a process

_job: Any = None  # (run, load), what a forked worker inherits


def count(files: int) -> int:
    """How many processes check ``files`` files."""
    named = os.environ.get("TB_DASH_WORKERS", "").strip()
    if named:
        if not named.isdigit() or int(named) < 1:
            raise UsageError(f"TB_DASH_WORKERS={named[:20]!r}: expected a number of processes, 1 or more")
        wanted = int(named)
    else:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        wanted = min(cores, MAX_WORKERS) if files > FEW else 1
    try:
        import multiprocessing

        multiprocessing.get_context("fork")
    except (ImportError, ValueError):
        return 1
    return max(1, min(wanted, files))


def _work(path: Path):
    run, load = _job
    return run.one(load(path))


def check_files(paths: Sequence[Path], load: Callable[[Path], Any], run, workers: int) -> Iterator:
    """``run.one(load(path))`` for each path, in order, by ``workers`` processes."""
    global _job
    if workers <= 1:
        yield from (run.one(load(p)) for p in paths)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    # The first file here: what checking needs (modules, compiled schemas) is
    # then loaded once, and every worker starts with it.
    yield run.one(load(paths[0]))
    _job = (run, load)
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
    try:
        # One file at a time: the workers finish together. A worker that dies
        # (killed, out of memory) ends the run with one line, never a hang.
        yield from pool.map(_work, paths[1:])
    except BrokenProcessPool:
        raise TbDashError("a worker process of validate died (killed, or out of memory?); "
                          "TB_DASH_WORKERS=1 checks the files in one process") from None
    finally:
        _job = None
        # The workers are joined here, whatever ended the run: a worker left
        # running would hold the command's output open (a pipe's reader would
        # wait for ever) and outlive it.
        pool.shutdown(wait=True, cancel_futures=True)
