"""The settings of the datasources: Prometheus (``datasource``), the logs in
Elasticsearch (``logs``) and the traces in Jaeger (``traces``).

Kept apart from ``settings`` so that each module stays one idea; the
sections' keys and defaults are in ``schemas/settings.schema.json`` and
``schemas/settings.defaults.yaml`` like every other.

Where the audit logs are: the spec (§2.1) sends every log line of every
service through one Fluentd pipeline into one Elasticsearch cluster, and
§10.2 scans those same lines (``re.search(pattern, log_entry)``) for its
suspicious patterns; it names no separate audit stream or index. So
``logs.audit_index`` is empty by default: the audit queries read
``logs.index``. A deployment that routes audit lines elsewhere names that
index, and gets a second Elasticsearch datasource (``logs.audit_datasource``,
whose empty keys are derived from ``logs.datasource``), since a Grafana
Elasticsearch datasource reads one index pattern.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from ..errors import SettingsError


@dataclass(frozen=True)
class Datasource:
    """The Prometheus datasource the dashboards' datasource variable starts
    on; ``url``: where Grafana's server reaches Prometheus."""

    type: str
    uid: str
    name: str
    regex: str = ""
    url: str = ""


@dataclass(frozen=True)
class LinkedDatasource:
    """A datasource Grafana is provisioned with: uid, name and service URL."""

    uid: str
    name: str
    url: str


@dataclass(frozen=True)
class LogSettings:
    """The logs (§2, §3.1): the index pattern Fluentd writes, the time
    field, the Elasticsearch datasource; the audit logs' index and
    datasource (the same ones unless ``logs.audit_index`` says otherwise)."""

    index: str
    audit_index: str  # never empty: logs.index when the file leaves it empty
    time_field: str
    datasource: LinkedDatasource
    audit_datasource: LinkedDatasource  # the same as ``datasource`` when audit_index is index

    @property
    def audit_apart(self) -> bool:
        """Whether the audit logs have an index (and a datasource) of their own."""
        return self.audit_datasource.uid != self.datasource.uid


@dataclass(frozen=True)
class TraceSettings:
    """The traces (§5): OpenTelemetry to Jaeger."""

    datasource: LinkedDatasource


def _linked(raw: Mapping[str, Any]) -> LinkedDatasource:
    return LinkedDatasource(uid=raw["uid"], name=raw["name"], url=raw["url"])


def logs(raw: Mapping[str, Any], source: str = "defaults") -> LogSettings:
    """``logs`` of the merged settings; the audit datasource derived."""
    main = _linked(raw["datasource"])
    audit_index = raw["audit_index"] or raw["index"]
    if audit_index == raw["index"]:
        audit = main
    else:
        a = raw["audit_datasource"]
        audit = LinkedDatasource(uid=a["uid"] or f"{main.uid}-audit"[:40],
                                 name=a["name"] or f"{main.name} (audit)", url=a["url"] or main.url)
        if audit.uid == main.uid or audit.name == main.name:
            raise SettingsError(f"{source}: key 'logs.audit_datasource': the audit logs' index differs from "
                                "logs.index, so their datasource needs a uid and a name of its own")
    return LogSettings(index=raw["index"], audit_index=audit_index, time_field=raw["time_field"],
                       datasource=main, audit_datasource=audit)


def traces(raw: Mapping[str, Any]) -> TraceSettings:
    return TraceSettings(datasource=_linked(raw["datasource"]))
