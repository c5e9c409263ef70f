"""SLOs: each SLI against its target, burn rates and the error budget (seed §11)."""

from panels import requests, slo
from panels.metrics import REQUESTS
from tonebridge_dash.kit import Cell, row

from ._common import dashboard, detail, job_instance_variables

WHY = "Errors and latency in detail"


def build(cfg):
    return dashboard(
        cfg, __name__, "SLOs",
        f"Availability, error rate, p95 response time and throughput over the {cfg.slo.window} SLO "
        "window against their targets; error budget burn rates and what is left of the budget "
        "(seed §11). The SLO-window and budget rows are service-wide: they read the series the SLO "
        "recording rules store (tb-dash rules). The job and instance filters apply to the last row.",
        [
            row(f"SLO window ({cfg.slo.window})",
                Cell(slo.availability_slo_stat(cfg), w=4, h=5),
                Cell(slo.error_ratio_slo_stat(cfg), w=4, h=5),
                Cell(slo.latency_p95_slo_stat(cfg), w=4, h=5),
                Cell(slo.throughput_slo_stat(cfg), w=4, h=5),
                Cell(slo.error_budget_remaining_stat(cfg), w=4, h=5),
                Cell(slo.error_budget_minutes_stat(cfg), w=4, h=5)),
            row("Error budget",
                Cell(detail(slo.burn_rate_timeseries(cfg), cfg, "application", WHY), w=12, h=9),
                Cell(slo.error_budget_remaining_timeseries(cfg), w=12, h=9)),
            row("SLIs now, by job and instance",
                Cell(detail(requests.success_ratio_timeseries(cfg), cfg, "application", WHY), w=8),
                Cell(detail(slo.latency_p95_slo_timeseries(cfg), cfg, "application", WHY), w=8),
                Cell(slo.throughput_slo_timeseries(cfg), w=8)),
        ],
        job_instance_variables(cfg, REQUESTS),
    )
