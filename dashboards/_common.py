"""What every ToneBridge dashboard shares: title, uid, tags, time settings
and template variables (a Prometheus datasource variable and filters)."""

from __future__ import annotations

from typing import Sequence

import attr
from grafanalib import core as g

from panels.common import DATASOURCE, DATASOURCE_VARIABLE
from panels.metrics import TRANSFORMATIONS, Metric
from panels.queries import label_values
from tonebridge_dash.dashboard.layout import Row, grid

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


def llm_variables(cfg) -> list[g.Template]:
    """The LLM service's own ``llm_job`` and ``llm_instance`` filters, for a
    dashboard that shows its metrics (the queries' ``SERVICE`` scope reads
    them for that source)."""
    return [
        filter_variable("llm_job", label_values(cfg, TRANSFORMATIONS, "job"), "LLM job"),
        filter_variable("llm_instance", label_values(cfg, TRANSFORMATIONS, "instance", 'job=~"$llm_job"'),
                        "LLM instance"),
    ]


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
              variables: Sequence[g.Template] = ()) -> g.Dashboard:
    d = cfg.dashboards
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
        templating=g.Templating(list=[datasource_variable(cfg), *variables]),
        panels=grid(rows),
        links=[dashboards_link(cfg)],
    ).auto_panel_ids()
