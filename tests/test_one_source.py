"""One source of truth: a number changed once in the settings moves both the
panel's threshold colour and the alert rule that fires on it."""

from __future__ import annotations

import pytest

from tonebridge_dash.alerting.rules import build_all as build_rule_files, encode
from tonebridge_dash.dashboard.render import build_all
from tonebridge_dash.settings import from_mapping

CASES = {
    # settings, dashboard uid, panel title, alert name, alert expression ends with
    "error ratio": ({"thresholds": {"error_ratio": {"critical": 0.02}}},
                    "tb-overview", "Error rate (5xx share)", "HighErrorRate", "> 0.02"),
    "p95 latency": ({"thresholds": {"latency_p95_seconds": {"critical": 1.25}}},
                    "tb-overview", "Response time (p95)", "HighResponseTime", "> 1.25"),
    "memory": ({"thresholds": {"memory_usage_ratio": {"critical": 0.95}}},
               "tb-system", "Memory usage", "HighMemoryUsage", "> 0.95"),
    "disk": ({"thresholds": {"disk_usage_ratio": {"critical": 0.85}}},
             "tb-system", "Disk usage", "DiskSpaceRunningOut", "> 0.85"),
}


def red_step(rendered, uid: str, title: str) -> float:
    panel = next(p for p in rendered[uid].panels() if p.get("title") == title)
    steps = panel["fieldConfig"]["defaults"]["thresholds"]["steps"]
    return next(s["value"] for s in steps if s["color"] == "red")


def alert(cfg, name: str):
    return next(a for f in build_rule_files(cfg) for a in f.alerts() if a.name == name)


def dashboards(cfg) -> dict:
    return {r.uid: r for r in build_all(cfg)}


@pytest.mark.parametrize("case", list(CASES))
def test_a_threshold_changed_in_the_settings_moves_panel_and_alert(case, cfg, rendered):
    settings, uid, title, name, expr_end = CASES[case]
    changed = from_mapping(settings)
    key, = settings["thresholds"]
    new = settings["thresholds"][key]["critical"]
    old = getattr(cfg.thresholds, key).critical
    assert old != new

    assert red_step(rendered, uid, title) == old
    assert alert(cfg, name).expr.endswith(f"> {old:g}")

    assert red_step(dashboards(changed), uid, title) == new
    assert alert(changed, name).expr.endswith(expr_end)
    rule_files = b"".join(encode(f) for f in build_rule_files(changed))
    assert expr_end.encode() in rule_files


def test_the_availability_objective_moves_slo_panels_and_burn_rate_alerts(cfg, rendered):
    changed = from_mapping({"slo": {"availability": 0.995}})
    assert red_step(rendered, "tb-slo", "Availability (30d)") is None  # red below the target
    stat = next(p for p in dashboards(changed)["tb-slo"].panels() if p.get("title") == "Availability (30d)")
    assert {"color": "green", "value": 0.995} in stat["fieldConfig"]["defaults"]["thresholds"]["steps"]
    page = next(a for f in build_rule_files(changed) for a in f.alerts() if a.labels.get("long_window") == "1h")
    assert "/ 0.005 > 14.4" in page.expr
    budget = next(p for p in dashboards(changed)["tb-slo"].panels() if p.get("title") == "Error budget burn rate")
    assert all("/ 0.005" in t["expr"] for t in budget["targets"])
