"""Pull live dashboards out of Grafana into files.

Which ones: the uids asked for, the dashboards of one folder, or all of
them (the search, page by page). Each is read with
``GET /api/dashboards/uid/<uid>``; its uid must be the one asked for and a
valid uid (``answers``), since it names the file. What Grafana sets on
every save (``id``, ``version``, ``iteration``) is dropped and the rest is
encoded as render encodes its output (sorted keys, 2-space indent, trailing
newline), so a pulled file can be imported, validated, diffed or pushed,
and pulling the same dashboard twice gives the same bytes.

A dashboard Grafana stores as v2 is pulled as the v2 resource it is: Grafana
answers its legacy read with 406 and where to read it in ``/apis``, and the
version stored is read there (``apiVersion``, ``kind``, ``metadata.name``
and ``spec``), so a pull keeps each dashboard in the version Grafana holds.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

from ..errors import EXIT_USAGE, TbDashError, clip, redact_url, shown
from ..model import UID_RE, Rendered
from ..files.owned import status_of
from ..files.write import encode_json, write_files
from ..progress import Progress
from . import answers
from .answers import unexpected
from .errors import NotFound
from .plan import read_live, run_all
from .summary import Paint, plain, table

DROPPED_KEYS = ("id", "version", "iteration")  # what Grafana sets on every save
PAGE_SIZE = 1000  # hits per search request (Grafana's default; it allows up to 5000)
ROOT_UID, ROOT_TITLE = "general", "General"  # the folder at the root, for search and meta
NEW, UPDATED, UNCHANGED = "new", "updated", "unchanged"  # what the pull did to each file
FILE_STATES = (NEW, UPDATED, UNCHANGED)
REPORT_SCHEMA_VERSION = 1


class PullError(TbDashError):
    """A uid or folder that Grafana does not have (exit 2, as a bad argument)."""

    exit_code = EXIT_USAGE


@dataclass(frozen=True)
class Pulled:
    """One live dashboard, ready to be written as ``<uid>.json``."""

    uid: str
    title: str
    folder_uid: str
    folder_title: str
    url: str  # absolute URL of the dashboard in Grafana
    data: dict  # without DROPPED_KEYS

    @property
    def filename(self) -> str:
        return f"{self.uid}.json"

    def content(self) -> bytes:
        return encode_json(self.data, f"dashboard '{self.uid}'")


def portable(data: dict) -> dict:
    """The dashboard JSON without what Grafana sets on every save."""
    return {k: v for k, v in data.items() if k not in DROPPED_KEYS}


def check_uid(uid: str) -> str:
    """A uid given on the command line, refused before any request when it
    is not one Grafana could hold (it would name a file)."""
    if not isinstance(uid, str) or not UID_RE.fullmatch(uid):
        raise TbDashError(f"--uid {clip(repr(uid), 80)}: not a valid dashboard uid "
                          "(1-40 characters of a-z, A-Z, 0-9, _ and -)", exit_code=EXIT_USAGE)
    return uid


def search_all(client, *, page_size: int = PAGE_SIZE, **filters: Any) -> list[dict]:
    """Every hit of a search, page after page until an empty one (a Grafana
    that caps ``limit`` lower than asked still gives them all). A page whose
    hits all came on earlier pages means ``page`` is ignored: refused rather
    than looping or missing dashboards."""
    hits: list[dict] = []
    seen: set[str] = set()
    page = 1
    while True:
        batch = answers.search_hits(client.search(limit=page_size, page=page, **filters))
        if not batch:
            return hits
        fresh = [h for h in batch if h["uid"] not in seen]
        if not fresh:
            raise unexpected("GET /api/search", f"on page {page} only hits of earlier pages "
                                                "(is the page parameter ignored?)")
        seen.update(h["uid"] for h in fresh)
        hits += fresh
        page += 1


def find_folder(client, folder: str, page_size: int = PAGE_SIZE) -> tuple[str, str]:
    """``(uid, title)`` of the folder ``folder`` names: its title, else its
    uid; ``General`` is the root. Two folders of that title (nested
    folders, or Grafana 11.3+) are ambiguous: name one by its uid."""
    hits = search_all(client, type="dash-folder", query=folder, page_size=page_size)
    titled = [h for h in hits if h.get("title") == folder and h.get("type", "dash-folder") == "dash-folder"]
    if len(titled) == 1:
        return titled[0]["uid"], folder
    if titled:
        uids = ", ".join(sorted(h["uid"] for h in titled))
        raise PullError(f"--folder {clip(repr(folder), 80)}: {len(titled)} folders have this title "
                        f"(uids {uids}); pass the uid of one with --folder")
    if UID_RE.fullmatch(folder) and folder != ROOT_UID:
        try:
            body = answers.obj(client.get_folder(folder), f"GET /api/folders/{folder}", "the folder")
            return folder, answers.text(body.get("title"), f"GET /api/folders/{folder}", "the title") or folder
        except NotFound:
            pass
    if folder.lower() in (ROOT_UID, ROOT_TITLE.lower()):
        return ROOT_UID, ROOT_TITLE
    raise PullError(f"--folder {clip(repr(folder), 80)}: Grafana at {redact_url(client.base_url)} "
                    "has no folder with this title or uid")


def select(client, *, uids: Sequence[str] = (), folder: str | None = None,
           page_size: int = PAGE_SIZE) -> list[str]:
    """The uids to pull: ``uids`` (checked, duplicates once), the
    dashboards directly in ``folder`` (not in its subfolders), or, with
    neither, every dashboard of the org."""
    if uids:
        return list(dict.fromkeys(check_uid(u) for u in uids))
    filters: dict[str, Any] = {"type": "dash-db"}
    if folder is not None:
        filters["folder_uids"] = [find_folder(client, folder, page_size)[0]]
    hits = search_all(client, page_size=page_size, **filters)
    return [h["uid"] for h in hits if h.get("type", "dash-db") == "dash-db"]


def read_one(client, uid: str, named: bool) -> Pulled:
    """The dashboard ``uid``; ``named``: the user asked for it by uid, so a
    404 means the uid is wrong, not that it was deleted since the search."""
    try:
        live = read_live(client, uid)
    except NotFound:
        where = redact_url(client.base_url)
        if named:
            raise PullError(f"--uid {uid}: Grafana at {where} has no dashboard with this uid") from None
        raise TbDashError(f"{uid}: listed by the search but gone when read (deleted meanwhile?); "
                          "pull again", exit_code=EXIT_USAGE) from None
    return Pulled(uid=uid, title=Rendered.of(live.data).title,
                  folder_uid=live.folder_uid or ROOT_UID, folder_title=live.folder_title or ROOT_TITLE,
                  url=client.url_for(live.url), data=portable(live.data))


def pull(client, uids: Sequence[str], *, named: bool = False, concurrency: int = 8,
         on_progress: Progress | None = None) -> list[Pulled]:
    """Read every dashboard of ``uids`` (``concurrency`` at a time), in that
    order. The first failure stops the reads not yet started and is raised:
    a pull writes every file or none."""
    failed = threading.Event()

    def task(uid: str) -> Pulled | TbDashError | None:
        if failed.is_set():
            return None
        try:
            return read_one(client, uid, named)
        except TbDashError as e:
            failed.set()
            return e

    results = run_all(task, list(uids), concurrency, on_progress)
    for r in results:
        if isinstance(r, TbDashError):
            raise r
    return [r for r in results if isinstance(r, Pulled)]


def encoded(pulled: Iterable[Pulled]) -> list[tuple[Pulled, bytes]]:
    """Each dashboard with its file's bytes, all encoded before any is written."""
    return [(p, p.content()) for p in pulled]


def file_state(path: Path, content: bytes) -> str:
    """What writing ``content`` to ``path`` does: a new file, an updated one
    (the dashboard changed in Grafana since the last pull) or none
    (``owned.status_of``, in pull's words)."""
    return {"created": NEW, "unchanged": UNCHANGED}.get(status_of(path, content), UPDATED)


@dataclass(frozen=True)
class Written:
    pulled: Pulled
    path: Path
    state: str  # one of FILE_STATES


def write(files: Sequence[tuple[Pulled, bytes]], out_dir: Path) -> list[Written]:
    """Write ``<uid>.json`` per dashboard into ``out_dir``, all or nothing
    (``output.write_files``); unchanged files are left alone."""
    states = [file_state(out_dir / p.filename, content) for p, content in files]
    paths = write_files(out_dir, [(p.filename, content) for p, content in files])
    return [Written(p, path, state) for (p, _), path, state in zip(files, paths, states)]


def left_over(out_dir: Path, written: Sequence[Written]) -> list[Path]:
    """``*.json`` files in ``out_dir`` that this pull did not write (a
    dashboard pulled before, since deleted or moved): left in place."""
    names = {w.path.name for w in written}
    return sorted(p for p in out_dir.glob("*.json") if p.name not in names) if out_dir.is_dir() else []


def counts(written: Sequence[Written]) -> dict[str, int]:
    return {s: sum(1 for w in written if w.state == s) for s in FILE_STATES}


def pull_lines(written: Sequence[Written], out_dir: Path, grafana_url: str, paint: Paint = plain) -> list[str]:
    """The text summary: one row per dashboard, then the total."""
    lines: list[str] = []
    if written:
        rows = [("FILE", "UID", "TITLE", "FOLDER", "PATH")]
        rows += [(w.state, w.pulled.uid, w.pulled.title, w.pulled.folder_title, str(w.path)) for w in written]
        lines = table(rows, ["", *(w.state for w in written)], paint)
    n = counts(written)
    lines.append(shown(f"pulled {len(written)} dashboards from {redact_url(grafana_url)} into {out_dir}: ")
                 + ", ".join(f"{n[s]} {s}" for s in FILE_STATES))
    return lines


def pull_json(written: Sequence[Written], out_dir: Path, grafana_url: str) -> dict[str, Any]:
    """The ``--format json`` report, shaped like push's and diff's."""
    return {
        "command": "pull", "schema_version": REPORT_SCHEMA_VERSION, "grafana_url": redact_url(grafana_url),
        "out": str(out_dir),
        "dashboards": [{"uid": w.pulled.uid, "title": w.pulled.title,
                        "folder": {"uid": w.pulled.folder_uid, "title": w.pulled.folder_title},
                        "path": str(w.path), "file": w.state, "url": w.pulled.url} for w in written],
        "counts": counts(written),
        "exit_code": 0,
    }
