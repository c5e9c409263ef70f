"""Colour for the push and diff tables: on a terminal only. ``NO_COLOR``
(set and not empty, see no-color.org), ``TERM=dumb`` or output that is not a
terminal (a pipe, a file, a CI log) give plain text. Whatever the
stream, text from Grafana or a file goes out through ``errors.shown``
(control and bidi characters escaped; the tables do it per cell, before
padding and colour)."""

from __future__ import annotations

import os
import sys
from typing import TextIO

from ..grafana.summary import Paint, plain

# SGR codes per action (push) and state (diff).
COLOURS = {
    "created": "32", "new": "32", "would create": "32",
    "updated": "33", "changed": "33", "would update": "33",
    "deleted": "35", "would delete": "35",
    "refused": "1;31", "failed": "1;31", "would refuse": "1;31",
    "skipped": "2", "unchanged": "2",
}


def colour_wanted(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def painter(stream: TextIO | None = None) -> Paint:
    """A painter for ``stream`` (default stdout): colours on a terminal,
    ``plain`` elsewhere. Padding stays outside the colour."""
    if not colour_wanted(sys.stdout if stream is None else stream):
        return plain

    def paint(text: str, role: str) -> str:
        sgr = COLOURS.get(role)
        if not sgr:
            return text
        bare = text.rstrip(" ")
        return f"\033[{sgr}m{bare}\033[0m{text[len(bare):]}"

    return paint
