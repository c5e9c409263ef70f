"""ToneBridge's settings defaults: the spec's numbers and names (§7.1, §7.2,
§10.1, §11), over the engine's own defaults and under the settings file
(``tb-dash.yaml``). Like kubernetes-mixin's ``_config``: one place the
queries, panels, alerts and the Alertmanager configuration read.

The README's settings reference shows every key with these values.
"""

from __future__ import annotations

from .metrics import SOURCES

DEFAULTS = {
    "dashboards": {"uid_prefix": "tb-", "tags": ["tonebridge"]},
    # The house lint rules (tb-dash validate): every query of a ToneBridge
    # metric filters on its job (the dashboards' $job variable), and the
    # seed's counter named without _total is read as a counter.
    "validate": {"rules": {
        "target-required-matchers": [
            {"metrics": "tonebridge_.*|login_attempts_failed|database_queries_total", "labels": ["job"]},
        ],
        "target-counter-agg": {"metrics": "login_attempts_failed"},
    }},
    # Label matchers added to every selector of a metric from that source
    # (empty: any job). Rule files have no Grafana filter variables, so
    # these are what keep their queries to ToneBridge's targets.
    "selectors": {
        "gateway": "",  # the Go API gateway, e.g. job="tonebridge-gateway"
        "llm": "",  # the Python LLM service, e.g. job="tonebridge-llm"
        "node_exporter": "",
        "postgresql": 'job="postgresql"',  # §7.1 DatabaseConnectionFailure: up{job="postgresql"}
        "kube_state_metrics": "",
        "cadvisor": "",
        "filesystem": 'fstype!~"tmpfs|overlay|squashfs"',  # always "full": never alert on them
        "namespace": "",  # the Kubernetes namespaces of the container panels, e.g. namespace="tonebridge"
    },
    # The source that emits each metric of the catalog (``panels.metrics``),
    # e.g. {"tonebridge_cache_requests_total": "llm"}: a deployment that emits
    # one elsewhere says so here, and every query, filter and rule follows.
    "sources": SOURCES,
    # Higher is worse unless ``lower_is_worse``; a ``ratio`` is a share, 0..1.
    "thresholds": {
        "error_ratio": {"warning": 0.01, "critical": 0.05, "for": "5m", "ratio": True},
        "transformation_error_ratio": {"warning": 0.01, "critical": 0.05, "for": "5m", "ratio": True},
        "latency_p95_seconds": {"warning": 0.5, "critical": 2.0, "for": "10m"},
        "memory_usage_ratio": {"warning": 0.8, "critical": 0.9, "for": "5m", "ratio": True},
        "disk_usage_ratio": {"warning": 0.7, "critical": 0.8, "for": "5m", "ratio": True},
        "cpu_usage_ratio": {"warning": 0.8, "critical": 0.9, "for": "10m", "ratio": True},
        "database_down": {"critical": 0, "for": "1m"},
        "failed_logins_per_second": {"critical": 10, "for": "0s"},
        "forbidden_requests_per_second": {"critical": 5, "for": "0s"},
        "users_table_queries_per_second": {"critical": 100, "for": "0s"},
        "cache_hit_ratio_min": {"warning": 0.8, "critical": 0.5, "for": "15m", "ratio": True, "lower_is_worse": True},
    },
    "slo": {
        "window": "30d",
        "availability": 0.999,
        "latency_p95_seconds": 0.5,
        "error_ratio": 0.001,
        "throughput_rps": 100,
        "error_budget_alert_consumed": 0.2,
    },
    # §7.1/§10.1: the rule groups' evaluation interval and each alert's
    # ``team`` label (the spec's security alerts name none: "security" here);
    # each alert's runbook, a section of docs/runbooks.md.
    "alerts": {
        "interval": "30s",
        "runbook_url": "https://github.com/tonebridge/tb-dash/blob/main/docs/runbooks.md#{anchor}",
        "teams": {
            "HighErrorRate": "backend",
            "HighResponseTime": "backend",
            "DatabaseConnectionFailure": "database",
            "HighMemoryUsage": "infrastructure",
            "DiskSpaceRunningOut": "infrastructure",
            "SuspiciousLoginAttempts": "security",
            "UnauthorizedAPIAccess": "security",
            "AbnormalDataAccess": "security",
            "ErrorBudgetBurn": "backend",
            "ErrorBudgetConsumed": "backend",
        },
    },
    # §7.2: grouping, one receiver per severity (§10's security alerts to the
    # security team), a page inhibits the ticket of the same alert and SLO.
    # Secrets are never here: see the README.
    "alertmanager": {
        "resolve_timeout": "5m",
        "group_by": ["alertname", "cluster", "service"],
        "group_wait": "10s",
        "group_interval": "10s",
        "repeat_interval": "12h",
        "receiver": "default",
        "receivers": {
            "default": {"channel": "#alerts", "title": "ToneBridge Alert"},
            "critical": {"channel": "#critical-alerts", "title": "🚨 CRITICAL: ToneBridge Alert", "pagerduty": True},
            "warning": {"channel": "#warnings", "title": "⚠️ Warning: ToneBridge Alert"},
            # §10: the security team (the spec names no channel: this one is ours).
            "security": {"channel": "#security-alerts", "title": "🔒 Security: ToneBridge Alert"},
        },
        "routes": [
            {"receiver": "critical", "matchers": ['severity="critical"'], "continue": True},
            {"receiver": "warning", "matchers": ['severity="warning"']},
            # §10.1's metric alerts and §10.2's log alerts (Grafana's policy
            # tree mirrors this one) carry severity "security".
            {"receiver": "security", "matchers": ['severity="security"']},
        ],
        "inhibit_rules": [
            {"source_matchers": ['severity="critical"'], "target_matchers": ['severity="warning"'],
             "equal": ["alertname", "slo"]},
        ],
    },
    "grafana": {"folder": {"title": "ToneBridge", "uid": "tonebridge"}},
    # §2.1: Fluentd writes ToneBridge's log lines to daily tonebridge-YYYY.MM.DD
    # indexes; §10.2's audit patterns are searched in those same lines (the
    # spec names no audit index of its own), so logs.audit_index stays empty.
    "logs": {"index": "tonebridge-*"},
}
