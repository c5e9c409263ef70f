"""The datasources and the Grafana-managed log alerts, as each target writes
them for Grafana.

- Grafana's provisioning files are read as Grafana reads them: only the
  fields of its provisioning types (``pkg/services/provisioning/datasources/
  types.go``'s ``upsertDataSourceFromConfigV1``; ``alerting/types.go``'s
  ``AlertingFileV1``, ``rules_types.go``'s ``AlertRuleGroupV1``,
  ``AlertRuleV1``, ``QueryV1``, ``contact_point_types.go``'s
  ``ContactPointV1`` and ``ReceiverV1``, Alertmanager's route for
  ``policies``) and with their environment expansion (``$NAME``, ``${NAME}``,
  ``$__env{NAME}``; ``$$`` a literal ``$``; a rule's ``model`` as written);
- the operator's resources against the vendored CRDs, read here without the
  engine's validator, and the manifest checks;
- URLs, uids, index and time field from the settings; secrets never written;
- a log alert routes to the contact point of the security receiver, as
  Alertmanager routes §10.1's security alerts;
- on Lucene, query A of each §10.2 rule counts exactly the matching lines
  of the last 5 minutes (near-misses never), so B > 0 fires for the patterns
  seen and for no other;
- what a target wrote and no longer renders is removed, and ``--check``
  calls it stale.
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timezone

import pytest
import yaml

from test_kubernetes import META, _closed, _crd_schema
from tonebridge_dash.alerting import alertmanager as am
from tonebridge_dash.alerting import grafana
from tonebridge_dash.elasticsearch.request import grafana_request
from tonebridge_dash.files.owned import MANIFEST
from tonebridge_dash.settings import from_mapping
from tonebridge_dash.targets import kubernetes as k8s
from tonebridge_dash.targets import provisioned
from tonebridge_dash.targets.rules import credential_key

import jsonschema

DATASOURCE_KEYS = {"orgId", "orgName", "version", "name", "type", "access", "url", "user", "database", "basicAuth",
                   "basicAuthUser", "withCredentials", "isDefault", "correlations", "jsonData", "secureJsonData",
                   "editable", "uid"}
ALERTING_FILE_KEYS = {"apiVersion", "groups", "deleteRules", "contactPoints", "deleteContactPoints", "policies",
                      "resetPolicies", "templates", "deleteTemplates", "muteTimes", "deleteMuteTimes"}
GROUP_KEYS = {"orgId", "name", "folder", "interval", "rules"}
RULE_KEYS = {"uid", "title", "condition", "data", "dasboardUid", "dashboardUid", "panelId", "noDataState",
             "execErrState", "for", "keepFiringFor", "missing_series_evals_to_resolve", "annotations", "labels",
             "isPaused", "notification_settings", "record"}
QUERY_KEYS = {"refId", "queryType", "relativeTimeRange", "datasourceUid", "model"}
CONTACT_POINT_KEYS = {"orgId", "name", "receivers"}
RECEIVER_KEYS = {"uid", "type", "settings", "disableResolveMessage"}
ROUTE_KEYS = {"receiver", "group_by", "continue", "object_matchers", "matchers", "match", "match_re",
              "mute_time_intervals", "active_time_intervals", "group_wait", "group_interval", "repeat_interval",
              "routes"}
DURATION = re.compile(r"([0-9]+(ms|s|m|h|d|w|y))+\Z")  # Prometheus' model.ParseDuration
OPERATOR = "grafana.integreatly.org/v1beta1"
CRDS = {kind: _crd_schema(f"grafana.integreatly.org_grafana{plural}.yaml", "v1beta1") for kind, plural in [
    ("GrafanaDatasource", "datasources"), ("GrafanaAlertRuleGroup", "alertrulegroups"),
    ("GrafanaContactPoint", "contactpoints"), ("GrafanaNotificationPolicy", "notificationpolicies")]}

SETTINGS = {
    "datasource": {"uid": "prom-main", "name": "Prom", "url": "http://prom.example:9090"},
    "logs": {"index": "app-logs-*", "time_field": "@timestamp",
             "datasource": {"uid": "es-main", "name": "Logs", "url": "https://es.example:9200"}},
    "traces": {"datasource": {"uid": "jaeger-main", "name": "Traces", "url": "http://jaeger.example:16686"}},
}


def expand(value: str, environ: dict[str, str]) -> str:
    """Grafana's ``interpolateValue``: ``$$`` is a literal ``$``; in each part,
    ``$__env{NAME}``, then ``${NAME}`` and ``$NAME`` (os.ExpandEnv), empty when unset."""
    def part(text: str) -> str:
        text = re.sub(r"\$__env\{([^}]*)\}", lambda m: environ.get(m.group(1), ""), text)
        return re.sub(r"\$(\{([^}]*)\}|([A-Za-z0-9_]+))", lambda m: environ.get(m.group(2) or m.group(3), ""), text)
    return "$".join(part(p) for p in value.split("$$"))


def expanded(value, environ: dict[str, str]):
    if isinstance(value, str):
        return expand(value, environ)
    if isinstance(value, dict):
        return {k: expanded(v, environ) for k, v in value.items()}
    if isinstance(value, list):
        return [expanded(v, environ) for v in value]
    return value


def _tree(tb, tmp_path, settings: dict | None = None, target: str = "provisioning") -> dict:
    if settings is not None:
        (tmp_path / "tb-dash.yaml").write_text(yaml.safe_dump(settings), encoding="utf-8")
    out = tmp_path / target
    r = tb("render", "--target", target, "--out", out)
    assert r.code == 0, r.err
    return {p.relative_to(out).as_posix(): p for p in out.rglob("*") if p.is_file()}


def _load(path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_provisioning_is_grafanas_tree_of_dashboards_datasources_and_alerting(tb, tmp_path):
    files = _tree(tb, tmp_path)
    assert {"dashboards/tonebridge.yaml", "datasources/tb-dash.yaml", "alerting/tb-dash.yaml", MANIFEST} <= set(files)
    assert {n for n in files if n.startswith("dashboards/tonebridge/")} >= {"dashboards/tonebridge/tb-overview.json",
                                                                          "dashboards/tonebridge/tb-audit.json"}
    provider = _load(files["dashboards/tonebridge.yaml"])["providers"][0]
    assert provider["options"]["path"] == "/etc/grafana/provisioning/dashboards/tonebridge"
    for name in ("datasources/tb-dash.yaml", "alerting/tb-dash.yaml"):
        assert files[name].read_text(encoding="utf-8").startswith("# Generated by tb-dash from ")


def test_datasources_are_grafanas_with_the_settings_urls_and_links(tb, tmp_path):
    doc = _load(_tree(tb, tmp_path, SETTINGS)["datasources/tb-dash.yaml"])
    assert set(doc) == {"apiVersion", "datasources"} and doc["apiVersion"] == 1
    for ds in doc["datasources"]:
        assert set(ds) <= DATASOURCE_KEYS and ds["access"] == "proxy" and ds["isDefault"] is False
    read = {ds["type"]: expanded(ds, {"__value": "x"}) for ds in doc["datasources"]}  # as Grafana reads them
    assert set(read) == {"prometheus", "elasticsearch", "jaeger"}
    prom, es, jaeger = read["prometheus"], read["elasticsearch"], read["jaeger"]
    assert (prom["uid"], prom["name"], prom["url"]) == ("prom-main", "Prom", "http://prom.example:9090")
    assert prom["jsonData"]["exemplarTraceIdDestinations"] == [{"name": "trace_id", "datasourceUid": "jaeger-main"}]
    assert (es["uid"], es["name"], es["url"]) == ("es-main", "Logs", "https://es.example:9200")
    assert {k: es["jsonData"][k] for k in ("index", "timeField", "logMessageField", "logLevelField")} == {
        "index": "app-logs-*", "timeField": "@timestamp", "logMessageField": "message", "logLevelField": "level"}
    [link] = es["jsonData"]["dataLinks"]
    assert (link["field"], link["datasourceUid"], link["url"]) == ("trace_id", "jaeger-main", "${__value.raw}")
    assert (jaeger["uid"], jaeger["url"]) == ("jaeger-main", "http://jaeger.example:16686")
    to_logs = jaeger["jsonData"]["tracesToLogsV2"]
    assert to_logs["datasourceUid"] == "es-main" and to_logs["query"] == 'trace_id.keyword:"${__trace.traceId}"'


def test_audit_logs_of_their_own_get_their_datasource_and_the_rules_read_it(tb, tmp_path):
    settings = {**SETTINGS, "logs": {**SETTINGS["logs"], "audit_index": "audit-*"}}
    files = _tree(tb, tmp_path, settings)
    es = [ds for ds in _load(files["datasources/tb-dash.yaml"])["datasources"] if ds["type"] == "elasticsearch"]
    assert [(ds["uid"], ds["jsonData"]["index"]) for ds in es] == [("es-main", "app-logs-*"),
                                                                   ("es-main-audit", "audit-*")]
    rules = _load(files["alerting/tb-dash.yaml"])["groups"][0]["rules"]
    assert {r["data"][0]["datasourceUid"] for r in rules} == {"es-main-audit"}


def _route(policy: dict, labels: dict[str, str]) -> list[str]:
    """The receivers Grafana's policy tree sends ``labels`` to (first match,
    on with ``continue``; the root's when no route matches)."""
    ops = {"=": lambda v, x: v == x, "!=": lambda v, x: v != x,
           "=~": lambda v, x: re.fullmatch(x, v) is not None, "!~": lambda v, x: re.fullmatch(x, v) is None}
    found = []
    for route in policy.get("routes", []):
        if all(ops[op](labels.get(name, ""), value) for name, op, value in route["object_matchers"]):
            found.append(route["receiver"])
            if not route.get("continue"):
                break
    return found or [policy["receiver"]]


def test_the_alerting_file_is_grafanas_format_and_each_pattern_fires_to_the_security_team(tb, tmp_path, cfg):
    doc = _load(_tree(tb, tmp_path)["alerting/tb-dash.yaml"])
    assert set(doc) <= ALERTING_FILE_KEYS and doc["apiVersion"] == 1
    [group] = doc["groups"]
    assert set(group) <= GROUP_KEYS and group["folder"] == cfg.grafana.folder.title
    assert DURATION.fullmatch(group["interval"])
    from panels.log_queries import AUDIT_PATTERNS

    assert len(group["rules"]) == len(AUDIT_PATTERNS)
    points = {cp["name"]: cp for cp in doc["contactPoints"]}
    [policy] = doc["policies"]
    assert set(policy) <= ROUTE_KEYS | {"orgId"}
    for rule, pattern in zip(group["rules"], AUDIT_PATTERNS):
        assert set(rule) <= RULE_KEYS and re.fullmatch(r"[a-zA-Z0-9_-]{1,40}", rule["uid"])
        assert pattern.title in rule["title"]
        data = {q["refId"]: q for q in rule["data"]}
        assert all(set(q) <= QUERY_KEYS for q in rule["data"]) and rule["condition"] in data
        a, b, c = data["A"], data["B"]["model"], data["C"]["model"]
        assert a["relativeTimeRange"] == {"from": 300, "to": 0} and a["datasourceUid"] == cfg.logs.audit_datasource.uid
        assert a["model"]["query"] == pattern.query and a["model"]["timeField"] == cfg.logs.time_field
        assert (b["type"], b["expression"], b["reducer"]) == ("reduce", "A", "sum")
        assert (c["type"], c["expression"], rule["condition"]) == ("threshold", "B", "C")
        assert c["conditions"][0]["evaluator"] == {"type": "gt", "params": [0]}
        assert (rule["noDataState"], rule["execErrState"]) == ("OK", "Error") and DURATION.fullmatch(rule["for"])
        assert rule["dashboardUid"] == "tb-audit" and isinstance(rule["panelId"], int)
        assert expanded(rule["labels"], {}) == rule["labels"]  # nothing Grafana would expand
        assert _route(policy, rule["labels"]) == ["security"]
        assert set(points) >= {"security", policy["receiver"]}
    security = points["security"]["receivers"][0]
    assert set(security) <= RECEIVER_KEYS and security["type"] == "slack"
    assert security["settings"]["recipient"] == cfg.alertmanager.receivers["security"].channel
    # Alertmanager sends §10.1's security alerts to the same receiver.
    routes = am.config(cfg, am.secrets_from_env(cfg, {}))["route"]["routes"]
    assert {"matchers": ['severity="security"'], "receiver": "security"} in routes


def test_contact_points_mirror_the_receivers_and_never_hold_a_secret(tb, tmp_path, cfg):
    secrets = {"SLACK_WEBHOOK_URL": "https://hooks.slack.example/T0/B0/secret", "PAGERDUTY_SERVICE_KEY": "pd-secret"}
    out = tmp_path / "p"
    r = tb("render", "--target", "provisioning", "--out", out, env=secrets)
    assert r.code == 0, r.err
    text = (out / "alerting" / "tb-dash.yaml").read_text(encoding="utf-8")
    assert "secret" not in text
    doc = yaml.safe_load(text)
    points = {cp["name"]: cp for cp in doc["contactPoints"]}
    assert set(points) == set(cfg.alertmanager.receivers)
    critical = {i["type"]: i["settings"] for i in points["critical"]["receivers"]}
    assert critical["slack"]["url"] == "$__env{SLACK_WEBHOOK_URL}"
    assert critical["pagerduty"]["integrationKey"] == "$__env{PAGERDUTY_SERVICE_KEY}"
    read = expanded(critical, secrets)  # what Grafana provisions, from its own environment
    assert read["slack"]["url"] == secrets["SLACK_WEBHOOK_URL"] and read["pagerduty"]["integrationKey"] == "pd-secret"
    assert read["slack"]["text"] == am.SLACK_TEXT
    policy = doc["policies"][0]
    assert (policy["receiver"], policy["group_by"], policy["repeat_interval"]) == (
        cfg.alertmanager.receiver, list(cfg.alertmanager.group_by), cfg.alertmanager.repeat_interval)
    assert _route(policy, {"severity": "critical"}) == ["critical"]
    assert _route(policy, {"severity": "info"}) == [cfg.alertmanager.receiver]


def _published_errors(doc: dict) -> list[str]:
    errors = [e.message for e in jsonschema.Draft7Validator(_closed(CRDS[doc["kind"]])).iter_errors(doc)]
    return errors + [e.message for e in jsonschema.Draft7Validator(_closed(META)).iter_errors(doc["metadata"])]


def test_operator_resources_match_the_vendored_crds(tb, tmp_path, cfg):
    files = _tree(tb, tmp_path, target="operator")
    docs = [_load(p) for n, p in files.items() if n != MANIFEST]
    ours = [d for d in docs if d["apiVersion"] == OPERATOR and d["kind"] in CRDS]
    assert sorted({d["kind"] for d in ours}) == sorted(CRDS)
    for doc in ours:
        assert _published_errors(doc) == [], doc["metadata"]["name"]
        assert k8s.problems(doc) == []
    by_kind = {}
    for d in ours:
        by_kind.setdefault(d["kind"], []).append(d)
    sources = {d["spec"]["datasource"]["type"]: d["spec"]["datasource"] for d in by_kind["GrafanaDatasource"]}
    assert sources["elasticsearch"]["jsonData"]["dataLinks"][0]["url"] == "${__value.raw}"  # the operator keeps it
    [group] = by_kind["GrafanaAlertRuleGroup"]
    assert group["spec"]["folderUID"] == cfg.grafana.folder.uid and "folderRef" not in group["spec"]
    [policy] = by_kind["GrafanaNotificationPolicy"]
    assert not {"matchers", "object_matchers", "continue"} & set(policy["spec"]["route"])
    assert _route(policy["spec"]["route"], group["spec"]["rules"][0]["labels"]) == ["security"]
    for point in by_kind["GrafanaContactPoint"]:
        for receiver in point["spec"]["receivers"]:
            [ref] = receiver["valuesFrom"]
            key = ref["valueFrom"]["secretKeyRef"]
            assert key["name"] == cfg.kubernetes.credentials_secret_name
            secret = grafana.SLACK_WEBHOOK_URL if receiver["type"] == "slack" else grafana.PAGERDUTY_SERVICE_KEY
            assert key["key"] == credential_key(cfg, secret) and "$" not in str(receiver["settings"])


def test_operator_selector_and_cross_namespace_import_reach_every_resource(tb, tmp_path):
    settings = {"kubernetes": {"operator": {"instance_selector": {"dashboards": "grafana"},
                                            "allow_cross_namespace_import": True}}}
    files = _tree(tb, tmp_path, settings, target="operator")
    docs = [d for d in (_load(p) for n, p in files.items() if n != MANIFEST) if d["kind"] in CRDS]
    assert len(docs) >= 4
    for doc in docs:
        assert doc["spec"]["instanceSelector"] == {"matchLabels": {"dashboards": "grafana"}}
        assert doc["spec"]["allowCrossNamespaceImport"] is True and _published_errors(doc) == []


def test_configmaps_carry_the_sidecars_labels_and_the_provisioning_files(tb, tmp_path):
    settings = {"kubernetes": {"datasource_sidecar": {"label": "ds", "value": "yes"},
                               "alert_sidecar": {"label": "alerts", "value": "on"}}}
    maps = _tree(tb, tmp_path, settings, target="configmap")
    provisioning = _tree(tb, tmp_path, None)
    for kind, label in (("datasources", {"ds": "yes"}), ("alerting", {"alerts": "on"})):
        doc = _load(maps[f"tb-dash-{kind}.yaml"])
        assert doc["metadata"]["labels"] == label and k8s.problems(doc) == []
        [(key, text)] = doc["data"].items()
        assert key == f"tb-dash-{kind}.yaml"
        assert text == provisioning[f"{kind}/tb-dash.yaml"].read_text(encoding="utf-8")


def test_a_target_removes_what_it_no_longer_renders_and_check_calls_it_stale(tb, tmp_path):
    out = tmp_path / "p"
    (tmp_path / "tb-dash.yaml").write_text("grafana: {folder: {uid: first, title: First}}\n", encoding="utf-8")
    assert tb("render", "--target", "provisioning", "--out", out).code == 0
    (out / "dashboards" / "first" / "theirs.json").write_text("{}")  # never written by tb-dash
    r = tb("render", "--target", "provisioning", "--out", out, "--check")
    assert r.code == 1 and "stale" in r.out and "theirs.json" in r.out
    (tmp_path / "tb-dash.yaml").write_text("grafana: {folder: {uid: second, title: Second}}\n", encoding="utf-8")
    r = tb("render", "--target", "provisioning", "--out", out)
    assert r.code == 0, r.err
    assert f"removed    {out / 'dashboards' / 'first.yaml'}" in r.out
    assert not (out / "dashboards" / "first" / "tb-overview.json").exists()
    assert (out / "dashboards" / "first" / "theirs.json").exists()  # someone else's: kept
    assert (out / "dashboards" / "second" / "tb-overview.json").exists()
    assert tb("render", "--target", "provisioning", "--out", out, "--check").code == 0


def test_a_crafted_ledger_never_removes_outside_the_output(tb, tmp_path):
    out, keep = tmp_path / "p", tmp_path / "keep.yaml"
    keep.write_text("x")
    out.mkdir()
    (out / MANIFEST).write_text("../keep.yaml\ndashboards/../../keep.yaml\n/etc/hostname\n")
    assert tb("render", "--target", "provisioning", "--out", out).code == 0
    assert keep.exists()


@pytest.mark.parametrize("settings, message", [
    ({"alertmanager": {"receivers": {"nowhere": {}}}}, "alertmanager.receivers.nowhere: it sends nowhere"),
    ({"alertmanager": {"routes": [{"receiver": "security", "matchers": ["severity"]}]}},
     "alertmanager.routes[0]: matcher 'severity' is not"),
    ({"alertmanager": {"receivers": {f"team_{'x' * 40}_{n}": {"channel": "#c"} for n in "ab"}}},
     "give one Grafana contact point uid"),
])
def test_settings_grafana_cannot_mirror_are_one_line_and_exit_1(tb, tmp_path, settings, message):
    (tmp_path / "tb-dash.yaml").write_text(yaml.safe_dump(settings), encoding="utf-8")
    r = tb("render", "--target", "provisioning", "--out", tmp_path / "p")
    assert r.code == 1 and message in r.err and "Traceback" not in r.err
    assert len(r.err.strip().splitlines()) == 1 and not (tmp_path / "p").exists()


def test_a_dollar_in_a_rules_text_is_refused():
    alert = grafana.LogAlert("a", "costs $5", "*", "es", "timestamp")
    with pytest.raises(grafana.RulesError, match=r"environment variable"):
        grafana.check([grafana.LogRuleGroup("g", [alert])])


def test_matchers_read_as_alertmanager_writes_them():
    assert grafana.object_matchers(['severity="critical"', 'team=~"a|b"', "env!=prod", 'x!~"\\"q\\""'], "r") == [
        ["severity", "=", "critical"], ["team", "=~", "a|b"], ["env", "!=", "prod"], ["x", "!~", '"q"']]


# --- on Lucene: each rule's query A counts the lines of the last 5 minutes --------------------

NOW = int(datetime(2024, 1, 15, 12, tzinfo=timezone.utc).timestamp() * 1000)
SEEN = ["SELECT * FROM users", "SELECT * FROM users WHERE org_id = 'org_456'", "name = ''; OR '1'='1"]
NEAR_MISSES = ["SELECT id FROM users", "drop tables later", "OR 1=1", "select * from users", "' OR '1'='1"]
EARLIER = ["DROP TABLE sessions"]  # a pattern seen 10 minutes ago: outside the window


def _iso(millis: int) -> str:
    return datetime.fromtimestamp(millis / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@pytest.mark.lucene
def test_on_lucene_each_rule_fires_for_the_patterns_seen_in_the_last_5_minutes_only(cfg):
    from elasticsearch_emulator import lucene_session
    from tonebridge_dash.elasticsearch.evaluate import evaluate
    from tonebridge_dash.elasticsearch.store import LogStore
    from panels.log_queries import AUDIT_PATTERNS

    lines = [(NOW - 60_000 * (1 + i % 4), q) for i, q in enumerate(SEEN + NEAR_MISSES)]
    lines += [(NOW - 600_000, q) for q in EARLIER]
    records = [{"timestamp": _iso(t), "level": "INFO", "service": "gateway", "message": f"executed {q}",
                "query": q, "trace_id": f"t{i}"} for i, (t, q) in enumerate(lines)]
    [group] = grafana.build_all(cfg)
    with lucene_session() as session:
        store = LogStore(session)
        store.add("tonebridge-2024.01.15", records)
        for rule, pattern in zip(group.rules, AUDIT_PATTERNS):
            model = grafana.rule(rule)["data"][0]["model"]
            header, body = grafana_request(model, index=cfg.logs.audit_index, time_field=cfg.logs.time_field,
                                           start_ms=NOW - rule.window_seconds * 1000, end_ms=NOW, interval_ms=60_000)
            answer = evaluate(store, header, body, now_ms=NOW)
            assert answer["status"] == 200, answer
            reduced = sum(b["doc_count"] for b in answer["aggregations"]["2"]["buckets"])  # B: sum
            truth = sum(1 for t, q in lines if NOW - 300_000 <= t <= NOW and pattern.matches(q))
            assert reduced == truth, pattern.name
            assert (reduced > 0) == (pattern.name != "drop_table")  # C: B > 0


def test_latency_panels_show_exemplars_of_the_request_duration_histogram(rendered):
    from tonebridge_dash.model import iter_panels

    with_exemplars = {}
    for uid, r in rendered.items():
        for p in iter_panels(r.data):
            for t in p.get("targets", []):
                if t.get("exemplar"):
                    with_exemplars.setdefault((uid, p["title"]), []).append(t["expr"])
    assert {("tb-overview", "Response time (p95)"), ("tb-application", "Response time percentiles"),
            ("tb-application", "Response time distribution")} <= set(with_exemplars)
    for exprs in with_exemplars.values():  # exemplars are the histogram's observations
        assert all("tonebridge_request_duration_seconds_bucket" in e for e in exprs), exprs
