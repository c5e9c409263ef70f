"""The ``tb-dash`` command line: a thin layer that parses, calls the
library, prints and exits with a documented code.

Exit codes: 0 success; 1 something failed (or, for diff/check/validate, the
answer is "no"); 2 usage, settings or input error; 3 push refused to
overwrite a dashboard edited by hand.

Heavy imports (grafanalib, jsonschema, requests) happen inside the commands
so that ``tb-dash --help`` starts fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from . import __version__
from .errors import EXIT_FAILED, EXIT_USAGE, TbDashError

app = typer.Typer(
    name="tb-dash",
    help=(
        "ToneBridge monitoring as code: render Grafana dashboards, push them, "
        "and generate alert rules from one set of PromQL definitions.\n\n"
        "Exit codes: 0 success; 1 failure (diff/check/validate: differences or "
        "problems found); 2 usage or settings error; 3 push refused to overwrite "
        "a dashboard edited by hand.\n\n"
        "Example: tb-dash render --out build/dashboards"
    ),
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

ConfigOption = typer.Option(
    None, "--config", "-c", metavar="PATH",
    help="Settings file (default: ./tb-dash.yaml when it exists, else built-in defaults).",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tb-dash {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    pass


def load_settings(config: Optional[Path]):
    from .settings import load_settings as load

    return load(config)


def render_dashboards(cfg):
    from .render import render_all

    return render_all(cfg)


@app.command()
def render(
    out: Path = typer.Option(Path("build/dashboards"), "--out", "-o", metavar="DIR",
                             help="Directory for the <uid>.json files."),
    config: Optional[Path] = ConfigOption,
    schema_version: Optional[int] = typer.Option(
        None, "--schema-version", min=39, max=42,
        help="Grafana dashboard schemaVersion to write (39-42; default from settings, 41)."),
) -> None:
    """Render every dashboard to Grafana JSON, one <uid>.json per dashboard.

    Output is validated against Grafana's official JSON Schemas and written
    atomically with sorted keys: two runs give identical bytes.

    Examples:

      tb-dash render

      tb-dash render --out /tmp/dashboards --config tb-dash.yaml
    """
    import dataclasses

    from .render import write_all

    cfg = load_settings(config)
    if schema_version is not None:
        cfg = dataclasses.replace(
            cfg, dashboards=dataclasses.replace(cfg.dashboards, schema_version=schema_version))
    rendered = render_dashboards(cfg)
    paths = write_all(rendered, out)
    for r, p in zip(rendered, paths):
        typer.echo(f"{p}  {r.title}")
    typer.echo(f"rendered {len(paths)} dashboards to {out}", err=True)
    stale = sorted(set(out.glob("*.json")) - set(paths))
    if stale:  # push --from would send them too; say so rather than delete a file
        names = ", ".join(p.name for p in stale)
        typer.echo(f"tb-dash: warning: {out} also holds {names}, which this render did not write "
                   "(a removed dashboard?); push --from would send it", err=True)


FormatOption = typer.Option("text", "--format", "-f", help="text or json.")


def _format(fmt: str) -> str:
    if fmt not in ("text", "json"):
        raise TbDashError(f"--format must be 'text' or 'json', not '{fmt}'", exit_code=EXIT_USAGE)
    return fmt


@app.command("list")
def list_dashboards(
    config: Optional[Path] = ConfigOption,
    fmt: str = FormatOption,
) -> None:
    """List the dashboards and their panels (type, size, title).

    Example: tb-dash list --format json
    """
    _format(fmt)
    rendered = render_dashboards(load_settings(config))
    if fmt == "json":
        import json

        typer.echo(json.dumps([
            {"uid": r.uid, "title": r.title,
             "panels": [{"id": p.get("id"), "type": p.get("type"), "title": p.get("title", ""),
                         "gridPos": p.get("gridPos")} for p in r.panels()]}
            for r in rendered], indent=2))
        return
    for r in rendered:
        panels = [p for p in r.panels() if p.get("type") != "row"]
        typer.echo(f"{r.uid}  {r.title}  ({len(panels)} panels)")
        for p in r.panels():
            pos = p.get("gridPos", {})
            if p.get("type") == "row":
                typer.echo(f"  == {p.get('title', '')}")
            else:
                typer.echo(f"    {p.get('type', '?'):<11} {pos.get('w', '?'):>2}x{pos.get('h', '?'):<2} "
                           f"{p.get('title', '')}")


StrictOption = typer.Option(False, "--strict", help="Warnings fail too (exit 1).")
DirArgument = typer.Argument(
    None, metavar="[DIR]", show_default=False,
    help="A directory of dashboard *.json files (default: what render would write, built in memory).")


def _finish(outcome, fmt: str, format_text, strict: bool) -> None:
    """Print a validate or check outcome; exit 1 when it failed."""
    if fmt == "json":
        import json

        typer.echo(json.dumps(outcome.to_json(), indent=2, ensure_ascii=False))
    else:
        typer.echo(format_text(outcome))
    if outcome.failed(strict):
        raise typer.Exit(1)


def _dashboards(directory: Optional[Path], cfg, checked: bool):
    """The dashboards a command reads: files in DIR, or built in memory."""
    if directory is not None:
        from .render import load_dir

        return load_dir(directory)
    if checked:
        return render_dashboards(cfg)
    from .lint import build_unchecked

    return build_unchecked(cfg)


@app.command()
def validate(
    directory: Optional[Path] = DirArgument,
    config: Optional[Path] = ConfigOption,
    fmt: str = FormatOption,
    strict: bool = StrictOption,
    list_rules: bool = typer.Option(False, "--list-rules", help="List the rules (name, severity, hint) and exit."),
) -> None:
    """Lint dashboards: Grafana's schema, layout, datasource references,
    PromQL syntax and grafana/dashboard-linter's Prometheus rules.

    Errors exit 1, warnings only with --strict. Exclusions, each with a
    reason, live in the settings under validate.exclude. --list-rules (or
    the README) lists the rules.

    Examples:

      tb-dash validate

      tb-dash validate build/dashboards --format json
    """
    from .lint import RULES, format_text, validate as run_rules

    _format(fmt)
    if list_rules:
        for rule in RULES:
            typer.echo(f"{rule.name:<24} {rule.severity:<8} {rule.summary}\n{'':<33} hint: {rule.hint}")
        return
    cfg = load_settings(config)
    result = run_rules(_dashboards(directory, cfg, checked=False), cfg)
    _finish(result, fmt, format_text, strict)


def _at(value: Optional[str]) -> Optional[float]:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    from datetime import datetime

    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise TbDashError(f"--time must be unix seconds or RFC 3339 (2026-01-31T12:00:00Z), not '{value}'",
                          exit_code=EXIT_USAGE) from None


def _duration(option: str, value: Optional[str]) -> Optional[str]:
    from .promql import seconds

    if value is not None:
        try:
            if seconds(value) <= 0:
                raise ValueError
        except ValueError:
            raise TbDashError(f"{option} must be a Prometheus duration such as 1m or 6h, not '{value}'",
                              exit_code=EXIT_USAGE) from None
    return value


@app.command()
def check(
    directory: Optional[Path] = DirArgument,
    prometheus_url: str = typer.Option(..., "--prometheus-url", "-p", metavar="URL", envvar="PROMETHEUS_URL",
                                       help="Prometheus base URL, e.g. http://localhost:9090."),
    config: Optional[Path] = ConfigOption,
    fmt: str = FormatOption,
    strict: bool = typer.Option(False, "--strict", help="Warnings (series over budget, NaN only) fail too."),
    at: Optional[str] = typer.Option(None, "--time", metavar="TIME",
                                     help="Evaluate at TIME (unix seconds or RFC 3339; default now)."),
    rate_interval: str = typer.Option("1m", "--rate-interval", help="Value for $__rate_interval."),
    interval: str = typer.Option("1m", "--interval", help="Value for $__interval."),
    range_: Optional[str] = typer.Option(None, "--range",
                                         help="Value for $__range (default: each dashboard's time range)."),
    timeout: Optional[float] = typer.Option(None, "--timeout", min=0.1,
                                            help="Seconds per query (default: check.timeout_seconds)."),
    concurrency: Optional[int] = typer.Option(None, "--concurrency", min=1, max=64,
                                              help="Queries at a time (default: check.concurrency)."),
) -> None:
    """Run every panel query and query variable against a live Prometheus
    as an instant query, and report per panel: query errors, no data,
    metric names the server does not know, and results over the series
    budget (check.series_budget).

    Exit 0 only when every query returns data; 1 when one does not; 2 when
    Prometheus cannot be reached.

    Examples:

      tb-dash check --prometheus-url http://localhost:9090

      tb-dash check build/dashboards -p http://prometheus:9090 --time 2026-01-31T12:00:00Z
    """
    from .check import format_text, run
    from .prometheus import PrometheusClient

    _format(fmt)
    when = _at(at)
    for option, value in (("--rate-interval", rate_interval), ("--interval", interval), ("--range", range_)):
        _duration(option, value)
    cfg = load_settings(config)
    dashboards = _dashboards(directory, cfg, checked=True)
    settings = cfg.check
    workers = concurrency or settings.concurrency
    client = PrometheusClient(prometheus_url, timeout or settings.timeout_seconds, pool=workers)
    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = typer.progressbar(length=total, label="checking", file=sys.stderr)
            bar.__enter__()
        bar.update(1)

    show = fmt == "text" and sys.stderr.isatty()
    try:
        report = run(dashboards, client, series_budget=settings.series_budget, concurrency=workers, at=when,
                     rate_interval=rate_interval, interval=interval, range_=range_,
                     progress=progress if show else None)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    _finish(report, fmt, format_text, strict)


# -- push and diff -------------------------------------------------------------

GrafanaUrlOption = typer.Option(
    None, "--grafana-url", metavar="URL", envvar="GRAFANA_URL", show_envvar=False,
    help="Grafana base URL (or GRAFANA_URL; default: the environment's url in the settings).")
EnvOption = typer.Option(
    None, "--env", "-e", metavar="NAME",
    help="Environment from the settings: its url, folder and org.")
FromOption = typer.Option(
    None, "--from", metavar="DIR",
    help="Use the rendered <uid>.json files in DIR instead of rendering (e.g. a reviewed CI artifact).")
TokenFileOption = typer.Option(
    None, "--token-file", metavar="FILE",
    help="Read the service-account token from FILE (else GRAFANA_TOKEN, else "
         "GRAFANA_USER/GRAFANA_PASSWORD).")
OrgIdOption = typer.Option(None, "--org-id", min=1, metavar="N", help="Grafana org id (sends X-Grafana-Org-Id).")
CaCertOption = typer.Option(None, "--ca-cert", metavar="FILE",
                            help="CA bundle to verify Grafana's TLS certificate with.")
InsecureOption = typer.Option(False, "--insecure",
                              help="Do not verify Grafana's TLS certificate (only when you must).")
TimeoutOption = typer.Option(30.0, "--timeout", min=0.1, metavar="SECONDS",
                             help="Timeout of each request.")
RetriesOption = typer.Option(4, "--retries", min=0, max=10, metavar="N",
                             help="Retries of a request that is safe to repeat (connection errors, "
                                  "429, 502, 503, 504), with exponential backoff.")
ConcurrencyOption = typer.Option(8, "--concurrency", "-j", min=1, max=64, metavar="N",
                                 help="Dashboards handled at the same time.")


@app.command()
def demo(
    hours: float = typer.Option(3.0, "--hours", min=0.25, max=48, help="Hours of synthetic traffic."),
    port: Optional[int] = typer.Option(None, "--port", min=1, max=65535,
                                       help="Port on 127.0.0.1 (default: a free one)."),
    config: Optional[Path] = ConfigOption,
) -> None:
    """Serve synthetic ToneBridge traffic from a real Prometheus on 127.0.0.1
    until Ctrl-C, to try check (or Grafana) against.

    Needs Debian's prometheus and promtool (apt-get install prometheus). The
    traffic covers every metric of the catalog and ends now; the project's
    recording rules are backfilled over it.

    Example: tb-dash demo --port 9099, then in another terminal
    tb-dash check -p http://127.0.0.1:9099 --time <the time it prints>
    """
    import signal
    import time as clock
    from datetime import datetime, timezone

    from .promserver import SyntheticPrometheus

    def stop(signum, frame):  # SIGTERM (kill, a service manager) stops it like Ctrl-C
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    cfg = load_settings(config)
    with SyntheticPrometheus(duration=int(hours * 3600), port=port, cfg=cfg) as prom:
        end = datetime.fromtimestamp(prom.end, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        typer.echo(f"Prometheus at {prom.url}: {hours:g}h of synthetic traffic, {prom.samples} samples, "
                   f"last at {end}")
        typer.echo(f"try: tb-dash check --prometheus-url {prom.url} --time {end}")
        typer.echo("Ctrl-C stops it.", err=True)
        try:
            while prom.running():
                clock.sleep(0.5)
        except KeyboardInterrupt:
            typer.echo("stopped", err=True)
            return
    raise TbDashError("prometheus stopped unexpectedly")


def _grafana_target(config, env, grafana_url, org_id, token_file, ca_cert, insecure, timeout,
                    retries, concurrency):
    """Settings, the dashboards' target (environment) and a ready GrafanaClient."""
    import dataclasses

    from .grafana import GrafanaClient, RetryPolicy, resolve_auth

    cfg = load_settings(config)
    target = cfg.environment(env)
    url = grafana_url or target.url
    if not url:
        raise TbDashError("no Grafana URL: pass --grafana-url URL, set GRAFANA_URL, or use "
                          "--env NAME with a url in the settings", exit_code=EXIT_USAGE)
    if insecure and ca_cert:
        raise TbDashError("--insecure and --ca-cert exclude each other", exit_code=EXIT_USAGE)
    if ca_cert is not None and not ca_cert.is_file():
        raise TbDashError(f"{ca_cert}: CA bundle not found", exit_code=EXIT_USAGE)
    org = org_id or target.org_id
    target = dataclasses.replace(target, url=url, org_id=org)
    client = GrafanaClient(
        url, auth=resolve_auth(token_file), org_id=org if (org_id or org != 1) else None,
        timeout=(min(timeout, 10.0), timeout), verify=False if insecure else (str(ca_cert) if ca_cert else True),
        retry=RetryPolicy(attempts=retries + 1), pool_size=max(concurrency, 10))
    if insecure:
        import urllib3

        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    return cfg, target, client


@app.command()
def push(
    grafana_url: Optional[str] = GrafanaUrlOption,
    env: Optional[str] = EnvOption,
    config: Optional[Path] = ConfigOption,
    from_dir: Optional[Path] = FromOption,
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan; write nothing."),
    force: bool = typer.Option(False, "--force",
                               help="Overwrite dashboards edited in Grafana, after backing them up."),
    backup_dir: Path = typer.Option(Path("build/backups"), "--backup-dir", metavar="DIR",
                                    help="Where --force saves the live JSON it overwrites."),
    token_file: Optional[Path] = TokenFileOption,
    org_id: Optional[int] = OrgIdOption,
    ca_cert: Optional[Path] = CaCertOption,
    insecure: bool = InsecureOption,
    timeout: float = TimeoutOption,
    retries: int = RetriesOption,
    concurrency: int = ConcurrencyOption,
) -> None:
    """Push the dashboards into their Grafana folder.

    Everything is validated before the first write. Dashboards that did not
    change are skipped; the others are saved with the version message
    "tb-dash: <content hash> [<git revision>]". A dashboard saved in Grafana
    by someone else since the last push is refused (exit 3) unless --force,
    which first saves the live JSON under --backup-dir.

    Exit codes: 0 all done; 1 something failed; 2 usage or settings error;
    3 refused to overwrite a dashboard edited in Grafana.

    Examples:

      GRAFANA_TOKEN=... tb-dash push --grafana-url https://grafana.example.com

      tb-dash push --env prod --from build/dashboards --dry-run
    """
    from .push import git_revision, push as run_push
    from .summary import progress, push_error, push_lines

    cfg, target, client = _grafana_target(config, env, grafana_url, org_id, token_file, ca_cert,
                                          insecure, timeout, retries, concurrency)
    dashboards = _dashboards(from_dir, cfg, checked=True)
    with client:
        report = run_push(client, dashboards, folder_uid=target.folder.uid,
                          folder_title=target.folder.title, force=force, dry_run=dry_run,
                          backup_dir=backup_dir, revision=git_revision(), concurrency=concurrency,
                          on_progress=progress("push"))
    for line in push_lines(report, target.folder.title):
        typer.echo(line)
    problem = push_error(report)
    if problem:
        raise TbDashError(problem, exit_code=report.exit_code)


@app.command()
def diff(
    grafana_url: Optional[str] = GrafanaUrlOption,
    env: Optional[str] = EnvOption,
    config: Optional[Path] = ConfigOption,
    from_dir: Optional[Path] = FromOption,
    full: bool = typer.Option(False, "--full", help="Add a unified diff of the JSON."),
    token_file: Optional[Path] = TokenFileOption,
    org_id: Optional[int] = OrgIdOption,
    ca_cert: Optional[Path] = CaCertOption,
    insecure: bool = InsecureOption,
    timeout: float = TimeoutOption,
    retries: int = RetriesOption,
    concurrency: int = ConcurrencyOption,
) -> None:
    """Compare the dashboards with Grafana: new, unchanged or changed, with
    panels added, removed and changed (queries, units, thresholds).

    Exit codes: 0 Grafana matches the code; 1 it differs; 2 error.

    Examples:

      tb-dash diff --grafana-url https://grafana.example.com

      tb-dash diff --env prod --full
    """
    from .diff import CHANGED, NEW, diff_all
    from .summary import diff_lines, progress

    try:
        cfg, target, client = _grafana_target(config, env, grafana_url, org_id, token_file, ca_cert,
                                              insecure, timeout, retries, concurrency)
        dashboards = _dashboards(from_dir, cfg, checked=True)
        with client:
            diffs = diff_all(client, dashboards, folder_uid=target.folder.uid, full=full,
                             concurrency=concurrency, on_progress=progress("diff"))
    except TbDashError as e:
        raise TbDashError(e.message, exit_code=EXIT_USAGE) from None
    for line in diff_lines(diffs, full):
        typer.echo(line)
    if any(d.state in (NEW, CHANGED) for d in diffs):
        raise typer.Exit(EXIT_FAILED)


@app.command()
def rules(
    out: Path = typer.Option(Path("build/rules"), "--out", "-o", metavar="DIR",
                             help="Directory for the rule files and alertmanager.yml."),
    config: Optional[Path] = ConfigOption,
) -> None:
    """Write Prometheus rule files (seed alerts, SLO recordings and burn-rate
    alerts) and alertmanager.yml, from the same queries and thresholds as
    the dashboards.

    Secrets are never in the settings: SLACK_WEBHOOK_URL_FILE and
    PAGERDUTY_SERVICE_KEY_FILE name files Alertmanager reads;
    SLACK_WEBHOOK_URL and PAGERDUTY_SERVICE_KEY put the values in the
    config (then written with mode 0600); with neither, the paths in the
    settings' alertmanager.secret_files are used.

    Examples:

      tb-dash rules

      tb-dash rules --out /etc/prometheus/rules && promtool check rules /etc/prometheus/rules/*.rules.yml
    """
    import os

    from . import alertmanager
    from .rules import build_all, write_rule_files

    cfg = load_settings(config)
    files = build_all(cfg)
    secrets = alertmanager.secrets_from_env(cfg, os.environ)
    for f, p in zip(files, write_rule_files(files, out)):
        typer.echo(f"{p}  {len(f.alerts())} alerts, {len(f.records())} recording rules")
    am_path = alertmanager.write(cfg, secrets, out)
    inline = sorted(alertmanager.env_variable(s.name) for s in secrets.values() if s.inline)
    note = f" (holds {', '.join(inline)}: mode 0600, do not commit)" if inline else ""
    typer.echo(f"{am_path}  Alertmanager configuration{note}")
    typer.echo(f"wrote {len(files)} rule files and {alertmanager.FILENAME} to {out}", err=True)


def main() -> None:
    """Console entry point: expected failures end in one line on stderr."""
    try:
        app(prog_name="tb-dash")
    except TbDashError as e:
        typer.echo(f"tb-dash: error: {e.message}", err=True)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        typer.echo("tb-dash: interrupted", err=True)
        sys.exit(130)
    except OSError as e:  # a file the library did not anticipate; still one line
        where = f"{e.filename}: " if e.filename else ""
        typer.echo(f"tb-dash: error: {where}{e.strerror or e}", err=True)
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
