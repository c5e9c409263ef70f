"""Kubernetes manifests, checked as their consumers would check them.

Every manifest tb-dash writes for a cluster goes through ``problems`` first:

- the resource's published schema: Kubernetes' own for ConfigMap and Secret
  (``kubernetes-core-v1.json``, the definitions they need from the API
  server's OpenAPI document), the CRDs' OpenAPI v3 schemas for
  grafana-operator's ``GrafanaDashboard`` and prometheus-operator's
  ``PrometheusRule``, all vendored in ``schemas/kubernetes/`` (see the
  NOTICE there). Unknown fields are errors, as ``kubectl apply`` (strict
  field validation) makes them;
- what the API server checks beyond the schema: a name that is a DNS-1123
  subdomain, a namespace that is a DNS-1123 label, label and annotation keys
  and values, ConfigMap and Secret keys, the CRDs' validation rules that do
  not compare with an older object, unique rule group names;
- sizes: at most 1 MiB of ConfigMap or Secret data, 256 KiB of annotations
  and 1.5 MiB for the whole object (etcd's default request limit).

Grafana's own ``dashboard.grafana.app`` resources have no published CRD: their
envelope is checked here (apiVersion, kind, metadata, the folder
annotation); the layer that knows dashboards checks their ``spec``.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import yaml

from ..compiled import end_anchored
from ..errors import TbDashError, clip
from ..model import UID_RE

SCHEMA_DIR = Path(__file__).parent.parent / "schemas" / "kubernetes"

MAX_OBJECT_BYTES = 1_572_864  # etcd's default --max-request-bytes: 1.5 MiB
MAX_DATA_BYTES = 1_048_576  # a ConfigMap's or Secret's data: 1 MiB
MAX_ANNOTATION_BYTES = 262_144  # all annotations of an object: 256 KiB

# Used with fullmatch (and ending in \Z): $ also matches before a final newline.
DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")
_NAME_PART = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\Z")
_DATA_KEY = re.compile(r"[-._a-zA-Z0-9]+\Z")

CONFIGMAP = ("v1", "ConfigMap")
SECRET = ("v1", "Secret")
GRAFANA_DASHBOARD = ("grafana.integreatly.org/v1beta1", "GrafanaDashboard")
# grafana-operator's generic resource: what carries a v2 dashboard (its
# GrafanaDashboard takes the classic model only).
GRAFANA_MANIFEST = ("grafana.integreatly.org/v1beta1", "GrafanaManifest")
GRAFANA_DATASOURCE = ("grafana.integreatly.org/v1beta1", "GrafanaDatasource")
GRAFANA_ALERT_RULE_GROUP = ("grafana.integreatly.org/v1beta1", "GrafanaAlertRuleGroup")
GRAFANA_CONTACT_POINT = ("grafana.integreatly.org/v1beta1", "GrafanaContactPoint")
GRAFANA_NOTIFICATION_POLICY = ("grafana.integreatly.org/v1beta1", "GrafanaNotificationPolicy")
PROMETHEUS_RULE = ("monitoring.coreos.com/v1", "PrometheusRule")
DASHBOARD_RESOURCE = ("dashboard.grafana.app/v1beta1", "Dashboard")
# The classic model as a resource, and the v2 ones (their spec is checked
# against Grafana's v2 schema by the layer that knows dashboards).
DASHBOARD_RESOURCES = (DASHBOARD_RESOURCE, ("dashboard.grafana.app/v2beta1", "Dashboard"),
                       ("dashboard.grafana.app/v2", "Dashboard"))
FOLDER_ANNOTATION = "grafana.app/folder"  # Grafana's own: the folder uid of a dashboard resource
_CRDS = {GRAFANA_DASHBOARD: "grafana.integreatly.org_grafanadashboards.yaml",
         GRAFANA_MANIFEST: "grafana.integreatly.org_grafanamanifests.yaml",
         GRAFANA_DATASOURCE: "grafana.integreatly.org_grafanadatasources.yaml",
         GRAFANA_ALERT_RULE_GROUP: "grafana.integreatly.org_grafanaalertrulegroups.yaml",
         GRAFANA_CONTACT_POINT: "grafana.integreatly.org_grafanacontactpoints.yaml",
         GRAFANA_NOTIFICATION_POLICY: "grafana.integreatly.org_grafananotificationpolicies.yaml",
         PROMETHEUS_RULE: "monitoring.coreos.com_prometheusrules.yaml"}
_CORE = {CONFIGMAP: "io.k8s.api.core.v1.ConfigMap", SECRET: "io.k8s.api.core.v1.Secret"}
_OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"


class ManifestError(TbDashError):
    """A manifest its consumer would refuse (schema, name, size)."""


def dns1123_subdomain_problem(name: Any, what: str = "name") -> str | None:
    if not isinstance(name, str) or not name:
        return f"{what} is missing"
    if len(name) > 253 or not DNS1123_SUBDOMAIN.fullmatch(name):
        return (f"{what} '{clip(name, 80)}' is not a DNS-1123 subdomain (at most 253 characters of "
                "a-z, 0-9, '-' and '.', starting and ending with a letter or digit)")
    return None


def dns_name(text: str, limit: int = 253) -> str:
    """``text`` as a DNS-1123 subdomain: lower case, every other character a
    '-', no '-' or '.' at either end; empty when nothing is left."""
    name = re.sub(r"[^a-z0-9.-]+", "-", text.lower())
    name = re.sub(r"\.{2,}", ".", name)[:limit]
    return name.strip("-.")


def _qualified_name_problem(key: Any, what: str) -> str | None:
    if not isinstance(key, str):
        return f"{what} {key!r} is not a string"
    prefix, slash, name = key.rpartition("/")
    if slash and (not prefix or dns1123_subdomain_problem(prefix) or "/" in prefix):
        return f"{what} '{clip(key, 80)}': the prefix before '/' must be a DNS-1123 subdomain"
    if not name or len(name) > 63 or not _NAME_PART.fullmatch(name):
        return (f"{what} '{clip(key, 80)}': the name must be 1-63 characters of letters, digits, "
                "'-', '_' and '.', starting and ending with a letter or digit")
    return None


def _metadata_problems(meta: Mapping[str, Any]) -> list[str]:
    out = []
    problem = dns1123_subdomain_problem(meta.get("name"), "metadata.name")
    if problem:
        out.append(problem)
    ns = meta.get("namespace")
    if ns is not None and (not isinstance(ns, str) or len(ns) > 63 or not DNS1123_LABEL.fullmatch(ns)):
        out.append(f"metadata.namespace '{clip(str(ns), 80)}' is not a DNS-1123 label")
    for key, value in (meta.get("labels") or {}).items():
        problem = _qualified_name_problem(key, "label key")
        if problem:
            out.append(problem)
        if not isinstance(value, str) or (value and (len(value) > 63 or not _NAME_PART.fullmatch(value))):
            out.append(f"label '{key}': value {clip(repr(value), 80)} is not a valid label value "
                       "(at most 63 characters of letters, digits, '-', '_' and '.')")
    annotations = meta.get("annotations") or {}
    for key in annotations:
        problem = _qualified_name_problem(key.lower() if isinstance(key, str) else key, "annotation key")
        if problem:
            out.append(problem)
    size = sum(len(str(k).encode()) + len(str(v).encode()) for k, v in annotations.items())
    if size > MAX_ANNOTATION_BYTES:
        out.append(f"metadata.annotations: {size} bytes, over the API server's limit of {MAX_ANNOTATION_BYTES}")
    return out


def _strict(schema: Any) -> Any:
    """``schema`` with unknown fields refused wherever it lists the fields
    (and does not keep unknown ones), as strict field validation does."""
    if isinstance(schema, dict):
        out = {k: _strict(v) for k, v in schema.items()}
        if "properties" in out and "additionalProperties" not in out \
                and not out.get("x-kubernetes-preserve-unknown-fields"):
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [_strict(v) for v in schema]
    return schema


def _is_base64(value: Any) -> bool:
    if not isinstance(value, str):
        return True
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


@lru_cache(maxsize=None)
def _core_definitions() -> dict:
    return json.loads((SCHEMA_DIR / "kubernetes-core-v1.json").read_text(encoding="utf-8"))["definitions"]


@lru_cache(maxsize=None)
def _validator(kind: tuple[str, str]):
    """One validator per kind, built once: Kubernetes' definition of a core
    kind, or the served version's schema of a CRD."""
    import jsonschema

    if kind in _CRDS:
        crd = yaml.safe_load((SCHEMA_DIR / _CRDS[kind]).read_text(encoding="utf-8"))
        version = kind[0].rpartition("/")[2]
        schema = next(v["schema"]["openAPIV3Schema"] for v in crd["spec"]["versions"] if v["name"] == version)
        schema = copy.deepcopy(schema)
        # The CRD's metadata is just "an object": the API server checks it as ObjectMeta.
        schema["properties"]["metadata"] = {"$ref": f"#/definitions/{_OBJECT_META}"}
    else:
        schema = {"$ref": f"#/definitions/{_CORE[kind]}"}
    schema["definitions"] = _core_definitions()
    checker = jsonschema.FormatChecker(formats=())
    checker.checks("byte")(_is_base64)
    return end_anchored(jsonschema.Draft7Validator)(_strict(schema), format_checker=checker)


def _path(error) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path).lstrip(".") or "top level"


def _operator_rules(doc: Mapping[str, Any]) -> list[str]:
    """The CRDs' validation rules (x-kubernetes-validations) that look at
    the object alone, and their list-map keys."""
    spec = doc.get("spec") or {}
    out = []
    kind = (doc.get("apiVersion"), doc.get("kind"))
    if kind == GRAFANA_DASHBOARD:
        if "folderUID" in spec and "folderRef" in spec:
            out.append("spec: Only one of folderUID or folderRef can be declared at the same time")
        if "folder" in spec and ("folderUID" in spec or "folderRef" in spec):
            out.append("spec: folder field cannot be set when folderUID or folderRef is already declared")
        sources = [k for k in ("json", "gzipJson", "url", "grafanaCom", "configMapRef", "jsonnet", "jsonnetLib", "oci")
                   if k in spec]
        if len(sources) != 1:
            out.append(f"spec: exactly one source of the model is needed (found {', '.join(sources) or 'none'})")
    if kind == GRAFANA_ALERT_RULE_GROUP and ("folderUID" in spec) == ("folderRef" in spec):
        out.append("spec: exactly one of folderUID or folderRef is needed")
    if kind == GRAFANA_NOTIFICATION_POLICY:
        route = spec.get("route") or {}
        out += [f"spec.route: {key} is invalid on the top level route node" for key in
                ("continue", "match_re", "matchers", "object_matchers", "mute_time_intervals", "active_time_intervals")
                if isinstance(route, dict) and key in route]
    if kind == PROMETHEUS_RULE:
        names = [g.get("name") for g in spec.get("groups") or [] if isinstance(g, dict)]
        dupes = sorted({n for n in names if names.count(n) > 1}, key=str)
        if dupes:
            out.append(f"spec.groups: group name '{dupes[0]}' is used twice (a list keyed by name)")
    return out


def _data_problems(doc: Mapping[str, Any], kind: tuple[str, str]) -> list[str]:
    out = []
    total = 0
    for field in ("data", "binaryData", "stringData"):
        for key, value in (doc.get(field) or {}).items():
            if not isinstance(key, str) or len(key) > 253 or not _DATA_KEY.fullmatch(key) or key in (".", ".."):
                out.append(f"{field}: key {clip(repr(key), 80)} is not valid "
                           "(letters, digits, '-', '_' and '.', at most 253)")
            if isinstance(value, str):
                raw = value.encode("utf-8")
                if field == "binaryData" or (kind == SECRET and field == "data"):
                    try:
                        raw = base64.b64decode(value, validate=True)
                    except (binascii.Error, ValueError):
                        pass  # the schema's format check says so
                total += len(raw)
    if total > MAX_DATA_BYTES:
        out.append(f"data: {total} bytes, over the {MAX_DATA_BYTES}-byte (1 MiB) limit of a {kind[1]}")
    return out


def problems(doc: Any) -> list[str]:
    """Everything the consumers would refuse in ``doc``: schema, names and
    sizes (see the module's docstring). An empty list when it is fit to apply."""
    if not isinstance(doc, dict):
        return ["a manifest must be a mapping"]
    kind = (doc.get("apiVersion"), doc.get("kind"))
    known = (*_CORE, *_CRDS, *DASHBOARD_RESOURCES)
    if kind not in known:
        return [f"unknown kind {kind[1]!r} of apiVersion {kind[0]!r} "
                f"(known: {', '.join(f'{a} {k}' for a, k in known)})"]
    meta = doc.get("metadata")
    if not isinstance(meta, dict):
        return ["metadata is missing"]
    if kind in DASHBOARD_RESOURCES:
        out = _resource_envelope(doc)
    else:
        out = [f"{_path(e)}: {clip(e.message)}"
               for e in sorted(_validator(kind).iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))]
    out += _metadata_problems(meta)
    if kind == GRAFANA_MANIFEST:
        out += _manifest_template(doc)
    if kind in _CORE:
        out += _data_problems(doc, kind)
    out += _operator_rules(doc)
    size = len(json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    if size > MAX_OBJECT_BYTES:
        out.append(f"the object is {size} bytes, over the {MAX_OBJECT_BYTES}-byte (1.5 MiB) limit of a request")
    return out


def _resource_envelope(doc: Mapping[str, Any]) -> list[str]:
    """A ``dashboard.grafana.app`` resource as Grafana reads it: its
    metadata as ObjectMeta, the dashboard uid as its name, a folder
    annotation, a spec that is an object (the classic model)."""
    import jsonschema

    out = []
    extra = sorted(set(doc) - {"apiVersion", "kind", "metadata", "spec"})
    if extra:
        out.append(f"unknown field '{extra[0]}' (a Dashboard has apiVersion, kind, metadata and spec)")
    meta_schema = _strict({"$ref": f"#/definitions/{_OBJECT_META}", "definitions": _core_definitions()})
    out += [f"metadata.{_path(e)}: {clip(e.message)}" for e in end_anchored(jsonschema.Draft7Validator)(meta_schema)
            .iter_errors(doc["metadata"])]
    name = doc["metadata"].get("name")
    if isinstance(name, str) and not UID_RE.fullmatch(name):
        out.append(f"metadata.name '{clip(name, 80)}' is not a dashboard uid (at most 40 characters)")
    folder = (doc["metadata"].get("annotations") or {}).get(FOLDER_ANNOTATION)
    if folder is not None and (not isinstance(folder, str) or not UID_RE.fullmatch(folder)):
        out.append(f"annotation {FOLDER_ANNOTATION}: {clip(repr(folder), 80)} is not a folder uid")
    spec = doc.get("spec")
    if not isinstance(spec, dict):
        out.append("spec must be the dashboard's JSON model (an object)")
    elif spec.get("uid") not in (None, name):
        out.append(f"spec.uid '{clip(str(spec.get('uid')), 80)}' differs from metadata.name")
    return out


def _manifest_template(doc: Mapping[str, Any]) -> list[str]:
    """A ``GrafanaManifest``'s template: the resource the operator applies
    to Grafana, checked as that resource is."""
    template = (doc.get("spec") or {}).get("template")
    if not isinstance(template, dict):
        return []
    kind = (template.get("apiVersion"), template.get("kind"))
    if kind not in DASHBOARD_RESOURCES:
        return [f"spec.template: {kind[1]!r} of {kind[0]!r} is not a dashboard resource tb-dash writes"]
    return [f"spec.template: {p}" for p in _resource_envelope(template)]


def require_valid(doc: Any, where: str, more: Callable[[Any], list[str]] | None = None) -> None:
    """Raise ``ManifestError`` naming ``where`` and the first problem (and
    how many more) of ``problems(doc)`` plus ``more(doc)``."""
    found = problems(doc) + (more(doc) if more else [])
    if found:
        extra = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise ManifestError(f"{where}: {found[0]}{extra}")


def check_unique_names(docs: Sequence[tuple[str, dict]], what: str) -> None:
    """Two sources (``(source, manifest)``) that become one object would
    overwrite each other in the cluster: refused, naming both."""
    seen: dict[str, str] = {}
    for source, doc in docs:
        name = doc["metadata"]["name"]
        if name in seen:
            raise ManifestError(f"{what} '{seen[name]}' and '{source}' both become {doc['kind']} '{name}'")
        seen[name] = source


def manifest(kind: tuple[str, str], name: str, namespace: str | None, labels: Mapping[str, str],
             annotations: Mapping[str, str] | None = None, **body: Any) -> dict:
    """A manifest's mapping, its keys in the order people read them."""
    meta: dict[str, Any] = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    if labels:
        meta["labels"] = dict(labels)
    if annotations:
        meta["annotations"] = dict(annotations)
    return {"apiVersion": kind[0], "kind": kind[1], "metadata": meta, **body}


def operator_spec(cfg, **more: Any) -> dict:
    """The spec every grafana-operator resource starts with: which Grafana
    instances take it (``kubernetes.operator``), how often it is synced, and
    ``more``."""
    op = cfg.kubernetes.operator
    spec: dict = {"instanceSelector": {"matchLabels": dict(op.instance_selector)}, "resyncPeriod": op.resync_period,
                  **more}
    if op.allow_cross_namespace_import:
        spec["allowCrossNamespaceImport"] = True
    return spec
