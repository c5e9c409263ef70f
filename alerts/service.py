"""The seed's alert rules (§7.1 service health, §10.1 security), under the
seed's names, severities and annotations, from the same PromQL and the same
thresholds as the panels.

Fixes to the seed's rules (the README lists them too): HighErrorRate
compares the 5xx *share* with 5%, not a per-second 5xx rate;
HighResponseTime aggregates buckets ``by (le)``; descriptions print values
in the unit their summary names (``humanizePercentage`` for ratios, where
the seed printed a 0..1 ratio followed by "%"); security alerts sum over
series, carry a ``team`` and say what they saw.
"""

from __future__ import annotations

from panels import metrics as m
from panels import queries as q
from tonebridge_dash.kit import Alert, Group, RuleFile
from tonebridge_dash.kit import Threshold

from ._common import CRITICAL, SECURITY, WARNING, labels, links, per_second, percent, seconds

FILENAME = "tonebridge-alerts.rules.yml"
WINDOW = "5m"  # the seed's rate window for every rule
SCOPE = q.rule_scope(WINDOW)


# The panel that shows what each alert watches: (dashboard module, panel title).
PANELS = {
    "HighErrorRate": ("application", "Error rate (5xx share)"),
    "HighResponseTime": ("application", "Response time percentiles"),
    "DatabaseConnectionFailure": ("application", "PostgreSQL"),
    "HighMemoryUsage": ("system", "Memory usage"),
    "DiskSpaceRunningOut": ("system", "Disk usage"),
    "SuspiciousLoginAttempts": ("application", "Failed logins per second"),
    "UnauthorizedAPIAccess": ("application", "Forbidden (403) responses per second"),
    "AbnormalDataAccess": ("application", "Users table queries per second"),
}


def alert(cfg, name: str, expr: str, threshold: Threshold, severity: str,
          summary: str, description: str) -> Alert:
    """An alert with the seed's labels (``severity`` and the ``team`` from the
    settings) and the links to its runbook and its panel."""
    return Alert(name, expr, threshold.for_, labels(cfg, name, severity),
                 {"summary": summary, "description": description, **links(cfg)(name, *PANELS[name])})


def above(cfg, name: str, measure: str, threshold: Threshold, severity: str,
          summary: str, description: str) -> Alert:
    """Fires while ``measure`` is above the threshold's critical level for its ``for``."""
    return alert(cfg, name, q.above(measure, threshold.critical), threshold, severity, summary, description)


def high_error_rate(cfg) -> Alert:
    t = cfg.thresholds.error_ratio
    return above(cfg, "HighErrorRate", q.error_ratio(cfg, SCOPE), t, CRITICAL,
                 "High error rate detected",
                 "Error rate is {{ $value | humanizePercentage }} of requests "
                 f"(threshold: {percent(t.critical)})")


def high_response_time(cfg) -> Alert:
    t = cfg.thresholds.latency_p95_seconds
    return above(cfg, "HighResponseTime", q.latency_quantile(cfg, 0.95, SCOPE), t, WARNING,
                 "High response time",
                 "95th percentile response time is {{ $value | humanizeDuration }} "
                 f"(threshold: {seconds(t.critical)})")


def database_connection_failure(cfg) -> Alert:
    t = cfg.thresholds.database_down
    return alert(cfg, "DatabaseConnectionFailure",
                 q.equal_to(q.target_up(cfg, SCOPE, m.POSTGRESQL), t.critical), t, CRITICAL,
                 "Database connection failed",
                 "Cannot connect to PostgreSQL: target {{ $labels.instance }} is down")


def high_memory_usage(cfg) -> Alert:
    t = cfg.thresholds.memory_usage_ratio
    return above(cfg, "HighMemoryUsage", q.memory_usage_ratio(cfg, SCOPE), t, WARNING,
                 "High memory usage",
                 "Memory usage is {{ $value | humanizePercentage }} on {{ $labels.instance }} "
                 f"(threshold: {percent(t.critical)})")


def disk_space_running_out(cfg) -> Alert:
    t = cfg.thresholds.disk_usage_ratio
    return above(cfg, "DiskSpaceRunningOut", q.disk_usage_ratio(cfg, SCOPE), t, WARNING,
                 "Disk space running out",
                 "Disk usage is {{ $value | humanizePercentage }} on {{ $labels.instance }} "
                 f"{{{{ $labels.mountpoint }}}} (threshold: {percent(t.critical)})")


def suspicious_login_attempts(cfg) -> Alert:
    t = cfg.thresholds.failed_logins_per_second
    return above(cfg, "SuspiciousLoginAttempts", q.failed_login_rate(cfg, SCOPE), t, SECURITY,
                 "Suspicious login attempts",
                 f"{{{{ $value | humanize }}}} failed logins per second (threshold: {per_second(t.critical)})")


def unauthorized_api_access(cfg) -> Alert:
    t = cfg.thresholds.forbidden_requests_per_second
    return above(cfg, "UnauthorizedAPIAccess", q.forbidden_rate(cfg, SCOPE), t, SECURITY,
                 "Unauthorized API access",
                 "{{ $value | humanize }} requests per second answered 403 Forbidden "
                 f"(threshold: {per_second(t.critical)})")


def abnormal_data_access(cfg) -> Alert:
    t = cfg.thresholds.users_table_queries_per_second
    return above(cfg, "AbnormalDataAccess", q.table_query_rate(cfg, "users", SCOPE), t, SECURITY,
                 "Abnormal data access",
                 "{{ $value | humanize }} queries per second on the users table "
                 f"(threshold: {per_second(t.critical)})")


def rule_file(cfg) -> RuleFile:
    interval = cfg.alerts.interval
    return RuleFile(FILENAME, [
        Group("tonebridge_alerts", [
            high_error_rate(cfg),
            high_response_time(cfg),
            database_connection_failure(cfg),
            high_memory_usage(cfg),
            disk_space_running_out(cfg),
        ], interval),
        Group("tonebridge_security", [
            suspicious_login_attempts(cfg),
            unauthorized_api_access(cfg),
            abnormal_data_access(cfg),
        ], interval),
    ], source=__name__)
