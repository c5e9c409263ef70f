"""The settings of the fleet outputs: Grafana's file provisioning
(``provisioning``) and the Kubernetes manifests (``kubernetes``) that
``render --target`` and ``rules --target`` write.

Kept apart from ``settings`` so that each module stays one idea; the
section's keys and defaults are in ``schemas/settings.schema.json`` and
``schemas/settings.defaults.yaml`` like every other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping


@dataclass(frozen=True)
class Provisioning:
    """Where Grafana reads the provider file and the JSON (the directory
    ``render --target provisioning`` is copied to) and how often it looks."""

    path: str
    update_interval_seconds: int


@dataclass(frozen=True)
class Sidecar:
    """The Grafana Helm chart's dashboard sidecar: the label it watches for
    and the annotation that names a dashboard's folder."""

    label: str
    value: str
    folder_annotation: str


@dataclass(frozen=True)
class Label:
    """A label (and its value) a watcher looks for: the Helm chart's
    datasource and alerts sidecars copy the ConfigMaps carrying theirs."""

    label: str
    value: str


@dataclass(frozen=True)
class Operator:
    """grafana-operator: which Grafana instances take the dashboards, and
    how often it syncs them."""

    instance_selector: Mapping[str, str]  # matchLabels
    resync_period: str
    allow_cross_namespace_import: bool


@dataclass(frozen=True)
class KubernetesSettings:
    namespace: str
    labels: Mapping[str, str]  # on every manifest
    sidecar: Sidecar
    datasource_sidecar: Label
    alert_sidecar: Label
    operator: Operator
    rule_labels: Mapping[str, str]  # what the Prometheus' ruleSelector matches
    alertmanager_secret_name: str  # prometheus-operator reads alertmanager.yaml here
    credentials_secret_name: str  # mounted at /etc/alertmanager/secrets/<name>/

    def labels_with(self, more: Mapping[str, str]) -> dict[str, str]:
        return dict(sorted({**self.labels, **more}.items()))


def provisioning(raw: Mapping[str, Any]) -> Provisioning:
    return Provisioning(path=raw["path"].rstrip("/") or "/", update_interval_seconds=raw["update_interval_seconds"])


def kubernetes(raw: Mapping[str, Any]) -> KubernetesSettings:
    s, o, am = raw["sidecar"], raw["operator"], raw["alertmanager"]
    return KubernetesSettings(
        namespace=raw["namespace"],
        labels=dict(raw["labels"]),
        sidecar=Sidecar(label=s["label"], value=str(s["value"]), folder_annotation=s["folder_annotation"]),
        datasource_sidecar=Label(label=raw["datasource_sidecar"]["label"], value=str(raw["datasource_sidecar"]["value"])),
        alert_sidecar=Label(label=raw["alert_sidecar"]["label"], value=str(raw["alert_sidecar"]["value"])),
        operator=Operator(instance_selector=dict(o["instance_selector"]), resync_period=o["resync_period"],
                          allow_cross_namespace_import=o["allow_cross_namespace_import"]),
        rule_labels=dict(raw["rules"]["labels"]),
        alertmanager_secret_name=am["secret_name"],
        credentials_secret_name=am["credentials_secret_name"],
    )
