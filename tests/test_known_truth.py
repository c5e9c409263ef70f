"""Every number right: each panel of every dashboard shows the truth.

A traffic scenario whose figures are exact (the synthetic generator's exact
mode: no jitter, counters rising at exactly their rate, a latency
distribution with known bucket shares) is backfilled into a real Prometheus
with the project's recording rules. Deployments are realistic: three
gateway replicas, the LLM service's two replicas in their own job, two
nodes. Every panel query is evaluated as Grafana would (``as_grafana``):
with each filter at All and at each of its values, ``$__rate_interval``
from the scrape interval. What the panel shows, turned into its unit
(``percentunit`` shows 100 times its value as %), is compared with the
truth computed here from the scenario's figures, within 2%. A panel that
shows a wrong number, a series too many, or nothing fails with the panel,
the shown value and the truth.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

import pytest

from panels import metrics as m
from panels import traffic
from tonebridge_dash.prometheus.promql import regex_escape
from tonebridge_dash.prometheus.synthetic import Profile

from as_grafana import ALL, Builtins, evaluate, legend, panel_targets, query, variable_values

pytestmark = pytest.mark.prometheus  # every test reads the scenario's Prometheus

TOLERANCE = 0.02
STEP = 30  # the scrape interval, seconds
DURATION = 6 * 3600 + 30 * 60  # more than the dashboards' 6h range
RANGE = 6 * 3600  # the dashboards' time range: what $__range counts over

GATEWAY, LLM, NODE = traffic.JOBS[m.GATEWAY], traffic.JOBS[m.LLM], traffic.JOBS[m.NODE_EXPORTER]
GATEWAYS = ("gateway-0:8080", "gateway-1:8080", "gateway-2:8080")
LLMS = ("llm-0:8000", "llm-1:8000")
NODES = ("node-1:9100", "node-2:9100")

# --- the scenario's figures (per instance, before label shares) ------------
REQUESTS = 50.0  # requests/s per gateway replica
ENDPOINTS = {"/api/v1/transform": 0.6, "/api/v1/history": 0.25, "/api/v1/users/me": 0.1, "/healthz": 0.05}
STATUSES = {"200": 0.9795, "400": 0.015, "401": 0.003, "403": 0.002, "500": 0.0003, "503": 0.0002}
ERROR_SHARE = 0.0005  # the 5xx statuses above
CONNECTIONS = 150.0  # open connections per gateway replica
USERS = 25  # distinct users, each seen by every replica
LATENCY_SHARES = {0.01: 0.05, 0.05: 0.3, 0.1: 0.6, 0.5: 0.96, 1: 0.99, 2: 0.999, 5: 1.0}
TEXT_SHARES = {50: 0.05, 100: 0.15, 250: 0.4, 500: 0.75, 1000: 0.95, 2500: 0.99, 5000: 1.0, 10000: 1.0}
TRANSFORMATIONS = 10.0  # transformations/s per LLM replica
TYPES = {"polite": 0.4, "casual": 0.3, "formal": 0.2, "concise": 0.1}
MODELS = {"gpt-4o-mini": 0.5, "gpt-4": 0.3, "llama-3-8b": 0.2}
TRANSFORMATION_ERRORS = 0.02
LATENCY_MS = (900.0, 0.4)  # median and sigma of the LLM latency (a summary)
CACHE_HITS = 0.8
TOKENS = 3000.0  # tokens/s per LLM replica
KINDS = {"prompt": 0.7, "completion": 0.3}
COST = 0.01  # USD/s per LLM replica
CPUS, IDLE = 8, 0.6
MEMORY, AVAILABLE = 32 * 2**30, 8 * 2**30
FILESYSTEMS = (("/dev/nvme0n1p1", "ext4", "/"), ("/dev/nvme0n1p2", "ext4", "/var/lib"), ("tmpfs", "tmpfs", "/run"))
FS_SIZE, FS_AVAIL = 100 * 2**30, 40 * 2**30
DISK_READ, DISK_WRITTEN = 3e6, 4e6  # bytes/s per node
NET_RX, NET_TX, LOOPBACK = 10e6, 5e6, 0.1  # bytes/s per node, share on lo
CONTAINERS = (("tonebridge", "gateway-7d9f-abcde", "gateway"), ("tonebridge", "llm-5c6b-klmno", "llm"),
              ("tonebridge", "postgresql-0", "postgresql"), ("monitoring", "prometheus-0", "prometheus"))
CONTAINER_CPU = 0.25  # cores per container
CONTAINER_MEMORY = 256 * 2**20
RESTARTS_PER_HOUR = 3
FAILED_LOGINS = 0.2  # per gateway replica, per second
USERS_TABLE_QUERIES = 30.0  # per gateway replica, per second

SCENARIO = Profile(
    metrics=m.CATALOG,
    jobs=traffic.JOBS,
    instances={GATEWAY: GATEWAYS, LLM: LLMS, NODE: NODES, traffic.JOBS[m.POSTGRESQL]: ("postgres-exporter:9187",),
               # One kube-state-metrics and one cAdvisor: every container is on one node.
               traffic.JOBS[m.KUBE_STATE_METRICS]: ("kube-state-metrics:8080",),
               traffic.JOBS[m.CADVISOR]: ("node-1:10250",)},
    label_values={
        "method": {"POST": 0.7, "GET": 0.3}, "endpoint": ENDPOINTS, "status": STATUSES,
        "transformation_type": TYPES, "model": MODELS, "user_id": {f"user-{i}": 1.0 for i in range(USERS)},
        "cache": {"response": 1.0}, "result": {"hit": CACHE_HITS, "miss": 1 - CACHE_HITS}, "kind": KINDS,
        "cpu": {str(i): 1.0 for i in range(CPUS)}, "mode": {"idle": IDLE, "user": 0.3, "system": 0.1},
        "device": {"nvme0n1": 1.0}, "table": {"users": 1.0}, "operation": {"select": 1.0},
    },
    metric_label_values={
        m.NODE_NET_RX.name: {"device": {"eth0": 1 - LOOPBACK, "lo": LOOPBACK}},
        m.NODE_NET_TX.name: {"device": {"eth0": 1 - LOOPBACK, "lo": LOOPBACK}},
        m.TRANSFORMATIONS.name: {"status": {"success": 1 - TRANSFORMATION_ERRORS, "error": TRANSFORMATION_ERRORS}},
    },
    label_groups={("device", "fstype", "mountpoint"): FILESYSTEMS, ("namespace", "pod", "container"): CONTAINERS},
    rates={m.REQUESTS.name: REQUESTS, m.TRANSFORMATIONS.name: TRANSFORMATIONS, m.CACHE_REQUESTS.name: 20.0,
           m.LOGIN_ATTEMPTS_FAILED.name: FAILED_LOGINS, m.DATABASE_QUERIES.name: USERS_TABLE_QUERIES,
           m.LLM_TOKENS.name: TOKENS, m.LLM_COST.name: COST, m.USER_ACTIVITY.name: 0.5 * USERS,
           m.NODE_CPU.name: CPUS, m.NODE_DISK_READ.name: DISK_READ, m.NODE_DISK_WRITTEN.name: DISK_WRITTEN,
           m.NODE_NET_RX.name: NET_RX, m.NODE_NET_TX.name: NET_TX,
           # Label-group rows share a rate: per container, it is the rate over the rows.
           m.CONTAINER_CPU.name: CONTAINER_CPU * len(CONTAINERS),
           m.CONTAINER_RESTARTS.name: RESTARTS_PER_HOUR / 3600 * len(CONTAINERS)},
    levels={m.ACTIVE_CONNECTIONS.name: CONNECTIONS, m.NODE_MEM_TOTAL.name: MEMORY,
            m.NODE_MEM_AVAILABLE.name: AVAILABLE, m.NODE_FS_SIZE.name: FS_SIZE, m.NODE_FS_AVAIL.name: FS_AVAIL,
            m.CONTAINER_MEMORY.name: CONTAINER_MEMORY, m.CONTAINER_READY.name: 1.0, m.UP.name: 1.0},
    distributions={m.TRANSFORMATION_LATENCY.name: LATENCY_MS},
    bucket_shares={m.REQUEST_DURATION.name: LATENCY_SHARES, m.TEXT_LENGTH.name: TEXT_SHARES},
    observations={m.REQUEST_DURATION.name: REQUESTS, m.TEXT_LENGTH.name: TRANSFORMATIONS},
    exact=True,
)


# --- the truth -------------------------------------------------------------
def quantile(shares: dict[float, float], q: float) -> float:
    """The q-quantile of observations spread evenly within each bucket."""
    lower, below = 0.0, 0.0
    for bound, share in shares.items():
        if share >= q:
            return lower + (bound - lower) * (q - below) / (share - below)
        lower, below = bound, share
    raise AssertionError("q above the last bucket")


def mean(shares: dict[float, float]) -> float:
    lower, below, total = 0.0, 0.0, 0.0
    for bound, share in shares.items():
        total += (share - below) * (lower + bound) / 2
        lower, below = bound, share
    return total


def summary_quantile(q: float) -> float:
    median, sigma = LATENCY_MS
    return median * math.exp(sigma * statistics.NormalDist().inv_cdf(q))


# The scenario's instances of each source, all distinct: a chosen instance names its source.
DEPLOYED = {m.GATEWAY: GATEWAYS, m.LLM: LLMS, m.NODE_EXPORTER: NODES}


@dataclass(frozen=True)
class Selection:
    """What the filters let through: the chosen instances of each source, the endpoints, the namespaces.

    The truth knows no variable names: a source's instances are narrowed only
    by choosing one of them (in whichever filter lists it); choosing a job,
    or an instance of another source, leaves them all. A dashboard that
    filters a metric on another source's filter shows No data there."""

    instances: dict[str, tuple[str, ...]]
    placement: dict[str, str]  # metric -> source: where the scenario emits it
    endpoints: tuple[str, ...] = tuple(ENDPOINTS)
    namespaces: tuple[str, ...] = ("monitoring", "tonebridge")

    @classmethod
    def of(cls, chosen: dict[str, str], placement: dict[str, str] | None = None) -> "Selection":
        instances = {source: tuple(i for i in all_ if i in chosen.values()) or all_
                     for source, all_ in DEPLOYED.items()}
        return cls(
            instances=instances, placement=placement or m.SOURCES,
            endpoints=tuple(e for e in ENDPOINTS if chosen.get("endpoint") in (None, e)),
            namespaces=tuple(n for n in ("monitoring", "tonebridge") if chosen.get("namespace") in (None, n)))

    def of_metric(self, metric) -> tuple[str, ...]:
        """The chosen instances that emit ``metric``."""
        return self.instances[self.placement[metric.name]]

    def n(self, metric) -> int:
        return len(self.of_metric(metric))

    @property
    def requests(self) -> float:
        return REQUESTS * self.n(m.REQUESTS) * sum(ENDPOINTS[e] for e in self.endpoints)

    @property
    def transformations(self) -> float:
        return TRANSFORMATIONS * self.n(m.TRANSFORMATIONS)


def truth(uid: str, title: str, s: Selection) -> dict[str, float]:
    """What the panel ``title`` of dashboard ``uid`` should show, by series
    name, in the unit it displays (percentages for ``percentunit``)."""
    p50, p95, p99 = (quantile(LATENCY_SHARES, q) for q in (0.5, 0.95, 0.99))
    error, success = 100 * ERROR_SHARE, 100 * (1 - ERROR_SHARE)
    containers, nodes = [c for c in CONTAINERS if c[0] in s.namespaces], s.of_metric(m.NODE_CPU)
    cost, tokens = COST * s.n(m.LLM_COST), TOKENS * s.n(m.LLM_TOKENS)
    service = {  # the recorded SLIs: the whole service, whatever the filters
        "Availability (30d)": {"availability": success}, "Error rate (30d)": {"5xx share": error},
        "Response time p95 (30d)": {"p95": p95}, "Throughput (30d)": {"requests/s": REQUESTS * len(GATEWAYS)},
        "Error budget remaining": {"remaining": 100 * (1 - ERROR_SHARE / 0.001)},
        "Error budget remaining (minutes)": {"minutes": 43.2 * (1 - ERROR_SHARE / 0.001)},
        "Error budget remaining over time": {"remaining": 100 * (1 - ERROR_SHARE / 0.001)},
        "Error budget burn rate": {w: ERROR_SHARE / 0.001 for w in ("5m", "30m", "1h", "6h", "3d")},
    }
    table = {
        # application, overview, SLO
        "Requests per second": {"requests/s": s.requests}, "Request rate": {"requests/s": s.requests},
        "Throughput against the SLO": {"requests/s": s.requests},
        "Error rate (5xx share)": {"5xx share": error}, "Success rate": {"success": success},
        "Success rate (non-5xx share)": {"success": success},
        "Active connections": {"connections": CONNECTIONS * s.n(m.ACTIVE_CONNECTIONS)},
        "Request rate by endpoint": {e: REQUESTS * s.n(m.REQUESTS) * ENDPOINTS[e] for e in s.endpoints},
        "Request rate by status": {k: s.requests * w for k, w in STATUSES.items()},
        "Response time distribution": {**{f"{b:g}": s.requests * share for b, share in LATENCY_SHARES.items()},
                                       "+Inf": s.requests},
        "Response time percentiles": {"p50": p50, "p95": p95, "p99": p99, "mean": mean(LATENCY_SHARES)},
        "Response time (p95)": {"p95": p95}, "Response time p95 against the SLO": {"p95": p95},
        "Transformation latency (p90) by type": {t: summary_quantile(0.9) for t in TYPES},
        "Error rate (5xx share) by endpoint": {e: error for e in s.endpoints},
        "Active users": {"active users": USERS},
        "Failed logins per second": {"failed logins/s": FAILED_LOGINS * s.n(m.LOGIN_ATTEMPTS_FAILED)},
        "Forbidden (403) responses per second": {"403/s": REQUESTS * s.n(m.REQUESTS) * STATUSES["403"]},
        "Users table queries per second": {"users table queries/s": USERS_TABLE_QUERIES * s.n(m.DATABASE_QUERIES)},
        "PostgreSQL": {"up": 1},
        # business
        "Transformations per minute": {"per minute": s.transformations * 60},
        "Average text length": {"characters": mean(TEXT_SHARES)},
        "Transformation error rate": {"failed share": 100 * TRANSFORMATION_ERRORS},
        "Cache hit rate": {"hit share": 100 * CACHE_HITS},
        "Transformations": {"transformations": s.transformations * RANGE},
        "Popular transformation types": {t: s.transformations * w * RANGE for t, w in TYPES.items()},
        "Model usage distribution": {k: s.transformations * w * RANGE for k, w in MODELS.items()},
        "Usage trend by transformation type": {t: s.transformations * w * 60 for t, w in TYPES.items()},
        "LLM cost by model": {k: cost * w * RANGE for k, w in MODELS.items()},
        "LLM cost per hour by model": {k: cost * w * 3600 for k, w in MODELS.items()},
        "Cost per transformation": {"USD": cost / s.transformations},  # the two may come from two sources
        "LLM tokens per second": {f"{k} {kind}": tokens * w * wk
                                  for k, w in MODELS.items() for kind, wk in KINDS.items()},
        # system
        "CPU usage": {i: 100 * (1 - IDLE) for i in nodes},
        "Memory usage": {i: 100 * (1 - AVAILABLE / MEMORY) for i in nodes},
        "Disk I/O": {**{f"{i} read": DISK_READ for i in nodes}, **{f"{i} written": DISK_WRITTEN for i in nodes}},
        "Network traffic": {**{f"{i} in": NET_RX * (1 - LOOPBACK) for i in nodes},
                            **{f"{i} out": NET_TX * (1 - LOOPBACK) for i in nodes}},
        "Disk usage": {f"{i} {mount}": 100 * (1 - FS_AVAIL / FS_SIZE)
                       for i in nodes for _, fstype, mount in FILESYSTEMS if fstype != "tmpfs"},
        "Container status": {f"{ns}/{pod}/{c} {what}": value for ns, pod, c in containers
                             for what, value in (("ready", 1), ("restarts (1h)", RESTARTS_PER_HOUR))},
        "Container CPU": {pod: CONTAINER_CPU for _, pod, _ in containers},
        "Container memory": {pod: CONTAINER_MEMORY for _, pod, _ in containers},
    }
    if title in service and uid.endswith("slo"):
        return service[title]
    if title not in table:
        raise AssertionError(f"{uid}: panel {title!r} has no truth: add it to test_known_truth.truth()")
    return table[title]


# --- what a panel shows ----------------------------------------------------
def displayed(value: float, unit: str | None) -> float:
    """The number a panel prints for ``value`` in ``unit`` (without its suffix)."""
    return value * 100 if unit == "percentunit" else value


def series_name(panel: dict, target: dict, labels: dict[str, str]) -> str:
    if panel["type"] == "table":  # one row per container, one column per query
        return f"{labels.get('namespace')}/{labels.get('pod')}/{labels.get('container')} {target['legendFormat']}"
    return legend(target, labels)


def shown(url: str, data: dict, panel: dict, chosen: dict[str, str], builtins: Builtins,
          at: float) -> dict[str, float]:
    unit = (panel.get("fieldConfig") or {}).get("defaults", {}).get("unit")
    out = {}
    for p, target in panel_targets(data):
        if p is not panel:
            continue
        for series in evaluate(url, data, target, chosen, builtins, at):
            out[series_name(panel, target, series["metric"])] = displayed(float(series["value"][1]), unit)
    return out


def compare(panel: str, shows: dict[str, float], truth_: dict[str, float]) -> list[str]:
    """Every difference between what the panel shows and the truth, one line each."""
    if not shows:
        return [f"{panel}: shows No data, the truth is {_fmt(truth_)}"]
    problems = []
    for name in sorted(set(shows) | set(truth_)):
        value, expected = shows.get(name), truth_.get(name)
        if expected is None:
            problems.append(f"{panel}: shows a series {name!r} = {value:g} that should not be there")
        elif value is None:
            problems.append(f"{panel}: does not show {name!r} (the truth is {expected:g})")
        elif not math.isclose(value, expected, rel_tol=TOLERANCE, abs_tol=1e-9):
            problems.append(f"{panel}: {name!r} shows {value:g}, the truth is {expected:g}")
    return problems


def _fmt(values: dict[str, float]) -> str:
    return ", ".join(f"{k}={v:g}" for k, v in list(values.items())[:4]) or "nothing"


# --- the tests -------------------------------------------------------------
@pytest.fixture(scope="module")
def scenario(cfg):
    """A real Prometheus over the exact scenario, the recording rules backfilled."""
    from tonebridge_dash.prometheus.server import SyntheticPrometheus, find_binary

    if find_binary("prometheus") is None or find_binary("promtool") is None:
        pytest.skip("prometheus and promtool not installed (apt-get install prometheus); .ci/run installs it")
    with SyntheticPrometheus(cfg=cfg, profile=SCENARIO, duration=DURATION, step=STEP) as prom:
        yield prom


def _selections(url: str, data: dict, at: float) -> list[dict[str, str]]:
    """All filters at All, then each filter at each of its values."""
    out = [{}]
    for v in data["templating"]["list"]:
        if v.get("type") == "query":
            out += [{v["name"]: value} for value in variable_values(url, data, v["name"], at)]
    return out


def wrong_numbers(uid: str, data: dict, prom, placement: dict[str, str] | None = None) -> list[str]:
    """Every panel of the dashboard against the truth, with each filter
    choice; ``placement``: the source of each metric in the traffic."""
    builtins = Builtins.for_dashboard(data, STEP)
    problems = []
    panels = list({id(p): p for p, _ in panel_targets(data)}.values())
    for chosen in _selections(prom.url, data, prom.end):
        s = Selection.of(chosen, placement)
        for panel in panels:
            where = f"{panel['title']} with {chosen or 'every filter at All'}"
            escaped = {k: regex_escape(v) for k, v in chosen.items()}  # as Grafana puts a chosen value
            problems += compare(where, shown(prom.url, data, panel, escaped, builtins, prom.end),
                                truth(uid, panel["title"], s))
    return problems


@pytest.mark.parametrize("uid", ["tb-overview", "tb-application", "tb-business", "tb-system", "tb-slo"])
def test_every_panel_shows_the_truth(rendered, scenario, uid):
    problems = wrong_numbers(uid, rendered[uid].data, scenario)
    assert not problems, f"{uid}: {len(problems)} wrong numbers:\n" + "\n".join(problems[:20])


def test_the_scenario_has_the_deployment_it_claims(scenario):
    """Gateway metrics from three replicas, node metrics from two nodes, the LLM's from its own job."""
    def jobs_instances(metric):
        return {(s["metric"]["job"], s["metric"]["instance"])
                for s in query(scenario.url, f"count by (job, instance) ({metric})", scenario.end)}

    assert jobs_instances(m.REQUESTS.name) == {(GATEWAY, i) for i in GATEWAYS}
    assert jobs_instances(m.TRANSFORMATIONS.name) == {(LLM, i) for i in LLMS}
    assert jobs_instances(m.CACHE_REQUESTS.name) == {(LLM, i) for i in LLMS}  # §4.2: with the transformations
    assert jobs_instances(m.NODE_CPU.name) == {(NODE, i) for i in NODES}
    assert ALL == ".+"


# The checker itself fails on a wrong number and on a blank panel.
def test_it_fails_on_the_seed_active_users_expression(scenario):
    seed = "count(increase(tonebridge_user_activity[5m]) > 0)"  # the seed's §6.1 expression
    value = float(query(scenario.url, seed, scenario.end)[0]["value"][1])
    problems = compare("Active users", {"active users": value}, {"active users": USERS})
    assert problems == [f"Active users: 'active users' shows {USERS * len(GATEWAYS)}, the truth is {USERS}"]


def test_it_fails_on_a_filter_that_blanks_a_panel(rendered, scenario):
    """The LLM's metrics filtered by the gateway's ``$instance`` (as before
    they had their own ``$llm_instance``) show nothing for any one instance."""
    data = rendered["tb-business"].data
    panel = next(p for p, _ in panel_targets(data) if p["title"] == "Transformations per minute")
    blanking = {**panel, "targets": [{**t, "expr": t["expr"].replace("$llm_", "$")} for t in panel["targets"]]}
    chosen = {"instance": GATEWAYS[0]}
    shows = {}
    for target in blanking["targets"]:
        for series in evaluate(scenario.url, data, target, chosen, Builtins.for_dashboard(data, STEP), scenario.end):
            shows[legend(target, series["metric"])] = float(series["value"][1])
    problems = compare("Transformations per minute", shows, truth("tb-business", "Transformations per minute",
                                                                  Selection.of(chosen)))
    assert problems and "No data" in problems[0]


def test_the_container_table_reads_as_words_and_whole_restarts(rendered, scenario):
    """The table as Grafana draws it: queries merged into one row per
    container, columns renamed, readiness mapped to words, restarts whole."""
    data = rendered["tb-system"].data
    panel = next(p for p, _ in panel_targets(data) if p["title"] == "Container status")
    organize = next(t for t in panel["transformations"] if t["id"] == "organize")["options"]
    overrides = {o["matcher"]["options"]: {p["id"]: p["value"] for p in o["properties"]}
                 for o in panel["fieldConfig"]["overrides"]}
    rows: dict[tuple, dict] = {}
    for target in panel["targets"]:
        for series in evaluate(scenario.url, data, target, {}, Builtins.for_dashboard(data, STEP), scenario.end):
            labels = series["metric"]
            row = rows.setdefault(tuple(labels[k] for k in ("namespace", "pod", "container")),
                                  {organize["renameByName"].get(k, k): v for k, v in labels.items()})
            row[organize["renameByName"][f"Value #{target['refId']}"]] = float(series["value"][1])

    def cell(column: str, value):
        mappings = overrides.get(column, {}).get("mappings") or []
        text = next((m["options"][f"{value:g}"]["text"] for m in mappings if f"{value:g}" in m["options"]), None)
        decimals = overrides.get(column, {}).get("decimals")
        return text or (f"{value:.{decimals}f}" if decimals is not None else value)

    shown = sorted((r["Namespace"], r["Pod"], r["Container"], cell("Ready", r["Ready"]),
                    cell("Restarts (1h)", r["Restarts (1h)"])) for r in rows.values())
    assert shown == sorted((ns, pod, c, "Ready", str(RESTARTS_PER_HOUR)) for ns, pod, c in CONTAINERS)
    mapping = overrides["Ready"]["mappings"][0]["options"]
    assert (mapping["1"]["text"], mapping["0"]["text"]) == ("Ready", "Not ready")
