"""System health: CPU, memory, disk, network, containers (seed §6.2)."""

from panels import system
from panels.metrics import CONTAINER_READY, NODE_CPU
from panels.queries import configured, label_values
from tonebridge_dash.kit import Cell, row

from ._common import dashboard, filter_variable, job_instance_variables


def build(cfg):
    return dashboard(
        cfg, __name__, "System Health",
        "Nodes (node_exporter) and containers (cAdvisor, kube-state-metrics) "
        "that run ToneBridge (seed §6.2).",
        [
            row("Nodes",
                Cell(system.cpu_usage_timeseries(cfg), w=12),
                Cell(system.memory_usage_timeseries(cfg), w=12),
                Cell(system.disk_io_timeseries(cfg), w=12),
                Cell(system.network_traffic_timeseries(cfg), w=12),
                Cell(system.disk_usage_bargauge(cfg), w=24, h=6)),
            row("Containers",
                Cell(system.container_status_table(cfg), w=24, h=8),
                Cell(system.container_cpu_timeseries(cfg), w=12),
                Cell(system.container_memory_timeseries(cfg), w=12)),
        ],
        [
            *job_instance_variables(cfg, NODE_CPU),
            filter_variable("namespace", label_values(cfg, CONTAINER_READY, "namespace",
                                                      *configured(cfg, "namespace"))),
        ],
    )
