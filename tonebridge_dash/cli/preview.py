"""The preview command: the dashboards drawn in a browser from their JSON,
live on 127.0.0.1 or as PNGs through headless Chromium."""

from __future__ import annotations

import contextlib
import signal
from pathlib import Path
from typing import Optional

import typer

from ..errors import shown
from .common import ConfigOption, DirArgument, app, dashboards, load_settings, warn
from .prometheus import _at

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@app.command()
def preview(
    directory: Optional[Path] = DirArgument,
    prometheus_url: str = typer.Option(..., "--prometheus-url", "-p", metavar="URL", envvar="PROMETHEUS_URL",
                                       help="Prometheus base URL the panels' queries go to."),
    elasticsearch_url: Optional[str] = typer.Option(
        None, "--elasticsearch-url", "-e", metavar="URL", envvar="ELASTICSEARCH_URL",
        help="Elasticsearch base URL the log panels' queries go to (the server sends them, as Grafana's "
             "_msearch); without it a log panel shows its queries."),
    port: int = typer.Option(0, "--port", min=0, max=65535, help="Port on 127.0.0.1 (default: a free one)."),
    at: Optional[str] = typer.Option(None, "--time", metavar="TIME",
                                     help="Draw as if it were TIME (unix seconds or RFC 3339; default now)."),
    open_browser: bool = typer.Option(False, "--open", help="Open the first dashboard in the default browser."),
    png: Optional[Path] = typer.Option(None, "--png", metavar="OUT",
                                       help="Write OUT/<uid>.png for every dashboard (and OUT/<uid>.tab-<n>.png for "
                                            "each further tab of a v2 dashboard) through headless Chromium, then exit."),
    width: int = typer.Option(1600, "--width", min=400, max=8000, help="Width of the PNGs in pixels."),
    timeout: float = typer.Option(60.0, "--timeout", min=1, help="Seconds a page may take to draw every panel (--png)."),
    config: Optional[Path] = ConfigOption,
) -> None:
    """Look at the dashboards before they ship: a page per dashboard drawn
    from the rendered JSON (or any dashboard JSON in DIR) with data from
    Prometheus, served on 127.0.0.1 until Ctrl-C; with --png, one PNG per
    dashboard through headless Chromium (Debian's 'chromium'). Log panels
    (Elasticsearch targets) are drawn with --elasticsearch-url: log lines,
    bar charts, tables and time series; without it each shows its queries.

    Exit 0 on success; 1 when Chromium is missing or fails; 2 when
    Prometheus cannot be reached or the input is wrong; 130/143/129 when
    --png is stopped by SIGINT/SIGTERM/SIGHUP (Chromium closed, its profile
    removed).

    Examples:

      tb-dash demo --port 9099   (in another terminal)

      tb-dash preview --prometheus-url http://127.0.0.1:9099 --open

      tb-dash preview --png build/preview -p http://127.0.0.1:9099 --time 2026-01-31T12:00:00Z

      tb-dash preview -p http://127.0.0.1:9099 -e http://127.0.0.1:9200 --open
    """
    from ..preview.server import PreviewServer, Prometheus
    from ..preview.source import load_any, previewed

    when = _at(at)
    cfg = load_settings(config)
    found = previewed(load_any(directory, warn) if directory is not None else dashboards(cfg, check=False))
    prometheus = Prometheus(prometheus_url)
    prometheus.check()
    logs = {}
    if elasticsearch_url:
        from ..elasticsearch.check import datasources
        from ..elasticsearch.client import ElasticsearchClient

        es = ElasticsearchClient(elasticsearch_url, timeout=30.0)
        es.info()  # unreachable or refusing the credentials: one line, exit 2
        logs = {"elasticsearch": es, "es_sources": datasources(cfg)}
    if png is not None:
        _pngs(found, prometheus, when, png, width, timeout, logs)
        return
    _serve(PreviewServer(found, prometheus, at=when, port=port, **logs), open_browser)


def _pngs(found, prometheus, when, out: Path, width: int, timeout: float, logs: dict) -> None:
    from ..preview.chromium import ChromiumError, find_chromium
    from ..preview.png import summary, write_pngs
    from ..preview.server import PreviewServer

    if find_chromium() is None:
        raise ChromiumError("chromium not found: install Debian's package 'chromium' (apt-get install chromium) "
                            "or set TB_DASH_CHROMIUM to its binary")
    with _stopped_by_signals() as stopped:
        try:
            with PreviewServer(found, prometheus, at=when, **logs) as server:
                shots = write_pngs(server, out, width=width, timeout=timeout)
        except KeyboardInterrupt:
            # Chromium is closed and its profile removed by now (the with blocks' exits)
            signum = stopped[0] if stopped else signal.SIGINT
            typer.echo(f"tb-dash: stopped by {signal.Signals(signum).name}", err=True)
            raise typer.Exit(128 + signum) from None
    for s in shots:
        typer.echo(f"{s.path}  {s.panels} panels, {s.seconds:.2f}s, last panel drawn at {s.last_panel_ms:.0f} ms")
        for problem in s.problems:
            warn(f"dashboard '{s.uid}': panel {problem}")
    typer.echo(summary(shots), err=True)


@contextlib.contextmanager
def _stopped_by_signals():
    """While it lasts, SIGINT, SIGTERM and SIGHUP (the terminal closed) raise
    KeyboardInterrupt once, so that every ``with`` unwinds; the signals that
    follow are ignored while it does (the clean-up is bounded). Yields the list
    that receives the signal's number. SIGINT is set explicitly: a process
    started in the background by a script inherits it ignored."""
    received: list[int] = []

    def stop(signum, frame):
        if not received:
            received.append(signum)
            raise KeyboardInterrupt

    previous = {s: signal.signal(s, stop) for s in STOP_SIGNALS}
    try:
        yield received
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def _serve(server, open_browser: bool) -> None:
    import gc
    import time

    def stop(signum, frame):
        raise KeyboardInterrupt

    for signum in STOP_SIGNALS:
        signal.signal(signum, stop)
    with server:
        es = f", Elasticsearch {server.elasticsearch.shown}" if server.elasticsearch is not None else ""
        typer.echo(f"preview at {server.url}/ (Prometheus {server.prometheus.shown}{es})")
        for d in server.order:
            typer.echo(shown(f"  {server.page(d.uid)}  {d.title}"))
        if open_browser and server.order:
            import webbrowser

            webbrowser.open(server.page(server.order[0].uid))
        typer.echo("Ctrl-C stops it.", err=True)
        gc.enable()  # it serves until stopped: cycles are collected again (see tonebridge_dash.__main__)
        try:
            while True:
                time.sleep(0.5)
        except KeyboardInterrupt:
            typer.echo("stopped", err=True)
