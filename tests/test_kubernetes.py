"""Fleet outputs: every manifest of every target checked against the
published schema of its consumer (the vendored CRDs' OpenAPI v3 schemas and
Kubernetes' own definitions, read here without the engine's validator),
DNS-1123 names and the API server's size limits; the provisioning layout;
PrometheusRule groups equal to the rule files'; the Alertmanager Secret
holds a credential only when it came from the environment."""

from __future__ import annotations

import base64
import gzip
import json
import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

from tonebridge_dash.targets import kubernetes as k8s
from tonebridge_dash.targets import rules as alerting_k8s
from tonebridge_dash.alerting.rules import build_all as build_rules, encode as encode_rule_file
from tonebridge_dash.targets import dashboards as targets
from tonebridge_dash.dashboard.schema import validate_dashboard
from tonebridge_dash.model import Rendered
from tonebridge_dash.settings import from_mapping

SCHEMAS = Path(k8s.__file__).parent.parent / "schemas" / "kubernetes"
DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def _crd_schema(filename: str, version: str) -> dict:
    crd = yaml.safe_load((SCHEMAS / filename).read_text(encoding="utf-8"))
    return next(v["schema"]["openAPIV3Schema"] for v in crd["spec"]["versions"] if v["name"] == version)


def _closed(schema):
    """Unknown fields refused, as kubectl's strict field validation does."""
    if isinstance(schema, dict):
        out = {k: _closed(v) for k, v in schema.items()}
        if "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    return [_closed(v) for v in schema] if isinstance(schema, list) else schema


CORE = json.loads((SCHEMAS / "kubernetes-core-v1.json").read_text(encoding="utf-8"))["definitions"]
PUBLISHED = {
    ("v1", "ConfigMap"): {"$ref": "#/definitions/io.k8s.api.core.v1.ConfigMap", "definitions": CORE},
    ("v1", "Secret"): {"$ref": "#/definitions/io.k8s.api.core.v1.Secret", "definitions": CORE},
    ("grafana.integreatly.org/v1beta1", "GrafanaDashboard"):
        _crd_schema("grafana.integreatly.org_grafanadashboards.yaml", "v1beta1"),
    ("monitoring.coreos.com/v1", "PrometheusRule"):
        _crd_schema("monitoring.coreos.com_prometheusrules.yaml", "v1"),
}
META = {"$ref": "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", "definitions": CORE}


def published_errors(doc: dict) -> list[str]:
    """What the resource's published schema says of ``doc``."""
    schema = _closed(PUBLISHED[(doc["apiVersion"], doc["kind"])])
    errors = [e.message for e in jsonschema.Draft7Validator(schema).iter_errors(doc)]
    errors += [e.message for e in jsonschema.Draft7Validator(_closed(META)).iter_errors(doc["metadata"])]
    return errors


def check_manifest(doc: dict) -> None:
    assert DNS1123.match(doc["metadata"]["name"]) and len(doc["metadata"]["name"]) <= 253
    if "namespace" in doc["metadata"]:
        assert re.match(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", doc["metadata"]["namespace"])
    if doc["apiVersion"] == "dashboard.grafana.app/v1beta1":
        assert doc["kind"] == "Dashboard" and set(doc) == {"apiVersion", "kind", "metadata", "spec"}
        assert not list(jsonschema.Draft7Validator(_closed(META)).iter_errors(doc["metadata"]))
        assert doc["metadata"]["name"] == doc["spec"]["uid"]
        assert re.match(r"^[a-zA-Z0-9_-]{1,40}$", doc["metadata"]["annotations"]["grafana.app/folder"])
        assert validate_dashboard(doc["spec"]) == []
    else:
        assert published_errors(doc) == []
    assert len(json.dumps(doc).encode()) <= 1_572_864
    assert k8s.problems(doc) == []


@pytest.fixture(scope="module")
def dashboards(rendered):
    return sorted(rendered.values(), key=lambda r: r.uid)


def _written(tmp_path: Path, target: str, rendered, cfg) -> list[dict]:
    """The dashboards' manifests ``target`` wrote (the datasources' and the
    alerting's are test_grafana_provisioning's)."""
    out = tmp_path / target
    done = targets.write(target, rendered, cfg, out)
    names = [f"{targets.k8s.dns_name(r.uid)}.yaml" for r in rendered]
    assert set(names) <= set(done.status)
    return [yaml.safe_load((out / name).read_text(encoding="utf-8")) for name in names]


@pytest.mark.parametrize("target", ["configmap", "operator", "resource"])
def test_every_dashboard_manifest_matches_its_published_schema(tmp_path, cfg, dashboards, target):
    docs = _written(tmp_path, target, dashboards, cfg)
    assert len(docs) == len(dashboards)
    for doc in docs:
        check_manifest(doc)


def test_configmap_is_labelled_for_the_sidecar_with_the_folder_annotation(tmp_path, cfg, dashboards):
    for r, doc in zip(dashboards, _written(tmp_path, "configmap", dashboards, cfg)):
        assert doc["metadata"]["labels"] == {"grafana_dashboard": "1"}
        assert doc["metadata"]["annotations"] == {"grafana_folder": cfg.grafana.folder.title}
        assert doc["metadata"]["namespace"] == "monitoring"
        assert json.loads(doc["data"][f"{r.uid}.json"]) == r.data


def test_operator_dashboard_has_selector_folder_resync_and_stable_uid(tmp_path, cfg, dashboards):
    for r, doc in zip(dashboards, _written(tmp_path, "operator", dashboards, cfg)):
        spec = doc["spec"]
        assert spec["instanceSelector"] == {"matchLabels": {}}
        assert spec["folder"] == cfg.grafana.folder.title
        assert spec["resyncPeriod"] == "10m" and spec["uid"] == r.uid
        assert json.loads(spec["json"]) == r.data


def test_a_large_dashboard_goes_to_the_operator_compressed_and_is_refused_as_a_configmap(cfg, dashboards):
    big = dict(dashboards[0].data, description="x" * 1_100_000)
    r = Rendered.of(big, "big")
    doc = targets.grafana_dashboard(r, cfg)
    assert "json" not in doc["spec"]
    assert json.loads(gzip.decompress(base64.b64decode(doc["spec"]["gzipJson"]))) == big
    check_manifest(doc)
    with pytest.raises(k8s.ManifestError, match=r"over the 1 MiB a ConfigMap holds.*--target operator"):
        targets.configmap(r, cfg)


def test_resource_is_grafanas_dashboard_with_the_uid_as_name(tmp_path, cfg, dashboards):
    for r, doc in zip(dashboards, _written(tmp_path, "resource", dashboards, cfg)):
        assert doc["metadata"] == {"name": r.uid, "annotations": {"grafana.app/folder": cfg.grafana.folder.uid}}
        assert doc["spec"] == {k: v for k, v in r.data.items() if k not in ("id", "version")}


def test_provisioning_writes_the_provider_and_the_json_in_its_folder(tmp_path, cfg, dashboards):
    targets.write("provisioning", dashboards, cfg, tmp_path)
    folder = cfg.grafana.folder
    tmp_path = tmp_path / "dashboards"  # Grafana's provisioning/dashboards
    provider = yaml.safe_load((tmp_path / f"{folder.uid}.yaml").read_text())
    assert provider["apiVersion"] == 1
    [p] = provider["providers"]
    assert p["type"] == "file" and p["allowUiUpdates"] is False and p["folder"] == folder.title
    assert p["folderUid"] == folder.uid
    assert p["options"]["path"] == f"/etc/grafana/provisioning/dashboards/{folder.uid}"
    for r in dashboards:
        assert json.loads((tmp_path / folder.uid / r.filename).read_text()) == r.data


def test_a_uid_that_is_no_dns_name_is_refused_for_a_resource(cfg, dashboards):
    r = Rendered.of(dict(dashboards[0].data, uid="My_Dash"), "m")
    with pytest.raises(k8s.ManifestError, match=r"'My_Dash'.*DNS-1123 subdomain"):
        targets.dashboard_resource(r, cfg)
    assert targets.configmap(r, cfg)["metadata"]["name"] == "my-dash"


def test_two_dashboards_with_one_object_name_are_refused(cfg, dashboards):
    a = Rendered.of(dict(dashboards[0].data, uid="a_b"), "a")
    b = Rendered.of(dict(dashboards[0].data, uid="a-b"), "b")
    with pytest.raises(k8s.ManifestError, match="both become ConfigMap 'a-b'"):
        targets.files("configmap", [a, b], cfg)


def test_settings_set_namespace_labels_and_selectors(tmp_path, dashboards):
    cfg = from_mapping({"kubernetes": {
        "namespace": "grafana", "labels": {"app.kubernetes.io/part-of": "monitoring"},
        "sidecar": {"label": "dash", "value": "yes", "folder_annotation": "k8s-sidecar-target-directory"},
        "operator": {"instance_selector": {"team": "a"}, "resync_period": "1h30m",
                     "allow_cross_namespace_import": True},
        "rules": {"labels": {"release": "prometheus"}}}})
    cm = targets.configmap(dashboards[0], cfg)
    assert cm["metadata"]["labels"] == {"app.kubernetes.io/part-of": "monitoring", "dash": "yes"}
    assert "k8s-sidecar-target-directory" in cm["metadata"]["annotations"]
    op = targets.grafana_dashboard(dashboards[0], cfg)
    assert op["metadata"]["namespace"] == "grafana"
    assert op["spec"]["instanceSelector"]["matchLabels"] == {"team": "a"}
    assert op["spec"]["allowCrossNamespaceImport"] is True and op["spec"]["resyncPeriod"] == "1h30m"
    check_manifest(cm)
    check_manifest(op)
    files, _ = alerting_k8s.files(build_rules(cfg), cfg, {})
    rule = yaml.safe_load(files[0][1])
    assert rule["metadata"]["labels"] == {"app.kubernetes.io/part-of": "monitoring", "release": "prometheus"}


@pytest.mark.parametrize("bad, key", [
    ({"namespace": "Monitoring"}, "kubernetes.namespace"),
    ({"labels": {"bad key": "x"}}, "kubernetes.labels"),
    ({"operator": {"resync_period": "ten minutes"}}, "kubernetes.operator.resync_period"),
    ({"alertmanager": {"secret_name": "-x"}}, "kubernetes.alertmanager.secret_name"),
])
def test_settings_refuse_what_kubernetes_would(bad, key):
    from tonebridge_dash.errors import SettingsError

    with pytest.raises(SettingsError, match=re.escape(key)):
        from_mapping({"kubernetes": bad}, "t.yaml")


def test_prometheus_rules_have_the_same_groups_as_the_rule_files(cfg):
    rule_files = build_rules(cfg)
    files, inline = alerting_k8s.files(rule_files, cfg, {})
    assert inline == []
    docs = [yaml.safe_load(content) for _, content, _ in files]
    for f, doc in zip(rule_files, docs):
        check_manifest(doc)
        assert doc["kind"] == "PrometheusRule" and doc["metadata"]["namespace"] == "monitoring"
        assert doc["spec"] == yaml.safe_load(encode_rule_file(f))
    check_manifest(docs[-1])


def test_the_alertmanager_secret_refers_to_the_cluster_secret_without_the_environment(cfg):
    files, _ = alerting_k8s.files(build_rules(cfg), cfg, {})
    name, content, mode = files[-1]
    doc = yaml.safe_load(content)
    assert (doc["kind"], name, mode) == ("Secret", "secret-alertmanager-main.yaml", 0o644)
    config = yaml.safe_load(doc["stringData"]["alertmanager.yaml"])
    assert config["global"]["slack_api_url_file"] == \
        "/etc/alertmanager/secrets/alertmanager-credentials/slack-webhook-url"
    assert "slack_api_url" not in config["global"]


def test_the_alertmanager_secret_holds_credentials_only_from_the_environment(tmp_path, cfg):
    env = {"SLACK_WEBHOOK_URL": "https://hooks.slack.example/T0/B0/secretvalue",
           "PAGERDUTY_SERVICE_KEY_FILE": "/run/secrets/pd"}
    files, inline = alerting_k8s.files(build_rules(cfg), cfg, env)
    assert inline == ["SLACK_WEBHOOK_URL"]
    name, content, mode = files[-1]
    assert mode == 0o600 and b"never commit it" in content
    config = yaml.safe_load(yaml.safe_load(content)["stringData"]["alertmanager.yaml"])
    assert config["global"]["slack_api_url"] == env["SLACK_WEBHOOK_URL"]
    from tonebridge_dash.files.write import write_all

    [path] = write_all(tmp_path, [files[-1]])
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_problems_name_what_the_api_server_refuses():
    cm = k8s.manifest(k8s.CONFIGMAP, "Bad_Name", "ns", {"a": "b" * 64}, data={"x y": "1"})
    found = " | ".join(k8s.problems(cm))
    assert "DNS-1123 subdomain" in found and "label 'a'" in found and "key 'x y'" in found
    cm = k8s.manifest(k8s.CONFIGMAP, "big", "ns", {}, data={"a.json": "x" * (k8s.MAX_DATA_BYTES + 1)})
    assert any("1 MiB" in p for p in k8s.problems(cm))
    gd = k8s.manifest(k8s.GRAFANA_DASHBOARD, "d", "ns", {}, spec={
        "instanceSelector": {}, "json": "{}", "folder": "F", "folderUID": "f", "resyncPeriod": "often"})
    found = " | ".join(k8s.problems(gd))
    assert "folder field cannot be set" in found and "resyncPeriod" in found
    assert k8s.problems(k8s.manifest(("v1", "Pod"), "p", "ns", {}))[0].startswith("unknown kind 'Pod'")
    pr = k8s.manifest(k8s.PROMETHEUS_RULE, "r", "ns", {}, spec={"groups": [{"name": "g", "rules": [
        {"alert": "A", "expr": "up == 0", "for": "5 minutes", "severity": "x"}]}]})
    found = " | ".join(k8s.problems(pr))
    assert "for" in found and "'severity' was unexpected" in found


def test_the_vendored_schemas_come_with_their_license_and_notice():
    notice = (SCHEMAS / "NOTICE.md").read_text(encoding="utf-8")
    for source in ("grafana/grafana-operator", "prometheus-operator/prometheus-operator",
                   "kubernetes-client/python"):
        assert source in notice
    assert re.search(r"\b[0-9a-f]{40}\b", notice)
    assert "Apache License" in (SCHEMAS / "LICENSE-Apache-2.0.txt").read_text(encoding="utf-8")



@pytest.mark.skipif(shutil.which("amtool") is None, reason="amtool is not installed (CI installs it)")
def test_amtool_accepts_the_configuration_in_the_secret(tmp_path, cfg):
    for env in ({}, {"SLACK_WEBHOOK_URL": "https://hooks.slack.example/x", "PAGERDUTY_SERVICE_KEY": "k"}):
        files, _ = alerting_k8s.files(build_rules(cfg), cfg, env)
        path = tmp_path / "alertmanager.yaml"
        path.write_text(yaml.safe_load(files[-1][1])["stringData"]["alertmanager.yaml"], encoding="utf-8")
        r = subprocess.run(["amtool", "check-config", str(path)], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stdout + r.stderr
