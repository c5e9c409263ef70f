"""A Grafana connected while the dashboards are read: the client (and on
``/apis`` its discovery) and a push's first reads, on a thread of their own."""

from __future__ import annotations

import threading
from typing import Any, Callable

from ..threads import signals_to_main_thread


class Connecting:
    """``connect()`` and ``apis.choose`` (the client, and for ``api``
    ``auto`` or ``apis`` the discovery request) and the push's first reads at once (health, the
    folder, and on /apis the list of the live dashboards, its first page
    read with discovery at the version Grafana 12 serves), started on a
    thread of its own, so that their round trips overlap reading and
    checking the dashboards; ``result`` waits for it and raises what
    connecting raised; the reads' answers (or errors) are in ``early`` for
    the push. Only reads are made before the dashboards pass the check.
    ``version``: the dashboards are v2 resources of this version, read and
    written at it (the list is read there from the start).
    The thread is a daemon: a push that stops on a bad dashboard file does
    not wait for Grafana's answer."""

    def __init__(self, connect: Callable[[], tuple[Any, Any]], api: str, version: str | None = None) -> None:
        self.version = version
        self._outcome: tuple[bool, Any] = (False, None)
        self.early: dict[str, tuple[bool, Any]] = {}  # push's first reads: name -> (ok, answer or error)
        self._taken = False
        self.started = threading.Event()  # the HTTP client's modules are loaded: its requests go out now
        self._thread = threading.Thread(target=self._connect, args=(connect, api), name="tb-dash-connect",
                                        daemon=True)
        self._thread.start()

    def _connect(self, connect, api: str) -> None:
        signals_to_main_thread()
        try:
            from . import client as _  # noqa: F401 (loaded first, on its own: see started)
        except ImportError:
            pass  # connect says what is wrong
        finally:
            self.started.set()
        try:
            env, base = connect()
        except BaseException as e:  # re-raised on the caller's thread by result()
            self._outcome = (False, e)
            return
        from .apis import choose, guessed
        from .push import folder_exists

        # Health and the folder are /api reads: they go out with discovery, not
        # after it. So does the list's first page, at the version Grafana 12
        # serves; it is used only when discovery finds that version.
        reads = {"health": base.health, "folder": lambda: folder_exists(base, env.folder.uid)}
        guess = (guessed(base, self.version) if self.version else guessed(base)) if api != "legacy" else None
        first: dict[str, tuple[bool, Any]] = {}
        if guess is not None:
            reads["first page"] = guess.first_page
        threads = {name: self._start(first if name == "first page" else self.early, name, call)
                   for name, call in reads.items()}
        try:
            client = choose(base, api) or base
            if self.version and getattr(client, "at_version", None) is not None:
                client = client.at_version(self.version)
        except BaseException as e:
            self._outcome = (False, e)
            base.close()  # the reads under way are not waited for: their answers are not used
            return
        self._outcome = (True, (env, client))
        list_all = getattr(client, "list_all", None)  # /apis: the one list the push compares with
        if list_all is not None:
            def listing():
                page = None
                if guess is not None and (client.version, client.namespace) == (guess.version, guess.namespace):
                    threads["first page"].join()
                    ok, page = first.get("first page", (False, None))
                    page = page if ok else None  # failed: the list asks again and reports what fails
                return list_all(first=page)

            threads["list"] = self._start(self.early, "list", listing)  # kept by the client for the push
        for t in threads.values():
            t.join()
        self.early.pop("list", None)  # a failed list: the push lists again and reports what fails

    def _start(self, into: dict, name: str, call) -> threading.Thread:
        t = threading.Thread(target=self._read, args=(into, name, call), daemon=True)
        t.start()
        return t

    @staticmethod
    def _read(into: dict, name: str, call) -> None:
        signals_to_main_thread()
        try:
            into[name] = (True, call())
        except Exception as e:  # raised where the push would have read it
            into[name] = (False, e)

    def result(self):
        self._thread.join()
        self._taken = True
        ok, value = self._outcome
        if not ok:
            raise value
        return value

    def settle(self, timeout: float = 2.0) -> None:
        """Wait a little for the reads (a refused push does not end with one
        in flight when Grafana answers; one that does not answer is not
        waited for: the thread is a daemon); close the client when no push
        took it."""
        self._thread.join(timeout)
        ok, value = self._outcome
        if ok and not self._taken and not self._thread.is_alive():
            value[1].close()
