"""Business: transformations, users, popular types, trends, cost (seed §4.2, §6.2)."""

from panels import business, users
from panels.metrics import REQUESTS
from tonebridge_dash.kit import Cell, auto_grid, row, tabs

from ._common import dashboard, job_instance_variables

# As a v2 resource (settings' dashboards.schema v2beta1 or v2): the three
# rows are tabs, the KPIs' stats on an auto grid, four to a line.
V2_LAYOUT = tabs(auto_grid("KPIs", columns=4, height="short"), "Usage", "Cost")


def build(cfg):
    return dashboard(
        cfg, __name__, "Business",
        "Business KPIs (seed §4.2) and usage, popularity, trends and LLM cost (seed §6.2).",
        [
            row("KPIs",
                Cell(business.transformations_per_minute_stat(cfg), w=6, h=5),
                Cell(business.average_text_length_stat(cfg), w=6, h=5),
                Cell(business.transformation_error_ratio_stat(cfg), w=6, h=5),
                Cell(business.cache_hit_ratio_stat(cfg), w=6, h=5)),
            row("Usage",
                Cell(business.transformation_count_stat(cfg), w=6, h=8),
                Cell(users.active_users_timeseries(cfg), w=18, h=8),
                Cell(business.popular_transformation_types_bargauge(cfg), w=12),
                Cell(business.model_usage_piechart(cfg), w=12),
                Cell(business.usage_trend_timeseries(cfg), w=24)),
            row("Cost",
                Cell(business.llm_cost_bargauge(cfg), w=8),
                Cell(business.llm_cost_rate_timeseries(cfg), w=10),
                Cell(business.cost_per_transformation_stat(cfg), w=6),
                Cell(business.llm_tokens_timeseries(cfg), w=24)),
        ],
        job_instance_variables(cfg, REQUESTS),
    )
