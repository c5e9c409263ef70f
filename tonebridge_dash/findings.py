"""What ``validate`` and ``check`` share about their findings: two
severities, and the rule that errors fail while warnings fail only when
asked to (``--strict``)."""

from __future__ import annotations

ERROR = "error"
WARNING = "warning"


class Outcome:
    """Mixin for a result that holds ``findings``, each with a ``severity``."""

    findings: list

    def errors(self) -> list:
        return [f for f in self.findings if f.severity == ERROR]

    def warnings(self) -> list:
        return [f for f in self.findings if f.severity == WARNING]

    def failed(self, strict: bool = False) -> bool:
        return bool(self.errors() or (strict and self.warnings()))
