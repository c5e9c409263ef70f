"""Application: traffic, latency, errors and sessions (seed §6.2)."""

from panels import requests, security
from panels.metrics import REQUESTS
from panels.queries import ENDPOINT, label_values
from tonebridge_dash.kit import Cell, row

from ._common import dashboard, filter_variable, job_instance_variables


def build(cfg):
    s = ENDPOINT
    return dashboard(
        cfg, __name__, "Application",
        "Requests per second, response-time distribution, error and success "
        "rates, and active connections of the ToneBridge services (seed §6.2); "
        "what the security and database alerts watch (§7.1, §10.1).",
        [
            row("Now",
                Cell(requests.request_rate_stat(cfg, s), w=6, h=4),
                Cell(requests.error_ratio_stat(cfg, s), w=6, h=4),
                Cell(requests.success_ratio_stat(cfg, s), w=6, h=4),
                Cell(requests.active_connections_timeseries(cfg, s), w=6, h=4)),
            row("Traffic",
                Cell(requests.request_rate_timeseries(cfg, s, by=("endpoint",)), w=12),
                Cell(requests.request_rate_timeseries(cfg, s, by=("status",)), w=12)),
            row("Response time",
                Cell(requests.latency_heatmap(cfg, s), w=12),
                Cell(requests.latency_percentiles_timeseries(cfg, s), w=12),
                Cell(requests.transformation_latency_timeseries(cfg), w=24)),
            row("Errors",
                Cell(requests.error_ratio_timeseries(cfg, s, by=("endpoint",)), w=12),
                Cell(requests.success_ratio_timeseries(cfg, s), w=12)),
            row("Security and database",
                Cell(security.failed_logins_timeseries(cfg), w=7),
                Cell(security.forbidden_timeseries(cfg), w=7),
                Cell(security.users_table_timeseries(cfg), w=7),
                Cell(security.database_up_stat(cfg), w=3)),
        ],
        [
            *job_instance_variables(cfg, REQUESTS),
            filter_variable("endpoint", label_values(cfg, REQUESTS, "endpoint",
                                                     'job=~"$job"', 'instance=~"$instance"')),
        ],
    )
