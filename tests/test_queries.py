"""The PromQL: parses, uses the catalog's names, and carries the seed fixes."""

from __future__ import annotations

import re

import promql_parser
import pytest

from panels import metrics, queries as q


def _parse(expr: str):
    # Grafana's variables are not PromQL: substitute plausible values first.
    expr = expr.replace("$__rate_interval", "1m").replace("$__range", "6h")
    expr = re.sub(r"\$(\w+)", ".+", expr)
    return promql_parser.parse(expr)


def _all_queries(cfg):
    s = q.rule_scope("5m")
    return {
        "request_rate": q.request_rate(cfg),
        "error_ratio": q.error_ratio(cfg),
        "success_ratio": q.success_ratio(cfg),
        "latency_p95": q.latency_quantile(cfg, 0.95),
        "latency_buckets": q.latency_buckets(cfg),
        "latency_mean": q.latency_mean(cfg),
        "active_users": q.active_users(cfg),
        "active_connections": q.active_connections(cfg),
        "transformation_latency": q.transformation_latency(cfg, 0.9),
        "tpm": q.transformations_per_minute(cfg),
        "popular": q.popular_transformation_types(cfg),
        "text_length": q.average_text_length(cfg),
        "cache": q.cache_hit_ratio(cfg),
        "cost": q.cost_per_transformation(cfg),
        "tokens": q.llm_tokens_rate(cfg),
        "cpu": q.cpu_usage_ratio(cfg),
        "memory": q.memory_usage_ratio(cfg),
        "disk": q.disk_usage_ratio(cfg),
        "disk_io": q.disk_io_bytes(cfg, "read"),
        "network": q.network_bytes(cfg, "transmit"),
        "containers": q.containers_ready(cfg),
        "restarts": q.container_restarts(cfg),
        "rule_error_ratio": q.error_ratio(cfg, s),
        "rule_login": q.failed_login_rate(cfg, s),
        "rule_users_table": q.table_query_rate(cfg, "users", s),
    }


def test_every_query_parses(cfg):
    for name, expr in _all_queries(cfg).items():
        try:
            _parse(expr)
        except ValueError as e:  # promql_parser raises ValueError
            pytest.fail(f"{name}: {e}\n{expr}")


def test_every_metric_name_used_is_in_the_catalog(cfg):
    known = metrics.series_names()
    for name, expr in _all_queries(cfg).items():
        for metric in re.findall(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\{", expr):
            assert metric in known, f"{name} reads {metric}, which the catalog does not define"


def test_error_ratio_is_a_ratio_of_5xx_to_all_requests(cfg):
    expr = q.error_ratio(cfg, q.rule_scope("5m"))
    numerator, denominator = expr.split("\n/\n")
    assert 'status=~"5.."' in numerator
    assert "status" not in denominator
    assert numerator.startswith("sum (rate(tonebridge_requests_total")
    assert denominator == "sum (rate(tonebridge_requests_total[5m]))"


def test_histogram_quantile_aggregates_buckets_by_le(cfg):
    expr = q.latency_quantile(cfg, 0.95, q.rule_scope("5m"))
    assert expr == ("histogram_quantile(0.95, sum by (le) "
                    "(rate(tonebridge_request_duration_seconds_bucket[5m])))")
    assert "sum by (le, endpoint)" in q.latency_quantile(cfg, 0.99, by=("endpoint",))


def test_dashboard_scope_uses_rate_interval_and_filters(cfg):
    expr = q.request_rate(cfg)
    assert "[$__rate_interval]" in expr
    assert 'job=~"$job"' in expr and 'instance=~"$instance"' in expr


def test_rule_scope_has_no_grafana_variables(cfg):
    for name, expr in _all_queries(cfg).items():
        if name.startswith("rule_"):
            assert "$" not in expr, name


def test_counters_are_only_read_through_rate_or_increase(cfg):
    counters = {m.name for m in metrics.CATALOG if m.type == metrics.COUNTER}
    for name, expr in _all_queries(cfg).items():
        for metric in counters:
            for match in re.finditer(re.escape(metric) + r"\b", expr):
                before = expr[:match.start()]
                assert re.search(r"(rate|increase)\($", before), f"{name}: bare counter {metric}"


def test_catalog_names_from_the_seed_are_exact():
    assert metrics.REQUESTS.labels == ("method", "endpoint", "status")
    assert metrics.REQUEST_DURATION.type == metrics.HISTOGRAM
    assert metrics.REQUEST_DURATION.buckets == (0.01, 0.05, 0.1, 0.5, 1, 2, 5)
    assert metrics.TRANSFORMATION_LATENCY.type == metrics.SUMMARY
    assert metrics.TRANSFORMATION_LATENCY.labels == ("transformation_type", "model")
    names = {m.name for m in metrics.CATALOG}
    assert {"tonebridge_requests_total", "tonebridge_request_duration_seconds",
            "tonebridge_active_connections", "tonebridge_transformation_latency_ms",
            "tonebridge_user_activity"} <= names
    assert len(names) == len(metrics.CATALOG), "a metric name is defined twice"


# --- selectors are settings (kubernetes-mixin's _config) ---------------------------
def test_every_query_reads_its_sources_selector_from_the_settings(cfg):
    """With a job selector per source, every selector of every query carries
    the one of the metric's source, on dashboards and in rule files alike."""
    from tonebridge_dash.settings import from_mapping

    sources = {"gateway": 'job="gw"', "llm": 'job="llm"', "node_exporter": 'job="node"',
               "kube_state_metrics": 'job="ksm"', "cadvisor": 'job="cadvisor"'}
    picky = from_mapping({"selectors": sources})
    checked = 0
    for name, expr in _all_queries(picky).items():
        for node in _selectors(_parse(expr)):
            metric = metrics.BY_NAME.get(_base_name(node.name))
            if metric is None or metric.source not in sources:
                continue
            wanted = sources[metric.source].split("=")[1].strip('"')
            jobs = [m.value for m in node.matchers.matchers if m.name == "job" and m.op == promql_parser.MatchOp.Equal]
            assert jobs == [wanted], f"{name}: {node.name} has job matchers {jobs}"
            checked += 1
    assert checked >= 25  # the walk reaches the selectors inside rate(), sum() and binary operators
    # the defaults select nothing more than before: no job matcher at all
    assert 'job="' not in q.request_rate(cfg, q.rule_scope("5m"))


def _base_name(series: str) -> str:
    for suffix in ("_bucket", "_sum", "_count"):
        if series.endswith(suffix) and series[: -len(suffix)] in metrics.BY_NAME:
            return series[: -len(suffix)]
    return series


def _selectors(node):
    if isinstance(node, promql_parser.VectorSelector):
        yield node
    for attr in ("expr", "lhs", "rhs", "vector_selector"):
        child = getattr(node, attr, None)
        if child is not None:
            yield from _selectors(child)
    for arg in getattr(node, "args", None) or []:
        yield from _selectors(arg)


def test_filesystem_namespace_and_database_selectors_are_settings():
    from tonebridge_dash.settings import from_mapping

    cfg = from_mapping({"selectors": {"filesystem": 'fstype="ext4"', "namespace": 'namespace="shop"',
                                      "postgresql": 'job="pg", env="prod"'}})
    assert q.disk_usage_ratio(cfg).count('fstype="ext4"') == 2
    assert "tmpfs" not in q.disk_usage_ratio(cfg)
    for expr in (q.containers_ready(cfg), q.container_restarts(cfg), q.container_cpu_cores(cfg),
                 q.container_memory_bytes(cfg)):
        assert 'namespace="shop"' in expr, expr
    assert q.target_up(cfg, q.rule_scope("5m"), metrics.POSTGRESQL) == 'up{job="pg", env="prod"}'


@pytest.mark.parametrize("selectors, message", [
    ({"gateway": 'job="gw'}, "key 'selectors.gateway': 'job=\"gw' is not a list of PromQL label matchers"),
    ({"gatway": 'job="gw"'}, "unknown key 'selectors.gatway' (allowed: cadvisor, filesystem, gateway,"),
])
def test_a_bad_selector_is_a_settings_error(selectors, message):
    from tonebridge_dash.errors import SettingsError
    from tonebridge_dash.settings import from_mapping

    with pytest.raises(SettingsError) as e:
        from_mapping({"selectors": selectors}, "tb-dash.yaml")
    assert str(e.value).startswith(f"tb-dash.yaml: {message}")
