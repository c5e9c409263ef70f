"""Settings: one object, loaded from ``tb-dash.yaml`` and validated by the
engine's own JSON Schema (``schemas/settings.schema.json``).

Every key is optional. What the file leaves out takes the content's default
(the ``DEFAULTS`` of the module named by ``content.defaults``: a service's
thresholds, selectors, SLOs, alert teams, receivers, folder), else the
engine's (``DEFAULTS`` here). Sections whose keys the content defines
(thresholds, selectors) accept no others. Builders receive the ``Settings``
object explicitly: nothing below the CLI reads the environment.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping, TypeVar

from . import checks
from . import datasources
from . import kubernetes as fleet
from .dashboards import DashboardDefaults
from .datasources import Datasource, LogSettings, TraceSettings  # noqa: F401 (the settings' types)
from ..content import import_content
from ..errors import SettingsError, clip, redact_url
from .. import compiled
from ..files.read import SETTINGS_LIMIT, InputError, check_plain, load_packaged_yaml, load_yaml, read_text

DEFAULT_FILE = "tb-dash.yaml"
SCHEMA_PATH = Path(__file__).parent.parent / "schemas" / "settings.schema.json"
DEFAULTS_PATH = SCHEMA_PATH.with_name("settings.defaults.yaml")

# The engine's own defaults (``schemas/settings.defaults.yaml``): what any
# service's monitoring repo starts from. The content's defaults
# (``content.defaults``, a module's ``DEFAULTS``) go over them, and the
# settings file over both.
DEFAULTS: dict[str, Any] = load_packaged_yaml(DEFAULTS_PATH)

T = TypeVar("T")


class Named(Mapping[str, T]):
    """A read-only mapping whose values are also attributes
    (``cfg.thresholds.error_ratio``); an unknown name says which exist."""

    def __init__(self, what: str, items: Mapping[str, T]) -> None:
        self._what = what
        self._items = dict(items)

    def __getattr__(self, name: str) -> T:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._items[name]
        except KeyError:
            known = ", ".join(sorted(self._items)) or "none"
            raise AttributeError(f"no {self._what} '{name}' in the settings ({self._what}s: {known})") from None

    def __getitem__(self, name: str) -> T:
        return self._items[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Named({self._what!r}, {self._items!r})"


@dataclass(frozen=True)
class Content:
    """Where the engine finds the content: Python modules and packages."""

    dashboards: str
    rules: str
    defaults: str
    traffic: str
    log_fields: str  # a module whose mapping_types() gives the log fields' Elasticsearch types ("" none)


@dataclass(frozen=True)
class Threshold:
    """A warning and a critical level, and how long a breach lasts before an
    alert fires. The same numbers colour the panels (orange at ``warning``,
    red at ``critical``) and drive the alerts (an alert fires beyond
    ``critical`` for ``for_``). ``lower_is_worse``: the measure is bad when
    low (warning above critical); ``ratio``: a share, 0..1."""

    critical: float
    warning: float | None = None
    for_: str = "0s"
    lower_is_worse: bool = False
    ratio: bool = False

    def steps(self, lower_is_worse: bool | None = None) -> list[tuple[float | None, str]]:
        """Grafana threshold steps: base colour, then warning and critical,
        in ascending order of value."""
        if self.lower_is_worse if lower_is_worse is None else lower_is_worse:
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
    runbook_url: str = ""  # template: {alert}, {anchor}
    grafana_url: str = "http://localhost:3000"  # where an alert's dashboard_url points

    def runbook(self, alert: str) -> str | None:
        """The runbook URL of ``alert``, or None without a template."""
        if not self.runbook_url:
            return None
        return self.runbook_url.replace("{alert}", alert).replace("{anchor}", alert.lower())


@dataclass(frozen=True)
class Receiver:
    """Where an Alertmanager receiver sends: a Slack channel (with a message
    title) and, optionally, PagerDuty."""

    name: str
    channel: str | None = None
    title: str | None = None
    pagerduty: bool = False


@dataclass(frozen=True)
class AlertmanagerSettings:
    resolve_timeout: str
    group_by: tuple[str, ...]
    group_wait: str
    group_interval: str
    repeat_interval: str
    receiver: str  # the route tree's default receiver
    receivers: Mapping[str, Receiver]
    routes: tuple[Mapping[str, Any], ...]  # {receiver, matchers, continue}, in order
    inhibit_rules: tuple[Mapping[str, Any], ...]  # as Alertmanager writes them
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
    target: int | None = None  # a target's index in the panel's targets (rules on targets)


@dataclass(frozen=True)
class CheckSettings:
    series_budget: int
    timeout_seconds: float
    concurrency: int


@dataclass(frozen=True)
class Settings:
    content: Content
    datasource: Datasource
    logs: LogSettings
    traces: TraceSettings
    dashboards: DashboardDefaults
    selectors: Named[str]
    thresholds: Named[Threshold]
    slo: Slo
    alerts: AlertSettings
    alertmanager: AlertmanagerSettings
    grafana: Environment
    environments: Mapping[str, Environment]
    exclusions: tuple[Exclusion, ...]
    check: CheckSettings
    provisioning: fleet.Provisioning
    kubernetes: fleet.KubernetesSettings
    sources: Mapping[str, str] = field(default_factory=dict)  # metric -> the source that emits it
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
        _validator = compiled.end_anchored(jsonschema.Draft7Validator)(schema)
    return _validator


def _describe(error, source: str) -> str:
    """One line naming the file, the key and what is wrong with it; values
    and keys are clipped, never quoted whole."""
    path = ".".join(clip(str(p), 60) for p in error.absolute_path)
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        unexpected = sorted(str(k) for k in set(error.instance) - set(allowed))
        key = f"{path}.{clip(unexpected[0], 60)}" if path else clip(unexpected[0], 60)
        hint = f" (allowed: {', '.join(allowed)})" if allowed else ""
        return f"{source}: unknown key '{key}'{hint}"
    if error.validator == "required":
        return f"{source}: {path or 'top level'}: {error.message}"
    where = f"key '{path}'" if path else "top level"
    message = error.message
    if isinstance(error.instance, str) and ("://" in error.instance or "@" in error.instance) \
            and error.instance in message:
        # A URL-like value may hold a password or a token: shown redacted.
        message = message.replace(error.instance, redact_url(error.instance))
    return f"{source}: {where}: {clip(message)}"


def validate_raw(raw: Any, source: str) -> None:
    if not isinstance(raw, Mapping):
        raise SettingsError(f"{source}: expected a mapping of settings at the top level")
    try:
        check_plain(raw, source)
    except InputError as e:
        raise SettingsError(e.message) from None
    checks.printable(raw, source)
    if compiled.passes(SCHEMA_PATH, raw):  # fast, and no jsonschema import for settings that are fine
        return
    errors = sorted(_schema_validator().iter_errors(raw), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        raise SettingsError(_describe(errors[0], source))


def _threshold(d: Mapping[str, Any]) -> Threshold:
    return Threshold(critical=d["critical"], warning=d.get("warning"), for_=d.get("for", "0s"),
                     lower_is_worse=d.get("lower_is_worse", False), ratio=d.get("ratio", False))


def _folder(d: Mapping[str, Any]) -> Folder:
    return Folder(title=d["title"], uid=d["uid"])


_content_defaults: dict[str, dict[str, Any]] = {}


def content_defaults(module: str) -> dict[str, Any]:
    """The ``DEFAULTS`` of the content module ``module`` (validated once);
    none for an empty name."""
    if not module:
        return {}
    if module not in _content_defaults:
        raw = getattr(import_content(module, "content.defaults"), "DEFAULTS", None)
        source = f"content defaults ({module}.DEFAULTS)"
        if raw is None:
            raise SettingsError(f"content.defaults: module '{module}' has no DEFAULTS")
        validate_raw(raw, source)
        if "content" in raw:
            raise SettingsError(f"{source}: 'content' belongs in the settings file, not the content")
        _content_defaults[module] = copy.deepcopy(dict(raw))
    return _content_defaults[module]


def _alertmanager(am: Mapping[str, Any], source: str) -> AlertmanagerSettings:
    receivers = {name: Receiver(name, r.get("channel"), r.get("title"), r.get("pagerduty", False))
                 for name, r in am["receivers"].items()}
    for where, name in [("receiver", am["receiver"]),
                        *((f"routes[{i}].receiver", r["receiver"]) for i, r in enumerate(am["routes"]))]:
        if name not in receivers:
            raise SettingsError(f"{source}: key 'alertmanager.{where}': no receiver named '{name}' "
                                f"(receivers: {', '.join(receivers) or 'none'})")
    return AlertmanagerSettings(
        **{k: am[k] for k in ("resolve_timeout", "group_wait", "group_interval", "repeat_interval", "receiver")},
        group_by=tuple(am["group_by"]), receivers=receivers, routes=tuple(am["routes"]),
        inhibit_rules=tuple(am["inhibit_rules"]), secret_files=dict(am["secret_files"]))


def from_mapping(raw: Mapping[str, Any] | None = None, source: str = "defaults") -> Settings:
    """Validate ``raw`` (the YAML's content) and build Settings over the
    content's defaults and the engine's."""
    raw = {} if raw is None else raw
    validate_raw(raw, source)
    content = Content(**_merge(DEFAULTS["content"], raw.get("content") or {}))
    base = _merge(DEFAULTS, content_defaults(content.defaults))
    checks.known_keys(raw, base, source)
    merged = _merge(base, raw)
    g = merged["grafana"]
    top = Environment(name="default", url=g.get("url"), folder=_folder(g["folder"]), org_id=g["org_id"])
    envs = {}
    for name, e in merged["environments"].items():
        folder = _folder(_merge(g["folder"], e.get("folder", {})))
        envs[name] = Environment(name=name, url=e["url"], folder=folder, org_id=e.get("org_id", top.org_id))
    for key, t in merged["thresholds"].items():
        if "critical" not in t:
            raise SettingsError(f"{source}: key 'thresholds.{key}' needs a 'critical' value")
        checks.threshold(key, _threshold(t), source)
    checks.durations(merged, source)
    for name, matchers in merged["selectors"].items():
        checks.selector(name, matchers, source)
    checks.sources(raw, base["sources"], source)
    d = merged["dashboards"]
    return Settings(
        content=content,
        datasource=Datasource(**merged["datasource"]),
        logs=datasources.logs(merged["logs"], source),
        traces=datasources.traces(merged["traces"]),
        dashboards=DashboardDefaults(**{**d, "tags": tuple(d["tags"])}),
        selectors=Named("selector", merged["selectors"]),
        thresholds=Named("threshold", {k: _threshold(v) for k, v in merged["thresholds"].items()}),
        slo=Slo(**merged["slo"]),
        alerts=AlertSettings(interval=merged["alerts"]["interval"], teams=dict(merged["alerts"]["teams"]),
                             runbook_url=merged["alerts"]["runbook_url"],
                             grafana_url=(merged["alerts"]["grafana_url"] or g.get("url")
                                          or "http://localhost:3000").rstrip("/")),
        alertmanager=_alertmanager(merged["alertmanager"], source),
        grafana=top,
        environments=envs,
        exclusions=tuple(Exclusion(**e) for e in merged["validate"]["exclude"]),
        check=CheckSettings(**merged["check"]),
        provisioning=fleet.provisioning(merged["provisioning"]),
        kubernetes=fleet.kubernetes(merged["kubernetes"]),
        sources=dict(merged["sources"]),
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
    source = str(path)
    try:
        raw = load_yaml(read_text(Path(path), SETTINGS_LIMIT, "settings file"), source)
    except InputError as e:
        raise SettingsError(e.message) from None
    return from_mapping({} if raw is None else raw, source)
