"""What Grafana holds, beside what the code renders.

Shared by push and diff: one search lists which of our dashboards exist;
then each existing one is read (concurrently) and compared after removing
what Grafana manages itself (``id`` and ``version``). A dashboard is
"unchanged" when that comparison is equal and it is in the right folder.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence, TypeVar

from ..model import Rendered
from ..threads import results, signals_to_main_thread
from . import answers
from .answers import unexpected, url_path
from .errors import GrafanaError
from .hashing import (CHANGED, HASHED_MESSAGE, MESSAGE_PREFIX, NEW, UNCHANGED, VOLATILE_KEYS,  # noqa: F401 (named by callers)
                      comparable, content_hash, saved_hash, version_message)

SEARCH_CHUNK = 100  # dashboard uids per /api/search request, to keep the URL short

T = TypeVar("T")
R = TypeVar("R")


def describe_edit(uid: str, title: str, version: dict | None, content: str = "") -> str:
    """Who saved a dashboard's newest version, when, and with what message
    (and whether the content, hashed ``content``, is the one it names)."""
    if version is None:
        return f"'{uid}' ({title}) has no version history written by tb-dash"
    who = version.get("createdBy") or "someone"
    when = version.get("created") or "an unknown time"
    said = f", message {version['message']!r}" if version.get("message") else ""
    differs = ("; its content is not the one that message names"
               if saved_hash(version) not in (None, content) else "")
    return (f"'{uid}' ({title}) was saved in Grafana by {who} at {when} "
            f"(version {version.get('version', '?')}{said}){differs}")


def hand_edit(client, live: "Live", during: bool = False) -> str | None:
    """None when the live dashboard is what tb-dash saved last: its newest
    version's message names the hash of the content Grafana holds now.
    Otherwise (a save in the UI, whatever its message; a dashboard tb-dash
    never wrote) who saved it, and when. ``during``: Grafana refused a save
    because someone saved since it was read; that is named whoever it was."""
    newest = next(iter(client.dashboard_versions(live.uid, limit=1)), None)
    content = content_hash(live.data)
    if not during and newest is not None and saved_hash(newest) == content:
        return None
    said = describe_edit(live.uid, Rendered.of(live.data).title, newest, content)
    return f"{said}, during this push" if during else said


@dataclass(frozen=True)
class Live:
    """One dashboard as Grafana holds it."""

    uid: str
    data: dict
    version: int
    folder_uid: str
    folder_title: str
    url: str  # path, e.g. /d/<uid>/<slug>

    @classmethod
    def from_answer(cls, body: Any, request: str) -> "Live":
        data, meta, version = answers.dashboard(body, request)
        uid = Rendered.of(data).uid
        return cls(uid=uid, data=data, version=version, folder_uid=meta.get("folderUid") or "",
                   folder_title=meta.get("folderTitle") or "", url=url_path(meta.get("url"), f"/d/{uid}"))


def is_unchanged(rendered: Rendered, live: Live, folder_uid: str) -> bool:
    return live.folder_uid == folder_uid and comparable(live.data) == comparable(rendered.data)


def existing_uids(client, uids: Iterable[str]) -> dict[str, dict]:
    """Which of ``uids`` exist in Grafana (in any folder): uid -> search hit."""
    uids = list(uids)
    found: dict[str, dict] = {}
    for i in range(0, len(uids), SEARCH_CHUNK):
        chunk = uids[i:i + SEARCH_CHUNK]
        for hit in answers.search_hits(client.search(type="dash-db", dashboard_uids=chunk,
                                                     limit=len(chunk) + 1)):
            if hit["uid"] in chunk:
                found[hit["uid"]] = hit
    return found


def read_live(client, uid: str) -> Live:
    """The dashboard ``uid`` as Grafana holds it; an answer about another uid
    (which would name the backup file) is refused."""
    request = f"GET /api/dashboards/uid/{uid}"
    try:
        body = client.get_dashboard(uid)
    except GrafanaError as e:  # stored as v2: Grafana says where to read it
        from .versions import stored_elsewhere

        there = stored_elsewhere(client, e)
        if there is None:
            raise
        request, body = f"GET {there.path}/{uid}", there.get_dashboard(uid)
    live = Live.from_answer(body, request)
    if live.uid != uid:
        raise unexpected(request, f"the dashboard with the uid {live.uid!r}")
    return live


def in_parallel(*calls: Callable[[], Any]) -> list[Any]:
    """Independent calls at the same time; their results in order. When some
    fail, the first failing one (in argument order) raises."""
    with ThreadPoolExecutor(max_workers=len(calls), thread_name_prefix="tb-dash",
                            initializer=signals_to_main_thread) as pool:
        return results(pool.submit(call) for call in calls)


def run_all(task: Callable[[T], R], items: Sequence[T], concurrency: int,
            on_done: Callable[[int, int], None] | None = None) -> list[R]:
    """``task`` over ``items`` on up to ``concurrency`` threads, results in
    order. ``task`` should not raise: return the failure instead."""
    total, done = len(items), 0
    lock = threading.Lock()

    def wrapped(item: T) -> R:
        nonlocal done
        result = task(item)
        if on_done is not None:
            with lock:
                done += 1
                on_done(done, total)
        return result

    if concurrency <= 1 or total <= 1:
        return [wrapped(i) for i in items]
    with ThreadPoolExecutor(max_workers=min(concurrency, total),
                            thread_name_prefix="tb-dash", initializer=signals_to_main_thread) as pool:
        return results(pool.submit(wrapped, item) for item in items)
