"""Secrets in URLs are never printed: the user and password before ``@`` and
the query string's values are redacted wherever a Grafana or Prometheus URL
appears in a message, and the CLI's errors show neither."""

from __future__ import annotations

import pytest

from emulated import free_port
from tonebridge_dash.errors import TbDashError, UsageError, redact_url
from tonebridge_dash.grafana import GrafanaClient
from tonebridge_dash.prometheus.client import PrometheusClient, PrometheusUnreachable

SECRET = "s3cret-Pa55"


@pytest.mark.parametrize("url, shown", [
    (f"http://admin:{SECRET}@prom:9090", "http://***@prom:9090"),
    (f"https://{SECRET}@grafana.example.com/sub", "https://***@grafana.example.com/sub"),
    (f"https://grafana.example.com/?token={SECRET}&orgId=1", "https://grafana.example.com/?token=***&orgId=***"),
    (f"http://h/p?{SECRET}#{SECRET}", "http://h/p?***#***"),
    (f"user:{SECRET}@host:3000", "***@host:3000"),
    ("http://localhost:9090/prometheus", "http://localhost:9090/prometheus"),
])
def test_redact_url(url, shown):
    assert redact_url(url) == shown


@pytest.mark.parametrize("url", [f"ftp://admin:{SECRET}@grafana", f"http://grafana:3000/?token={SECRET}",
                                 f"http://grafana:3000/#{SECRET}", f"http://admin:{SECRET}@grafana:3000"])
def test_a_grafana_url_with_secrets_is_refused_without_showing_them(url):
    with pytest.raises(UsageError) as e:
        GrafanaClient(url)
    assert SECRET not in e.value.message


def test_prometheus_userinfo_is_redacted_in_errors():
    url = f"http://admin:{SECRET}@127.0.0.1:{free_port()}"
    with pytest.raises(PrometheusUnreachable) as e:
        PrometheusClient(url, timeout=2).metric_names()
    assert e.value.message == f"cannot reach Prometheus at {redact_url(url)} (ConnectionError)"
    assert SECRET not in e.value.message
    with pytest.raises(PrometheusUnreachable) as e:
        PrometheusClient(f"ftp://admin:{SECRET}@prom")
    assert e.value.message == "--prometheus-url must start with http:// or https://, not 'ftp://***@prom'"


def test_a_prometheus_url_with_a_query_string_is_refused_without_showing_it():
    with pytest.raises(TbDashError) as e:
        PrometheusClient(f"http://127.0.0.1:9/?token={SECRET}")
    assert e.value.exit_code == 2 and SECRET not in e.value.message
    assert "query string" in e.value.message


def test_check_never_prints_the_password(tb):
    url = f"http://user:{SECRET}@127.0.0.1:{free_port()}"
    r = tb("check", "-p", url, "--timeout", "2")
    assert r.code == 2 and SECRET not in r.out + r.err
    assert r.err.strip().endswith("cannot reach Prometheus at http://***@127.0.0.1:"
                                  f"{url.rsplit(':', 1)[1]} (ConnectionError)")


@pytest.mark.parametrize("url", [f"http://127.0.0.1:{{port}}/?token={SECRET}",
                                 f"http://admin:{SECRET}@127.0.0.1:{{port}}"])
def test_push_and_diff_never_print_a_secret_of_the_url(tb, url):
    url = url.format(port=free_port())
    for command in ("push", "diff"):
        r = tb(command, "--grafana-url", url, "--retries", "0")
        assert r.code == 2 and SECRET not in r.out + r.err and len(r.err.splitlines()) == 1, r.err
