"""``tb-dash push`` to one Grafana, or to several at the same time.

One push prints its summary (or its JSON report) and its one-line error,
and gives its exit code. Several (``--env a --env b``, ``--all-envs``) are
validated once, then run concurrently, one thread per Grafana, each with
its own client, folder and summary, printed under a header in the order
they were named; their exit codes are folded into one: a signal's 128+N
over 1 (something failed) over 3 (something refused) over 0.
"""

from __future__ import annotations

import dataclasses
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Optional, Sequence

import typer

from ..errors import EXIT_FAILED, EXIT_OK, EXIT_REFUSED, TbDashError, redact_url, shown
from ..threads import signals_to_main_thread
from .common import warn

SEVERITY = {EXIT_OK: 0, EXIT_REFUSED: 1, EXIT_FAILED: 2}  # and a signal's 128+N above all


def fold(codes: Sequence[int]) -> int:
    """The exit code of several pushes: the worst of theirs."""
    return max(codes, key=lambda c: SEVERITY.get(c, 3 if c < 128 else 4 + c), default=EXIT_OK)


class Connecting:
    """``target.connect(cfg)`` and ``apis.choose`` (the client, and for
    ``--api auto|apis`` the discovery request) and the push's first reads at once (health, the
    folder, and on /apis the list of the live dashboards, its first page
    read with discovery at the version Grafana 12 serves), started on a
    thread of its own, so that their round trips overlap reading and
    checking the dashboards; ``result`` waits for it and raises what
    connecting raised; the reads' answers (or errors) are in ``early`` for
    the push. Only reads are made before the dashboards pass the check.
    The thread is a daemon: a push that stops on a bad dashboard file does
    not wait for Grafana's answer."""

    def __init__(self, target, cfg) -> None:
        self._outcome: tuple[bool, Any] = (False, None)
        self.early: dict[str, tuple[bool, Any]] = {}  # push's first reads: name -> (ok, answer or error)
        self._taken = False
        self.started = threading.Event()  # the HTTP client's modules are loaded: its requests go out now
        self._thread = threading.Thread(target=self._connect, args=(target, cfg), name="tb-dash-connect",
                                        daemon=True)
        self._thread.start()

    def _connect(self, target, cfg) -> None:
        signals_to_main_thread()
        try:
            from ..grafana import client as _  # noqa: F401 (loaded first, on its own: see started)
        except ImportError:
            pass  # connect says what is wrong
        finally:
            self.started.set()
        try:
            env, base = target.connect(cfg)
        except BaseException as e:  # re-raised on the caller's thread by result()
            self._outcome = (False, e)
            return
        from ..grafana.apis import choose, guessed
        from ..grafana.push import folder_exists

        # Health and the folder are /api reads: they go out with discovery, not
        # after it. So does the list's first page, at the version Grafana 12
        # serves; it is used only when discovery finds that version.
        reads = {"health": base.health, "folder": lambda: folder_exists(base, env.folder.uid)}
        guess = guessed(base) if target.api.value != "legacy" else None
        first: dict[str, tuple[bool, Any]] = {}
        if guess is not None:
            reads["first page"] = guess.first_page
        threads = {name: self._start(first if name == "first page" else self.early, name, call)
                   for name, call in reads.items()}
        try:
            client = choose(base, target.api.value) or base
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


def _run(target, cfg, everything, found, stop, *, dry_run: bool, force: bool, backup_dir: Path,
         prune: bool, yes: bool, only: Optional[list], validated: bool, progress_bar: bool,
         connecting: Optional[Connecting] = None):
    """One push: (environment, client url, report)."""
    from ..grafana.checked import DEFAULT_CACHE_DIR
    from ..grafana.push import git_revision, push as run_push
    from ..progress import progress

    env, client = connecting.result() if connecting is not None else target.connect_api(cfg)
    pruning = None
    if prune:
        from ..grafana.prune import Prune

        pruning = Prune(keep=frozenset(r.uid for r in everything), only=frozenset(only) if only else None,
                        confirm=None if yes else confirm_deletes(env.folder.title))
    with client:
        report = run_push(client, found, folder_uid=env.folder.uid, folder_title=env.folder.title,
                          force=force, dry_run=dry_run, backup_dir=backup_dir, revision=git_revision(),
                          concurrency=target.concurrency,
                          on_progress=progress("push") if progress_bar else None, cfg=cfg, warn=warn,
                          stop=stop, prune=pruning, validated=validated, cache_dir=DEFAULT_CACHE_DIR,
                          early=connecting.early if connecting is not None else None)
    return env, client.base_url, report


def push_one(target, cfg, everything, found, stop, *, json: bool, **options: Any) -> int:
    """Push to one Grafana; print its summary; its exit code (the error line raised)."""
    from ..grafana.summary import push_error, push_lines
    from .style import painter

    env, url, report = _run(target, cfg, everything, found, stop, validated=False, progress_bar=True, **options)
    if json:
        from ..grafana.report import push_json

        print_json(push_json(report, env.folder.title, url))
    else:
        for line in push_lines(report, env.folder.title, painter()):
            typer.echo(line)
    problem = push_error(report)
    if problem:
        raise TbDashError(problem, exit_code=report.exit_code)
    return report.exit_code


def push_many(target, names: Sequence[str], cfg, everything, found, stop, *, json: bool,
              **options: Any) -> int:
    """Push to the environments ``names`` at once; print each summary under
    its header (or one JSON report listing them); the folded exit code."""
    from ..grafana.push import validate
    from ..grafana.checked import DEFAULT_CACHE_DIR
    from ..grafana.report import push_json
    from ..grafana.summary import push_error, push_lines
    from .style import painter

    validate(found, cfg, warn, DEFAULT_CACHE_DIR)  # once for all of them

    def one(name: str):
        try:
            return _run(dataclasses.replace(target, env=[name]), cfg, everything, found, stop,
                        validated=True, progress_bar=False, **options)
        except TbDashError as e:  # unreachable, 401, the folder...: this Grafana only
            return e

    with ThreadPoolExecutor(max_workers=len(names), thread_name_prefix="tb-dash-env",
                            initializer=signals_to_main_thread) as pool:
        results = list(pool.map(one, names))
    codes, reports, paint = [], [], painter()
    for name, result in zip(names, results):
        if isinstance(result, TbDashError):
            codes.append(result.exit_code)
            reports.append({"env": name, "error": result.message, "exit_code": result.exit_code})
            if not json:
                typer.echo(f"== {name} ==")
                typer.echo(f"failed: {shown(result.message)}")
            warn_error(name, result.message)
            continue
        env, url, report = result
        problem = push_error(report)
        codes.append(report.exit_code)
        reports.append({"env": name, **push_json(report, env.folder.title, url)})
        if not json:
            typer.echo(f"== {name} ({redact_url(url)}) ==")
            for line in push_lines(report, env.folder.title, paint):
                typer.echo(line)
        if problem:
            warn_error(name, problem)
    code = fold(codes)
    if json:
        print_json({"command": "push", "schema_version": 1, "environments": reports, "exit_code": code})
    else:
        failed = [n for n, c in zip(names, codes) if c]
        typer.echo(f"{len(names)} environments: {len(names) - len(failed)} ok"
                   + (f", not ok: {', '.join(failed)}" if failed else "") + f" (exit {code})")
    return code


def confirm_deletes(folder_title: str):
    """Ask on the terminal before deleting: the list first, on stderr."""
    def ask(doomed) -> bool:
        from ..grafana.summary import table

        warn(f"push --prune will delete {len(doomed)} dashboard(s) from the folder '{folder_title}', "
             "which the code no longer has:")
        for line in table([(d.uid, d.title, d.url) for d in doomed]):
            typer.echo(f"  {line}", err=True)
        return typer.confirm("Delete them?", default=False, err=True)
    return ask


def print_json(data) -> None:
    from ..output import json_text

    typer.echo(json_text(data, "the report", indent=2, ensure_ascii=False))


def warn_error(name: str, message: str) -> None:
    typer.echo(f"tb-dash: error: [{name}] {shown(message)}", err=True)
