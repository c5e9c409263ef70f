"""The datasources the dashboards and the log alerts read, as Grafana is
provisioned with them: Prometheus (``datasource``), Elasticsearch (``logs``;
a second one when the audit logs have an index of their own) and Jaeger
(``traces``), their uids, names and URLs from the settings.

- Prometheus links an exemplar's ``trace_id`` label to Jaeger
  (``jsonData.exemplarTraceIdDestinations``), so a latency panel's
  exemplar opens its trace;
- Elasticsearch reads the settings' index pattern and time field, shows
  ``message`` as a log line's text and ``level`` as its level (§3.1), and
  links a line's ``trace_id`` field to Jaeger (``jsonData.dataLinks``);
- Jaeger links a trace back to its log lines (``tracesToLogsV2``: the
  Elasticsearch datasource, the lines whose ``trace_id`` keyword is the
  trace's id, matched exactly).

Grafana expands ``$NAME`` and ``${NAME}`` from its environment in every
string of a provisioning file (``$$`` is a literal ``$``): a file written for
Grafana's provisioning directory (``provisioning``, the sidecar's ConfigMap)
doubles the ``$`` of the links' ``${__value.raw}``. grafana-operator replaces
only the variables its ``valuesFrom`` names, so its resources keep one.
"""

from __future__ import annotations

from typing import Any

from . import kubernetes as k8s

FILENAME = "tb-dash.yaml"  # in <provisioning>/datasources/, and the ConfigMap's key
TRACE_ID = "trace_id"  # §3.1 and §5: the field of a log line, the label of an exemplar
VALUE = "${__value.raw}"  # a data link's placeholder for the field's value
TRACE = "${__trace.traceId}"  # a trace-to-logs query's placeholder for the trace id


def _escaped(value: Any) -> Any:
    """``value`` with every ``$`` doubled, as Grafana's provisioning reads it back."""
    if isinstance(value, str):
        return value.replace("$", "$$")
    if isinstance(value, dict):
        return {k: _escaped(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_escaped(v) for v in value]
    return value


def _entry(ds_type: str, ds, org_id: int, json_data: dict) -> dict:
    """Never the default datasource: the dashboards name theirs by uid, and a
    second default (the Helm chart's own Prometheus) would stop Grafana's start."""
    return {"name": ds.name, "type": ds_type, "uid": ds.uid, "orgId": org_id, "access": "proxy", "url": ds.url,
            "isDefault": False, "editable": False, "jsonData": json_data}


def _elasticsearch(ds, index: str, cfg) -> dict:
    jaeger = cfg.traces.datasource
    return _entry("elasticsearch", ds, cfg.grafana.org_id, {
        "index": index,
        "timeField": cfg.logs.time_field,
        "logMessageField": "message",
        "logLevelField": "level",
        "dataLinks": [{"field": TRACE_ID, "datasourceUid": jaeger.uid, "url": VALUE, "urlDisplayLabel": "Trace"}],
    })


def datasources(cfg) -> list[dict]:
    """Grafana's model of each datasource (``datasources:`` of a provisioning
    file), as the settings describe them; ``$`` not yet escaped."""
    prom, logs, jaeger = cfg.datasource, cfg.logs, cfg.traces.datasource
    out = [_entry("prometheus", prom, cfg.grafana.org_id, {
        "httpMethod": "POST",
        "exemplarTraceIdDestinations": [{"name": TRACE_ID, "datasourceUid": jaeger.uid}],
    }), _elasticsearch(logs.datasource, logs.index, cfg)]
    if logs.audit_apart:
        out.append(_elasticsearch(logs.audit_datasource, logs.audit_index, cfg))
    out.append(_entry("jaeger", jaeger, cfg.grafana.org_id, {
        "tracesToLogsV2": {"datasourceUid": logs.datasource.uid, "customQuery": True,
                           "query": f'{TRACE_ID}.keyword:"{TRACE}"'},
    }))
    return out


def provisioning_file(cfg) -> dict:
    """``datasources/tb-dash.yaml``: Grafana's datasource provisioning file
    (``apiVersion: 1``), ``$`` escaped for its expansion."""
    return {"apiVersion": 1, "datasources": _escaped(datasources(cfg))}


def grafana_datasource(ds: dict, cfg) -> dict:
    """One grafana-operator ``GrafanaDatasource``: the model under
    ``spec.datasource``, named after its uid."""
    kc = cfg.kubernetes
    name = k8s.dns_name(f"datasource-{ds['uid']}")
    doc = k8s.manifest(k8s.GRAFANA_DATASOURCE, name, kc.namespace, kc.labels_with({}),
                       spec=k8s.operator_spec(cfg, uid=ds["uid"], datasource=ds))
    k8s.require_valid(doc, f"datasource '{ds['uid']}': GrafanaDatasource '{name}'")
    return doc


def operator_resources(cfg) -> list[dict]:
    return [grafana_datasource(ds, cfg) for ds in datasources(cfg)]
