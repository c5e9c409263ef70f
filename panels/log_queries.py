"""Lucene queries of the logs (placeholder: the §10.2 patterns only, until
the log query module lands)."""

from __future__ import annotations

from dataclasses import dataclass


def phrase(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True)
class AuditPattern:
    name: str
    title: str
    text: str

    def query(self, cfg) -> str:
        return f"message:{phrase(self.text)}"


AUDIT_PATTERNS = (
    AuditPattern("select_all_users", "SELECT * FROM users", "SELECT * FROM users"),
    AuditPattern("drop_table", "DROP TABLE", "DROP TABLE"),
    AuditPattern("sql_injection", "'; OR '1'='1", "'; OR '1'='1"),
)
