"""§10.2's audit-log watch as Grafana-managed alert rules: each suspicious
pattern seen in the audit logs in the last 5 minutes (a count of matching
lines above 0) fires to the security team.

The spec's loop calls ``alert_security_team(log_entry)`` for each line a
pattern matches; Grafana evaluates the same search of the audit index every
``alerts.interval`` over the last ``WINDOW_SECONDS``, one rule per pattern so
that the page says which pattern it saw. The rules carry the §10 severity
``security`` (and the ``team`` label), so the notification policy that
mirrors Alertmanager's route tree sends them to the ``security`` receiver,
as it does §10.1's metric alerts.
"""

from __future__ import annotations

from panels.log_queries import AUDIT_PATTERNS
from tonebridge_dash.kit import LogAlert, LogRuleGroup

from ._common import SECURITY, links

GROUP = "tonebridge_audit_logs"
WINDOW_SECONDS = 300  # "in the last 5 minutes"
TEAM = "security"


def pattern_alert(cfg, pattern) -> LogAlert:
    logs = cfg.logs
    title = f"Audit log: {pattern.title}"
    dashboard, panel = links(cfg).panel(title, "audit", f"{pattern.title}: lines")
    return LogAlert(
        uid=f"tb-audit-{pattern.name}".replace("_", "-")[:40],
        title=title,
        query=pattern.query,
        datasource_uid=logs.audit_datasource.uid,
        time_field=logs.time_field,
        window_seconds=WINDOW_SECONDS,
        labels={"severity": SECURITY, "team": TEAM, "pattern": pattern.name},
        annotations={
            "summary": f"Suspicious audit log lines: {pattern.title}",
            "description": (f"Audit log lines in {logs.audit_index} matched the pattern '{pattern.title}' "
                            f"in the last {WINDOW_SECONDS // 60} minutes (spec §10.2). The Audit dashboard "
                            "shows the lines, each opening its trace."),
        },
        dashboard_uid=dashboard,
        panel_id=panel,
    )


def log_rule_group(cfg) -> LogRuleGroup:
    return LogRuleGroup(GROUP, [pattern_alert(cfg, p) for p in AUDIT_PATTERNS], interval=cfg.alerts.interval)
