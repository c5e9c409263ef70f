"""Business KPIs (seed §4.2) and the business dashboard's panels (§6.2)."""

from __future__ import annotations

from . import common as c
from . import queries as q
from .queries import SERVICE, Scope


def transformations_per_minute_stat(cfg, scope: Scope = SERVICE) -> c.g.Stat:
    return c.stat(
        "Transformations per minute",
        "Completed transformations per minute, all types and models (§4.2 TransformationsPerMinute).",
        "suffix: transformations/min",
        [c.target(q.transformations_per_minute(cfg, scope), "per minute")],
        decimals=1,
    )


def average_text_length_stat(cfg, scope: Scope = SERVICE) -> c.g.Stat:
    return c.stat(
        "Average text length",
        "Mean length of the input text, in characters (§4.2 AverageTextLength).",
        "suffix: characters",
        [c.target(q.average_text_length(cfg, scope), "characters")],
        decimals=0,
    )


def transformation_error_ratio_stat(cfg, scope: Scope = SERVICE) -> c.g.Stat:
    return c.stat(
        "Transformation error rate",
        "Share of transformations that failed (§4.2 ErrorRate).",
        "percentunit",
        [c.target(q.transformation_error_ratio(cfg, scope), "failed share")],
        threshold=cfg.thresholds.transformation_error_ratio,
        decimals=2,
    )


def cache_hit_ratio_stat(cfg, scope: Scope = SERVICE) -> c.g.Stat:
    return c.stat(
        "Cache hit rate",
        "Share of cache look-ups that hit (§4.2 CacheHitRate); low is bad.",
        "percentunit",
        [c.target(q.cache_hit_ratio(cfg, scope), "hit share")],
        threshold=cfg.thresholds.cache_hit_ratio_min,
        decimals=1,
    )


def model_usage_piechart(cfg, scope: Scope = SERVICE) -> c.g.PieChartv2:
    return c.piechart(
        "Model usage distribution",
        "Transformations per model in the selected time range (§4.2 ModelUsageDistribution).",
        "short",
        [c.target(q.transformations_in_range(cfg, scope, by=("model",)), "{{model}}", instant=True)],
    )


def transformation_count_stat(cfg, scope: Scope = SERVICE) -> c.g.Stat:
    return c.stat(
        "Transformations",
        "Transformations completed in the selected time range.",
        "suffix: transformations",
        [c.target(q.transformations_in_range(cfg, scope), "transformations", instant=True)],
        decimals=0,
        graph=False,
    )


def popular_transformation_types_bargauge(cfg, scope: Scope = SERVICE) -> c.g.BarGauge:
    return c.bargauge(
        "Popular transformation types",
        "The five most used transformation types in the selected time range.",
        "suffix: transformations",
        [c.target(q.popular_transformation_types(cfg, scope), "{{transformation_type}}", instant=True)],
    )


def usage_trend_timeseries(cfg, scope: Scope = SERVICE) -> c.g.TimeSeries:
    return c.timeseries(
        "Usage trend by transformation type",
        "Transformations per minute by type, stacked.",
        "suffix: transformations/min",
        [c.target(q.transformations_per_minute(cfg, scope, by=("transformation_type",)),
                  "{{transformation_type}}")],
        stack=True,
    )


def llm_cost_bargauge(cfg, scope: Scope = SERVICE) -> c.g.BarGauge:
    return c.bargauge(
        "LLM cost by model",
        "LLM spend per model in the selected time range, in US dollars.",
        "currencyUSD",
        [c.target(q.llm_cost_in_range(cfg, scope), "{{model}}", instant=True)],
    )


def llm_cost_rate_timeseries(cfg, scope: Scope = SERVICE) -> c.g.TimeSeries:
    return c.timeseries(
        "LLM cost per hour by model",
        "LLM spend rate per model, in US dollars per hour.",
        "currencyUSD",
        [c.target(q.llm_cost_per_hour(cfg, scope), "{{model}}")],
        stack=True,
    )


def llm_tokens_timeseries(cfg, scope: Scope = SERVICE) -> c.g.TimeSeries:
    return c.timeseries(
        "LLM tokens per second",
        "Prompt and completion tokens per second, per model.",
        "suffix: tokens/s",
        [c.target(q.llm_tokens_rate(cfg, scope), "{{model}} {{kind}}")],
    )


def cost_per_transformation_stat(cfg, scope: Scope = SERVICE) -> c.g.Stat:
    return c.stat(
        "Cost per transformation",
        "LLM spend divided by transformations completed, in the selected time range.",
        "currencyUSD",
        [c.target(q.cost_per_transformation(cfg, scope), "USD", instant=True)],
        decimals=4,
        graph=False,
    )
