"""What ``validate`` and ``check`` report: findings, each with a severity,
a rule, where (dashboard uid, panel title) and a one-line fix hint; and the
rule that errors fail while warnings fail only when asked to (``--strict``).
"""

from __future__ import annotations

from dataclasses import dataclass
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
