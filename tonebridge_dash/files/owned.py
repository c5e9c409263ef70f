"""What a command that writes generated files did, file by file (created,
updated, unchanged, removed), and which files in its directory it owns.

A render remembers the files it wrote in ``<out>/.tb-dash-written`` (one
name per line). The next render removes those it no longer renders (a
dashboard deleted from the code), and only those: a file it never wrote is
someone else's and is left in place with a warning.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from .read import InputError, read_limited, read_text
from .write import OutputError, write_all

MANIFEST = ".tb-dash-written"
_LIMIT = 1024 * 1024


@dataclass
class Written:
    directory: Path
    status: dict[str, str] = field(default_factory=dict)  # name -> created | updated | unchanged
    removed: list[str] = field(default_factory=list)  # written by an earlier run, not rendered any more
    foreign: list[str] = field(default_factory=list)  # matching files this tool never wrote

    def counts(self) -> str:
        kinds = ("created", "updated", "unchanged")
        parts = [f"{sum(s == k for s in self.status.values())} {k}" for k in kinds]
        return ", ".join(parts + ([f"{len(self.removed)} removed"] if self.removed else []))

    def to_json(self) -> dict:
        return {"directory": str(self.directory),
                "files": [{"name": n, "path": str(self.directory / n), "status": s} for n, s in self.status.items()],
                "removed": self.removed, "foreign": self.foreign}


def status_of(path: Path, content: bytes) -> str:
    if not path.is_file():
        return "created"
    try:
        return "unchanged" if read_limited(path, max(len(content), 1) + 1, "file") == content else "updated"
    except InputError:  # larger than what replaces it, or unreadable
        return "updated"


def inside(name: str) -> bool:
    """Whether ``name`` is a path inside the directory: relative, '/'
    between its parts, none of them empty, '.' or '..'."""
    parts = name.split("/")
    return "\\" not in name and all(part not in ("", ".", "..") for part in parts)


def _manifest(directory: Path) -> set[str]:
    try:
        text = read_text(directory / MANIFEST, _LIMIT, "list of written files")
    except InputError:
        return set()
    return {line.strip() for line in text.splitlines()
            if line.strip() and not line.startswith("#") and inside(line.strip())}


def matching(directory: Path, patterns: str | Iterable[str]) -> set[str]:
    """The files under ``directory`` matching ``patterns`` (globs, relative
    to it), as names relative to it."""
    if isinstance(patterns, str):
        patterns = [patterns]
    return {p.relative_to(directory).as_posix() for pattern in patterns for p in directory.glob(pattern)
            if p.is_file()}


def write_owned(directory: Path, files: Iterable[tuple[str, bytes, int]], pattern: str | Iterable[str]) -> Written:
    """Write ``files`` all or nothing (``output.write_all``), remove the files
    an earlier run wrote that are not among them, and remember what was
    written. Files matching ``pattern`` (a glob, or several) that no run
    wrote are ``foreign``. Names may lead into subdirectories
    (``dashboards/<folder>/<uid>.json``)."""
    files = list(files)
    done = Written(directory, {name: status_of(directory / name, content) for name, content, _ in files})
    earlier = _manifest(directory)
    names = [name for name, _, _ in files]
    listing = "# Written by tb-dash: the next run removes those it no longer writes.\n" + "".join(
        f"{n}\n" for n in sorted(names))
    write_all(directory, [*files, (MANIFEST, listing.encode("utf-8"), 0o644)])
    for name in sorted(earlier - set(names)):
        path = directory / name
        if path.is_file() and not path.is_symlink() and not any(p.is_symlink() for p in path.parents
                                                                  if directory in p.parents):
            try:
                os.unlink(path)
            except OSError as e:
                raise OutputError(f"{path}: cannot remove ({e.strerror or e})") from None
            done.removed.append(name)
    done.foreign = sorted(matching(directory, pattern) - set(names) - earlier)
    return done
