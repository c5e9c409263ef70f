"""Commands against Prometheus: check (dashboards against a live server)
and demo (a real Prometheus over the content's synthetic traffic)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..errors import EXIT_USAGE, TbDashError, clip
from .common import ConfigOption, DirArgument, FormatOption, app, dashboards, finish, load_settings, output_format


LATEST = 253402300799  # 9999-12-31T23:59:59Z


def _at(value: Optional[str]) -> Optional[float]:
    if value is None:
        return None
    from datetime import datetime

    try:
        try:
            when = float(value)
        except ValueError:
            when = datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        if not 0 <= when <= LATEST:  # nan, inf, 1e300: no time Prometheus can evaluate at
            raise ValueError
    except ValueError:
        raise TbDashError(f"--time must be unix seconds or RFC 3339 (2026-01-31T12:00:00Z), "
                          f"not '{clip(value, 60)}'", exit_code=EXIT_USAGE) from None
    return when


def _duration(option: str, value: Optional[str]) -> Optional[str]:
    from ..durations import seconds

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
    prometheus_url: Optional[str] = typer.Option(None, "--prometheus-url", "-p", metavar="URL",
                                                 envvar="PROMETHEUS_URL",
                                                 help="Prometheus base URL, e.g. http://localhost:9090."),
    elasticsearch_url: Optional[str] = typer.Option(
        None, "--elasticsearch-url", "-e", metavar="URL", envvar="ELASTICSEARCH_URL",
        help="Elasticsearch base URL (user:password@ in it, or ELASTICSEARCH_API_KEY): also run every "
             "Elasticsearch target, as Grafana's _msearch."),
    config: Optional[Path] = ConfigOption,
    fmt: str = FormatOption,
    strict: bool = typer.Option(False, "--strict", help="Warnings (series over budget, NaN only) fail too."),
    at: Optional[str] = typer.Option(None, "--time", metavar="TIME",
                                     help="Evaluate at TIME (unix seconds or RFC 3339; default now)."),
    rate_interval: str = typer.Option("1m", "--rate-interval", help="Value for $__rate_interval."),
    interval: str = typer.Option("1m", "--interval", help="Value for $__interval."),
    range_: Optional[str] = typer.Option(None, "--range",
                                         help="Value for $__range (default: each dashboard's time range)."),
    timeout: Optional[float] = typer.Option(None, "--timeout", min=0.1, max=3600,
                                            help="Seconds per query (default: check.timeout_seconds)."),
    concurrency: Optional[int] = typer.Option(None, "--concurrency", min=1, max=64,
                                              help="Queries at a time (default: check.concurrency)."),
) -> None:
    """Run every panel query and query variable against a live Prometheus
    as an instant query, and report per panel: query errors, no data,
    metric names the server does not know, and results over the series
    budget (check.series_budget). With --elasticsearch-url, every
    Elasticsearch target too, as the _msearch Grafana sends over the
    dashboard's time range: query errors, fields the index does not have,
    datasources the settings do not provision, and searches without hits (a
    warning). Give -p, -e or both.

    Exit 0 only when every query returns data; 1 when one does not; 2 when
    Prometheus or Elasticsearch cannot be reached.

    Examples:

      tb-dash check --prometheus-url http://localhost:9090

      tb-dash check -e https://elastic:$PASSWORD@logs.example.com:9200

      tb-dash check build/dashboards -p http://prometheus:9090 --time 2026-01-31T12:00:00Z
    """
    from ..findings import CheckReport
    from ..prometheus.check import format_text, run
    from ..progress import progress

    output_format(fmt)
    if not prometheus_url and not elasticsearch_url:
        raise TbDashError("give --prometheus-url (or PROMETHEUS_URL), --elasticsearch-url (or ELASTICSEARCH_URL), "
                          "or both", exit_code=EXIT_USAGE)
    when = _at(at)
    for option, value in (("--rate-interval", rate_interval), ("--interval", interval), ("--range", range_)):
        _duration(option, value)
    cfg = load_settings(config)
    from ..dashboard.versioned import classic_view

    # A v2 dashboard's queries are its elements': read as its classic equivalent (same titles, ids, queries).
    found = [classic_view(r) for r in dashboards(cfg, directory)]
    settings = cfg.check
    workers = concurrency or settings.concurrency
    report = CheckReport(at=when, dashboards=[r.uid for r in found], titles={r.uid: r.title for r in found})
    if prometheus_url:
        from ..prometheus.client import PrometheusClient

        client = PrometheusClient(prometheus_url, timeout or settings.timeout_seconds, pool=workers)
        report.merge(run(found, client, series_budget=settings.series_budget, concurrency=workers, at=when,
                         rate_interval=rate_interval, interval=interval, range_=range_,
                         progress=progress("checking") if fmt == "text" else None))
    if elasticsearch_url:
        from ..elasticsearch import check as es_check
        from ..elasticsearch.client import ElasticsearchClient

        es = ElasticsearchClient(elasticsearch_url, timeout or settings.timeout_seconds)
        report.merge(es_check.run(found, es, es_check.datasources(cfg), at=when, concurrency=workers,
                                  progress=progress("checking logs") if fmt == "text" else None))
    finish(report, fmt, format_text, strict)


@app.command()
def demo(
    hours: float = typer.Option(3.0, "--hours", min=0.25, max=48, help="Hours of synthetic traffic."),
    port: Optional[int] = typer.Option(None, "--port", min=1, max=65535,
                                       help="Port on 127.0.0.1 (default: a free one)."),
    config: Optional[Path] = ConfigOption,
    live: bool = typer.Option(True, "--live/--no-live",
                              help="Go on producing data while it runs (default), or serve the history only."),
) -> None:
    """Serve synthetic traffic (the content's traffic profile) from a real
    Prometheus on 127.0.0.1 until Ctrl-C, to try check, preview (or Grafana)
    against.

    Needs Debian's prometheus and promtool (apt-get install prometheus). The
    traffic covers every metric of the catalog: --hours of history up to
    now, backfilled with the content's recording rules; then, while it runs,
    Prometheus scrapes a synthetic exporter that tb-dash serves on 127.0.0.1
    and evaluates the rules, so check and preview work at "now" for as long
    as it runs (--no-live: the history only, check needs --time).

    Examples:

      tb-dash demo --port 9099, then in another terminal:

      tb-dash check -p http://127.0.0.1:9099

      tb-dash preview -p http://127.0.0.1:9099 --open
    """
    import gc
    import signal
    import time as clock
    from datetime import datetime, timezone

    from ..prometheus.server import SyntheticPrometheus

    def stop(signum, frame):  # SIGTERM (kill, a service manager), SIGHUP (the terminal closed): like Ctrl-C
        raise KeyboardInterrupt

    # SIGINT too, explicitly: a process started in the background by a
    # script inherits SIGINT ignored, and Ctrl-C (or kill -INT) must still stop it.
    # SIGKILL has no handler: Prometheus dies with tb-dash anyway (lifetime.die_with_parent).
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, stop)
    cfg = load_settings(config)
    def say(message: str) -> None:
        typer.echo(f"demo: {message}...", err=True)

    with SyntheticPrometheus(duration=int(hours * 3600), port=port, cfg=cfg, live=live, progress=say) as prom:
        try:
            end = datetime.fromtimestamp(prom.end, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            if live:
                typer.echo(f"Prometheus at {prom.url}: {hours:g}h of synthetic traffic up to {end}, "
                           f"{prom.samples} samples, and live data every {prom.step}s from now on")
                typer.echo(f"try: tb-dash check --prometheus-url {prom.url}")
                typer.echo(f"     tb-dash preview --prometheus-url {prom.url} --open")
            else:
                typer.echo(f"Prometheus at {prom.url}: {hours:g}h of synthetic traffic, {prom.samples} samples, "
                           f"last at {end}")
                typer.echo(f"try: tb-dash check --prometheus-url {prom.url} --time {end}")
            typer.echo("Ctrl-C stops it.", err=True)
            gc.enable()  # it serves until stopped: cycles are collected again (see tonebridge_dash.__main__)
            while prom.running():
                clock.sleep(0.5)
        except KeyboardInterrupt:
            typer.echo("stopped", err=True)
            return
    raise TbDashError("prometheus stopped unexpectedly")
