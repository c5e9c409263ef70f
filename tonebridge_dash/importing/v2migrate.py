"""``tb-dash migrate``: dashboard files converted between the classic model
and Grafana's v2 (``dashboard.grafana.app`` v2beta1 and v2), one file out per
file in, named by the dashboard's uid.

To v2, a classic dashboard of any schemaVersion is first brought to the
current model the way import does (``migrate``: rows[] and datasource names
of dashboards older than schemaVersion 33), then converted as Grafana's own
converter does (``dashboard.v2.to_v2``). To v1, a v2 dashboard becomes its
classic equivalent; what it cannot hold is one note per item.

Files are written all or nothing, and never over a file edited by hand:
``<out>/.tb-dash-migrated`` remembers the sha256 of every file migrate
wrote, and a file in the way whose bytes are not those (edited since, or
never written by migrate) is refused unless ``force``."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from ..dashboard.files import read_file
from ..dashboard.v2 import VERSIONS, NotADashboard, is_v2, to_v1, to_v2, validate_v2
from ..dashboard.v2.to_v2 import classic_of
from ..errors import EXIT_REFUSED, TbDashError, UsageError
from ..files.read import DASHBOARD_LIMIT, InputError, read_limited, read_text
from ..files.write import encode_json, write_all
from .migrate import ImportInputError, migrate

TARGETS = (*VERSIONS, "v1")
MANIFEST = ".tb-dash-migrated"
_NAME = re.compile(r"[A-Za-z0-9._-]{1,253}")  # a uid or a resource name fit to name a file
MODERN = 33  # from this schemaVersion on, datasources are references, not names


@dataclass
class Converted:
    source: Path
    name: str  # the file written in the output directory
    content: bytes
    title: str
    notes: list[str] = field(default_factory=list)  # what could not be carried over (to v1)
    migrated: list[str] = field(default_factory=list)  # what the classic migration approximated
    problems: list[str] = field(default_factory=list)  # schema problems of the result
    status: str = ""  # created | updated | unchanged


def convert(path: Path, to: str) -> Converted:
    """One file converted ``to`` a version (v2beta1, v2 or v1)."""
    if to not in TARGETS:
        raise UsageError(f"--to {to!r}: choose one of {', '.join(TARGETS)}")
    doc = read_file(path).data
    migrated: list[str] = []
    notes: list[str] = []
    try:
        if is_v2(doc):
            out, notes = to_v1(doc) if to == "v1" else (to_v2(doc, to), [])
        else:
            classic, meta = classic_of(doc)
            if _old(classic):
                m = migrate(classic, str(path))
                classic, migrated = m.dashboard, m.notes
            out = _current(classic) if to == "v1" else to_v2({"apiVersion": "dashboard.grafana.app/v1beta1",
                                                              "metadata": meta, "spec": classic}, to)
    except (NotADashboard, ImportInputError) as e:
        raise UsageError(f"{path}: {str(e).removeprefix(f'{path}: ')}") from None
    uid = str(out.get("metadata", {}).get("name") or "") if to != "v1" else str(out.get("uid") or "")
    if not uid and to != "v1":  # Grafana would make up a name; the file's is more telling
        uid = re.sub(r"[^A-Za-z0-9_-]+", "-", path.stem).strip("-")[:40] or "dashboard"
        out["metadata"]["name"] = uid
        migrated.append(f"no uid: metadata.name {uid!r} from the file name")
    name = f"{uid}.json" if _NAME.fullmatch(uid) and uid.strip(".") else f"{path.stem}.json"
    title = str(out.get("spec", {}).get("title", "") if to != "v1" else out.get("title", ""))
    problems = validate_v2(out) if to != "v1" else []
    return Converted(path, name, encode_json(out, str(path)), title, notes, migrated, problems)


def _old(classic: dict) -> bool:
    version = classic.get("schemaVersion")
    return "rows" in classic or not isinstance(version, (int, float)) or isinstance(version, bool) or version < MODERN


def _current(classic: dict) -> dict:
    """A classic dashboard as v1 output: itself, without an export's inputs."""
    return {k: v for k, v in classic.items() if k not in ("__inputs", "__requires", "__elements")}


def _written(out: Path) -> dict[str, str]:
    """File name -> the sha256 of what migrate last wrote there."""
    try:
        text = read_text(out / MANIFEST, 4 * 1024 * 1024, "list of migrated files")
    except InputError:
        return {}
    pairs = (line.split(None, 1) for line in text.splitlines() if line.strip() and not line.startswith("#"))
    return {name.strip(): digest for digest, name in (p for p in pairs if len(p) == 2)}


def _sha256(path: Path) -> str | None:
    """The digest of the file in the way; None when it cannot be read (or is
    larger than any dashboard): not something migrate wrote."""
    try:
        return hashlib.sha256(read_limited(path, DASHBOARD_LIMIT * 4, "file in the way")).hexdigest()
    except InputError:
        return None


def migrate_files(paths: Sequence[Path], to: str, out: Path, force: bool = False) -> list[Converted]:
    """Convert every file, then write them all, or nothing: a bad input, two
    inputs for one output name, or a file in the way edited by hand (without
    ``force``) stops before anything is written."""
    done: dict[str, Converted] = {}
    for path in paths:
        c = convert(path, to)
        if c.name in done:
            raise UsageError(f"{path}: writes {out / c.name}, as {done[c.name].source} does; migrate them apart")
        done[c.name] = c
    written = _written(out)
    for c in done.values():
        target = out / c.name
        if target.is_symlink() or (target.exists() and not target.is_file()):
            raise UsageError(f"{target}: not a regular file; refusing to write there")
        if not target.exists():
            c.status = "created"
            continue
        on_disk = _sha256(target)
        if on_disk == hashlib.sha256(c.content).hexdigest():
            c.status = "unchanged"
        elif on_disk == written.get(c.name) or force:
            c.status = "updated"
        else:
            raise TbDashError(f"{target} exists and is not what migrate wrote there (edited by hand?); "
                              "--force replaces it", exit_code=EXIT_REFUSED)
    written.update({c.name: hashlib.sha256(c.content).hexdigest() for c in done.values()})
    manifest = "# Written by tb-dash migrate: sha256 and name of each file, to refuse overwriting hand edits.\n"
    manifest += "".join(f"{digest}  {name}\n" for name, digest in sorted(written.items()))
    write_all(out, [*((c.name, c.content, 0o644) for c in done.values()), (MANIFEST, manifest.encode(), 0o644)])
    return list(done.values())
