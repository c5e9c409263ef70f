"""What the security alerts (seed §10.1) and the database alert (§7.1)
watch, so that each alert links to a panel that shows it: failed logins,
403 answers, reads of the users table, and whether PostgreSQL is scraped."""

from __future__ import annotations

from . import common as c
from . import metrics as m
from . import queries as q
from .queries import SERVICE, Scope


def _watched(title: str, what: str, alert: str, unit: str, expr: str, legend: str, threshold) -> c.g.TimeSeries:
    """A rate an alert watches, with the alert's threshold as a red line."""
    return c.timeseries(title, f"{what} The red line is the {alert} alert threshold from the settings.",
                        unit, [c.target(expr, legend)], threshold=threshold)


def failed_logins_timeseries(cfg, scope: Scope = SERVICE) -> c.g.TimeSeries:
    return _watched("Failed logins per second", "Failed login attempts per second, all methods.",
                    "SuspiciousLoginAttempts", "suffix: attempts/s", q.failed_login_rate(cfg, scope),
                    "failed logins/s", cfg.thresholds.failed_logins_per_second)


def forbidden_timeseries(cfg, scope: Scope = SERVICE) -> c.g.TimeSeries:
    return _watched("Forbidden (403) responses per second", "Requests answered 403 Forbidden per second.",
                    "UnauthorizedAPIAccess", "reqps", q.forbidden_rate(cfg, scope), "403/s",
                    cfg.thresholds.forbidden_requests_per_second)


def users_table_timeseries(cfg, scope: Scope = SERVICE) -> c.g.TimeSeries:
    return _watched("Users table queries per second", "Database queries per second on the users table.",
                    "AbnormalDataAccess", "suffix: queries/s", q.table_query_rate(cfg, "users", scope),
                    "users table queries/s", cfg.thresholds.users_table_queries_per_second)


def database_up_stat(cfg) -> c.g.Stat:
    """Up only when every PostgreSQL target is (``min``); the job and instance
    filters are the services', not the database's, so they do not apply."""
    return c.stat(
        "PostgreSQL",
        "Whether Prometheus reaches every PostgreSQL exporter target (the "
        "DatabaseConnectionFailure alert fires when one is down).",
        "none",
        [c.target(f"min ({q.target_up(cfg, q.Scope(), m.POSTGRESQL)})", "up")],
        mappings=[c.mapping({1: ("Up", "green"), 0: ("Down", "red")})],
        graph=False,
    )
