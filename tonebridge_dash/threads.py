"""What every worker thread of the package does first."""

from __future__ import annotations

import signal


def signals_to_main_thread() -> None:
    """Called first on a worker thread: SIGINT and SIGTERM are blocked there,
    so the kernel delivers them to the main thread. Python runs its handlers
    only on the main thread; a signal that lands on a worker (one blocked in
    a socket read) runs the handler only when the main thread's current wait
    ends, and meanwhile the other workers go on starting saves."""
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
