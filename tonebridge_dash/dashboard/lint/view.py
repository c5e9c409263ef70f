"""One dashboard as the lint rules see it, and what a rule is and yields.

``Dashboard`` holds the JSON, its panels, its variables and every
Prometheus target parsed once (after Grafana's variables are substituted),
so each rule is a small function over it that yields ``Issue``s.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

from ...model import as_list, iter_panels, template_variables
from ...prometheus import promql


@dataclass(frozen=True)
class Issue:
    """What a rule function yields: where and what, optionally a severity
    other than the rule's."""

    panel: dict | None
    message: str
    severity: str | None = None


@dataclass(frozen=True)
class Rule:
    name: str
    severity: str
    summary: str
    hint: str
    fn: Callable[["Dashboard"], Iterable[Issue]]


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
    parsed: list[tuple] = field(default_factory=list)  # (panel, target, expr or error, undefined)

    @classmethod
    def of(cls, rendered, cfg=None) -> "Dashboard":
        data = rendered.data
        panels = list(iter_panels(data))
        variables = promql.dashboard_variables(data)
        return cls(rendered.uid, rendered.title, data, panels, cfg, variables, _parse_targets(panels, variables))

    def template(self, name: str) -> dict | None:
        for v in self.templating():
            if v.get("name") == name:
                return v
        return None

    def templating(self) -> list[dict]:
        return template_variables(self.data)

    def datasource_variable(self) -> dict | None:
        for v in self.templating():
            if v.get("type") == "datasource":
                return v
        return None

    def parsed_targets(self) -> Iterator[tuple[dict, dict, Any]]:
        """(panel, target, parsed expression or PromQLSyntaxError) for every
        Prometheus target."""
        for p, t, expr, _ in self.parsed:
            yield p, t, expr

    def undefined_variables(self) -> Iterator[tuple[dict, dict, tuple[str, ...]]]:
        for p, t, _, undefined in self.parsed:
            if undefined:
                yield p, t, undefined


def _parse_targets(panels: list[dict], variables: dict[str, str]) -> list[tuple]:
    """Every Prometheus target, parsed once per dashboard for all the rules."""
    values = promql.Values.for_lint()
    out = []
    for p in panels:
        for t in as_list(p.get("targets")):
            if isinstance(t, dict) and isinstance(t.get("expr"), str):
                s = promql.substitute(t["expr"], variables, values)
                try:
                    expr: Any = promql.parse(s.text)
                except promql.PromQLSyntaxError as e:
                    expr = e
                out.append((p, t, expr, s.undefined))
    return out


def ref(t: dict) -> str:
    """How a finding names a target: its refId in brackets."""
    return f"[{t.get('refId', '?')}]"

