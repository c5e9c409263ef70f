"""One progress line for long commands (check, push, diff), on a terminal only."""

from __future__ import annotations

import sys
from typing import Callable, TextIO

Progress = Callable[[int, int], None]


def progress(label: str, stream: TextIO | None = None) -> Progress | None:
    """A ``(done, total)`` callback drawing one line on a terminal; None
    elsewhere (a pipe or a CI log gets no progress)."""
    out = stream or sys.stderr
    if not out.isatty():
        return None

    def draw(done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        out.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        if done == total:
            out.write("\r" + " " * (len(label) + width + 16) + "\r")
        out.flush()

    return draw
