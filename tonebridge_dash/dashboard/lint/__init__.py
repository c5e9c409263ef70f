"""``tb-dash validate``: run the lint rules (``rules.RULES``) over
dashboards, apply the settings' exclusions and report findings.

Exclusions come from the settings (``validate.exclude``): a rule, optionally
narrowed to a dashboard uid, a panel title and a target's index, and a
reason; and, for dashboard files, from dashboard-linter's ``.lint`` file in
the file's directory (``lintfile``), which can also downgrade a rule to a
warning.

Each dashboard is checked in a profile (``view.PROFILES``): ``house``, the
project's own conventions on top of what Grafana needs, or ``grafana``,
what holds for any dashboard (``Rule.scope``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable, Sequence

from ...errors import UsageError
from ...findings import WARNING, Finding, Findings
from . import lintfile
from ...prometheus import promql
from .rules import RULE_NAMES, RULES
from .view import GRAFANA, HOUSE, PROFILES, Dashboard, Issue, Rule  # noqa: F401 (for callers)


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
                and (e.panel is None or e.panel == f.panel)
                and (getattr(e, "target", None) is None or e.target == f.target)):
            return e.reason
    return None


class _LintFiles:
    """The ``.lint`` file of each directory dashboard files come from, read
    once per directory."""

    def __init__(self) -> None:
        self.by_dir: dict[Path, lintfile.LintFile | None] = {}

    def of(self, source: str) -> lintfile.LintFile | None:
        if not source.endswith(".json"):
            return None  # a module of the project: its exclusions are the settings'
        directory = Path(source).parent
        if directory not in self.by_dir:
            self.by_dir[directory] = lintfile.load(directory, RULE_NAMES)
        return self.by_dir[directory]


def check_profile(profile: str, where: str) -> str:
    if profile not in PROFILES:
        raise UsageError(f"{where}: unknown lint profile {profile!r} (profiles: {', '.join(PROFILES)})")
    return profile


def _name(r) -> str:
    """How findings name a dashboard: its uid, or for one without (Grafana
    assigns it on import) its file or title."""
    if r.uid and r.uid != "None":
        return r.uid
    where = str(r.source or r.title).replace("\\", "/").rsplit("/", 1)[-1]
    return f"(uid assigned on import: {where})"


def validate(rendered: Iterable, cfg=None, rules: Sequence[Rule] = RULES, profile: str | None = None) -> Result:
    """Run ``rules`` over every dashboard of ``rendered``, one at a time:
    ``rendered`` may be a generator that reads each dashboard when asked
    (``load_dir``'s), and nothing of a dashboard but its findings is kept
    once it is checked, so memory stays that of the largest dashboard.
    Each dashboard is checked in ``profile``, else its own
    (``Rendered.profile``), else the house profile."""
    import time

    started = time.perf_counter()
    exclusions = tuple(getattr(cfg, "exclusions", ()) or ())
    check_exclusions(exclusions)
    checks = {profile: {r.name: r.function(profile) for r in rules if r.on_targets() and r.runs_in(profile)}
              for profile in PROFILES}
    unique = next((r for r in rules if r.name == "uid-unique"), None)
    seen: dict[str, str] = {}  # uid -> title, for uid-unique
    lint_files = _LintFiles()
    result = Result()
    for r in rendered:
        promql.forget()  # expressions are parsed once per dashboard, whatever rules look at them
        chosen = check_profile(profile or getattr(r, "profile", "") or HOUSE, _name(r))
        d = Dashboard.of(r, cfg, checks[chosen], chosen)
        d.uid = _name(r)
        result.dashboards.append((d.uid, d.title))
        found: list[tuple[Rule, Issue]] = []
        for rule in rules:
            if not rule.runs_in(chosen):
                continue
            if rule.on_targets():
                found.extend((rule, issue) for issue in d.target_issues[rule.name])
            elif rule.fn is not None:
                found.extend((rule, issue) for issue in rule.function(chosen)(d))
        if unique is not None and r.uid and d.uid in seen:
            found.append((unique, Issue(None, f"uid '{d.uid}' is also used by '{seen[d.uid]}'")))
        seen.setdefault(d.uid, d.title)
        config = lint_files.of(str(getattr(r, "source", "") or ""))
        for rule, issue in found:
            p = issue.panel or {}
            f = Finding(rule.severity_in(chosen, issue.severity or rule.severity), rule.name, d.uid,
                        str(p.get("title", "")) if issue.panel is not None else "", issue.message, rule.hint,
                        p.get("id"), target=issue.target)
            reason = _excluded_by(f, exclusions)
            if config is not None:
                panel = f.panel if issue.panel is not None else None
                if config.downgraded(f.rule, d.title, panel, f.target):
                    f = replace(f, severity=WARNING)  # the linter's warnings win over its exclusions
                else:
                    reason = reason or config.excluded(f.rule, d.title, panel, f.target)
            if reason is None:
                result.findings.append(f)
            else:
                result.excluded.append((f, reason))
    result.seconds = time.perf_counter() - started
    return result


def format_text(result: Result) -> str:
    """Findings grouped by dashboard, then a summary line."""
    lines = []
    by_uid: dict[str, list[Finding]] = {}  # one pass: comparing every finding with every dashboard was quadratic
    for f in result.findings:
        by_uid.setdefault(f.dashboard, []).append(f)
    for uid, title in result.dashboards:
        found = by_uid.get(uid, [])
        seen = set()
        if not found:
            lines.append(f"{uid}  {title}: ok")
            continue
        lines.append(f"{uid}  {title}")
        for f in found:
            where = f.where() if f.target is None else f"{f.where()}, target {f.target}"
            lines.append(f"  {f.severity:<7} {f.rule:<23} {where}: {f.message}")
            if (f.rule, f.hint) not in seen:  # one hint per rule and dashboard is enough
                seen.add((f.rule, f.hint))
                lines.append(f"  {'':<7} {'':<23} hint: {f.hint}")
    e, w, x = len(result.errors()), len(result.warnings()), len(result.excluded)
    excluded = f", {x} excluded by the settings or .lint" if x else ""
    lines.append(f"validated {len(result.dashboards)} dashboards: {e} error(s), {w} warning(s){excluded}")
    return "\n".join(lines)

