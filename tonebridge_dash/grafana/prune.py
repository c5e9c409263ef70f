"""``push --prune``: delete from the folder the dashboards the code no longer has.

Only a dashboard tb-dash wrote last is deleted: its newest version's message
is tb-dash's and names the hash of the content Grafana holds (the same test
as before an overwrite, ``plan.hand_edit``). A hand-edited one, or one
tb-dash never wrote, is refused unless ``force``, which first backs it up
like an overwrite does. The candidates are listed (and, on a terminal,
confirmed) before anything is written; each is read again just before its
delete, so a save made meanwhile is judged too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from ..errors import EXIT_FAILED, TbDashError
from ..model import Rendered
from ..progress import Progress
from . import answers
from .errors import GrafanaError, NotFound
from .plan import Live, hand_edit, read_live, run_all
from .push import DELETED, REFUSED, Outcome, Pusher, backup


class NotConfirmed(TbDashError):
    """The person at the terminal did not confirm the deletes."""

    exit_code = EXIT_FAILED


@dataclass(frozen=True)
class Doomed:
    """A dashboard in the folder that the code no longer has."""

    live: Live
    url: str
    edit: str | None  # who saved it since tb-dash did (None: tb-dash wrote it last)

    @property
    def uid(self) -> str:
        return self.live.uid

    @property
    def title(self) -> str:
        return Rendered.of(self.live.data).title  # a v2 dashboard's is its spec's


@dataclass(frozen=True)
class Prune:
    """What to prune: dashboards of the folder whose uid is not in ``keep``
    (every uid the code has), only those in ``only`` when given; ``confirm``
    is asked with the dashboards to delete before anything is written."""

    keep: frozenset[str]
    only: frozenset[str] | None = None
    confirm: Callable[[Sequence[Doomed]], bool] | None = None

    def plan(self, client, folder_uid: str, *, force: bool, dry_run: bool, concurrency: int) -> list[Doomed]:
        """The candidates, after the confirmation (when there is something to
        delete and it is not a dry run); ``NotConfirmed`` when it is refused."""
        doomed = candidates(client, folder_uid, self, concurrency)
        going = deletable(doomed, force)
        if going and not dry_run and self.confirm is not None and not self.confirm(going):
            raise NotConfirmed(f"not confirmed: nothing was deleted or saved ({len(going)} dashboard(s) "
                               "would have been deleted)")
        return doomed

    @staticmethod
    def delete_all(pusher: Pusher, doomed: Sequence[Doomed], concurrency: int,
                   on_progress: Progress | None = None) -> list[Outcome]:
        return run_all(Pruner(pusher).one, list(doomed), concurrency, on_progress)


def candidates(client, folder_uid: str, prune: Prune, concurrency: int = 8) -> list[Doomed]:
    """The folder's dashboards that the code no longer has, each read and
    judged (tb-dash wrote it last, or who edited it)."""
    hits = answers.search_hits(client.search(type="dash-db", folder_uids=[folder_uid]))
    uids = [h["uid"] for h in hits
            if h["uid"] not in prune.keep and (prune.only is None or h["uid"] in prune.only)]

    def judge(uid: str) -> Doomed | None:
        try:
            live = read_live(client, uid)
        except NotFound:  # deleted since the search
            return None
        if live.folder_uid != folder_uid:  # moved since the search: not ours to delete
            return None
        return Doomed(live, client.url_for(live.url), hand_edit(client, live))

    return [d for d in run_all(judge, uids, concurrency) if d is not None]


def deletable(doomed: Sequence[Doomed], force: bool) -> list[Doomed]:
    """Those a prune would delete: tb-dash's, and with ``force`` the others."""
    return [d for d in doomed if force or d.edit is None]


class Pruner:
    """The deletes of one push, with its client, options, stop and backups."""

    def __init__(self, pusher: Pusher) -> None:
        self.pusher = pusher

    def one(self, d: Doomed) -> Outcome:
        return self.pusher.guarded(d.uid, d.title, lambda: self._one(d), deleting=True)

    def _one(self, d: Doomed) -> Outcome:
        p = self.pusher
        live, edit, note = d.live, d.edit, ""
        if not p.dry_run:  # it may have been saved since it was listed (and confirmed)
            try:
                live = read_live(p.client, d.uid)
            except NotFound:
                return Outcome(d.uid, d.title, DELETED, detail="already deleted", deleting=True)
            if live.folder_uid != p.folder_uid:
                return Outcome(d.uid, d.title, REFUSED, d.url, deleting=True,
                               detail=f"moved to the folder '{live.folder_uid or 'General'}' since it was "
                                      "listed; not deleted")
            if live.version != d.live.version:
                edit = hand_edit(p.client, live)
        if edit is not None:
            if not p.force:
                return Outcome(d.uid, d.title, REFUSED, d.url, deleting=True,
                               detail=f"{edit}; not deleted (use --force to back it up and delete)")
            if p.dry_run:
                note = f"{edit}; would be backed up and deleted"
            else:
                path = backup(live, p.backup_dir)
                p.backups.append(path)
                note = f"{edit}; backed up to {path}"
        if p.dry_run:
            return Outcome(d.uid, d.title, DELETED, d.url, note, deleting=True)
        lost = self._delete(d.uid)
        return Outcome(d.uid, d.title, DELETED, "", "; ".join(n for n in (note, lost) if n), deleting=True)

    def _delete(self, uid: str) -> str:
        """The delete; a note when its answer was lost and it was read back."""
        client = self.pusher.client
        try:
            client.delete_dashboard(uid)
            return ""
        except NotFound:
            return "already deleted"
        except GrafanaError as e:
            if not e.maybe_applied:
                raise
            try:
                read_live(client, uid)
            except NotFound:
                return "its answer was lost; read back, it was deleted"
            except GrafanaError as again:
                e.args = (f"{e.message}; whether it was deleted is unknown (reading it back: {again.message})",)
                raise e from None
            e.args = (f"{e.message}; read back: it was not deleted",)
            raise
