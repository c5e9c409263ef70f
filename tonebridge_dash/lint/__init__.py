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

from ..errors import UsageError, shown
from ..findings import WARNING, Finding, Findings
from ..model import check_profile  # noqa: F401 (for callers)
from . import configured, lintfile
from ..prometheus import promql
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
        self.by_source: dict[str, lintfile.LintFile | None] = {}  # every finding asks

    def of(self, source: str) -> lintfile.LintFile | None:
        if source not in self.by_source:
            self.by_source[source] = self._of(source)
        return self.by_source[source]

    def _of(self, source: str) -> lintfile.LintFile | None:
        if not source.endswith(".json"):
            return None  # a module of the project: its exclusions are the settings'
        directory = Path(source).parent
        if directory not in self.by_dir:
            self.by_dir[directory] = lintfile.load(directory, RULE_NAMES)
        return self.by_dir[directory]


def _name(r) -> str:
    """How findings name a dashboard: its uid, or for one without (Grafana
    assigns it on import) its file or title."""
    if r.uid and r.uid != "None":
        return r.uid
    where = str(r.source or r.title).replace("\\", "/").rsplit("/", 1)[-1]
    return f"(uid assigned on import: {where})"


class Run:
    """What checking each dashboard needs, set up once: the rules of each
    profile, the exclusions and the ``.lint`` files. ``one`` checks one
    dashboard on its own (a worker process may run it); what needs every
    dashboard (uid-unique) is ``validate``'s."""

    def __init__(self, cfg=None, rules: Sequence[Rule] = RULES, profile: str | None = None) -> None:
        self.cfg, self.rules, self.profile = cfg, rules, profile
        self.exclusions = tuple(getattr(cfg, "exclusions", ()) or ())
        check_exclusions(self.exclusions)
        configured.of(cfg)  # the house rules' settings: a bad regex is one line before any dashboard
        self.checks = {p: {r.name: r.function(p) for r in rules if r.on_targets() and r.runs_in(p)}
                       for p in PROFILES}
        self.unique = next((r for r in rules if r.name == "uid-unique"), None)
        self.lint_files = _LintFiles()

    def one(self, r) -> "Checked":
        from .v2 import view

        v2 = view(r)
        if v2 is not None:
            return self._one_v2(v2)
        promql.forget()  # expressions are parsed once per dashboard, whatever rules look at them
        chosen = check_profile(self.profile or getattr(r, "profile", "") or HOUSE, _name(r))
        d = Dashboard.of(r, self.cfg, self.checks[chosen], chosen)
        d.uid = _name(r)
        source = str(getattr(r, "source", "") or "")
        found = []
        for rule in self.rules:
            if not rule.runs_in(chosen):
                continue
            if rule.on_targets():
                found.extend(self.judge(rule, issue, d.uid, d.title, chosen, source)
                             for issue in d.target_issues[rule.name])
            elif rule.fn is not None:
                found.extend(self.judge(rule, issue, d.uid, d.title, chosen, source)
                             for issue in rule.function(chosen)(d))
        return Checked(d.uid, d.title, bool(r.uid), chosen, source, found)

    def _one_v2(self, v2) -> "Checked":
        """A v2 dashboard: its own schema and reference problems, then the
        other rules on its classic equivalent, each finding naming the
        element."""
        from .v2 import SCHEMA_RULE, name_elements

        c = self.one(v2.classic)
        schema = next(rule for rule in (*self.rules, *RULES) if rule.name == SCHEMA_RULE)
        found = [(name_elements(v2, f), reason) for f, reason in c.found if f.rule != SCHEMA_RULE]
        found += [self.judge(schema, Issue(None, problem), c.uid, c.title, c.profile, c.source)
                  for problem in v2.problems]
        return replace(c, found=found)

    def judge(self, rule: Rule, issue: Issue, uid: str, title: str, chosen: str,
              source: str) -> tuple[Finding, str | None]:
        """The finding of ``issue``, and the reason it is excluded (None: reported)."""
        p = issue.panel or {}
        f = Finding(rule.severity_in(chosen, issue.severity or rule.severity), rule.name, uid,
                    str(p.get("title", "")) if issue.panel is not None else "", issue.message, rule.hint,
                    p.get("id"), target=issue.target)
        reason = _excluded_by(f, self.exclusions)
        config = self.lint_files.of(source)
        if config is not None:
            panel = f.panel if issue.panel is not None else None
            if config.downgraded(f.rule, title, panel, f.target):
                f = replace(f, severity=WARNING)  # the linter's warnings win over its exclusions
            else:
                reason = reason or config.excluded(f.rule, title, panel, f.target)
        return f, reason


@dataclass
class Checked:
    """One dashboard checked: how findings name it, and its findings."""

    uid: str
    title: str
    has_uid: bool
    profile: str
    source: str
    found: list[tuple[Finding, str | None]]  # (finding, why it is excluded or None)


def validate(rendered: Iterable, cfg=None, rules: Sequence[Rule] = RULES, profile: str | None = None,
             checked: Iterable[Checked] | None = None) -> Result:
    """Run ``rules`` over every dashboard of ``rendered``, one at a time:
    ``rendered`` may be a generator that reads each dashboard when asked
    (``load_dir``'s), and nothing of a dashboard but its findings is kept
    once it is checked, so memory stays that of the largest dashboard.
    Each dashboard is checked in ``profile``, else its own
    (``Rendered.profile``), else the house profile. ``checked``: the
    dashboards already checked (by ``workers.check_files``), in order."""
    import time

    started = time.perf_counter()
    run = Run(cfg, rules, profile)
    seen: dict[str, str] = {}  # uid -> title, for uid-unique
    result = Result()
    for c in checked if checked is not None else map(run.one, rendered):
        result.dashboards.append((c.uid, c.title))
        found = list(c.found)
        if run.unique is not None and c.has_uid and c.uid in seen:
            issue = Issue(None, f"uid '{c.uid}' is also used by '{seen[c.uid]}'")
            found.append(run.judge(run.unique, issue, c.uid, c.title, c.profile, c.source))
        seen.setdefault(c.uid, c.title)
        for f, reason in found:
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
    return "\n".join(map(shown, lines))  # a title or message from a file cannot forge a line or drive the terminal


def gate(dashboards: Sequence, cfg, warn=None) -> None:
    """The gate before dashboards are written or pushed: what Grafana would
    refuse (``render.check_all``), then, with the settings, every other rule
    of ``validate`` (an undefined variable, overlapping panels...): an error
    stops it with ``RenderError`` naming the first, a warning goes to
    ``warn``."""
    from ..dashboard.render import CHECKED_FIRST, check_all
    from ..errors import RenderError

    check_all(dashboards)
    if cfg is None:
        return
    # Parsing on Lucene starts a JVM: validate's, not every render's.
    result = validate(dashboards, cfg, [r for r in RULES if r.name not in CHECKED_FIRST + ("target-es-lucene",)])
    errors = result.errors()
    if errors:
        f = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise RenderError(f"dashboard '{f.dashboard}': {f.where()}: {f.message} [{f.rule}]{more}; "
                          "run 'tb-dash validate' for every finding and its fix")
    for f in result.warnings() if warn is not None else ():
        warn(f"dashboard '{f.dashboard}': {f.where()}: {f.message} [{f.rule}]")
