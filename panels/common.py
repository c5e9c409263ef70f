"""House defaults for every panel, in one place.

Builders in this package call these factories instead of grafanalib's
classes directly, so legends, tooltips, colours, the datasource reference
and threshold colours look the same everywhere. Each factory takes a title,
a description (a panel without one is a lint warning), a unit and targets.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

import attr
from grafanalib import core as g

from tonebridge_dash.kit import Threshold

# Every panel and target reads the dashboard's datasource variable.
DATASOURCE_VARIABLE = "datasource"
DATASOURCE = {"type": "prometheus", "uid": "${" + DATASOURCE_VARIABLE + "}"}

_REF_IDS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@attr.s
class PromTarget(g.Target):
    """grafanalib's target, and Grafana's ``exemplar`` switch: the query also
    asks Prometheus for the exemplars of the series it reads, drawn as points
    that open their trace (the datasource's ``exemplarTraceIdDestinations``)."""

    exemplar = attr.ib(default=False, validator=attr.validators.instance_of(bool))

    def to_json_data(self) -> dict:
        data = super().to_json_data()
        if self.exemplar:
            data["exemplar"] = True
        return data


def target(expr: str, legend: str = "__auto", *, instant: bool = False, fmt: str = "time_series",
           exemplar: bool = False) -> g.Target:
    """One PromQL query; ``refId`` is filled in by the panel factories.
    ``exemplar``: for a query of histogram buckets (a latency), whose
    observations carry a ``trace_id`` exemplar (§5)."""
    return PromTarget(expr=expr, legendFormat=legend, instant=instant, format=fmt, datasource=DATASOURCE,
                      exemplar=exemplar)


def _targets(targets: Sequence[g.Target]) -> list[g.Target]:
    return [attr.evolve(t, refId=t.refId or _REF_IDS[i]) for i, t in enumerate(targets)]


def slo_target(value: float) -> Threshold:
    """Red beyond an SLO target (above it, or below with ``lower_is_worse``)."""
    return Threshold(critical=value)


def _base(title: str, description: str, targets: Sequence[g.Target]) -> dict:
    """What every panel has: title, description, the datasource variable,
    targets with refIds, and Grafana's own data-point limit (grafanalib's
    default of 100 points would coarsen every graph)."""
    return dict(title=title, description=description, dataSource=DATASOURCE,
                targets=_targets(targets), maxDataPoints=None)


def steps(threshold: Threshold | None, *, lower_is_worse: bool | None = None,
          scale: float = 1.0) -> list[dict]:
    """Grafana threshold steps from a settings threshold (green, orange at
    warning, red at critical; reversed for measures where low is bad: the
    threshold's own ``lower_is_worse`` unless ``lower_is_worse`` is given).
    ``scale`` converts the settings' unit to the panel's (e.g. 100 for %)."""
    if threshold is None:  # nothing is judged: the neutral text colour, not a "healthy" green
        return [{"color": "text", "value": None}]
    return [{"color": color, "value": None if value is None else value * scale}
            for value, color in threshold.steps(lower_is_worse=lower_is_worse)]


def timeseries(title: str, description: str, unit: str, targets: Sequence[g.Target], *,
               threshold: Threshold | None = None, lower_is_worse: bool | None = None,
               stack: bool = False, fill: int = 10, min_value: int | None = 0,
               max_value: int | None = None, legend_calcs: Iterable[str] = ("mean", "max", "lastNotNull")) -> g.TimeSeries:
    return g.TimeSeries(
        **_base(title, description, targets),
        unit=unit,
        fillOpacity=fill,
        lineWidth=1,
        showPoints="never",
        spanNulls=True,
        legendDisplayMode="table",
        legendPlacement="bottom",
        legendCalcs=list(legend_calcs),
        tooltipMode="multi",
        tooltipSort="desc",
        stacking={"mode": "normal", "group": "A"} if stack else {"mode": "none", "group": "A"},
        thresholds=steps(threshold, lower_is_worse=lower_is_worse),
        thresholdsStyleMode="line" if threshold is not None else "off",
        valueMin=min_value,
        valueMax=max_value,
    )


def stat(title: str, description: str, unit: str, targets: Sequence[g.Target], *,
         threshold: Threshold | None = None, lower_is_worse: bool | None = None,
         calc: str = "lastNotNull", decimals: int | None = None, graph: bool = True,
         mappings: Sequence[dict] = ()) -> g.Stat:
    return g.Stat(
        **_base(title, description, targets),
        format=unit,
        decimals=decimals,
        reduceCalc=calc,
        graphMode="area" if graph else "none",
        colorMode="value",
        noValue=None,
        thresholds=steps(threshold, lower_is_worse=lower_is_worse),
        mappings=list(mappings),
    )


def bargauge(title: str, description: str, unit: str, targets: Sequence[g.Target], *,
             threshold: Threshold | None = None, calc: str = "lastNotNull",
             max_value: float | None = None) -> g.BarGauge:
    return g.BarGauge(
        **_base(title, description, targets),
        format=unit,
        calc=calc,
        displayMode=g.GAUGE_DISPLAY_MODE_GRADIENT,
        orientation=g.ORIENTATION_HORIZONTAL,
        min=0,
        max=max_value,
        thresholds=steps(threshold),
    )


def piechart(title: str, description: str, unit: str, targets: Sequence[g.Target]) -> g.PieChartv2:
    return g.PieChartv2(
        **_base(title, description, targets),
        unit=unit,
        pieType="donut",
        legendDisplayMode="table",
        legendPlacement="right",
        legendValues=["percent", "value"],
        reduceOptionsCalcs=["lastNotNull"],
        tooltipMode="single",
    )


def value_column(target_ref: str) -> str:
    """The name Grafana gives an instant table query's value column once
    several queries are merged: ``Value #A``."""
    return f"Value #{target_ref}"


def mapping(values: Mapping[float, tuple[str, str]]) -> dict:
    """A value mapping: number -> (text, colour)."""
    return {"type": "value", "options": {
        f"{v:g}": {"text": text, "color": color, "index": i} for i, (v, (text, color)) in enumerate(values.items())}}


def column(name: str, **properties: Any) -> dict:
    """A field override for the table column ``name`` (after renaming)."""
    return {"matcher": {"id": "byName", "options": name},
            "properties": [{"id": key, "value": value} for key, value in properties.items()]}


def table(title: str, description: str, unit: str, targets: Sequence[g.Target], *,
          threshold: Threshold | None = None, lower_is_worse: bool | None = None,
          names: Mapping[str, str] | None = None, columns: Sequence[dict] = ()) -> g.Table:
    """A table of instant queries merged into one row per label set; ``names``
    renames columns (label or ``value_column(ref)`` -> header) and orders
    them as it lists them, ``columns``
    are per-column overrides (``column``)."""
    return g.Table(
        **_base(title, description, targets),
        unit=unit,
        colorMode="thresholds",
        displayMode="color-text",
        filterable=True,
        thresholds=steps(threshold, lower_is_worse=lower_is_worse),
        overrides=list(columns),
        transformations=[{"id": "merge", "options": {}},
                         {"id": "organize", "options": {"excludeByName": {"Time": True},
                                                        "indexByName": {k: i for i, k in enumerate(names or {})},
                                                        "renameByName": dict(names or {})}}],
    )


@attr.s
class Heatmap(g.Panel):
    """The current (non-Angular) heatmap panel, which grafanalib lacks:
    pre-bucketed Prometheus histograms, one cell per ``le`` bucket."""

    unit = attr.ib(default="s")
    colorScheme = attr.ib(default="Oranges")

    def to_json_data(self):
        return self.panel_json({
            "type": "heatmap",
            "fieldConfig": {"defaults": {"unit": "reqps", "custom": {
                "hideFrom": {"legend": False, "tooltip": False, "viz": False},
                "scaleDistribution": {"type": "linear"},
            }}, "overrides": []},
            "options": {
                "calculate": False,
                "cellGap": 1,
                "color": {"mode": "scheme", "scheme": self.colorScheme, "scale": "exponential",
                          "exponent": 0.5, "fill": "dark-orange", "reverse": False, "steps": 64},
                "exemplars": {"color": "rgba(255,0,255,0.7)"},
                "filterValues": {"le": 1e-9},
                "legend": {"show": True},
                "rowsFrame": {"layout": "auto"},
                "showValue": "never",
                "tooltip": {"mode": "single", "yHistogram": True, "showColorScale": False},
                "yAxis": {"axisPlacement": "left", "reverse": False, "unit": self.unit},
                "cellValues": {"unit": "reqps"},
            },
        })


def heatmap(title: str, description: str, unit: str, targets: Sequence[g.Target]) -> Heatmap:
    """A heatmap of histogram buckets; targets should use ``fmt="heatmap"``."""
    return Heatmap(**_base(title, description, targets), unit=unit)

