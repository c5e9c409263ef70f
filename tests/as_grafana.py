"""Dashboard queries evaluated against a real Prometheus as Grafana would:
each filter variable at All or at one of the values Grafana lists for it
(``label_values``, regex-escaped as Grafana escapes a chosen value), the
built-in variables at what Grafana computes for the dashboard's time range,
instant targets at the end of the range, range targets as the last point
of a range query (what a stat's default "last" reduction shows)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import requests

from tonebridge_dash.durations import seconds
from tonebridge_dash.model import iter_panels, template_variables
from tonebridge_dash.prometheus import promql

ALL = ".+"  # every filter variable's allValue


def query(url: str, expr: str, at: float) -> list:
    answer = requests.get(f"{url}/api/v1/query", params={"query": expr, "time": at}, timeout=30).json()
    assert answer["status"] == "success", (expr, answer)
    return answer["data"]["result"]


def last_points(url: str, expr: str, at: float, step: int) -> list:
    """Each series' last point of a range query ending at ``at`` (as
    ``{"metric": ..., "value": [t, v]}``, like an instant query's answer)."""
    answer = requests.get(f"{url}/api/v1/query_range", timeout=30, params={
        "query": expr, "start": at - 10 * step, "end": at, "step": step}).json()
    assert answer["status"] == "success", (expr, answer)
    return [{"metric": s["metric"], "value": s["values"][-1]} for s in answer["data"]["result"] if s["values"]]


def filters(data: dict) -> list[str]:
    return [v["name"] for v in template_variables(data) if v.get("type") == "query"]


def variable_values(url: str, data: dict, name: str, at: float, chosen: dict[str, str] | None = None) -> list[str]:
    """The values Grafana lists for variable ``name`` (the others as ``chosen``, else All)."""
    everything = {n: ALL for n in filters(data)} | dict(chosen or {})
    v = next(v for v in template_variables(data) if v["name"] == name)
    vq = promql.variable_query(v.get("query"))
    text = promql.substitute(promql.variable_check_query(vq), everything, promql.Values.for_check()).text
    return sorted({s["metric"][vq.label] for s in query(url, text, at) if vq.label in s["metric"]})


def choices(url: str, data: dict, at: float) -> list[tuple[str, str]]:
    """(variable, one of its values) for every filter variable of the dashboard."""
    out = []
    for name in filters(data):
        values = variable_values(url, data, name, at)
        assert values, f"variable {name} has no values"
        out += [(name, value) for value in values]
    return out


@dataclass(frozen=True)
class Builtins:
    """Grafana's built-in variables for a dashboard's time range and the
    datasource's scrape interval: ``$__interval`` is the range over about
    1000 points, rounded, and never below the scrape interval;
    ``$__rate_interval`` is max(``$__interval`` + scrape interval, 4 x scrape interval)."""

    range_s: int
    scrape_s: int

    @property
    def interval_s(self) -> int:
        return max(self.scrape_s, round(self.range_s / 1000 / 10) * 10 or 1)

    @property
    def rate_interval_s(self) -> int:
        return max(self.interval_s + self.scrape_s, 4 * self.scrape_s)

    def values(self) -> promql.Values:
        return promql.Values(rate_interval=f"{self.rate_interval_s}s", interval=f"{self.interval_s}s",
                             range=f"{self.range_s}s")

    @classmethod
    def for_dashboard(cls, data: dict, scrape_s: int) -> "Builtins":
        return cls(int(seconds(promql.dashboard_range(data))), scrape_s)


def panel_targets(data: dict):
    """(panel, target) for every Prometheus target of the dashboard."""
    for panel in iter_panels(data):
        for target in panel.get("targets") or []:
            if isinstance(target.get("expr"), str):
                yield panel, target


def evaluate(url: str, data: dict, target: dict, chosen: dict[str, str], builtins: Builtins, at: float) -> list:
    """The series a target shows with the filters at ``chosen`` (the others at All)."""
    variables = {n: ALL for n in filters(data)} | chosen
    expr = promql.substitute(target["expr"], variables, builtins.values()).text
    if target.get("instant"):
        return query(url, expr, at)
    return last_points(url, expr, at, builtins.interval_s)


def legend(target: dict, labels: dict[str, str]) -> str:
    """The series name Grafana shows: the legend format with ``{{label}}`` filled in."""
    return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: labels.get(m.group(1), ""), target.get("legendFormat") or "")
