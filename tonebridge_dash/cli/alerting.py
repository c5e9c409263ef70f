"""The rules command: Prometheus rule files and alertmanager.yml."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .common import ConfigOption, FormatOption, app, load_settings, output_format


@app.command()
def rules(
    out: Path = typer.Option(Path("build/rules"), "--out", "-o", metavar="DIR",
                             help="Directory for the rule files and alertmanager.yml."),
    config: Optional[Path] = ConfigOption,
    check: bool = typer.Option(False, "--check", help="Write nothing; exit 1 when the files in --out are not "
                               "what the code renders (changed, missing or stale), for CI."),
    fmt: str = FormatOption,
) -> None:
    """Write Prometheus rule files (the content's alerts, SLO recordings and
    burn-rate alerts) and alertmanager.yml, from the same queries and
    thresholds as the dashboards.

    Secrets are never in the settings: SLACK_WEBHOOK_URL_FILE and
    PAGERDUTY_SERVICE_KEY_FILE name files Alertmanager reads;
    SLACK_WEBHOOK_URL and PAGERDUTY_SERVICE_KEY put the values in the
    config (then written with mode 0600); with neither, the paths in the
    settings' alertmanager.secret_files are used.

    Examples:

      tb-dash rules

      tb-dash rules --out /etc/prometheus/rules && promtool check rules /etc/prometheus/rules/*.rules.yml

      tb-dash rules --check   # in CI: are the committed files current?
    """
    import os

    from ..alerting import alertmanager
    from ..alerting.rules import build_all, encode
    from ..owned import write_owned

    output_format(fmt)
    cfg = load_settings(config)
    files = build_all(cfg)
    secrets = alertmanager.secrets_from_env(cfg, os.environ)
    if check:
        from .dashboards import _check_current

        _check_current(out, [*((f.filename, encode(f)) for f in files),
                             (alertmanager.FILENAME, alertmanager.encode(cfg, secrets))],
                       ["*.rules.yml", alertmanager.FILENAME], "rule files", f"tb-dash rules --out {out}")
        return
    am_name, am_bytes, am_mode = alertmanager.output(cfg, secrets)
    done = write_owned(out, [*((f.filename, encode(f), 0o644) for f in files), (am_name, am_bytes, am_mode)],
                       "*.rules.yml")  # all or nothing; removes rule files it wrote before and no longer has
    inline = sorted(alertmanager.env_variable(s.name) for s in secrets.values() if s.inline)
    note = f" (holds {', '.join(inline)}: mode 0600, do not commit)" if inline else ""
    if fmt == "json":
        import json

        typer.echo(json.dumps(done.to_json(), indent=2, ensure_ascii=False))
    else:
        for f in files:
            typer.echo(f"{done.status[f.filename]:<9}  {out / f.filename}  "
                       f"{len(f.alerts())} alerts, {len(f.records())} recording rules")
        typer.echo(f"{done.status[am_name]:<9}  {out / am_name}  Alertmanager configuration{note}")
        for name in done.removed:
            typer.echo(f"{'removed':<9}  {out / name}  (no longer rendered)")
    typer.echo(f"{len(files)} rule files and {alertmanager.FILENAME} in {out}: {done.counts()}", err=True)
