"""What every worker thread of the package does first."""

from __future__ import annotations

import signal
from concurrent.futures import Future, wait
from typing import Iterable

# How often a waiting main thread wakes. A signal that lands just before the
# thread blocks (after its last look at the pending handlers) would otherwise
# run its handler only when the wait ends: a save later, when the other
# workers have started new ones.
WAKE = 0.05


def signals_to_main_thread() -> None:
    """Called first on a worker thread: SIGINT and SIGTERM are blocked there,
    so the kernel delivers them to the main thread. Python runs its handlers
    only on the main thread; a signal that lands on a worker (one blocked in
    a socket read) runs the handler only when the main thread's current wait
    ends, and meanwhile the other workers go on starting saves."""
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})


def results(futures: Iterable[Future]) -> list:
    """The futures' results in order, waited for on the main thread so that a
    signal's handler runs at most ``WAKE`` seconds after it arrives. Once all
    are done, the first that failed (in order) raises."""
    futures = list(futures)
    pending = set(futures)
    while pending:
        pending = wait(pending, timeout=WAKE).not_done
    return [f.result() for f in futures]
