"""Whether generated files on disk are what the code renders now
(``render --check``, ``rules --check``): for a repository that commits them,
a CI step that fails when someone changed the code without rendering, or
edited a generated file by hand. Nothing is written."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from .read import InputError, read_limited

LIMIT = 64 * 1024 * 1024  # a generated file larger than this differs anyway


@dataclass
class Drift:
    directory: Path
    changed: list[str] = field(default_factory=list)  # on disk, with other bytes
    missing: list[str] = field(default_factory=list)  # rendered, not on disk
    extra: list[str] = field(default_factory=list)  # on disk, matching the pattern, not rendered
    same: int = 0

    @property
    def current(self) -> bool:
        return not (self.changed or self.missing or self.extra)

    def lines(self) -> list[str]:
        """One line per file that is not current."""
        return ([f"changed  {self.directory / n}" for n in self.changed]
                + [f"missing  {self.directory / n}" for n in self.missing]
                + [f"stale    {self.directory / n} (not rendered any more)" for n in self.extra])

    def summary(self, what: str, command: str) -> str:
        if self.current:
            return f"{what} in {self.directory} are current ({self.same} files)"
        counts = ", ".join(f"{len(v)} {k}" for k, v in (("changed", self.changed), ("missing", self.missing),
                                                          ("stale", self.extra)) if v)
        return f"{what} in {self.directory} are not what the code renders ({counts}): run '{command}' and commit"

    def to_json(self) -> dict:
        return {"directory": str(self.directory), "current": self.current, "unchanged": self.same,
                "changed": self.changed, "missing": self.missing, "stale": self.extra}


def compare(directory: Path, files: Iterable[tuple[str, bytes]], patterns: Iterable[str]) -> Drift:
    """Compare the rendered ``files`` (name, bytes) with ``directory``; files
    there that match ``patterns`` and are not rendered are stale."""
    drift = Drift(directory)
    names = set()
    for name, content in files:
        names.add(name)
        path = directory / name
        if not path.is_file():
            drift.missing.append(name)
            continue
        try:
            on_disk = read_limited(path, LIMIT, "generated file")
        except InputError:  # too large, unreadable, a special file: not what render writes
            drift.changed.append(name)
            continue
        if on_disk == content:
            drift.same += 1
        else:
            drift.changed.append(name)
    if directory.is_dir():
        from .owned import matching

        drift.extra = sorted(matching(directory, patterns) - names)
    drift.changed.sort()
    drift.missing.sort()
    return drift
