"""Dashboard JSON files read back (``render`` writes them): one file, or a
directory's, each checked to be a regular file of bounded size holding one
JSON object. Nothing here imports the checks, so a push of files starts
quickly; ``render`` re-exports these."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path
from typing import Iterator

from ..errors import UsageError
from ..files.read import DASHBOARD_LIMIT, load_json, read_limited
from ..model import Rendered


def iter_dir(path: Path) -> Iterator[Rendered]:
    """Dashboards from a directory of ``*.json`` files (for example the
    artifact a CI job reviewed), unchecked, read one at a time as they are
    asked for (``validate`` keeps only one in memory). Each file is a
    regular file of at most ``inputs.DASHBOARD_LIMIT`` bytes holding a JSON
    object (no NaN or Infinity); anything else is an input error."""

    for f in paths(path):
        yield read_file(f)


def paths(path: Path) -> list[Path]:
    """The ``*.json`` files of the directory ``path``, sorted; an input
    error when it is not a directory or holds none."""
    if not path.is_dir():
        raise UsageError(f"{path}: not a directory of dashboard JSON files")
    files = sorted(path.glob("*.json"))
    if not files:
        raise UsageError(f"{path}: no *.json dashboards found")
    return files


def read_file(f: Path) -> Rendered:
    """One dashboard JSON file, as ``iter_dir`` reads each (with the digest
    of its bytes: push's validate-once key)."""
    raw = read_limited(f, DASHBOARD_LIMIT, "dashboard JSON file")
    data = load_json(raw, str(f))
    if not isinstance(data, dict):
        raise UsageError(f"{f}: expected a dashboard JSON object")
    return replace(Rendered.of(data, str(f)), digest=hashlib.sha256(raw).hexdigest())


def load_dir(path: Path) -> list[Rendered]:
    """Every dashboard of ``iter_dir``, in a list."""
    return list(iter_dir(path))
