"""One dashboard as the lint rules see it, and what a rule is and yields.

``Dashboard`` holds the JSON, its panels and its variables, so each rule is
a small function over it that yields ``Issue``s. Rules on Prometheus
targets are functions of one target instead (``TargetCheck``): every target
is parsed once (after Grafana's variables are substituted), each such rule
runs on it there and then, and the syntax tree is dropped; a parsed
expression takes tens of kilobytes in the parser, so keeping every one of a
large dashboard would take gigabytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable, Iterable, Mapping

from ...findings import WARNING
from ...model import as_list, iter_panels, template_variables
from ...prometheus import promql


HOUSE, GRAFANA = "house", "grafana"
PROFILES = (HOUSE, GRAFANA)


@dataclass(frozen=True)
class Issue:
    """What a rule function yields: where and what, optionally a severity
    other than the rule's."""

    panel: dict | None
    message: str
    severity: str | None = None


# (panel, target, parsed expression or PromQLSyntaxError, undefined variables) -> issues
TargetCheck = Callable[[dict, dict, Any, tuple], Iterable[Issue]]


@dataclass(frozen=True)
class Rule:
    name: str
    severity: str
    summary: str
    hint: str
    fn: Callable[["Dashboard"], Iterable[Issue]] | None
    per_target: TargetCheck | None = None  # instead of fn: a rule on each Prometheus target
    # Which profiles run it: "grafana" rules hold for any dashboard Grafana
    # loads; "house" rules are the project's conventions, run only in the
    # house profile; "linter" rules are dashboard-linter's conventions:
    # errors in the house profile, warnings in the grafana one; "advice"
    # rules (dashboard-linter's that the house rules cover otherwise) are
    # warnings of the grafana profile only.
    scope: str = "grafana"

    def severity_in(self, profile: str, severity: str) -> str:
        return WARNING if self.scope in ("linter", "advice") and profile != HOUSE else severity

    def runs_in(self, profile: str) -> bool:
        return profile == HOUSE if self.scope == "house" else (profile != HOUSE or self.scope != "advice")


@dataclass
class Dashboard:
    """One dashboard as the rules see it: its JSON, its panels and the
    settings (for rules that depend on what the project asked for)."""

    uid: str
    title: str
    data: dict
    panels: list[dict]
    cfg: Any = None
    variables: dict[str, str] = field(default_factory=dict)
    target_issues: dict[str, list[Issue]] = field(default_factory=dict)  # rule name -> issues
    profile: str = HOUSE

    @classmethod
    def of(cls, rendered, cfg=None, target_checks: Mapping[str, TargetCheck] | None = None,
           profile: str = HOUSE) -> "Dashboard":
        data = rendered.data
        panels = list(iter_panels(data))
        variables = promql.dashboard_variables(data)
        loki = next((v.get("query") for v in template_variables(data) if v.get("type") == "datasource"),
                    None) == "loki"
        issues = _check_targets(panels, variables, target_checks or {}, loki)
        return cls(rendered.uid, rendered.title, data, panels, cfg, variables, issues, profile)

    def template(self, name: str) -> dict | None:
        for v in self.templating():
            if v.get("name") == name:
                return v
        return None

    def templating(self) -> list[dict]:
        return template_variables(self.data)

    @cached_property
    def _datasource_variable(self) -> dict | None:
        return next((v for v in self.templating() if v.get("type") == "datasource"), None)

    def datasource_variable(self) -> dict | None:
        """The first datasource variable (looked up once: every panel asks)."""
        return self._datasource_variable


def _check_targets(panels: list[dict], variables: dict[str, str],
                   checks: Mapping[str, TargetCheck], loki: bool = False) -> dict[str, list[Issue]]:
    """Parse every Prometheus target once and run each check on it; no
    syntax tree outlives its target. A Loki target (``loki``: the
    dashboard's datasource variable lists Loki) is LogQL, not parsed here."""
    values = promql.Values.for_lint()
    out: dict[str, list[Issue]] = {name: [] for name in checks}
    if not checks:
        return out
    for p in panels:
        panel_loki = loki or (isinstance(p.get("datasource"), dict) and p["datasource"].get("type") == "loki")
        for t in as_list(p.get("targets")):
            if isinstance(t, dict) and isinstance(t.get("expr"), str) and not (
                    panel_loki or (isinstance(t.get("datasource"), dict) and t["datasource"].get("type") == "loki")):
                s = promql.substitute(t["expr"], variables, values)
                try:
                    expr: Any = promql.parse(s.text)
                except promql.PromQLSyntaxError as e:
                    expr = e
                for name, check in checks.items():
                    out[name].extend(check(p, t, expr, s.undefined))
    return out


def ref(t: dict) -> str:
    """How a finding names a target: its refId in brackets."""
    return f"[{t.get('refId', '?')}]"

