"""What every ToneBridge dashboard shares: title, uid, tags, time settings
and template variables (a Prometheus datasource variable and filters)."""

from __future__ import annotations

from typing import Sequence

import attr
from grafanalib import core as g

from panels.common import DATASOURCE, DATASOURCE_VARIABLE
from panels.logs import ELASTICSEARCH_VARIABLE
from panels.metrics import SOURCE_TITLES, Metric
from panels.queries import label_values
from panels.scope import source_filters
from tonebridge_dash.kit import Row, grid

TITLE_PREFIX = "ToneBridge - "
ALL = "$__all"


def uid_for(cfg, module: str) -> str:
    """Stable uid from the module name: ``tb-`` + ``application``."""
    return f"{cfg.dashboards.uid_prefix}{module.rsplit('.', 1)[-1]}"


def datasource_variable(cfg) -> g.Template:
    variable = g.Template(
        name=DATASOURCE_VARIABLE,
        label="Data source",
        type="datasource",
        query=cfg.datasource.type,
        regex=cfg.datasource.regex or None,
        default=cfg.datasource.uid,
        refresh=g.REFRESH_ON_DASHBOARD_LOAD,
        hide=g.SHOW,
    )
    # grafanalib shows the uid as the selected text; Grafana shows the name.
    variable._current = {"text": cfg.datasource.name, "value": cfg.datasource.uid}
    return variable


def elasticsearch_variable(cfg, audit: bool = False) -> g.Template:
    """The log dashboards' datasource variable: Elasticsearch datasources,
    starting on the settings' (``logs.datasource``, or the audit logs')."""
    ds = cfg.logs.audit_datasource if audit else cfg.logs.datasource
    variable = g.Template(name=ELASTICSEARCH_VARIABLE, label="Elasticsearch data source", type="datasource",
                          query="elasticsearch", default=ds.uid, refresh=g.REFRESH_ON_DASHBOARD_LOAD, hide=g.SHOW)
    variable._current = {"text": ds.name, "value": ds.uid}
    return variable


def filter_variable(name: str, query: str, label: str | None = None) -> g.Template:
    """A multi-select filter on a label, "All" by default (matching ``.+``)."""
    return g.Template(
        name=name,
        label=label or name,
        type="query",
        query=query,
        dataSource=DATASOURCE,
        default=ALL,
        includeAll=True,
        allValue=".+",
        multi=True,
        refresh=g.REFRESH_ON_TIME_RANGE_CHANGE,
        sort=g.SORT_ALPHA_ASC,
    )


def source_variables(cfg, source: str, metric: Metric) -> list[g.Template]:
    """A source's own job and instance filters (``llm_job``, ``llm_instance``),
    listing the values of ``metric``, for a dashboard that shows metrics of
    that source besides those of its ``$job`` (the queries' scopes read them)."""
    title = SOURCE_TITLES.get(source, source)
    return [
        filter_variable(f"{source}_job", label_values(cfg, metric, "job"), f"{title} job"),
        filter_variable(f"{source}_instance", label_values(cfg, metric, "instance", f'job=~"${source}_job"'),
                        f"{title} instance"),
    ]


def _with_source_variables(cfg, panels: list, variables: Sequence[g.Template]) -> list[g.Template]:
    """``variables`` and, after ``instance``, the filters of each other source
    the panels read (which sources that is follows the settings' ``sources``)."""
    exprs = [t.expr for p in panels for t in getattr(p, "targets", None) or () if getattr(t, "expr", None)]
    names = {v.name for v in variables}
    extra = [v for source, metric in source_filters(cfg, exprs).items() if f"{source}_job" not in names
             for v in source_variables(cfg, source, metric)]
    at = next((i + 1 for i, v in enumerate(variables) if v.name == "instance"), len(variables))
    return [*variables[:at], *extra, *variables[at:]]


def job_instance_variables(cfg, metric: Metric) -> list[g.Template]:
    """The ``job`` (service) and ``instance`` filters on ``metric``."""
    return [
        filter_variable("job", label_values(cfg, metric, "job")),
        filter_variable("instance", label_values(cfg, metric, "instance", 'job=~"$job"')),
    ]


def _link(**fields) -> dict:
    """A link as Grafana's dashboard model writes one (every key its schema asks for)."""
    return {"icon": "external link", "tooltip": "", "tags": [], "asDropdown": False, "targetBlank": False,
            "includeVars": True, "keepTime": True, **fields}


def dashboards_link(cfg) -> dict:
    """A drop-down of every dashboard with the content's tag, keeping the time
    range and the variables: each dashboard links to all the others."""
    return _link(title="Dashboards", type="dashboards", tags=list(cfg.dashboards.tags[:1]), asDropdown=True)


def detail(panel, cfg, module: str, what: str):
    """``panel`` with a link to the dashboard of ``module`` that explains it,
    keeping the time range and the variables."""
    url = f"/d/{uid_for(cfg, module)}?${{__url_time_range}}&${{__all_variables}}"
    return attr.evolve(panel, links=[_link(title=what, type="link", url=url)])


def dashboard(cfg, module: str, title: str, description: str, rows: Sequence[Row],
              variables: Sequence[g.Template] = (), *, logs: str = "") -> g.Dashboard:
    """``logs``: the panels read Elasticsearch (``"logs"``, or ``"audit"``
    for the audit logs' datasource), not Prometheus."""
    d = cfg.dashboards
    panels = grid(rows)
    templates = [elasticsearch_variable(cfg, logs == "audit"), *variables] if logs else \
        [datasource_variable(cfg), *_with_source_variables(cfg, panels, variables)]
    return g.Dashboard(
        title=TITLE_PREFIX + title,
        uid=uid_for(cfg, module),
        description=description,
        tags=list(d.tags),
        timezone=d.timezone,
        refresh=d.refresh or False,
        time=g.Time(d.time_from, d.time_to),
        editable=d.editable,
        graphTooltip=g.GRAPH_TOOLTIP_MODE_SHARED_CROSSHAIR,
        templating=g.Templating(list=templates),
        panels=panels,
        links=[dashboards_link(cfg)],
    ).auto_panel_ids()
