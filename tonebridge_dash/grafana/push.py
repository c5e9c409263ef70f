"""Push rendered dashboards into Grafana, safely.

The order matters: validate everything (nothing is written if anything is
invalid), check Grafana's health, make sure the folder exists, list which
dashboards exist with one search, then per dashboard (concurrently): read
the live one, skip it when it is unchanged, and otherwise upsert it with
``overwrite`` and the version message ``tb-dash: <hash> [<revision>]``.

Drift protection: before overwriting, the newest version of the dashboard
must have been written by tb-dash. When a person saved it since (in the UI),
it is refused and named; ``force`` overwrites it after saving the live JSON
under ``backup_dir``. A person's work is never lost silently.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Sequence

from ..errors import EXIT_FAILED, EXIT_OK, EXIT_REFUSED, RenderError, TbDashError
from ..model import Rendered
from ..files.write import encode_json, write_atomic
from ..progress import Progress
from . import answers
from .errors import Conflict, GrafanaError, NotFound, UnexpectedResponse, VersionConflict
from .plan import Live, existing_uids, hand_edit, in_parallel, is_unchanged, read_live, run_all, version_message

CREATED, UPDATED, UNCHANGED, REFUSED, FAILED = "created", "updated", "unchanged", "refused", "failed"
DELETED = "deleted"  # --prune: no longer in the code
SKIPPED = "skipped"  # not started: the push was stopped (a signal, a local failure)
ACTIONS = (CREATED, UPDATED, DELETED, UNCHANGED, REFUSED, FAILED, SKIPPED)
DEFAULT_BACKUP_DIR = Path("build") / "backups"
CONFLICT_ROUNDS = 3  # saves refused because the dashboard changed meanwhile, before giving up
SAVE_TRIES = 2  # a save whose answer was lost, read back and found not done, is sent once more


@dataclass(frozen=True)
class Outcome:
    uid: str
    title: str
    action: str  # one of ACTIONS
    url: str = ""  # absolute Grafana URL of the dashboard, when known
    detail: str = ""  # why it was refused or failed; where the backup went
    deleting: bool = False  # --prune: the dashboard is (to be) deleted, not saved


class Stop:
    """Why a push stops starting saves (a signal, a local failure): set once,
    from a worker thread or a signal handler (so it takes no lock, which the
    interrupted thread might hold); the saves in flight finish."""

    def __init__(self) -> None:
        self.reason = ""
        self.signal: int | None = None  # the signal that stopped it, if one did

    def set(self, reason: str, signum: int | None = None) -> None:
        if not self.reason:
            self.signal, self.reason = signum, reason

    def __bool__(self) -> bool:
        return bool(self.reason)


@dataclass
class PushReport:
    outcomes: list[Outcome]
    folder_uid: str
    folder_created: bool = False
    dry_run: bool = False
    backups: list[Path] = field(default_factory=list)
    stop: Stop = field(default_factory=Stop)
    pruned: bool = False  # --prune was asked for

    def count(self, action: str) -> int:
        return sum(1 for o in self.outcomes if o.action == action)

    @property
    def exit_code(self) -> int:
        if self.stop.signal is not None:
            return 128 + self.stop.signal  # the shell's code for a process ended by that signal
        if self.count(FAILED):
            return EXIT_FAILED
        if self.count(REFUSED):
            return EXIT_REFUSED
        return EXIT_OK


def git_revision(cwd: Path | None = None) -> str | None:
    """The short commit of the working directory's git checkout, if any."""
    try:
        r = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=cwd, capture_output=True,
                           text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return (r.stdout.strip() or None) if r.returncode == 0 else None


def titles_unique_per_folder(health: dict | None) -> bool:
    """Grafana before 11.3 keeps dashboard titles unique in a folder. An
    unknown version (``hide_version``) is treated as old: the check is cheap."""
    m = re.match(r"(\d+)\.(\d+)", str((health or {}).get("version") or ""))
    return m is None or (int(m.group(1)), int(m.group(2))) < (11, 3)


def folder_exists(client, uid: str) -> bool:
    try:
        client.get_folder(uid)
        return True
    except NotFound:
        return False


def create_folder(client, uid: str, title: str) -> bool:
    """Create the folder; False when another run created it meanwhile (a 409,
    or the 412 of the unified-storage folder service): that is fine."""
    try:
        client.create_folder(uid, title)
    except Conflict:
        client.get_folder(uid)
        return False
    return True


def inside(directory: Path, name: str) -> Path:
    """``directory / name``, where ``name`` (made from Grafana's answer) must
    be one file name: never a path that leads out of ``directory``."""
    if not name or name in (".", "..") or Path(name).name != name or "\\" in name:
        raise UnexpectedResponse(f"refusing to write the backup {name!r}: not a file name in {directory}")
    return directory / name


def backup(live: Live, backup_dir: Path) -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = inside(backup_dir, f"{live.uid}.v{live.version}.{stamp}.json")
    write_atomic(path, encode_json(live.data))
    return path


def reads_listed(client) -> bool:
    """Whether the client reads dashboards from one list (``/apis``), not a
    request each."""
    return getattr(client, "list_all", None) is not None


class Pusher:
    """One push: the client, the target folder and the options."""

    def __init__(self, client, *, folder_uid: str, force: bool = False, dry_run: bool = False,
                 backup_dir: Path = DEFAULT_BACKUP_DIR, revision: str | None = None,
                 stop: Stop | None = None) -> None:
        self.client = client
        self.stop = Stop() if stop is None else stop
        self.folder_uid = folder_uid
        self.force = force
        self.dry_run = dry_run
        self.backup_dir = backup_dir
        self.revision = revision
        self.backups: list[Path] = []
        self.same_title: dict[str, dict] = {}  # lower-cased title -> search hit of another dashboard
        self.read_ahead: dict[str, Live | None] = {}  # uid -> as read by at_hand (None: deleted since)

    def one(self, item: tuple[Rendered, dict | None]) -> Outcome:
        rendered, hit = item
        return self.guarded(rendered.uid, rendered.title, lambda: self._one(rendered, hit))

    def guarded(self, uid: str, title: str, work: Callable[[], Outcome], deleting: bool = False) -> Outcome:
        """``work``'s outcome for one dashboard: skipped once the push is
        stopped, failed on a Grafana error, and on a local failure (a backup
        that cannot be written) failed, stopping the push."""
        verb = "deleted" if deleting else "overwritten"
        if self.stop:
            return Outcome(uid, title, SKIPPED, detail=f"not started: {self.stop.reason}", deleting=deleting)
        try:
            return work()
        except GrafanaError as e:
            return Outcome(uid, title, FAILED, detail=e.message, deleting=deleting)
        except (TbDashError, OSError) as e:  # local: the backup could not be written
            why = e.message if isinstance(e, TbDashError) else f"{e.filename or ''} {e.strerror or e}".strip()
            self.stop.set(f"a backup could not be written ({why})")
            return Outcome(uid, title, FAILED, deleting=deleting,
                           detail=f"cannot write the backup: {why}; not {verb}, and no new save started")

    def at_hand(self, item: tuple[Rendered, dict | None]) -> Outcome | None:
        """The outcome when it needs no request: the dashboard is unchanged and
        the client read it with the list (/apis). Else None, and the live
        dashboard read is kept for ``one``."""
        rendered, hit = item
        if hit is None or self.stop:
            return None
        try:
            live = self._read(rendered.uid)
        except GrafanaError:
            return None  # ``one`` reads it again, and reports what fails
        if live is not None and is_unchanged(rendered, live, self.folder_uid):
            return Outcome(rendered.uid, rendered.title, UNCHANGED, self.client.url_for(live.url))
        self.read_ahead[rendered.uid] = live
        return None

    def _one(self, r: Rendered, hit: dict | None) -> Outcome:
        if r.uid in self.read_ahead:
            live = self.read_ahead.pop(r.uid)
        else:
            live = self._read(r.uid) if hit is not None else None
        during = False
        for _ in range(CONFLICT_ROUNDS):
            try:
                return self._update(r, live, during) if live is not None else self._create(r)
            except VersionConflict:
                # Grafana refused the save. After a read, the dashboard changed
                # since (a save in the UI, another push): a change made during the
                # push, refused like a hand edit. A create: the search left out a
                # dashboard that exists, judged like any live dashboard.
                during, live = live is not None, self._read(r.uid)
        return Outcome(r.uid, r.title, FAILED,
                       detail=f"changed in Grafana {CONFLICT_ROUNDS} times during this push; not overwritten")

    def _read(self, uid: str) -> Live | None:
        try:
            return read_live(self.client, uid)
        except NotFound:  # deleted since the search
            return None

    def _update(self, r: Rendered, live: Live, during: bool = False) -> Outcome:
        url = self.client.url_for(live.url)
        if is_unchanged(r, live, self.folder_uid):
            return Outcome(r.uid, r.title, UNCHANGED, url)
        note = ""
        edit = hand_edit(self.client, live, during)
        if edit is not None:
            guard = self._protect(r, live, edit, url)
            if isinstance(guard, Outcome):
                return guard
            note = guard
        return self._write(r, UPDATED, url, note, version=live.version)

    def _create(self, r: Rendered) -> Outcome:
        other = self.same_title.get(r.title.lower())
        if other is None:
            return self._write(r, CREATED)
        # Grafana before 11.3 keeps titles unique in a folder: with overwrite it
        # would replace the other dashboard instead of creating ours.
        live = read_live(self.client, other["uid"])
        why = (f"'{other['uid']}' ({other.get('title', '')}) has the same title in the folder, and this "
               f"Grafana (before 11.3) would replace it with '{r.uid}'")
        guard = self._protect(r, live, why, self.client.url_for(live.url))
        if isinstance(guard, Outcome):
            return guard
        return self._write(r, CREATED, note=guard, overwrite=True)  # the takeover, after the backup

    def _protect(self, r: Rendered, live: Live, why: str, url: str) -> Outcome | str:
        """Refuse to overwrite ``live`` (the refusal), or with ``force`` back it
        up first (the note saying where)."""
        if not self.force:
            return Outcome(r.uid, r.title, REFUSED, url,
                           f"{why}; not overwritten (use --force to back it up and overwrite)")
        if self.dry_run:
            return f"{why}; would be backed up and overwritten"
        path = backup(live, self.backup_dir)
        self.backups.append(path)
        return f"{why}; backed up to {path}"

    def _write(self, r: Rendered, action: str, url: str = "", note: str = "", *,
               version: int | None = None, overwrite: bool = False) -> Outcome:
        """Save ``r`` over ``version`` of it (None: create it). Without
        ``overwrite`` Grafana refuses the save when the dashboard changed since
        that version was read, or exists although the search said it did not."""
        if self.dry_run and not getattr(self.client, "server_dry_run", False):
            return Outcome(r.uid, r.title, action, url or self.client.url_for(f"/d/{r.uid}"), note)
        body = {k: v for k, v in r.data.items() if k not in ("id", "version")}
        if version is not None:
            body["version"] = version
        answer, lost = self._save(r, body, overwrite)
        note = "; ".join(n for n in (note, lost) if n)
        return Outcome(r.uid, r.title, action, self.client.url_for(answers.saved_path(answer, r.uid)), note)

    def _save(self, r: Rendered, body: dict, overwrite: bool) -> tuple[Any, str]:
        """The save and its answer. When the answer is lost (a timeout, a
        dropped connection, 502, 504), Grafana may have saved it: read it back
        before anything else, and save again (once) only when it did not."""
        for attempt in range(1, SAVE_TRIES + 1):
            try:
                dry = {"dry_run": True} if self.dry_run else {}  # the server's own dry run (/apis)
                return self.client.save_dashboard(body, folder_uid=self.folder_uid, overwrite=overwrite,
                                                  message=version_message(r.data, self.revision), **dry), ""
            except GrafanaError as e:
                if not e.maybe_applied:
                    raise
                landed = self._landed(r, body.get("version"), e)
                if landed is not None:
                    return {"url": landed.url}, "its answer was lost; read back, it was saved"
                if attempt == SAVE_TRIES:
                    e.args = (f"{e.message}; read back: it was not saved",)
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _landed(self, r: Rendered, sent: int | None, failure: GrafanaError) -> Live | None:
        """After a lost answer: the live dashboard when it is the one sent (it
        was saved), None when it is untouched (it was not). Anything else was
        saved by someone else meanwhile: a conflict, as Grafana would say."""
        try:
            live = self._read(r.uid)
        except GrafanaError as e:
            failure.args = (f"{failure.message}; whether it was saved is unknown "
                            f"(reading it back: {e.message})",)
            raise failure from None
        if live is None and sent is None:
            return None
        if live is not None and live.version > (sent or 0) and is_unchanged(r, live, self.folder_uid):
            return live
        if live is not None and live.version == sent:
            return None
        raise VersionConflict(f"{failure.request}: the dashboard changed while its save's answer was lost")


def gate(dashboards, cfg, warn) -> None:
    """``lint.gate``, imported only when a check is run (a cache hit needs none of it)."""
    from ..lint import gate as every_rule

    every_rule(dashboards, cfg, warn)


def validate(dashboards: Sequence[Rendered], cfg=None, warn: Callable[[str], None] | None = None,
             cache_dir: Path | None = None) -> None:
    """The one validation of a push, before the first write."""
    from ..files.checked import check_once

    try:  # a v2 dashboard: its schema and references, the other rules on its classic equivalent
        check_once(dashboards, cfg, warn, cache_dir, gate)
    except RenderError as e:  # exit 1, as render refuses the same dashboards
        raise RenderError(f"{e.message}; nothing was written") from None


def push(client, dashboards: Sequence[Rendered], *, folder_uid: str, folder_title: str,
         force: bool = False, dry_run: bool = False, backup_dir: Path = DEFAULT_BACKUP_DIR,
         revision: str | None = None, concurrency: int = 8,
         on_progress: Progress | None = None,
         cfg=None, warn: Callable[[str], None] | None = None, stop: Stop | None = None,
         prune=None, validated: bool = False, cache_dir: Path | None = None,
         early: dict[str, tuple[bool, Any]] | None = None) -> PushReport:
    """Push ``dashboards`` into the folder; see the module's docstring. With
    the settings (``cfg``), validate's lint rules gate it too (errors stop
    it, warnings go to ``warn``). Once ``stop`` is set (by a signal handler,
    or by a local failure), no new save starts: the dashboards not started
    are reported as skipped. With ``prune`` (a ``prune.Prune``), the folder's
    dashboards the code no longer has are listed and confirmed before the
    first write, and deleted after the saves.
    Errors before the per-dashboard work (invalid input, Grafana unhealthy or
    unreachable, bad credentials, the folder, a prune not confirmed) raise;
    per-dashboard failures are reported in the outcome list. ``validated``:
    the caller checked them already (one check for several Grafanas);
    ``cache_dir``: skip the check when this content passed it before;
    ``early``: the health and folder reads (``"health"``, ``"folder"``:
    (True, the answer) or (False, the error)) the caller made already,
    while it read the dashboards."""
    if not validated:
        validate(dashboards, cfg, warn, cache_dir)
    from .versions import for_dashboards

    client = for_dashboards(client, dashboards)  # v2 dashboards: /apis at their version
    # Three independent reads at once: one round trip instead of three. The
    # health check's error, if any, is the one reported.
    def read(name: str, call: Callable[[], Any]) -> Any:
        if early is None or name not in early:
            return call()
        ok, value = early[name]
        if not ok:
            raise value
        return value

    health, has_folder, hits = in_parallel(
        lambda: answers.health(read("health", client.health)),
        lambda: read("folder", lambda: folder_exists(client, folder_uid)),
        lambda: existing_uids(client, [r.uid for r in dashboards]))
    doomed = (prune.plan(client, folder_uid, force=force, dry_run=dry_run, concurrency=concurrency)
              if prune is not None and has_folder else [])
    stop = Stop() if stop is None else stop
    created = not has_folder and not stop and (dry_run or create_folder(client, folder_uid, folder_title))
    pusher = Pusher(client, folder_uid=folder_uid, force=force, dry_run=dry_run,
                    backup_dir=backup_dir, revision=revision, stop=stop)
    if not created and titles_unique_per_folder(health):
        ours = {r.uid for r in dashboards}
        for hit in answers.search_hits(client.search(type="dash-db", folder_uids=[folder_uid])):
            if hit["uid"] not in ours:
                pusher.same_title[str(hit.get("title") or "").lower()] = hit
    total = len(dashboards) + len(doomed)
    todo = [(r, hits.get(r.uid)) for r in dashboards]
    # On /apis the live dashboards came with the list: the unchanged ones are
    # judged here, and only those that need a request go to the threads.
    known = [pusher.at_hand(item) for item in todo] if reads_listed(client) else [None] * len(todo)
    first = sum(o is not None for o in known)
    if on_progress and first:
        on_progress(first, total)
    progress = (lambda done, _: on_progress(first + done, total)) if on_progress else None
    rest = iter(run_all(pusher.one, [item for item, o in zip(todo, known) if o is None], concurrency, progress))
    outcomes = [o if o is not None else next(rest) for o in known]
    if doomed:
        after = (lambda done, _: on_progress(len(dashboards) + done, total)) if on_progress else None
        outcomes += prune.delete_all(pusher, doomed, concurrency, after)
    return PushReport(outcomes, folder_uid, created, dry_run, pusher.backups, stop, pruned=prune is not None)
