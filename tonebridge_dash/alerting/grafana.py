"""Grafana-managed alert rules on logs, and where Grafana sends them.

Prometheus evaluates the metric alerts (``rules``); a search of the logs in
Elasticsearch is Grafana's to evaluate. A ``LogAlert`` counts the log lines
a Lucene query matches over the last ``window_seconds`` and fires when the
count is above ``above`` (0: any line), as three queries Grafana chains:

- ``A``: the Elasticsearch query as a Grafana panel sends it (the query
  string, a ``count`` metric over a ``date_histogram`` on the time field,
  empty buckets kept), over ``relativeTimeRange`` (the window, to now);
- ``B``: a ``reduce`` expression, the sum of A's buckets: the lines matched;
- ``C``: a ``threshold`` expression, B above ``above``: the condition.

A window with no line at all is a quiet window, not missing data
(``noDataState: OK``); a query Elasticsearch cannot run is an ``Error``.

Content defines the rules: every public module of ``content.rules`` with
``log_rule_group(cfg)`` returning a ``LogRuleGroup``. Where they go is the
Alertmanager's settings, mirrored: one contact point per receiver (its Slack
channel and title, PagerDuty where it pages) and a notification policy tree
with the same grouping, timings and routes, so a log alert labelled like a
metric alert (``severity: security``) reaches the same people. Secrets are
never written: Grafana reads them from its environment
(``$__env{SLACK_WEBHOOK_URL}``, ``$__env{PAGERDUTY_SERVICE_KEY}``) when it
provisions the file; grafana-operator from a Secret (``targets.alerting``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from .alertmanager import PAGERDUTY_SERVICE_KEY, SLACK_TEXT, SLACK_WEBHOOK_URL, env_variable
from .rules import RulesError
from ..content import discover, missing_content_is_a_settings_error

EXPRESSIONS = {"type": "__expr__", "uid": "__expr__"}  # Grafana's server-side expressions
BUCKET = "1m"  # query A's date_histogram interval
_UID = re.compile(r"[a-zA-Z0-9_-]{1,40}\Z")
_MATCHER = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(".*"|[^"\s][^"]*?|)\s*\Z')


@dataclass(frozen=True)
class LogAlert:
    uid: str  # Grafana's rule uid: at most 40 of a-z, A-Z, 0-9, '-' and '_'
    title: str
    query: str  # Lucene, as Grafana's Elasticsearch query string
    datasource_uid: str
    time_field: str
    window_seconds: int = 300
    above: float = 0
    for_: str = "0s"
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    dashboard_uid: str = ""  # the panel that shows what the alert watches (Grafana links to it)
    panel_id: int = 0


@dataclass(frozen=True)
class LogRuleGroup:
    name: str
    rules: Sequence[LogAlert]
    interval: str = "1m"
    source: str = ""


@dataclass(frozen=True)
class Integration:
    """One integration of a contact point: its type, its settings without
    the secret, and the setting that holds the secret (``SECRETS``' name)."""

    uid: str
    type: str
    settings: Mapping[str, object]
    secret_key: str
    secret: str


def query_model(alert: LogAlert) -> dict:
    """Query A: the Elasticsearch target a panel of the count per minute would hold."""
    from ..elasticsearch import targets as es

    model = es.target(alert.query, es.count(), es.date_histogram(alert.time_field, BUCKET),
                      datasource=es.datasource_ref(alert.datasource_uid), time_field=alert.time_field)
    return {**model, "intervalMs": 60_000, "maxDataPoints": 43_200}


def rule(alert: LogAlert) -> dict:
    """``alert`` as a rule of Grafana's alerting provisioning file (the
    fields of its ``AlertRuleV1``, and of grafana-operator's rules)."""
    def since() -> dict:  # a mapping of its own in each query
        return {"from": alert.window_seconds, "to": 0}

    data = [
        {"refId": "A", "relativeTimeRange": since(), "datasourceUid": alert.datasource_uid,
         "model": query_model(alert)},
        {"refId": "B", "relativeTimeRange": since(), "datasourceUid": EXPRESSIONS["uid"],
         "model": {"refId": "B", "datasource": EXPRESSIONS, "type": "reduce", "expression": "A", "reducer": "sum",
                   "settings": {"mode": "dropNN"}}},
        {"refId": "C", "relativeTimeRange": since(), "datasourceUid": EXPRESSIONS["uid"],
         "model": {"refId": "C", "datasource": EXPRESSIONS, "type": "threshold", "expression": "B",
                   "conditions": [{"evaluator": {"type": "gt", "params": [alert.above]}}]}},
    ]
    out: dict = {"uid": alert.uid, "title": alert.title, "condition": "C", "data": data,
                 "noDataState": "OK", "execErrState": "Error", "for": alert.for_, "isPaused": False}
    if alert.labels:
        out["labels"] = dict(sorted(alert.labels.items()))
    if alert.annotations:
        out["annotations"] = dict(alert.annotations)
    if alert.dashboard_uid:
        out["dashboardUid"], out["panelId"] = alert.dashboard_uid, alert.panel_id
    return out


def check(groups: Sequence[LogRuleGroup]) -> None:
    """What Grafana would refuse or silently merge: a bad or repeated uid, a
    repeated group name or title, a ``$`` Grafana would read as a variable."""
    uids: dict[str, str] = {}
    names: set[str] = set()
    for g in groups:
        if g.name in names:
            raise RulesError(f"log rule group '{g.name}' is defined twice")
        names.add(g.name)
        titles: set[str] = set()
        for a in g.rules:
            where = f"log alert '{a.title}' ({g.source or g.name})"
            if not _UID.fullmatch(a.uid):
                raise RulesError(f"{where}: uid '{a.uid}' is not at most 40 of a-z, A-Z, 0-9, '-' and '_'")
            if a.uid in uids:
                raise RulesError(f"{where}: uid '{a.uid}' is also the uid of '{uids[a.uid]}'")
            if a.title in titles:
                raise RulesError(f"{where}: two rules of group '{g.name}' have this title")
            uids[a.uid] = a.title
            titles.add(a.title)
            texts = [a.title, *a.labels.keys(), *a.labels.values(), *a.annotations.values()]
            if any("$" in t for t in texts):
                raise RulesError(f"{where}: a '$' in its title, labels or annotations would be read by Grafana's "
                                 "provisioning as an environment variable")


def build_all(cfg) -> list[LogRuleGroup]:
    """Every log rule group the content defines, sorted by name, checked."""
    groups = []
    for found in discover(cfg.content.rules, "log_rule_group", "content.rules"):
        with missing_content_is_a_settings_error(cfg.content):
            g = found.fn(cfg)
        groups.append(g if g.source else LogRuleGroup(g.name, g.rules, g.interval, found.module))
    groups.sort(key=lambda g: g.name)
    check(groups)
    return groups


def object_matchers(matchers: Sequence[str], where: str) -> list[list[str]]:
    """Alertmanager's matchers (``severity="critical"``) as Grafana's
    ``object_matchers`` (``[name, operator, value]``)."""
    out = []
    for m in matchers:
        found = _MATCHER.fullmatch(m)
        if not found:
            raise RulesError(f"{where}: matcher {m!r} is not name, one of = != =~ !~, and a value")
        name, op, value = found.groups()
        if value.startswith('"'):
            try:
                value = json.loads(value)
            except ValueError:
                raise RulesError(f"{where}: matcher {m!r}: its quoted value is not closed or escaped right") from None
        out.append([name, op, value])
    return out


def _uid(receiver: str, kind: str) -> str:
    """A contact point integration's uid: at most 40 of a-z, A-Z, 0-9, '-' and '_'."""
    suffix = f"-{kind}"
    return "tb-" + re.sub(r"[^a-zA-Z0-9_-]", "-", receiver)[: 40 - 3 - len(suffix)] + suffix


def integrations(cfg) -> dict[str, list[Integration]]:
    """Each receiver of the Alertmanager settings as a contact point's
    integrations, by receiver name."""
    out: dict[str, list[Integration]] = {}
    uids: dict[str, str] = {}
    for name, r in cfg.alertmanager.receivers.items():
        found = []
        if r.channel:
            settings = {"recipient": r.channel, **({"title": r.title} if r.title else {}), "text": SLACK_TEXT}
            found.append(Integration(_uid(name, "slack"), "slack", settings, "url", SLACK_WEBHOOK_URL))
        if r.pagerduty:
            found.append(Integration(_uid(name, "pagerduty"), "pagerduty", {}, "integrationKey",
                                     PAGERDUTY_SERVICE_KEY))
        for i in found:
            if i.uid in uids:
                raise RulesError(f"alertmanager.receivers: '{uids[i.uid]}' and '{name}' give one Grafana contact "
                                 f"point uid '{i.uid}' (at most 40 characters): shorten one of the names")
            uids[i.uid] = name
        if not found:
            raise RulesError(f"alertmanager.receivers.{name}: it sends nowhere (no channel, no pagerduty), "
                             "and a Grafana contact point needs an integration")
        out[name] = found
    return out


def policy_tree(cfg) -> dict:
    """The Alertmanager's route tree as Grafana's notification policy."""
    am = cfg.alertmanager
    out: dict = {"receiver": am.receiver, "group_by": list(am.group_by), "group_wait": am.group_wait,
                 "group_interval": am.group_interval, "repeat_interval": am.repeat_interval}
    routes = []
    for i, r in enumerate(am.routes):
        route = {"receiver": r["receiver"], "object_matchers": object_matchers(r["matchers"],
                                                                               f"alertmanager.routes[{i}]")}
        if r.get("continue"):
            route["continue"] = True
        routes.append(route)
    if routes:
        out["routes"] = routes
    return out


def provisioning_file(cfg, groups: Sequence[LogRuleGroup]) -> dict:
    """Grafana's alerting provisioning file (``apiVersion: 1``): the rule
    groups in the settings' folder, a contact point per receiver (secrets
    from Grafana's environment) and the policy tree."""
    org = cfg.grafana.org_id
    contact_points = [
        {"orgId": org, "name": name, "receivers": [
            {"uid": i.uid, "type": i.type,
             "settings": {**i.settings, i.secret_key: f"$__env{{{env_variable(i.secret)}}}"},
             "disableResolveMessage": False} for i in found]}
        for name, found in integrations(cfg).items()]
    return {
        "apiVersion": 1,
        "groups": [{"orgId": org, "name": g.name, "folder": cfg.grafana.folder.title, "interval": g.interval,
                    "rules": [rule(a) for a in g.rules]} for g in groups],
        "contactPoints": contact_points,
        "policies": [{"orgId": org, **policy_tree(cfg)}],
    }
