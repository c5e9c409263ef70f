"""Audit: the spec's suspicious patterns (§10.2) in the log lines, each
pattern's matches over time and the lines that hold it."""

from panels import logs
from panels.log_queries import AUDIT_PATTERNS
from tonebridge_dash.kit import Cell, row

from ._common import dashboard


def build(cfg):
    return dashboard(
        cfg, __name__, "Audit",
        "The log lines that hold one of the spec's suspicious patterns (§10.2: every user's data read, a "
        "table dropped, SQL injection), exactly as the spec's regular expressions find them. A line's "
        "trace_id opens its trace in Jaeger (§5).",
        [
            row("All patterns", Cell(logs.audit_over_time(cfg), w=24)),
            *(row(p.title, Cell(logs.pattern_over_time(cfg, p), w=10), Cell(logs.pattern_lines(cfg, p), w=14))
              for p in AUDIT_PATTERNS),
        ],
        logs="audit",
    )
