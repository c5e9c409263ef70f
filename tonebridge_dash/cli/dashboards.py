"""Commands on the dashboards themselves: render, list, validate."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from ..errors import shown
from .common import (ConfigOption, FormatOption, Schema, StrictOption, app, check_current, dashboards, finish,
                     load_settings, output_format, warn)



class Target(str, Enum):
    """What render writes (``dashboard.targets.TARGETS``; listed here so that
    --help imports nothing heavy)."""

    json = "json"
    provisioning = "provisioning"
    configmap = "configmap"
    operator = "operator"
    resource = "resource"


@app.command()
def render(
    out: Optional[Path] = typer.Option(
        None, "--out", "-o", metavar="DIR",
        help="Output directory (default build/dashboards for json, else build/<target>)."),
    target: Target = typer.Option(
        Target.json, "--target", "-t",
        help="json: <uid>.json; provisioning: Grafana's provisioning tree (dashboards/: the file provider "
             "and the JSON in its folder; datasources/; alerting/: the log alerts, contact points, policy); "
             "configmap: ConfigMaps for the Grafana Helm chart's sidecars; operator: grafana-operator "
             "GrafanaDashboards, GrafanaDatasources and alerting resources; resource: Grafana's "
             "dashboard.grafana.app Dashboards (v1beta1, or the v2 version of --schema; GrafanaManifests "
             "carry v2 for operator)."),
    config: Optional[Path] = ConfigOption,
    schema_version: Optional[int] = typer.Option(
        None, "--schema-version", min=39, max=42,
        help="Grafana dashboard schemaVersion to write (39-42; default from settings, 41)."),
    schema: Optional[Schema] = typer.Option(
        None, "--schema", metavar="[v1|v2beta1|v2]",
        help="The dashboard format: v1, Grafana's classic JSON model; v2beta1 (Grafana 12) or v2 "
             "(Grafana 13), dashboard.grafana.app resources (default from settings: dashboards.schema, v1)."),
    check: bool = typer.Option(False, "--check", help="Write nothing; exit 1 when the files in --out are not "
                               "what the code renders (changed, missing or stale), for CI."),
    fmt: str = FormatOption,
) -> None:
    """Render every dashboard to Grafana JSON, one <uid>.json per dashboard.

    Output is validated against Grafana's official JSON Schemas and the
    lint rules of validate (an error stops the render, exit 1, nothing
    written; a warning is printed), then written atomically with sorted
    keys: two runs give identical bytes. Each file is reported created,
    updated or unchanged; a file an earlier render wrote for a dashboard the
    code no longer has is removed (render remembers what it wrote in
    <out>/.tb-dash-written); other files are left with a warning.

    --target writes the same dashboards for what distributes them, with the
    datasources (Prometheus, Elasticsearch, Jaeger) and the log alerts but
    for resource: every manifest is checked against its published schema
    (the operators' CRDs, Kubernetes' own), names and the API server's size
    limits first; a file an earlier render wrote and this one does not is
    removed.

    --schema v2beta1|v2 writes each dashboard as a dashboard.grafana.app
    resource of that version (rows become a RowsLayout, a dashboard module's
    V2_LAYOUT can show them as tabs or on an auto grid), checked against
    Grafana's v2 schema; --target operator then writes GrafanaManifests.

    Examples:

      tb-dash render

      tb-dash render --out /tmp/dashboards --config tb-dash.yaml

      tb-dash render --check   # in CI: are the committed files current?

      tb-dash render --target operator --out build/operator && kubectl apply -f build/operator/

      tb-dash render --schema v2 --out build/dashboards-v2
    """
    import dataclasses

    from ..files.write import encode_json

    output_format(fmt)
    cfg = load_settings(config)
    if schema_version is not None:
        cfg = dataclasses.replace(
            cfg, dashboards=dataclasses.replace(cfg.dashboards, schema_version=schema_version))
    if schema is not None:
        cfg = dataclasses.replace(cfg, dashboards=dataclasses.replace(cfg.dashboards, schema=schema.value))
    said: list[str] = []

    def keep(message: str) -> None:
        said.append(message)
        warn(message)

    from ..dashboard.render import build_all
    from ..lint import gate

    rendered = build_all(cfg, check=False)
    gate(rendered, cfg, keep)  # what validate calls an error is not written
    if cfg.dashboards.v2:
        from ..dashboard.versioned import in_schema

        rendered = in_schema(rendered, cfg.dashboards.schema)
    if target is not Target.json:
        from ..targets import dashboards as targets

        out = out or Path("build") / target.value
        found = targets.files(target.value, rendered, cfg)
        if check:
            check_current(out, [(name, content) for name, content, _ in found], targets.patterns(target.value, cfg),
                           f"{target.value} files", f"tb-dash render --target {target.value} --out {out}")
            return
        done = targets.write_found(found, out, targets.patterns(target.value, cfg))
        for name, _, _ in found:
            typer.echo(str(out / name))
        for name in done.removed:
            typer.echo(f"{'removed':<9}  {out / name}  (no longer rendered)")
        typer.echo(f"rendered {len(rendered)} dashboards for {target.value} to {out}: {done.counts()}", err=True)
        return
    out = out or Path("build/dashboards")
    if check:
        check_current(out, [(r.filename, encode_json(r.data, f"dashboard '{r.uid}'")) for r in rendered],
                       ["*.json"], "dashboards", f"tb-dash render --out {out}")
        return
    from ..targets.dashboards import write_json

    done = write_json(rendered, out, cfg, said)
    if fmt == "json":
        import json

        titles = {r.filename: (r.uid, r.title) for r in rendered}
        data = done.to_json()
        for f in data["files"]:
            f["uid"], f["title"] = titles[f["name"]]
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        for r in rendered:
            typer.echo(shown(f"{done.status[r.filename]:<9}  {out / r.filename}  {r.title}"))
        for name in done.removed:
            typer.echo(f"{'removed':<9}  {out / name}  (no longer rendered)")
    typer.echo(f"rendered {len(rendered)} dashboards to {out}: {done.counts()}", err=True)
    if done.foreign:  # push --from would send them too; say so, but they are not ours to delete
        typer.echo(f"tb-dash: warning: {out} also holds {', '.join(done.foreign)}, which tb-dash did not write; "
                   "push --from would send it", err=True)


@app.command("list")
def list_dashboards(
    config: Optional[Path] = ConfigOption,
    fmt: str = FormatOption,
) -> None:
    """List the dashboards and their panels (type, size, title).

    Example: tb-dash list --format json
    """
    output_format(fmt)
    rendered = dashboards(load_settings(config))
    if fmt == "json":
        from ..files.write import json_text

        typer.echo(json_text([
            {"uid": r.uid, "title": r.title,
             "panels": [{"id": p.get("id"), "type": p.get("type"), "title": p.get("title", ""),
                         "gridPos": p.get("gridPos")} for p in r.panels()]}
            for r in rendered], "the list", indent=2))
        return
    for r in rendered:
        panels = [p for p in r.panels() if p.get("type") != "row"]
        typer.echo(shown(f"{r.uid}  {r.title}  ({len(panels)} panels)"))
        for p in r.panels():
            pos = p.get("gridPos", {})
            if p.get("type") == "row":
                typer.echo(shown(f"  == {p.get('title', '')}"))
            else:
                typer.echo(shown(f"    {p.get('type', '?'):<11} {pos.get('w', '?'):>2}x{pos.get('h', '?'):<2} "
                                 f"{p.get('title', '')}"))


@app.command()
def validate(
    directory: Optional[Path] = typer.Argument(
        None, metavar="[DIR|FILE]", show_default=False,
        help="A directory of dashboard *.json files, or one such file (default: what render would write, built "
             "in memory). A .lint file beside them (dashboard-linter's) excludes or downgrades findings."),
    config: Optional[Path] = ConfigOption,
    fmt: str = FormatOption,
    strict: bool = StrictOption,
    list_rules: bool = typer.Option(False, "--list-rules", help="List the rules (name, severity, hint) and exit."),
    profile: Optional[str] = typer.Option(
        None, "--profile", metavar="[house|grafana]",
        help="Rules to apply: grafana (any dashboard) or house (the project's conventions too). Default: "
             "each module's LINT_PROFILE (house unless it says grafana); grafana for the files of DIR."),
    fix: bool = typer.Option(False, "--fix", help="With DIR: first rewrite the files for the rules that can be "
                             "fixed (editable, variable refresh, $__rate_interval, an Elasticsearch target's "
                             "timeField and terms on .keyword; with --profile house also unused variables and "
                             "by (le))."),
) -> None:
    """Lint dashboards: Grafana's schema, layout, datasource references,
    PromQL and LogQL syntax, Elasticsearch queries parsed on Lucene (Debian's
    liblucene8-java) and grafana/dashboard-linter's rules, plus the
    house conventions for the project's own dashboards.

    Errors exit 1, warnings only with --strict; a bad option exits 2.
    Exclusions, each with a reason, live in the settings under
    validate.exclude, and for files of DIR in dashboard-linter's .lint
    file beside them. --list-rules (or docs/reference/lint-rules.md) lists the rules.

    Examples:

      tb-dash validate

      tb-dash validate build/dashboards --format json

      tb-dash validate exported/ --profile grafana --fix
    """
    from ..lint import GRAFANA, RULES, check_profile, format_text, validate as run_rules
    from ..errors import UsageError

    output_format(fmt)
    if list_rules:
        for rule in RULES:
            typer.echo(f"{rule.name:<31} {rule.severity:<8} {rule.scope:<8} {rule.summary}\n"
                       f"{'':<49} hint: {rule.hint}")
        return
    if profile is not None:
        check_profile(profile, "--profile")
    if fix:
        if directory is None:
            raise UsageError("--fix rewrites the JSON files of DIR; for the project's own dashboards change "
                             "the code the findings name (dashboards.editable: false in the settings, refresh=2 "
                             "on query variables, [$__rate_interval] in panels/queries.py)")
    cfg = load_settings(config)
    if fix:
        from ..lint.fix import fix_dir

        for path, changes in fix_dir(directory, cfg, profile or GRAFANA):
            typer.echo(f"fixed {path.name}: {'; '.join(changes)}", err=True)
    # Built unchecked: the lint rules report every problem, not just the first.
    if directory is None:
        result = run_rules(dashboards(cfg, None, check=False, stream=True), cfg, profile=profile)
    else:
        from ..dashboard.files import paths
        from ..lint import Run
        from ..lint.workers import check_files, count

        files = [directory] if directory.is_file() else paths(directory)
        chosen = profile or GRAFANA
        from contextlib import closing

        # Closed whatever happens: the worker processes are joined before anything is printed.
        with closing(check_files(files, _loaded, Run(cfg, profile=chosen), count(len(files)))) as checked:
            result = run_rules((), cfg, profile=chosen, checked=checked)
    finish(result, fmt, format_text, strict)


def _loaded(path: Path):
    """The file ``path`` as Grafana loads it (``_as_one``)."""
    from ..dashboard.files import read_file

    return _as_one(read_file(path))


def _as_one(r):
    """A dashboard file as Grafana loads it: a Kubernetes resource's
    dashboard, a dashboard with legacy rows[] migrated (so that its panels
    are linted)."""
    from dataclasses import replace

    from ..importing.migrate import ImportInputError, migrate, unwrap
    from ..errors import UsageError
    from ..model import Rendered

    from ..dashboard.v2 import is_v2

    if is_v2(r.data):  # the lint rules read it as it is (lint.v2)
        return r
    try:
        data = unwrap(r.data, r.source) if "apiVersion" in r.data else r.data
        legacy = isinstance(data.get("rows"), list)
        if legacy:  # migrated in place: the file's own data is not used again
            data = migrate(data, r.source, keep=False).dashboard
    except ImportInputError as e:
        raise UsageError(str(e)) from None
    if data is r.data and not legacy:
        return r
    # Still from the file's decoded JSON (migration makes no NaN): its digest says so.
    return replace(Rendered.of(data, r.source), digest=r.digest)
