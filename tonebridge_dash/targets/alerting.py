"""Grafana-managed alerting (``alerting.grafana``: the log alert rules, a
contact point per Alertmanager receiver, the policy tree) for the fleet
outputs, beside the dashboards and the datasources:

- ``provisioning``: ``alerting/tb-dash.yaml``, Grafana's alerting
  provisioning file; the secrets are ``$__env{...}`` references Grafana
  expands from its own environment;
- ``configmap``: that file in a ConfigMap with the Helm chart's alerts
  sidecar label (``kubernetes.alert_sidecar``);
- ``operator``: a ``GrafanaAlertRuleGroup`` per group (in the settings'
  folder, by uid), a ``GrafanaContactPoint`` per receiver, whose secrets
  come from the cluster's credentials Secret (``valuesFrom``, the keys
  ``rules --target prometheus-operator`` reads them from), and the
  ``GrafanaNotificationPolicy``.

Nothing is written when the content defines no log alerts.
"""

from __future__ import annotations

from typing import Sequence

from . import kubernetes as k8s
from .rules import credential_key
from ..alerting import grafana
from ..alerting.grafana import LogRuleGroup

FILENAME = "tb-dash.yaml"  # in <provisioning>/alerting/


def _resource(kind: tuple[str, str], object_name: str, cfg, where: str, **spec) -> dict:
    kc = cfg.kubernetes
    doc = k8s.manifest(kind, k8s.dns_name(object_name), kc.namespace, kc.labels_with({}), spec=k8s.operator_spec(cfg, **spec))
    k8s.require_valid(doc, f"{where}: {kind[1]} '{doc['metadata']['name']}'")
    return doc


def rule_group(g: LogRuleGroup, cfg) -> dict:
    return _resource(k8s.GRAFANA_ALERT_RULE_GROUP, f"alert-rules-{g.name}", cfg, f"log rule group '{g.name}'",
                     name=g.name, folderUID=cfg.grafana.folder.uid, interval=g.interval,
                     rules=[grafana.rule(a) for a in g.rules])


def contact_point(name: str, found: Sequence[grafana.Integration], cfg) -> dict:
    secret = cfg.kubernetes.credentials_secret_name
    receivers = [{"uid": i.uid, "type": i.type, "settings": dict(i.settings), "valuesFrom": [
        {"targetPath": i.secret_key,
         "valueFrom": {"secretKeyRef": {"name": secret, "key": credential_key(cfg, i.secret)}}}]}
        for i in found]
    return _resource(k8s.GRAFANA_CONTACT_POINT, f"contact-point-{name}", cfg, f"receiver '{name}'",
                     name=name, receivers=receivers)


def operator_resources(groups: Sequence[LogRuleGroup], cfg) -> list[dict]:
    if not groups:
        return []
    return [*(rule_group(g, cfg) for g in groups),
            *(contact_point(name, found, cfg) for name, found in grafana.integrations(cfg).items()),
            _resource(k8s.GRAFANA_NOTIFICATION_POLICY, "notification-policy", cfg, "the Alertmanager's routes",
                      route=grafana.policy_tree(cfg))]
