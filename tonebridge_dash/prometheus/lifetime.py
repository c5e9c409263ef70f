"""A throwaway server that dies with the tb-dash that started it, and a
temporary directory that does not outlive it by more than one start.

However tb-dash ends (Ctrl-C, SIGTERM, SIGHUP, or SIGKILL, which no handler
sees), its Prometheus must not keep running, re-parented and listening:

- ``die_with_parent`` is a ``preexec_fn`` for ``subprocess.Popen``: on
  Linux the child asks the kernel (``prctl(PR_SET_PDEATHSIG)``) for SIGKILL
  when the thread that started it ends; elsewhere it does nothing.
- ``claim`` writes the owner's pid (and start time, against pid reuse) into
  the temporary directory; ``remove_orphans``, run when the next one
  starts, removes every such directory whose owner is gone, after killing
  a Prometheus that still serves from it (one started where the parent's
  death is not signalled).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import sys
from pathlib import Path
from typing import Callable

OWNER = "owner.pid"  # "<pid> <start time>" of the tb-dash that made the directory
CHILD = "server.pid"  # the server started in it
_PR_SET_PDEATHSIG = 1


def die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` that has the child killed when this thread ends."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before the fork
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the request: too late for the signal
            os._exit(1)

    return preexec


def _started(pid: int) -> str:
    """The start time of process ``pid`` (clock ticks since boot, from
    /proc), or "" where /proc cannot say."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[-1].split()[19]  # field 22, after "pid (comm)"


def _alive(pid: int, started: str) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process
        pass
    return not started or _started(pid) in ("", started)


def _record(path: Path, pid: int) -> None:
    with contextlib.suppress(OSError):
        path.write_text(f"{pid} {_started(pid)}\n", encoding="ascii")


def claim(workdir: Path) -> None:
    """Mark ``workdir`` as this process's."""
    _record(workdir / OWNER, os.getpid())


def record_child(workdir: Path, pid: int) -> None:
    """Note the server started in ``workdir``, for ``remove_orphans``."""
    _record(workdir / CHILD, pid)


def _read(path: Path) -> tuple[int, str] | None:
    try:
        pid, _, started = path.read_text(encoding="ascii").partition(" ")
        return int(pid), started.strip()
    except (OSError, ValueError):
        return None


def remove_orphans(parent: Path, prefix: str) -> list[Path]:
    """Remove the directories ``parent/prefix*`` of this user whose owner
    process is gone, killing the server still running in one; directories
    without an owner file (being made right now, or not ours) are left.
    Returns the directories removed."""
    try:
        candidates = [p for p in parent.iterdir() if p.name.startswith(prefix)]
    except OSError:
        return []
    removed = []
    for d in candidates:
        try:
            if not d.is_dir() or d.is_symlink() or d.stat().st_uid != os.getuid():
                continue
        except OSError:
            continue
        owner = _read(d / OWNER)
        if owner is None or _alive(*owner):
            continue
        child = _read(d / CHILD)
        if child is not None and _alive(*child) and child[1]:  # the same process, not a reused pid
            with contextlib.suppress(OSError):
                os.kill(child[0], signal.SIGKILL)
        shutil.rmtree(d, ignore_errors=True)
        removed.append(d)
    return removed
