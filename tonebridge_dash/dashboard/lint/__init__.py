"""``tb-dash validate``: run the lint rules (``rules.RULES``) over
dashboards, apply the settings' exclusions and report findings.

Exclusions come from the settings (``validate.exclude``): a rule, optionally
narrowed to a dashboard uid and a panel title, and a reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Iterator, Sequence

from ...errors import UsageError
from ...findings import Finding, Findings
from .rules import RULE_NAMES, RULES
from .view import Dashboard, Issue, Rule


def _uid_unique(dashboards: Sequence[Dashboard]) -> Iterator[tuple[Dashboard, Issue]]:
    seen: dict[str, Dashboard] = {}
    for d in dashboards:
        if d.uid in seen:
            yield d, Issue(None, f"uid '{d.uid}' is also used by '{seen[d.uid].title}'")
        else:
            seen[d.uid] = d


@dataclass
class Result(Findings):
    findings: list[Finding] = field(default_factory=list)
    excluded: list[tuple[Finding, str]] = field(default_factory=list)  # (finding, reason)
    dashboards: list[tuple[str, str]] = field(default_factory=list)  # (uid, title)
    seconds: float = 0.0

    def to_json(self) -> dict:
        return {
            "ok": not self.errors(),
            "dashboards": len(self.dashboards),
            "errors": len(self.errors()),
            "warnings": len(self.warnings()),
            "excluded": len(self.excluded),
            "seconds": round(self.seconds, 4),
            "findings": [f.to_json() for f in self.findings],
            "excluded_findings": [{**f.to_json(), "reason": reason} for f, reason in self.excluded],
        }


def check_exclusions(exclusions: Iterable) -> None:
    for i, e in enumerate(exclusions):
        if e.rule not in RULE_NAMES:
            raise UsageError(f"validate.exclude[{i}]: unknown rule '{e.rule}' (rules: {', '.join(RULE_NAMES)})")


def _excluded_by(f: Finding, exclusions: Iterable) -> str | None:
    for e in exclusions:
        if (e.rule == f.rule and (e.dashboard is None or e.dashboard == f.dashboard)
                and (e.panel is None or e.panel == f.panel)):
            return e.reason
    return None


def validate(rendered: Sequence, cfg=None, rules: Sequence[Rule] = RULES) -> Result:
    """Run ``rules`` over every dashboard of ``rendered``."""
    import time

    started = time.perf_counter()
    exclusions = tuple(getattr(cfg, "exclusions", ()) or ())
    check_exclusions(exclusions)
    dashboards = [Dashboard.of(r, cfg) for r in rendered]
    by_rule = {r.name: r for r in rules}
    result = Result(dashboards=[(d.uid, d.title) for d in dashboards])
    raw: list[tuple[Rule, Dashboard, Issue]] = []
    for d in dashboards:
        for rule in rules:
            if rule.fn is not None:
                raw.extend((rule, d, issue) for issue in rule.fn(d))
    if "uid-unique" in by_rule:
        raw.extend((by_rule["uid-unique"], d, issue) for d, issue in _uid_unique(dashboards))
    for rule, d, issue in raw:
        p = issue.panel or {}
        f = Finding(issue.severity or rule.severity, rule.name, d.uid, str(p.get("title", "")) if issue.panel
                    is not None else "", issue.message, rule.hint, p.get("id"))
        reason = _excluded_by(f, exclusions)
        if reason is None:
            result.findings.append(f)
        else:
            result.excluded.append((f, reason))
    result.seconds = time.perf_counter() - started
    return result


def format_text(result: Result) -> str:
    """Findings grouped by dashboard, then a summary line."""
    lines = []
    for uid, title in result.dashboards:
        found = [f for f in result.findings if f.dashboard == uid]
        seen = set()
        if not found:
            lines.append(f"{uid}  {title}: ok")
            continue
        lines.append(f"{uid}  {title}")
        for f in found:
            lines.append(f"  {f.severity:<7} {f.rule:<23} {f.where()}: {f.message}")
            if (f.rule, f.hint) not in seen:  # one hint per rule and dashboard is enough
                seen.add((f.rule, f.hint))
                lines.append(f"  {'':<7} {'':<23} hint: {f.hint}")
    e, w, x = len(result.errors()), len(result.warnings()), len(result.excluded)
    excluded = f", {x} excluded by the settings" if x else ""
    lines.append(f"validated {len(result.dashboards)} dashboards: {e} error(s), {w} warning(s){excluded}")
    return "\n".join(lines)

