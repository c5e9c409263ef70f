"""Logs: the spec's three Elasticsearch analyses (§8.1), the levels (§2.2),
errors by service and the log volume, from the logs Fluentd writes (§2.1)."""

from grafanalib import core as g

from panels import logs
from panels.log_queries import USER_VARIABLE
from tonebridge_dash.kit import Cell, row

from ._common import dashboard

EXAMPLE_USER = "user_123"  # §3.1's example user


def user_variable() -> g.Template:
    """The user whose activity the dashboard shows (a textbox; Grafana escapes
    the value for Lucene when it puts it in the query)."""
    return g.Template(name=USER_VARIABLE.lstrip("$"), label="User", type="textbox", query=EXAMPLE_USER,
                      default=EXAMPLE_USER)


def build(cfg):
    return dashboard(
        cfg, __name__, "Logs",
        "The log lines of every service in Elasticsearch (spec §2, §3.1): the §8.1 analyses (errors of the "
        "last hour by type, one user's activity, slow endpoints), the §2.2 levels over time, errors by "
        "service and the log volume. A line's trace_id opens its trace in Jaeger (§5).",
        [
            row("Overview",
                Cell(logs.log_volume(cfg), w=12),
                Cell(logs.levels_over_time(cfg), w=12),
                Cell(logs.errors_by_service(cfg), w=8)),
            row("Errors (§8.1)",
                Cell(logs.errors_by_type(cfg), w=8),
                Cell(logs.error_lines(cfg), w=16, h=10)),
            row("User activity (§8.1)",
                Cell(logs.user_activity(cfg), w=24, h=12)),
            row("Performance (§8.1)",
                Cell(logs.slow_endpoints(cfg), w=24, h=10)),
        ],
        [user_variable()],
        logs="logs",
    )
