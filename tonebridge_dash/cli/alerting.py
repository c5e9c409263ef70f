"""The rules command: Prometheus rule files and alertmanager.yml."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from .common import ConfigOption, FormatOption, app, check_current, load_settings, output_format



class RulesTarget(str, Enum):
    files = "files"
    prometheus_operator = "prometheus-operator"


@app.command()
def rules(
    out: Optional[Path] = typer.Option(
        None, "--out", "-o", metavar="DIR",
        help="Output directory (default build/rules, or build/prometheus-operator)."),
    target: RulesTarget = typer.Option(
        RulesTarget.files, "--target", "-t",
        help="files: rule files and alertmanager.yml; prometheus-operator: PrometheusRule resources "
             "and the Alertmanager configuration as a Secret."),
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
    settings' alertmanager.secret_files are used (with --target
    prometheus-operator: the Secret kubernetes.alertmanager.credentials_secret_name).

    Examples:

      tb-dash rules

      tb-dash rules --out /etc/prometheus/rules && promtool check rules /etc/prometheus/rules/*.rules.yml

      tb-dash rules --check   # in CI: are the committed files current?

      tb-dash rules --target prometheus-operator && kubectl apply -f build/prometheus-operator/
    """
    import os

    from ..alerting import alertmanager
    from ..alerting.rules import build_all, encode
    from ..files.owned import write_owned

    output_format(fmt)
    cfg = load_settings(config)
    files = build_all(cfg)
    if target is RulesTarget.prometheus_operator:
        _prometheus_operator(files, cfg, out or Path("build/prometheus-operator"), check)
        return
    out = out or Path("build/rules")
    secrets = alertmanager.secrets_from_env(cfg, os.environ)
    if check:
        check_current(out, [*((f.filename, encode(f)) for f in files),
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


def _prometheus_operator(files, cfg, out: Path, check: bool) -> None:
    """rules --target prometheus-operator: PrometheusRules and the Alertmanager Secret."""
    import os

    from ..targets import rules as kubernetes
    from ..files.write import write_all

    manifests, inline = kubernetes.files(files, cfg, os.environ)
    if check:
        check_current(out, [(name, content) for name, content, _ in manifests], ["*.yaml"],
                       "manifests", f"tb-dash rules --target prometheus-operator --out {out}")
        return
    *paths, secret_path = write_all(out, manifests)  # all or nothing
    for f, p in zip(files, paths):
        typer.echo(f"{p}  PrometheusRule: {len(f.alerts())} alerts, {len(f.records())} recording rules")
    note = f" (holds {', '.join(inline)}: mode 0600, do not commit)" if inline else ""
    typer.echo(f"{secret_path}  Alertmanager configuration as a Secret{note}")
    typer.echo(f"wrote {len(paths)} PrometheusRules and the Alertmanager Secret to {out}", err=True)
