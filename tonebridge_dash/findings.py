"""What ``validate`` and ``check`` report: findings, each with a severity,
a rule, where (dashboard uid, panel title) and a one-line fix hint; and the
rule that errors fail while warnings fail only when asked to (``--strict``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    severity: str
    rule: str  # the rule (validate) or kind of problem (check) that found it
    dashboard: str  # uid
    panel: str  # panel title ("" for the dashboard itself)
    message: str
    hint: str = ""
    panel_id: Any = None
    ref_id: str = ""  # the target's refId (check)
    query: str = ""  # the PromQL sent (check)
    target: int | None = None  # the target's index in the panel's targets (validate's rules on targets)

    def where(self) -> str:
        return self.panel or "(dashboard)"

    def to_json(self) -> dict:
        return dict(vars(self))  # every field is a plain value: asdict's deep copy is ten times slower


class Findings:
    """Mixin for a result that holds ``findings``."""

    findings: list[Finding]

    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == WARNING]

    def failed(self, strict: bool = False) -> bool:
        return bool(self.errors() or (strict and self.warnings()))


@dataclass
class CheckReport(Findings):
    """What ``check`` found: the findings of every query sent, and what was checked."""

    findings: list[Finding] = field(default_factory=list)
    queries: int = 0
    panels: int = 0
    dashboards: list[str] = field(default_factory=list)
    titles: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    at: float | None = None

    def to_json(self) -> dict:
        return {"ok": not self.errors(), "at": self.at, "dashboards": len(self.dashboards), "panels": self.panels,
                "queries": self.queries, "errors": len(self.errors()), "warnings": len(self.warnings()),
                "seconds": round(self.seconds, 3), "findings": [f.to_json() for f in self.findings]}

    def merge(self, other: "CheckReport") -> None:
        """Add ``other``'s findings and counts (another source checked over the same dashboards)."""
        self.findings.extend(other.findings)
        self.queries, self.panels = self.queries + other.queries, self.panels + other.panels
        self.dashboards += [uid for uid in other.dashboards if uid not in self.dashboards]
        self.titles.update(other.titles)
        self.seconds += other.seconds
