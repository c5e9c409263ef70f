"""Commands against Grafana: push and diff. Both take the same Grafana
target options (``grafana_target``), turned into one ``GrafanaTarget``."""

from __future__ import annotations

import contextlib
import functools
import inspect
import signal
import sys
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import List, Optional

import typer

from ..errors import EXIT_FAILED, EXIT_USAGE, TbDashError
from .common import ConfigOption, app, dashboards, load_settings
from .pushing import print_json

FromOption = typer.Option(
    None, "--from", metavar="DIR",
    help="Use the rendered <uid>.json files in DIR instead of rendering (e.g. a reviewed CI artifact).")
OnlyOption = typer.Option(
    None, "--only", metavar="UID", show_default=False,
    help="Only the dashboard with this uid; repeat for more (default: all of them).")


def from_environment_only(ctx: typer.Context, param: typer.CallbackParam, value):
    """A secret is read from the environment only: on the command line it
    would show in the process list and the shell's history."""
    source = ctx.get_parameter_source(param.name)
    if value is not None and getattr(source, "name", "") == "COMMANDLINE":
        raise TbDashError(f"set {param.envvar} in the environment (or use --token-file), not "
                          f"{param.opts[0]}: a secret on the command line shows in the process list",
                          exit_code=EXIT_USAGE)
    return value


class PushFormat(str, Enum):
    text = "text"
    json = "json"


class ApiMode(str, Enum):
    auto = "auto"
    apis = "apis"
    legacy = "legacy"


class DiffFormat(str, Enum):
    text = "text"
    json = "json"
    markdown = "markdown"


@dataclass(frozen=True)
class GrafanaTarget:
    """Where push and diff go and how they talk to it, from the command line."""

    grafana_url: Optional[str] = None
    env: Optional[List[str]] = None  # --env, repeatable (push: several Grafanas at once)
    token_file: Optional[Path] = None
    org_id: Optional[int] = None
    ca_cert: Optional[Path] = None
    insecure: bool = False
    timeout: float = 30.0
    retries: int = 4
    concurrency: int = 8
    token: Optional[str] = field(default=None, repr=False)
    user: Optional[str] = None
    password: Optional[str] = field(default=None, repr=False)
    api: ApiMode = ApiMode.auto

    @property
    def env_name(self) -> Optional[str]:
        if self.env and len(self.env) > 1:
            raise TbDashError("this command takes one --env", exit_code=EXIT_USAGE)
        return self.env[0] if self.env else None

    def connect(self, cfg):
        """The settings' environment (its folder, with the URL and org from
        the command line when given) and a ready GrafanaClient."""
        import dataclasses

        from ..grafana import GrafanaClient, RetryPolicy, resolve_auth

        env = cfg.environment(self.env_name)
        url = self.grafana_url or env.url
        if not url:
            raise TbDashError("no Grafana URL: pass --grafana-url URL, set GRAFANA_URL, or use "
                              "--env NAME with a url in the settings", exit_code=EXIT_USAGE)
        if self.insecure and self.ca_cert:
            raise TbDashError("--insecure and --ca-cert exclude each other", exit_code=EXIT_USAGE)
        if self.ca_cert is not None and not self.ca_cert.is_file():
            raise TbDashError(f"{self.ca_cert}: CA bundle not found", exit_code=EXIT_USAGE)
        org = self.org_id or env.org_id
        env = dataclasses.replace(env, url=url, org_id=org)
        verify = False if self.insecure else (str(self.ca_cert) if self.ca_cert else True)
        client = GrafanaClient(
            url, auth=resolve_auth(self.token_file, environ=self.credentials()), org_id=org if (self.org_id or org != 1) else None,
            timeout=(min(self.timeout, 10.0), self.timeout), verify=verify,
            retry=RetryPolicy(attempts=self.retries + 1), pool_size=max(self.concurrency, 10))
        if self.insecure:
            import urllib3

            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        return env, client

    def connect_api(self, cfg):
        """``connect``, then the API chosen by ``--api``: the client itself
        for the legacy /api, an ``ApisClient`` over it for /apis."""
        from ..grafana.apis import choose

        env, client = self.connect(cfg)
        try:
            return env, choose(client, self.api.value) or client
        except BaseException:
            client.close()
            raise

    def credentials(self) -> dict[str, str]:
        """The credentials from the environment, as ``resolve_auth`` reads them."""
        values = {"GRAFANA_TOKEN": self.token, "GRAFANA_USER": self.user, "GRAFANA_PASSWORD": self.password}
        return {k: v for k, v in values.items() if v}


# The options of a GrafanaTarget, once: (parameter, type, typer option).
_TARGET_OPTIONS = (
    ("grafana_url", Optional[str], typer.Option(
        None, "--grafana-url", metavar="URL", envvar="GRAFANA_URL", show_envvar=True,
        help="Grafana base URL (default: the environment's url in the settings).")),
    ("env", Optional[List[str]], typer.Option(
        None, "--env", "-e", metavar="NAME",
        help="Environment from the settings: its url, folder and org (push: repeat it to push to several "
             "Grafanas at once).")),
    ("token_file", Optional[Path], typer.Option(
        None, "--token-file", metavar="FILE",
        help="Read the service-account token from FILE (else GRAFANA_TOKEN, else "
             "GRAFANA_USER/GRAFANA_PASSWORD).")),
    ("token", Optional[str], typer.Option(
        None, "--token", metavar="TOKEN", envvar="GRAFANA_TOKEN", show_envvar=True, show_default=False,
        callback=from_environment_only, help="Service-account token (sent as a Bearer token), from the environment only.")),
    ("user", Optional[str], typer.Option(
        None, "--grafana-user", metavar="USER", envvar="GRAFANA_USER", show_envvar=True, show_default=False,
        help="User for Basic auth, with GRAFANA_PASSWORD, when there is no token.")),
    ("password", Optional[str], typer.Option(
        None, "--grafana-password", metavar="PASSWORD", envvar="GRAFANA_PASSWORD", show_envvar=True,
        show_default=False, callback=from_environment_only, help="Password for Basic auth, from the environment only.")),
    ("org_id", Optional[int], typer.Option(
        None, "--org-id", min=1, metavar="N", help="Grafana org id (sends X-Grafana-Org-Id).")),
    ("ca_cert", Optional[Path], typer.Option(
        None, "--ca-cert", metavar="FILE", help="CA bundle to verify Grafana's TLS certificate with.")),
    ("insecure", bool, typer.Option(
        False, "--insecure", help="Do not verify Grafana's TLS certificate (only when you must).")),
    ("timeout", float, typer.Option(30.0, "--timeout", min=0.1, metavar="SECONDS", help="Timeout of each request.")),
    ("retries", int, typer.Option(
        4, "--retries", min=0, max=10, metavar="N",
        help="Retries of a request that is safe to repeat (connection errors, 429, 502, 503, 504), "
             "with exponential backoff.")),
    ("concurrency", int, typer.Option(
        8, "--concurrency", "-j", min=1, max=64, metavar="N", help="Dashboards handled at the same time.")),
    ("api", ApiMode, typer.Option(
        ApiMode.auto, "--api", metavar="[auto|apis|legacy]", envvar="TB_DASH_API", show_envvar=True,
        help="Grafana's API to push through: the versioned /apis (dashboard.grafana.app), the legacy /api, "
             "or auto: /apis when the server lists it.")),
)


@contextlib.contextmanager
def stop_on_signals(stop):
    """While it lasts, Ctrl-C (SIGINT) and SIGTERM ``stop`` the push instead of
    killing it: no new save starts, the ones in flight finish and the summary
    is printed. A second signal ends it at once (KeyboardInterrupt)."""
    def handler(signum, frame):
        if stop.signal is not None:
            raise KeyboardInterrupt
        stop.set(f"interrupted by {signal.Signals(signum).name}", signum)

    try:
        previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    except ValueError:  # not the main thread: signals stay as they are
        previous = {}
    try:
        yield stop
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def grafana_target(command):
    """Give ``command`` the Grafana target options in place of its
    ``target: GrafanaTarget`` parameter, which it then receives built."""
    sig = inspect.signature(command, eval_str=True)
    options = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=kind)
               for name, kind, option in _TARGET_OPTIONS]
    params = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in sig.parameters.values()
              if p.name != "target"]

    @functools.wraps(command)
    def wrapper(**kwargs):
        target = GrafanaTarget(**{name: kwargs.pop(name) for name, _, _ in _TARGET_OPTIONS})
        return command(target=target, **kwargs)

    wrapper.__signature__ = sig.replace(parameters=[*params, *options])
    wrapper.__annotations__ = {p.name: p.annotation for p in wrapper.__signature__.parameters.values()}
    return wrapper


def select(found, only: Optional[List[str]], unknown_ok: bool = False):
    """The dashboards ``--only`` names (all without it). A uid that names no
    dashboard is a usage error, unless ``unknown_ok`` (``--prune``: it names
    a dashboard to delete)."""
    if not only:
        return found
    have = {r.uid for r in found}
    unknown = [u for u in only if u not in have]
    if unknown and not unknown_ok:
        raise TbDashError(f"--only {unknown[0]}: no dashboard has this uid (the uids are: "
                          f"{', '.join(sorted(have))})", exit_code=EXIT_USAGE)
    return [r for r in found if r.uid in set(only)]


@app.command()
@grafana_target
def push(
    target: GrafanaTarget,
    config: Optional[Path] = ConfigOption,
    from_dir: Optional[Path] = FromOption,
    only: Optional[List[str]] = OnlyOption,
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan (would create, would update, "
                                                         "would delete); write nothing."),
    force: bool = typer.Option(False, "--force",
                               help="Overwrite (or with --prune delete) dashboards edited in Grafana, "
                                    "after backing them up."),
    backup_dir: Path = typer.Option(Path("build/backups"), "--backup-dir", metavar="DIR",
                                    help="Where --force saves the live JSON it overwrites or deletes."),
    prune: bool = typer.Option(False, "--prune",
                               help="Also delete from the folder the dashboards the code no longer has "
                                    "(only those tb-dash wrote last; others need --force). Asks first."),
    yes: bool = typer.Option(False, "--yes", "-y",
                             help="Do not ask before --prune deletes (required when stdin is not a terminal)."),
    fmt: PushFormat = typer.Option(PushFormat.text, "--format", "-f", metavar="[text|json]", help="The report's format."),
    all_envs: bool = typer.Option(False, "--all-envs",
                                  help="Push to every environment of the settings at once (like one --env each)."),
) -> None:
    """Push the dashboards into their Grafana folder.

    Everything is validated before the first write, with validate's lint
    rules: an error stops the push (nothing written). Dashboards that did not
    change are skipped; the others are saved with the version message
    "tb-dash: <content hash> [<git revision>]". A dashboard saved in Grafana
    by someone else since the last push is refused (exit 3) unless --force,
    which first saves the live JSON under --backup-dir.

    --prune then deletes the folder's dashboards that the code no longer has,
    listed and confirmed first; one edited in Grafana since tb-dash wrote it
    is refused (exit 3) unless --force, which backs it up first.

    Ctrl-C or SIGTERM stops it: no new save starts, the ones in flight finish
    and the summary is printed.

    --api apis pushes through Grafana's versioned /apis (one list for all
    dashboards, updates carrying the resourceVersion read); auto (the
    default) does when the server lists dashboard.grafana.app.

    Several --env (or --all-envs) push to several Grafanas at the same time,
    each summary under its environment's name; the exit code is the worst
    of them: 128+N (a signal) over 1 over 3 over 0.

    Exit codes: 0 all done; 1 something failed, or a dashboard has a validate
    error (nothing written), or the deletes were not confirmed; 2 usage or
    settings error; 3 refused to overwrite or delete a dashboard edited in
    Grafana; 130 or 143 stopped by Ctrl-C (SIGINT) or SIGTERM.

    Examples:

      GRAFANA_TOKEN=... tb-dash push --grafana-url https://grafana.example.com

      tb-dash push --env prod --from build/dashboards --dry-run

      tb-dash push --env prod --prune --yes --format json

      tb-dash push --env staging --env prod --api apis
    """
    from ..grafana.connecting import Connecting
    from .pushing import options_of, push_one, push_to_each

    if prune and not dry_run and not yes and not sys.stdin.isatty():
        raise TbDashError("push --prune deletes dashboards: pass --yes to confirm, as stdin is not a terminal",
                          exit_code=EXIT_USAGE)
    cfg = load_settings(config)
    names = sorted(cfg.environments) if all_envs else list(dict.fromkeys(target.env or []))
    if all_envs and not names:
        raise TbDashError("--all-envs: no environments are defined in the settings", exit_code=EXIT_USAGE)
    if all_envs and target.env:
        raise TbDashError("--all-envs and --env exclude each other", exit_code=EXIT_USAGE)
    for name in names:
        cfg.environment(name)  # an unknown one is a usage error before anything is sent
    if len(names) > 1 and target.grafana_url:
        raise TbDashError("--grafana-url names one Grafana: with several environments, each one's url "
                          "comes from the settings", exit_code=EXIT_USAGE)
    if len(names) > 1 and prune and not dry_run and not yes:
        raise TbDashError("push --prune to several environments: pass --yes (the deletes cannot be "
                          "confirmed for each at once)", exit_code=EXIT_USAGE)
    # One Grafana: its connection (and /apis discovery) is under way while the dashboards are read.
    version = cfg.dashboards.schema if cfg.dashboards.v2 and from_dir is None else None  # v2: /apis at it
    connecting = Connecting(lambda: target.connect(cfg), target.api.value, version) if len(names) <= 1 else None
    if connecting is not None:
        # Its first request goes out before the files are read (their reading would slow its start).
        connecting.started.wait(10)
    try:
        from ..grafana.push import Stop  # the push's modules are read while it connects

        everything = dashboards(cfg, from_dir, check=False, schema=True)  # push checks them, once, before the first write
        found = select(everything, only, unknown_ok=prune)
        options = options_of(target, dry_run=dry_run, force=force, backup_dir=backup_dir, prune=prune, only=only)
        with stop_on_signals(Stop()) as stop:
            if connecting is not None:
                code = push_one(connecting, cfg, everything, found, stop, options, json=fmt == PushFormat.json,
                                yes=yes)
            else:
                code = push_to_each(target, names, cfg, everything, found, stop, options,
                                    json=fmt == PushFormat.json)
    finally:
        if connecting is not None:
            connecting.settle()  # a push refused early: its reads end before the command does
    if code:
        raise typer.Exit(code)


@app.command()
@grafana_target
def diff(
    target: GrafanaTarget,
    config: Optional[Path] = ConfigOption,
    from_dir: Optional[Path] = FromOption,
    only: Optional[List[str]] = OnlyOption,
    full: bool = typer.Option(False, "--full", help="Add a unified diff of the JSON."),
    fmt: DiffFormat = typer.Option(DiffFormat.text, "--format", "-f", metavar="[text|json|markdown]",
                                   help="The report's format; markdown for a pull-request comment."),
) -> None:
    """Compare the dashboards with Grafana: new, unchanged or changed, with
    panels added, removed, renamed and changed (queries, units, thresholds).
    Panels are matched by id and title, so a renamed panel is one entry.

    Exit codes: 0 Grafana matches the code; 1 it differs; 2 error.

    Examples:

      tb-dash diff --grafana-url https://grafana.example.com

      tb-dash diff --env prod --full

      tb-dash diff --env prod --format markdown > comment.md
    """
    from ..grafana.diff import CHANGED, NEW, diff_all
    from ..grafana.report import diff_json, diff_markdown
    from ..grafana.summary import diff_lines
    from ..progress import progress
    from .style import painter

    try:
        cfg = load_settings(config)
        env, client = target.connect_api(cfg)
        found = select(dashboards(cfg, from_dir, check=False, schema=True), only)  # diff checks them, once
        with client:
            diffs = diff_all(client, found, folder_uid=env.folder.uid, full=full,
                             concurrency=target.concurrency, on_progress=progress("diff"), cfg=cfg)
    except TbDashError as e:
        raise TbDashError(e.message, exit_code=EXIT_USAGE) from None
    if fmt == DiffFormat.json:
        print_json(diff_json(diffs, env.folder.uid, env.folder.title, client.base_url, full))
    elif fmt == DiffFormat.markdown:
        typer.echo(diff_markdown(diffs, env.folder.title, client.base_url, full), nl=False)
    else:
        for line in diff_lines(diffs, full, painter()):
            typer.echo(line)
    if any(d.state in (NEW, CHANGED) for d in diffs):
        raise typer.Exit(EXIT_FAILED)
