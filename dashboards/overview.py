"""Overview: the four panels of the seed's §6.1."""

from panels import requests, users
from panels.metrics import REQUESTS
from tonebridge_dash.dashboard.layout import Cell, row

from ._common import dashboard, job_instance_variables


def build(cfg):
    return dashboard(
        cfg, __name__, "Overview",
        "Request rate, p95 response time, error rate and active users (seed §6.1).",
        [
            row(None,
                Cell(requests.request_rate_timeseries(cfg), w=12, h=9),
                Cell(requests.latency_p95_timeseries(cfg), w=12, h=9),
                Cell(requests.error_ratio_timeseries(cfg), w=12, h=9),
                Cell(users.active_users_timeseries(cfg), w=12, h=9)),
        ],
        job_instance_variables(cfg, REQUESTS),
    )
