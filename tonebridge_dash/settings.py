"""Settings: one object, loaded from ``tb-dash.yaml`` and validated by the
project's own JSON Schema (``schemas/settings.schema.json``).

Every key is optional. What the file leaves out takes the value in
``DEFAULTS``; the README's settings reference lists them. Builders receive the
``Settings`` object explicitly: nothing below the CLI reads the environment.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from .errors import SettingsError

DEFAULT_FILE = "tb-dash.yaml"
SCHEMA_PATH = Path(__file__).with_name("schemas") / "settings.schema.json"

# The seed's numbers (§7.1, §10.1, §11) are the defaults.
DEFAULTS: dict[str, Any] = {
    "datasource": {"type": "prometheus", "uid": "prometheus", "name": "Prometheus", "regex": ""},
    "dashboards": {
        "uid_prefix": "tb-",
        "tags": ["tonebridge"],
        "refresh": "30s",
        "time_from": "now-6h",
        "time_to": "now",
        "timezone": "browser",
        "schema_version": 41,
        "editable": False,  # dashboards as code: change them here, not in the UI
    },
    "thresholds": {
        "error_ratio": {"warning": 0.01, "critical": 0.05, "for": "5m"},
        "latency_p95_seconds": {"warning": 0.5, "critical": 2.0, "for": "10m"},
        "memory_usage_ratio": {"warning": 0.8, "critical": 0.9, "for": "5m"},
        "disk_usage_ratio": {"warning": 0.7, "critical": 0.8, "for": "5m"},
        "cpu_usage_ratio": {"warning": 0.8, "critical": 0.9, "for": "10m"},
        "database_down": {"critical": 0, "for": "1m"},
        "failed_logins_per_second": {"critical": 10, "for": "0s"},
        "forbidden_requests_per_second": {"critical": 5, "for": "0s"},
        "users_table_queries_per_second": {"critical": 100, "for": "0s"},
        "cache_hit_ratio_min": {"warning": 0.8, "critical": 0.5, "for": "15m"},
    },
    "slo": {
        "window": "30d",
        "availability": 0.999,
        "latency_p95_seconds": 0.5,
        "error_ratio": 0.001,
        "throughput_rps": 100,
        "error_budget_alert_consumed": 0.2,
    },
    # Seed §7.1/§10.1: the rule group's evaluation interval and each alert's
    # ``team`` label (the seed's security alerts name none: "security" here).
    "alerts": {
        "interval": "30s",
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
    # Seed §7.2. Secrets are never in this file: see the README's Alertmanager section.
    "alertmanager": {
        "resolve_timeout": "5m",
        "group_by": ["alertname", "cluster", "service"],
        "group_wait": "10s",
        "group_interval": "10s",
        "repeat_interval": "12h",
        "channels": {"default": "#alerts", "critical": "#critical-alerts", "warning": "#warnings"},
        "secret_files": {
            "slack_webhook_url": "/etc/alertmanager/secrets/slack-webhook-url",
            "pagerduty_service_key": "/etc/alertmanager/secrets/pagerduty-service-key",
        },
    },
    "grafana": {"folder": {"title": "ToneBridge", "uid": "tonebridge"}, "org_id": 1},
    "environments": {},
    "validate": {"exclude": []},
    "check": {"series_budget": 500, "timeout_seconds": 10, "concurrency": 8},
}


@dataclass(frozen=True)
class Datasource:
    type: str
    uid: str
    name: str
    regex: str = ""


@dataclass(frozen=True)
class DashboardDefaults:
    uid_prefix: str
    tags: tuple[str, ...]
    refresh: str
    time_from: str
    time_to: str
    timezone: str
    schema_version: int
    editable: bool


@dataclass(frozen=True)
class Threshold:
    """A warning and a critical level, and how long a breach lasts before an
    alert fires. The same numbers colour the panels (orange at ``warning``,
    red at ``critical``) and drive the alerts (the seed's alert fires above
    ``critical`` for ``for_``)."""

    critical: float
    warning: float | None = None
    for_: str = "0s"

    def steps(self, lower_is_worse: bool = False) -> list[tuple[float | None, str]]:
        """Grafana threshold steps: base colour, then warning and critical."""
        if lower_is_worse:
            steps: list[tuple[float | None, str]] = [(None, "red")]
            if self.warning is not None:
                steps.append((self.critical, "orange"))
                steps.append((self.warning, "green"))
            else:
                steps.append((self.critical, "green"))
            return steps
        steps = [(None, "green")]
        if self.warning is not None:
            steps.append((self.warning, "orange"))
        steps.append((self.critical, "red"))
        return steps


@dataclass(frozen=True)
class Thresholds:
    error_ratio: Threshold
    latency_p95_seconds: Threshold
    memory_usage_ratio: Threshold
    disk_usage_ratio: Threshold
    cpu_usage_ratio: Threshold
    database_down: Threshold
    failed_logins_per_second: Threshold
    forbidden_requests_per_second: Threshold
    users_table_queries_per_second: Threshold
    cache_hit_ratio_min: Threshold


@dataclass(frozen=True)
class Slo:
    window: str
    availability: float
    latency_p95_seconds: float
    error_ratio: float
    throughput_rps: float
    error_budget_alert_consumed: float


@dataclass(frozen=True)
class AlertSettings:
    interval: str
    teams: Mapping[str, str]


@dataclass(frozen=True)
class AlertmanagerSettings:
    resolve_timeout: str
    group_by: tuple[str, ...]
    group_wait: str
    group_interval: str
    repeat_interval: str
    channels: Mapping[str, str]  # receiver name (default, critical, warning) -> Slack channel
    secret_files: Mapping[str, str]  # where Alertmanager reads each secret when no variable says


@dataclass(frozen=True)
class Folder:
    title: str
    uid: str


@dataclass(frozen=True)
class Environment:
    """Where push and diff go: a Grafana URL, a folder and an org."""

    name: str
    url: str | None
    folder: Folder
    org_id: int


@dataclass(frozen=True)
class Exclusion:
    rule: str
    reason: str
    dashboard: str | None = None
    panel: str | None = None


@dataclass(frozen=True)
class CheckSettings:
    series_budget: int
    timeout_seconds: float
    concurrency: int


@dataclass(frozen=True)
class Settings:
    datasource: Datasource
    dashboards: DashboardDefaults
    thresholds: Thresholds
    slo: Slo
    alerts: AlertSettings
    alertmanager: AlertmanagerSettings
    grafana: Environment
    environments: Mapping[str, Environment]
    exclusions: tuple[Exclusion, ...]
    check: CheckSettings
    source: str = "defaults"
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def source_name(self) -> str:
        return "the built-in settings (no tb-dash.yaml)" if self.source == "defaults" else self.source

    def environment(self, name: str | None) -> Environment:
        """The named environment, or the top-level ``grafana`` defaults."""
        if name is None:
            return self.grafana
        try:
            return self.environments[name]
        except KeyError:
            if not self.environments:
                raise SettingsError(
                    f"unknown environment '{name}': no environments are defined in "
                    f"{self.source_name} (add them under 'environments:')") from None
            known = ", ".join(sorted(self.environments))
            raise SettingsError(
                f"{self.source}: unknown environment '{name}' (environments: {known})"
            ) from None


def _merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


_validator = None


def _schema_validator():
    global _validator
    if _validator is None:
        import jsonschema

        schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
        _validator = jsonschema.Draft7Validator(schema)
    return _validator


def _describe(error, source: str) -> str:
    """One line naming the file, the key and what is wrong with it."""
    path = ".".join(str(p) for p in error.absolute_path)
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        unexpected = sorted(set(error.instance) - set(allowed))
        key = f"{path}.{unexpected[0]}" if path else unexpected[0]
        hint = f" (allowed: {', '.join(allowed)})" if allowed else ""
        return f"{source}: unknown key '{key}'{hint}"
    if error.validator == "required":
        return f"{source}: {path or 'top level'}: {error.message}"
    where = f"key '{path}'" if path else "top level"
    return f"{source}: {where}: {error.message}"


def validate_raw(raw: Any, source: str) -> None:
    if not isinstance(raw, Mapping):
        raise SettingsError(f"{source}: expected a mapping of settings at the top level")
    errors = sorted(_schema_validator().iter_errors(raw), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        raise SettingsError(_describe(errors[0], source))


def _threshold(d: Mapping[str, Any]) -> Threshold:
    return Threshold(critical=d["critical"], warning=d.get("warning"), for_=d.get("for", "0s"))


def _folder(d: Mapping[str, Any]) -> Folder:
    return Folder(title=d["title"], uid=d["uid"])


def from_mapping(raw: Mapping[str, Any] | None = None, source: str = "defaults") -> Settings:
    """Validate ``raw`` (the YAML's content) and build Settings over the defaults."""
    raw = {} if raw is None else raw
    validate_raw(raw, source)
    merged = _merge(DEFAULTS, raw)
    g = merged["grafana"]
    top = Environment(name="default", url=g.get("url"), folder=_folder(g["folder"]), org_id=g["org_id"])
    envs = {}
    for name, e in merged["environments"].items():
        folder = _folder(_merge(g["folder"], e.get("folder", {})))
        envs[name] = Environment(name=name, url=e["url"], folder=folder, org_id=e.get("org_id", top.org_id))
    for key, t in merged["thresholds"].items():
        if "critical" not in t:
            raise SettingsError(f"{source}: key 'thresholds.{key}' needs a 'critical' value")
    d = merged["dashboards"]
    return Settings(
        datasource=Datasource(**merged["datasource"]),
        dashboards=DashboardDefaults(**{**d, "tags": tuple(d["tags"])}),
        thresholds=Thresholds(**{k: _threshold(v) for k, v in merged["thresholds"].items()}),
        slo=Slo(**merged["slo"]),
        alerts=AlertSettings(interval=merged["alerts"]["interval"], teams=dict(merged["alerts"]["teams"])),
        alertmanager=AlertmanagerSettings(**{**merged["alertmanager"],
                                             "group_by": tuple(merged["alertmanager"]["group_by"])}),
        grafana=top,
        environments=envs,
        exclusions=tuple(Exclusion(**e) for e in merged["validate"]["exclude"]),
        check=CheckSettings(**merged["check"]),
        source=source,
        raw=merged,
    )


def load_settings(path: str | Path | None = None) -> Settings:
    """Load settings from ``path``; with no path, from ``./tb-dash.yaml`` when it
    exists, else the defaults. A path that was named but is missing is an error."""
    if path is None:
        if not Path(DEFAULT_FILE).is_file():
            return from_mapping({}, "defaults")
        path = DEFAULT_FILE
    p = Path(path)
    source = str(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SettingsError(f"{source}: settings file not found") from None
    except IsADirectoryError:
        raise SettingsError(f"{source}: is a directory, not a settings file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise SettingsError(f"{source}: cannot read settings file ({e.__class__.__name__})") from None
    import yaml

    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or "invalid YAML"
        raise SettingsError(f"{source}: invalid YAML{where}: {problem}") from None
    return from_mapping({} if raw is None else raw, source)
