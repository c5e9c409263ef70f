"""One dashboard as the lint rules see it, and what a rule is and yields.

``Dashboard`` holds the JSON, its panels and its variables, so each rule is
a small function over it that yields ``Issue``s. Rules on Prometheus
targets are functions of one target instead (``TargetCheck``): every target
is parsed once (after Grafana's variables are substituted), each such rule
runs on it there and then, and the syntax tree is dropped; a parsed
expression takes tens of kilobytes in the parser, so keeping every one of a
large dashboard would take gigabytes.

In the grafana profile a rule ported from grafana/dashboard-linter runs its
``linter`` function (the linter's semantics) in place of the house one, and
targets are parsed as the linter parses them (``expand.expand_variables``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable, Iterable, Mapping

from ..findings import WARNING
from ..model import GRAFANA, HOUSE, PROFILES, as_list, as_object, iter_panels, template_variables  # noqa: F401 (profiles: for callers)
from ..prometheus import promql
from .expand import expand_variables



@dataclass(frozen=True)
class Issue:
    """What a rule function yields: where and what, optionally a severity
    other than the rule's."""

    panel: dict | None
    message: str
    severity: str | None = None
    target: int | None = None  # the target's index in the panel's targets (set for target rules)


# (dashboard, panel, target, parsed expression or PromQLSyntaxError, undefined variables) -> issues.
# In the grafana profile every target of every panel is passed, the expression
# None when it is not a Prometheus query (no expr, an empty one, or Loki).
TargetCheck = Callable[["Dashboard", dict, dict, Any, tuple], Iterable[Issue]]


@dataclass(frozen=True)
class Rule:
    name: str
    severity: str
    summary: str
    hint: str
    fn: Callable[["Dashboard"], Iterable[Issue]] | None
    per_target: TargetCheck | None = None  # instead of fn: a rule on each Prometheus target
    # dashboard-linter's semantics, run in the grafana profile in place of fn
    # (a dashboard function) or per_target (a TargetCheck).
    linter: Callable | None = None
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

    def function(self, profile: str) -> Callable | None:
        """What runs in ``profile``: a dashboard function or a TargetCheck."""
        if profile != HOUSE and self.linter is not None:
            return self.linter
        return self.fn if self.fn is not None else self.per_target

    def on_targets(self) -> bool:
        return self.per_target is not None


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
    decoded: bool = False  # read from a JSON file (inputs.load_json): no NaN or infinity can be in it

    @classmethod
    def of(cls, rendered, cfg=None, target_checks: Mapping[str, TargetCheck] | None = None,
           profile: str = HOUSE) -> "Dashboard":
        data = rendered.data
        panels = list(iter_panels(data))
        variables = promql.dashboard_variables(data)
        d = cls(rendered.uid, rendered.title, data, panels, cfg, variables, {}, profile,
                bool(getattr(rendered, "digest", "")))
        d.target_issues = _check_targets(d, target_checks or {})
        return d

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


def _check_targets(d: Dashboard, checks: Mapping[str, TargetCheck]) -> dict[str, list[Issue]]:
    """Parse every Prometheus target once and run each check on it; no
    syntax tree outlives its target. A Loki target (the dashboard's first
    datasource variable lists Loki, or the panel's or target's datasource is
    Loki) is LogQL, not parsed here. The house profile substitutes the
    dashboard's variables as ``check`` does; the others as dashboard-linter
    does, and show the checks every target, parsed or not."""
    out: dict[str, list[Issue]] = {name: [] for name in checks}
    if not checks:
        return out
    house = d.profile == HOUSE
    values = promql.Values.for_lint()
    templates = d.templating()
    loki = as_object(d.datasource_variable()).get("query") == "loki"
    for p in d.panels:
        panel_loki = loki or _is_loki(p)
        for i, t in enumerate(as_list(p.get("targets"))):
            if not isinstance(t, dict):
                continue
            text = t.get("expr")
            prometheus = isinstance(text, str) and not (panel_loki or _is_loki(t))
            expr: Any = None
            undefined: tuple = ()
            if house:
                if not prometheus:
                    continue
                s = promql.substitute(text, d.variables, values)
                text, undefined = s.text, s.undefined
            elif prometheus and text.strip():
                try:
                    text = expand_variables(text, templates)
                except ValueError as e:
                    expr = promql.PromQLSyntaxError(f"could not expand variables: {e}")
            else:
                prometheus = False
            if prometheus and expr is None:
                try:
                    expr = promql.parse(text)
                except promql.PromQLSyntaxError as e:
                    expr = e
            for name, check in checks.items():
                out[name].extend(issue if issue.target is not None else Issue(issue.panel, issue.message,
                                                                               issue.severity, i)
                                 for issue in check(d, p, t, expr, undefined))
    return out


def _is_loki(o: dict) -> bool:
    return isinstance(o.get("datasource"), dict) and o["datasource"].get("type") == "loki"


def ref(t: dict) -> str:
    """How a finding names a target: its refId in brackets."""
    return f"[{t.get('refId', '?')}]"

