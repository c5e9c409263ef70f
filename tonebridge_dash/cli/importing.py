"""``tb-dash import``: dashboards made elsewhere -> dashboard modules of the
content, checked by rendering them before anything is written."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from ..errors import TbDashError, UsageError, clip, shown
from .common import ConfigOption, app, load_settings, warn


@app.command("import")
def import_dashboards(
    files: List[Path] = typer.Argument(..., metavar="FILE...", show_default=False,
                                       help="Dashboard JSON files: Grafana exports (with or without __inputs), "
                                            "API answers or Kubernetes resources (v0alpha1/v1beta1)."),
    out: Path = typer.Option(Path("dashboards"), "--out", "-o", metavar="DIR",
                             help="The content's dashboards package, where the modules are written."),
    name: Optional[str] = typer.Option(None, "--name", "-n", metavar="NAME",
                                       help="Module name (one FILE only; default: from the file name)."),
    force: bool = typer.Option(False, "--force", help="Replace a module of the same name."),
    config: Optional[Path] = ConfigOption,
) -> None:
    """Turn dashboard JSON into dashboard modules, build(cfg), of the content.

    Any schemaVersion from 16 up (older rows[] too) is migrated as Grafana
    migrates it: rows[] to row panels, graph to timeseries, singlestat to
    stat or gauge, the old table to table, datasource names and ${DS_...}
    inputs to the datasource variable. Each module has one panel(...) call
    per panel, its queries as PromQL strings (a call to the content's query
    function where one gives exactly the same PromQL with the settings),
    laid out in rows of Cells where the positions allow. Before anything is
    written each module is rendered and compared with the original, panel
    by panel; the summary says how much was kept, how many queries became
    calls, and lists what was approximated. Each module declares
    LINT_PROFILE = "grafana": render holds it to what Grafana needs, not to
    the house conventions; what Grafana loads and the house schema would
    refuse is one warning. Nothing is written unless every FILE imports.

    Exit codes: 0 imported; 1 an import did not render; 2 a FILE that is
    unreadable or not a dashboard, a bad --name, or a module that exists.

    Examples:

      tb-dash import node-exporter-full.json

      tb-dash import export.json --out dashboards --name nodes

      tb-dash import k8s/*.json --out dashboards --force
    """
    from ..importing.importer import module_name
    from ..files.write import write_files

    if name is not None and len(files) > 1:
        raise UsageError("--name names one module: give one FILE with it")
    if name is not None and (not name.isidentifier() or name.startswith("_") or module_name(name) != name):
        raise UsageError(f"--name {clip(name, 80)!r}: not a module name (lower-case letters, digits and _; "
                         "not starting with _ or a digit)")
    cfg = load_settings(config)
    planned: dict[str, tuple[Path, object]] = {}
    for path in files:
        module = name or module_name(path.stem)
        if module in planned:
            raise UsageError(f"{path}: module '{module}' is also imported from {planned[module][0]}; "
                             "rename one file or import it alone with --name")
        target = out / f"{module}.py"
        if (target.exists() or target.is_symlink()) and not force:  # a dangling link is a module's name taken
            raise UsageError(f"{target} exists; use --force to replace it or --name to choose another module name")
        planned[module] = (path, _import_one(path, module, cfg))
    new_package = not out.exists()
    written = write_files(out, [(f"{m}.py", r.code.encode("utf-8")) for m, (_, r) in planned.items()]
                         + ([("__init__.py", b'"""Dashboards."""\n')] if new_package else []))
    for (module, (path, r)), written_path in zip(planned.items(), written):
        typer.echo(f"{written_path}  {shown(r.title)}")
        _summary(path, module, r)


class _Imported:
    def __init__(self, generated, comparison, exclusions: list[dict], strict: list) -> None:
        self.generated, self.comparison, self.exclusions = generated, comparison, exclusions
        self.strict = strict  # what the house schema refuses and Grafana accepts
        self.code, self.title = generated.code, generated.title


def _import_one(path: Path, module: str, cfg) -> _Imported:
    from ..importing.importer import generate
    from ..importing.migrate import ImportInputError
    from ..files.read import DASHBOARD_LIMIT, load_json, read_limited

    doc = load_json(read_limited(path, DASHBOARD_LIMIT, "dashboard JSON file"), str(path))
    try:
        generated = generate(doc, module, path.name, cfg)
    except TbDashError:
        raise
    except (TypeError, ValueError, KeyError, AttributeError, IndexError, RecursionError) as e:
        raise ImportInputError(f"{path}: not a dashboard tb-dash can read ({type(e).__name__}: "
                               f"{clip(str(e), 120)})") from None
    return _check(path, module, doc, generated, cfg)


def _check(path: Path, module: str, doc, generated, cfg) -> _Imported:
    """Render the generated module as ``tb-dash render`` would and compare it with the original."""
    import dataclasses

    from ..lint import RULES, validate
    from ..dashboard.render import CHECKED_FIRST, RenderError, build_one, check_all
    from ..importing.roundtrip import compare, expected
    from ..dashboard.schema import validate_dashboard

    namespace: dict = {"__name__": module}
    try:
        exec(compile(generated.code, f"{module}.py", "exec"), namespace)  # noqa: S102 (code we just generated)
        rendered = build_one(namespace["build"], cfg, f"{path} (imported)", check=False)
        # As render will check it: by its module's profile, what Grafana accepts (not the house schema).
        rendered = dataclasses.replace(rendered, profile=namespace.get("LINT_PROFILE", "house"))
        check_all([rendered])
    except RenderError as e:
        raise TbDashError(f"{path}: the imported dashboard would not render: {e.message}") from None
    except Exception as e:  # a dashboard the importer does not handle yet: one line, not a traceback
        raise TbDashError(f"{path}: the imported module does not build ({type(e).__name__}: "
                          f"{clip(str(e), 160)})") from None
    comparison = compare(expected(doc, str(path), cfg.dashboards.schema_version), rendered.data)
    strict = validate_dashboard(rendered.data, every=False)  # the house schema: warnings for an import
    result = validate([rendered], cfg, [r for r in RULES if r.name not in CHECKED_FIRST])
    exclusions: dict[str, dict] = {}
    for f in result.errors():
        entry = exclusions.setdefault(f.rule, {"rule": f.rule, "dashboard": rendered.uid, "count": 0})
        entry["count"] += 1
    return _Imported(generated, comparison, list(exclusions.values()), strict)


def _summary(path: Path, module: str, r: _Imported) -> None:
    g, c = r.generated, r.comparison
    layout = "rows of cells" if g.layout == "rows" else "explicit positions"
    calls = f"{g.calls}/{g.queries} queries as calls to the content's query functions"
    typer.echo(f"imported {path} as {module} ({layout}): {c.summary()}; {calls}", err=True)
    for difference in c.differences[:5]:
        warn(f"{module}: {difference}")
    if g.notes:
        typer.echo(f"  approximated or not kept ({len(g.notes)}, also in the module's docstring):", err=True)
        for note in g.notes:
            typer.echo(f"  ~ {clip(note, 300)}", err=True)
    if r.strict:
        more = f" (and {len(r.strict) - 1} more)" if len(r.strict) > 1 else ""
        warn(f"{module}: Grafana accepts it, the house schema would not: {clip(str(r.strict[0]), 200)}{more}; "
             "kept as imported (LINT_PROFILE = \"grafana\")")
    if r.exclusions:
        rules = ", ".join(f"{e['rule']} ({e['count']})" for e in r.exclusions)
        warn(f"{module}: render's lint gate refuses it until these rules are met or excluded: {rules}; "
             "to render it as imported, add to tb-dash.yaml:")
        typer.echo("validate:\n  exclude:", err=True)
        for e in r.exclusions:
            typer.echo(f"    - {{rule: {e['rule']}, dashboard: {e['dashboard']}, "
                       f"reason: imported from {path.name}}}", err=True)
