"""diff against the emulator: new / unchanged / changed, with a panel-level
summary and an optional unified JSON diff."""

from __future__ import annotations

import pytest

from emulated import client, emu  # noqa: F401 (fixtures)
from tonebridge_dash.grafana.diff import CHANGED, NEW, UNCHANGED, diff_all, panel_changes
from tonebridge_dash.grafana import Unauthorized
from tonebridge_dash.grafana.push import push

FOLDER = "tonebridge"


@pytest.fixture()
def overview(rendered):
    return rendered["tb-overview"]


def pushed(client, dashboards):
    push(client, dashboards, folder_uid=FOLDER, folder_title="ToneBridge")


def edit(emu, uid, change):
    emu.ui_save(uid, change)


def panel(data, title):
    return next(p for p in data["panels"] if p.get("title") == title)


def test_new_then_unchanged(client, emu, rendered):
    dashboards = list(rendered.values())
    diffs = diff_all(client, dashboards, folder_uid=FOLDER)
    assert {d.state for d in diffs} == {NEW}
    assert diffs[0].changes[0].startswith("new dashboard (")
    pushed(client, dashboards)
    emu.reset_counts()
    assert {d.state for d in diff_all(client, dashboards, folder_uid=FOLDER)} == {UNCHANGED}
    assert emu.writes() == 0


def test_query_unit_and_threshold_changes_are_named(client, emu, overview):
    pushed(client, [overview])

    def change(d):
        p = panel(d, "Request rate")
        p["targets"][0]["expr"] = "sum(rate(old_metric[5m]))"
        p["fieldConfig"]["defaults"]["unit"] = "short"
        q = panel(d, "Response time (p95)")
        q["fieldConfig"]["defaults"]["thresholds"]["steps"][1]["value"] = 0.8
        d["panels"] = [x for x in d["panels"] if x.get("title") != "Active users"]
        d["panels"].append({"type": "text", "title": "Notes", "gridPos": {"h": 2, "w": 24, "x": 0, "y": 40}})
        d["refresh"] = "1m"

    edit(emu, overview.uid, change)
    [d] = diff_all(client, [overview], folder_uid=FOLDER)
    assert d.state == CHANGED
    assert d.changes[0].startswith(f"'{overview.uid}' (ToneBridge - Overview) was saved in Grafana by alice at ")
    assert d.changes[0].endswith(": push refuses to overwrite it without --force")
    text = "\n".join(d.changes)
    assert "dashboard settings changed: refresh" in text
    assert "panel added: 'Active users'" in text
    assert "panel removed: 'Notes'" in text
    assert "panel 'Request rate': query 1: sum(rate(old_metric[5m])) -> sum (rate(tonebridge_requests_total" in text
    assert "panel 'Request rate': unit 'short' -> 'reqps'" in text
    assert ("panel 'Response time (p95)': thresholds green, orange>=0.8, red>=2.0 -> "
            "green, orange>=0.5, red>=2.0") in text
    assert d.unified == ""


def test_full_adds_a_unified_diff(client, emu, overview):
    pushed(client, [overview])
    edit(emu, overview.uid, lambda d: d.update(description="by hand"))
    [d] = diff_all(client, [overview], folder_uid=FOLDER, full=True)
    assert d.unified.startswith(f"--- grafana/{overview.uid}.json\n+++ rendered/{overview.uid}.json\n")
    assert '-  "description": "by hand",' in d.unified
    assert '"version"' not in d.unified  # normalised away


def test_a_dashboard_in_another_folder_is_changed(client, emu, overview):
    pushed(client, [overview])
    emu.add_folder("other", "Other")
    emu.org().dashboards[overview.uid].folder_uid = "other"
    [d] = diff_all(client, [overview], folder_uid=FOLDER)
    assert d.state == CHANGED and d.changes == ["folder: 'other' -> 'tonebridge'"]


def test_other_panel_settings_are_named_by_key():
    old = {"title": "A", "type": "stat", "options": {"a": 1}, "id": 1}
    new = {"title": "A", "type": "stat", "options": {"a": 2}, "id": 7}
    assert panel_changes("A", old, new) == ["panel 'A': options changed"]


def test_errors_raise(emu, overview):
    from tonebridge_dash.grafana import GrafanaClient, TokenAuth

    with GrafanaClient(emu.url, auth=TokenAuth("wrong")) as c, pytest.raises(Unauthorized):
        diff_all(c, [overview], folder_uid=FOLDER)
