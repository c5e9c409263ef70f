"""ToneBridge's synthetic traffic profile: what ``tb-dash demo`` and the
tests serve from a real Prometheus.

The jobs and instances Prometheus would scrape (two replicas of each
service, two nodes), the label values and their weights (about 1% of
requests are 5xx), and the rates, levels and latency distributions of the
metrics in the catalog (``metrics.py``). A metric left out here still gets
traffic, with the generator's defaults for its type.
"""

from __future__ import annotations

from tonebridge_dash.kit import Profile

from . import metrics as m

JOBS = {
    m.GATEWAY: "tonebridge-gateway",
    m.LLM: "tonebridge-llm",
    m.NODE_EXPORTER: "node",
    m.POSTGRESQL: "postgresql",
    m.KUBE_STATE_METRICS: "kube-state-metrics",
    m.CADVISOR: "cadvisor",
}

INSTANCES = {
    JOBS[m.GATEWAY]: ("gateway-0:8080", "gateway-1:8080"),
    JOBS[m.LLM]: ("llm-0:8000", "llm-1:8000"),
    JOBS[m.NODE_EXPORTER]: ("node-1:9100", "node-2:9100"),
    JOBS[m.POSTGRESQL]: ("postgres-exporter:9187",),
    JOBS[m.KUBE_STATE_METRICS]: ("kube-state-metrics:8080",),
    JOBS[m.CADVISOR]: ("node-1:10250", "node-2:10250"),
}

# Label values, and their relative weights where the mix matters.
LABEL_VALUES = {
    "method": {"POST": 0.7, "GET": 0.3},
    "endpoint": {"/api/v1/transform": 0.6, "/api/v1/history": 0.2, "/api/v1/users/me": 0.15, "/healthz": 0.05},
    # 5xx add up to 1% of requests.
    "status": {"200": 0.955, "400": 0.025, "401": 0.007, "403": 0.003, "500": 0.007, "503": 0.003},
    "transformation_type": {"polite": 0.4, "casual": 0.25, "formal": 0.2, "concise": 0.15},
    "model": {"gpt-4o-mini": 0.5, "gpt-4": 0.35, "llama-3-8b": 0.15},  # gpt-4: the spec's example
    "user_id": {f"u{i:03d}": 1.0 for i in range(1, 21)},
    "cache": {"response": 0.6, "prompt": 0.4},
    "result": {"hit": 0.85, "miss": 0.15},
    "kind": {"prompt": 0.6, "completion": 0.4},
    "table": {"users": 0.2, "transformations": 0.6, "sessions": 0.2},
    "operation": {"select": 0.8, "insert": 0.15, "update": 0.05},
    "cpu": {str(i): 1.0 for i in range(4)},
    "mode": {"idle": 0.7, "user": 0.2, "system": 0.08, "iowait": 0.02},
    "device": {"nvme0n1": 0.8, "sda": 0.2},
}
# Per-metric label values where a label means something else there.
METRIC_LABEL_VALUES = {
    m.NODE_NET_RX.name: {"device": {"eth0": 0.95, "lo": 0.05}},
    m.NODE_NET_TX.name: {"device": {"eth0": 0.95, "lo": 0.05}},
    m.TRANSFORMATIONS.name: {"status": {"success": 0.985, "error": 0.015}},
    m.LOGIN_ATTEMPTS_FAILED.name: {"method": {"password": 0.8, "token": 0.2}},
}
# Labels that only occur together.
FILESYSTEMS = (("/dev/nvme0n1p1", "ext4", "/"), ("/dev/nvme0n1p2", "ext4", "/var/lib"),
               ("tmpfs", "tmpfs", "/run"))
CONTAINERS = (("tonebridge", "gateway-7d9f-abcde", "gateway"), ("tonebridge", "gateway-7d9f-fghij", "gateway"),
              ("tonebridge", "llm-5c6b-klmno", "llm"), ("tonebridge", "llm-5c6b-pqrst", "llm"),
              ("tonebridge", "postgresql-0", "postgresql"), ("monitoring", "prometheus-0", "prometheus"),
              # cAdvisor's pod-level series carry container="".
              ("tonebridge", "gateway-7d9f-abcde", ""))

PROFILE = Profile(
    metrics=m.CATALOG,
    jobs=JOBS,
    instances=INSTANCES,
    label_values=LABEL_VALUES,
    metric_label_values=METRIC_LABEL_VALUES,
    label_groups={("device", "fstype", "mountpoint"): FILESYSTEMS, ("namespace", "pod", "container"): CONTAINERS},
    # Per-second rate of each counter for one instance, before label weights
    # (node_cpu: 4 CPUs, each spending every second in some mode).
    rates={
        m.REQUESTS.name: 40.0, m.TRANSFORMATIONS.name: 12.0, m.CACHE_REQUESTS.name: 30.0,
        m.LLM_TOKENS.name: 4000.0, m.LLM_COST.name: 0.02, m.USER_ACTIVITY.name: 3.0,
        m.LOGIN_ATTEMPTS_FAILED.name: 0.05, m.DATABASE_QUERIES.name: 60.0,
        m.NODE_CPU.name: 4.0, m.NODE_DISK_READ.name: 2e6, m.NODE_DISK_WRITTEN.name: 5e6,
        m.NODE_NET_RX.name: 8e6, m.NODE_NET_TX.name: 6e6,
        m.CONTAINER_CPU.name: 0.4, m.CONTAINER_RESTARTS.name: 0.0002,
    },
    levels={
        m.ACTIVE_CONNECTIONS.name: 120.0, m.NODE_MEM_TOTAL.name: 16 * 2**30, m.NODE_MEM_AVAILABLE.name: 6 * 2**30,
        m.NODE_FS_SIZE.name: 200 * 2**30, m.NODE_FS_AVAIL.name: 90 * 2**30,
        m.CONTAINER_MEMORY.name: 300 * 2**20, m.CONTAINER_READY.name: 1.0, m.UP.name: 1.0,
    },
    steady=frozenset({m.NODE_MEM_TOTAL.name, m.NODE_FS_SIZE.name, m.CONTAINER_READY.name, m.UP.name}),
    # CPU seconds per mode add up to one per second whatever the traffic.
    flat=frozenset({m.NODE_CPU.name}),
    # Log-normal observation distributions: (median, sigma).
    distributions={
        m.REQUEST_DURATION.name: (0.12, 0.9),
        m.TEXT_LENGTH.name: (400.0, 0.8),
        m.TRANSFORMATION_LATENCY.name: (850.0, 0.5),
    },
    observations={m.REQUEST_DURATION.name: 40.0, m.TEXT_LENGTH.name: 12.0, m.TRANSFORMATION_LATENCY.name: 12.0},
)
