"""The engine serves another service's monitoring repo unchanged: a small
"shop" repository with its own dashboards, rule files, settings defaults
and traffic profile, named in its tb-dash.yaml, renders, lints, writes its
rules and Alertmanager configuration, and never shows ToneBridge. Its
packages have the conventional names (dashboards, alerts), as ToneBridge's
installed ones do: run from the shop's root, tb-dash reads the shop's (the
``tb`` fixture runs each command as a process started there would, the
project's own packages of those names out of sight)."""

from __future__ import annotations

import json
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest
import yaml

FILES = {
    "tb-dash.yaml": """
        content:
          defaults: shop_content.defaults
          traffic: shop_content.traffic
        """,
    "shop_content/__init__.py": '"""The shop\'s measures."""\n',
    "shop_content/defaults.py": """
        DEFAULTS = {
            "dashboards": {"uid_prefix": "shop-", "tags": ["shop"]},
            "selectors": {"api": 'job="shop-api"'},
            "thresholds": {"latency_seconds": {"warning": 0.3, "critical": 1, "for": "5m"}},
            "alertmanager": {
                "receivers": {"default": {"channel": "#shop"}, "page": {"pagerduty": True}},
                "routes": [{"receiver": "page", "matchers": ['severity="page"']}],
            },
            "grafana": {"folder": {"title": "Shop", "uid": "shop"}},
        }
        """,
    "shop_content/traffic.py": """
        from tonebridge_dash.kit import COUNTER, HISTOGRAM, Metric
        from tonebridge_dash.kit import Profile

        ORDERS = Metric("shop_orders_total", COUNTER, "orders", ("region",), "Orders", source="api")
        LATENCY = Metric("shop_request_seconds", HISTOGRAM, "seconds", (), "Latency", source="api",
                         buckets=(0.1, 0.5, 1, 5))
        # Only the jobs: every rate, label value and distribution takes the generator's defaults.
        PROFILE = Profile(metrics=(ORDERS, LATENCY), jobs={"api": "shop-api"})
        """,
    "dashboards/__init__.py": '"""The shop\'s dashboards."""\n',
    "dashboards/_helpers.py": """
        def build(cfg):  # a helper module: never discovered as a dashboard
            raise AssertionError("modules starting with _ are not dashboards")
        """,
    "dashboards/orders.py": """
        from grafanalib import core as g

        from tonebridge_dash.kit import Cell, grid, row

        DS = {"type": "prometheus", "uid": "${datasource}"}


        def _filter(name, query):
            return g.Template(name=name, label=name, type="query", query=query, dataSource=DS, default="$__all",
                              includeAll=True, allValue=".+", multi=True, refresh=2)


        def build(cfg):
            api = cfg.selectors.api
            latency = cfg.thresholds.latency_seconds
            panel = g.TimeSeries(
                title="p95 latency", description="95th percentile of request time.", dataSource=DS, unit="s",
                targets=[g.Target(expr="histogram_quantile(0.95, sum by (le) (rate(shop_request_seconds_bucket"
                                       "{" + api + ', job=~"$job", instance=~"$instance"}[$__rate_interval])))',
                                  legendFormat="p95", refId="A", datasource=DS)],
                thresholds=[{"color": "green", "value": None}, {"color": "red", "value": latency.critical}])
            datasource = g.Template(name="datasource", label="Data source", type="datasource", query="prometheus",
                                    default=cfg.datasource.uid)
            return g.Dashboard(
                title="Shop - Orders", uid=cfg.dashboards.uid_prefix + "orders", tags=list(cfg.dashboards.tags),
                editable=cfg.dashboards.editable, time=g.Time(cfg.dashboards.time_from, cfg.dashboards.time_to),
                templating=g.Templating(list=[datasource, _filter("job", "label_values(shop_orders_total, job)"),
                                              _filter("instance", "label_values(shop_orders_total, instance)")]),
                panels=grid([row(None, Cell(panel, w=24))])).auto_panel_ids()
        """,
    "alerts/__init__.py": '"""The shop\'s rule files."""\n',
    "alerts/_common.py": """
        def rule_file(cfg):  # a helper module: never discovered as a rule file
            raise AssertionError("modules starting with _ are not rule files")
        """,
    "alerts/orders.py": """
        from tonebridge_dash.kit import Alert, Group, RuleFile


        def rule_file(cfg):
            t = cfg.thresholds.latency_seconds
            expr = ("histogram_quantile(0.95, sum by (le) (rate(shop_request_seconds_bucket{"
                    + cfg.selectors.api + "}[5m]))) > " + f"{t.critical:g}")
            return RuleFile("shop.rules.yml", [Group("shop", [
                Alert("ShopSlow", expr, t.for_, {"severity": "page"}, {"summary": "Shop is slow"})])])
        """,
}


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("shop")
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def test_render_list_and_validate_the_shop(tb, shop):
    done = tb("render", cwd=shop)
    assert done.code == 0, done.err
    out = shop / "build" / "dashboards"
    assert sorted(p.name for p in out.iterdir()) == [".tb-dash-written", "shop-orders.json"]
    data = json.loads((out / "shop-orders.json").read_text())
    assert data["tags"] == ["shop"]
    assert 'job="shop-api"' in data["panels"][0]["targets"][0]["expr"]
    listed = tb("list", cwd=shop)
    assert listed.code == 0 and "shop-orders  Shop - Orders  (1 panels)" in listed.out
    validated = tb("validate", "--format", "json", cwd=shop)
    assert validated.code == 0, validated.out + validated.err
    assert json.loads(validated.out)["errors"] == 0


@pytest.mark.prometheus  # promtool and amtool read what it wrote
def test_rules_and_alertmanager_of_the_shop(tb, shop):
    done = tb("rules", "--out", "rules", cwd=shop)
    assert done.code == 0, done.err
    assert sorted(p.name for p in (shop / "rules").iterdir()) == [".tb-dash-written", "alertmanager.yml",
                                                                  "shop.rules.yml"]
    rules = yaml.safe_load((shop / "rules" / "shop.rules.yml").read_text())
    assert rules["groups"][0]["rules"][0]["expr"].endswith('{job="shop-api"}[5m]))) > 1')
    am = yaml.safe_load((shop / "rules" / "alertmanager.yml").read_text())
    assert am["route"]["routes"] == [{"matchers": ['severity="page"'], "receiver": "page"}]
    assert [r["name"] for r in am["receivers"]] == ["default", "page"]
    if shutil.which("promtool"):
        check = subprocess.run(["promtool", "check", "rules", str(shop / "rules" / "shop.rules.yml")],
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
    if shutil.which("amtool"):
        check = subprocess.run(["amtool", "check-config", str(shop / "rules" / "alertmanager.yml")],
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr


def test_nothing_the_shop_sees_names_tonebridge(tb, shop):
    for args in (("render", "--out", "seen"), ("rules", "--out", "seen"), ("--help",), ("demo", "--help")):
        done = tb(*args, cwd=shop)
        assert done.code == 0, done.err
        assert "tonebridge" not in (done.out + done.err).lower().replace("tonebridge_dash", "")
    for path in (shop / "seen").iterdir():
        assert "tonebridge" not in path.read_text().lower(), path.name


def test_the_shops_provisioning_has_its_datasources_and_no_log_alerts(tb, shop):
    done = tb("render", "--target", "provisioning", "--out", "prov", cwd=shop)
    assert done.code == 0, done.err
    written = sorted(p.relative_to(shop / "prov").as_posix() for p in (shop / "prov").rglob("*.yaml"))
    assert written == ["dashboards/shop.yaml", "datasources/tb-dash.yaml"]  # no log alert rules, no alerting
    text = (shop / "prov" / "datasources" / "tb-dash.yaml").read_text()
    assert "index: logstash-*" in text and "tonebridge" not in text.lower()


def test_a_threshold_the_content_does_not_define_is_a_settings_error(tb, shop):
    (shop / "typo.yaml").write_text((shop / "tb-dash.yaml").read_text() + "thresholds:\n  latency: {critical: 2}\n")
    done = tb("render", "--config", "typo.yaml", cwd=shop)
    assert done.code == 2
    assert done.err.strip() == ("tb-dash: error: typo.yaml: unknown key 'thresholds.latency' "
                                   "(allowed: latency_seconds)")


def test_content_that_cannot_be_found_is_one_clear_line(tb, shop):
    (shop / "missing.yaml").write_text("content:\n  dashboards: nowhere\n  defaults: ''\n")
    done = tb("render", "--config", "missing.yaml", cwd=shop)
    assert done.code == 2
    assert done.err.startswith("tb-dash: error: content.dashboards: no module named 'nowhere'")
    assert "Traceback" not in done.err and len(done.err.strip().splitlines()) == 1
