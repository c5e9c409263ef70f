"""Overview: the four panels of the seed's §6.1, each linked to the detail
dashboard that explains it."""

from panels import requests, users
from panels.metrics import REQUESTS
from tonebridge_dash.kit import Cell, row

from ._common import dashboard, detail, job_instance_variables

TRAFFIC = "Traffic, latency and errors in detail"


def build(cfg):
    return dashboard(
        cfg, __name__, "Overview",
        "Request rate, p95 response time, error rate and active users (seed §6.1).",
        [
            row(None,
                Cell(detail(requests.request_rate_timeseries(cfg), cfg, "application", TRAFFIC), w=12, h=9),
                Cell(detail(requests.latency_p95_timeseries(cfg), cfg, "application", TRAFFIC), w=12, h=9),
                Cell(detail(requests.error_ratio_timeseries(cfg), cfg, "application", TRAFFIC), w=12, h=9),
                Cell(detail(users.active_users_timeseries(cfg), cfg, "business", "Usage in detail"), w=12, h=9)),
        ],
        job_instance_variables(cfg, REQUESTS),
    )
