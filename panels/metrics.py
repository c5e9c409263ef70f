"""The metric catalog: every metric the dashboards and rules read.

This is the contract with the services' instrumentation. Names from the
seed's §4.1 are kept exactly as written there; the rest are the names this
project defines for what the seed asks for without naming a metric (§4.2
business metrics, §6.2 business panels), plus the node_exporter, cAdvisor
and kube-state-metrics series the system dashboard reads.

``label`` lists the labels the instrumentation sets; Prometheus adds ``job``
and ``instance`` when it scrapes, so every ToneBridge metric carries them too.
"""

from __future__ import annotations

from tonebridge_dash.kit import COUNTER, GAUGE, HISTOGRAM, SCRAPE, SUMMARY, Metric

# Sources: what emits a metric. Each has a job selector in the settings
# (``selectors``) and a job in the synthetic traffic profile (``panels.traffic``).
# ``source`` below is the default; the settings' ``sources`` moves a metric
# to another source for a deployment that emits it elsewhere.
GATEWAY = "gateway"  # the Go API gateway
LLM = "llm"  # the Python LLM service
NODE_EXPORTER = "node_exporter"
CADVISOR = "cadvisor"
KUBE_STATE_METRICS = "kube_state_metrics"
POSTGRESQL = "postgresql"  # the PostgreSQL exporter (only its ``up`` is read)


def _m(*args, source: str = GATEWAY, **kwargs) -> Metric:
    return Metric(*args, source=source, **kwargs)


# --- seed §4.1: application metrics, names exactly as in the seed ---------
REQUESTS = _m("tonebridge_requests_total", COUNTER, "requests", ("method", "endpoint", "status"),
              "Total number of requests", seed="§4.1")
REQUEST_DURATION = _m("tonebridge_request_duration_seconds", HISTOGRAM, "seconds", ("method", "endpoint"),
                      "Request duration in seconds", seed="§4.1",
                      buckets=(0.01, 0.05, 0.1, 0.5, 1, 2, 5))
ACTIVE_CONNECTIONS = _m("tonebridge_active_connections", GAUGE, "connections", (),
                        "Number of active connections", seed="§4.1")
TRANSFORMATION_LATENCY = _m("tonebridge_transformation_latency_ms", SUMMARY, "milliseconds",
                            ("transformation_type", "model"),
                            "Transformation latency in milliseconds", seed="§4.1",
                            quantiles=(0.5, 0.9, 0.99), source=LLM)
USER_ACTIVITY = _m("tonebridge_user_activity", COUNTER, "actions", ("user_id",),
                   "Actions per user; a user is active in a window when their series increased",
                   seed="§6.1 Active Users")

# --- §4.2 business metrics and §6.2 business panels: names defined here ----
TRANSFORMATIONS = _m("tonebridge_transformations_total", COUNTER, "transformations",
                     ("transformation_type", "model", "status"),
                     "Transformations completed, by type, model and outcome (status=success|error)",
                     seed="§4.2 TransformationsPerMinute, ModelUsageDistribution; §6.2 transformation count",
                     source=LLM)
TEXT_LENGTH = _m("tonebridge_transformation_text_length_chars", HISTOGRAM, "characters",
                 ("transformation_type",),
                 "Length of the input text of each transformation, in characters",
                 seed="§4.2 AverageTextLength",
                 buckets=(50, 100, 250, 500, 1000, 2500, 5000, 10000), source=LLM)
# §4.2 collects CacheHitRate in one BusinessMetrics with the transformations:
# the cache look-ups come from where the transformations do, the LLM service.
CACHE_REQUESTS = _m("tonebridge_cache_requests_total", COUNTER, "lookups", ("cache", "result"),
                    "Cache look-ups by outcome (result=hit|miss)", seed="§4.2 CacheHitRate", source=LLM)
LLM_TOKENS = _m("tonebridge_llm_tokens_total", COUNTER, "tokens", ("model", "kind"),
                "LLM tokens used, by model and kind (kind=prompt|completion)", seed="§6.2 cost analysis",
                source=LLM)
LLM_COST = _m("tonebridge_llm_cost_usd_total", COUNTER, "USD", ("model",),
              "LLM spend in US dollars, by model", seed="§6.2 cost analysis", source=LLM)

# --- §10.1 security metrics, names exactly as in the seed -------------------
LOGIN_ATTEMPTS_FAILED = _m("login_attempts_failed", COUNTER, "attempts", ("method",),
                           "Failed login attempts (a counter, although its name lacks _total)",
                           seed="§10.1 SuspiciousLoginAttempts")
DATABASE_QUERIES = _m("database_queries_total", COUNTER, "queries", ("table", "operation"),
                      "Database queries by table", seed="§10.1 AbnormalDataAccess")

# --- scrape health ------------------------------------------------------------
UP = _m("up", GAUGE, "bool", (), "1 when the last scrape of the target succeeded",
        source=SCRAPE, seed="§7.1 DatabaseConnectionFailure (job=\"postgresql\")")

# --- node_exporter (§6.2 system health, §7.1 memory and disk alerts) --------
NODE_CPU = _m("node_cpu_seconds_total", COUNTER, "seconds", ("cpu", "mode"),
              "CPU time spent in each mode", source=NODE_EXPORTER, seed="§6.2 CPU")
NODE_MEM_AVAILABLE = _m("node_memory_MemAvailable_bytes", GAUGE, "bytes", (),
                        "Memory available to new work", source=NODE_EXPORTER, seed="§7.1 HighMemoryUsage")
NODE_MEM_TOTAL = _m("node_memory_MemTotal_bytes", GAUGE, "bytes", (),
                    "Total memory", source=NODE_EXPORTER, seed="§7.1 HighMemoryUsage")
NODE_FS_AVAIL = _m("node_filesystem_avail_bytes", GAUGE, "bytes", ("device", "fstype", "mountpoint"),
                   "Filesystem space available to unprivileged users", source=NODE_EXPORTER,
                   seed="§7.1 DiskSpaceRunningOut")
NODE_FS_SIZE = _m("node_filesystem_size_bytes", GAUGE, "bytes", ("device", "fstype", "mountpoint"),
                  "Filesystem size", source=NODE_EXPORTER, seed="§7.1 DiskSpaceRunningOut")
NODE_DISK_READ = _m("node_disk_read_bytes_total", COUNTER, "bytes", ("device",),
                    "Bytes read from disk", source=NODE_EXPORTER, seed="§6.2 disk I/O")
NODE_DISK_WRITTEN = _m("node_disk_written_bytes_total", COUNTER, "bytes", ("device",),
                       "Bytes written to disk", source=NODE_EXPORTER, seed="§6.2 disk I/O")
NODE_NET_RX = _m("node_network_receive_bytes_total", COUNTER, "bytes", ("device",),
                 "Bytes received", source=NODE_EXPORTER, seed="§6.2 network traffic")
NODE_NET_TX = _m("node_network_transmit_bytes_total", COUNTER, "bytes", ("device",),
                 "Bytes transmitted", source=NODE_EXPORTER, seed="§6.2 network traffic")

# --- containers: cAdvisor and kube-state-metrics (§6.2 container status) ----
CONTAINER_CPU = _m("container_cpu_usage_seconds_total", COUNTER, "seconds",
                   ("namespace", "pod", "container"), "CPU time used by each container",
                   source=CADVISOR, seed="§6.2 container status")
CONTAINER_MEMORY = _m("container_memory_working_set_bytes", GAUGE, "bytes",
                      ("namespace", "pod", "container"), "Working-set memory of each container",
                      source=CADVISOR, seed="§6.2 container status")
CONTAINER_READY = _m("kube_pod_container_status_ready", GAUGE, "bool",
                     ("namespace", "pod", "container"), "1 when the container passes its readiness probe",
                     source=KUBE_STATE_METRICS, seed="§6.2 container status")
CONTAINER_RESTARTS = _m("kube_pod_container_status_restarts_total", COUNTER, "restarts",
                        ("namespace", "pod", "container"), "Container restarts",
                        source=KUBE_STATE_METRICS, seed="§6.2 container status")

CATALOG: tuple[Metric, ...] = tuple(v for v in dict(globals()).values() if isinstance(v, Metric))
BY_NAME: dict[str, Metric] = {m.name: m for m in CATALOG}
# Where each metric comes from unless the settings' ``sources`` say otherwise
# (``up`` comes from every target: it has no source to move to).
SOURCES: dict[str, str] = {m.name: m.source for m in CATALOG if m.source != SCRAPE}
# How a dashboard names a source's own job and instance filters ("LLM job").
SOURCE_TITLES = {GATEWAY: "Gateway", LLM: "LLM", NODE_EXPORTER: "Node", CADVISOR: "cAdvisor",
                 KUBE_STATE_METRICS: "kube-state-metrics", POSTGRESQL: "PostgreSQL"}


def series_names() -> set[str]:
    """Every series name the catalog implies (histograms and summaries expand)."""
    return set().union(*(m.series_names() for m in CATALOG))
