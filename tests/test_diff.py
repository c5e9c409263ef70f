"""diff against the emulator: new / unchanged / changed, with a panel-level
summary and an optional unified JSON diff."""

from __future__ import annotations

import copy

import pytest

from emulated import client, emu  # noqa: F401 (fixtures)
from tonebridge_dash.grafana.diff import (ADDED, CHANGED, NEW, REMOVED, RENAMED, UNCHANGED, FieldChange, diff_all,
                                          field_changes, match_panels)
from tonebridge_dash.grafana import Unauthorized
from tonebridge_dash.grafana.push import push
from tonebridge_dash.model import Rendered

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
    assert field_changes(old, new) == [FieldChange("options", {"a": 1}, {"a": 2})]
    assert FieldChange("options", {"a": 1}, {"a": 2}).text() == "options changed"


def test_a_renamed_panel_is_one_entry_with_its_other_changes(client, emu, overview):
    """Rename a panel and change its threshold in the code: one "renamed"
    entry, old title -> new title, listing the threshold change."""
    pushed(client, [overview])
    data = copy.deepcopy(overview.data)
    p = panel(data, "Response time (p95)")
    p["title"] = "Latency (p95)"
    p["fieldConfig"]["defaults"]["thresholds"]["steps"][1]["value"] = 0.8
    [d] = diff_all(client, [Rendered.of(data)], folder_uid=FOLDER)
    assert d.state == CHANGED and d.hand_edit == "" and d.settings == []
    [entry] = d.panels
    assert (entry.change, entry.id, entry.old_title, entry.title) == (
        RENAMED, p["id"], "Response time (p95)", "Latency (p95)")
    assert [f.field for f in entry.fields] == ["thresholds"]
    assert d.changes == ["panel renamed: 'Response time (p95)' -> 'Latency (p95)': thresholds "
                         "green, orange>=0.5, red>=2.0 -> green, orange>=0.8, red>=2.0"]
    assert entry.to_json()["changes"][0]["new"]["steps"][1]["value"] == 0.8


def test_panels_are_matched_by_id_and_title_then_title_then_id():
    a, b, c = ({"id": i, "type": "stat", "title": t} for i, t in ((1, "A"), (2, "B"), (3, "C")))
    moved = [{**b, "id": 1}, {**a, "id": 2}]  # swapped: moved, not two renames
    assert match_panels([a, b], moved) == [(b, moved[0]), (a, moved[1])]
    inserted = [a, {"id": 2, "type": "stat", "title": "X"}, {**b, "id": 3}]  # ids after X shift
    assert match_panels([a, b], inserted) == [(a, a), (None, inserted[1]), (b, inserted[2])]
    renamed = [a, {**b, "title": "B2"}]
    assert match_panels([a, b], renamed) == [(a, a), (b, renamed[1])]
    other_kind = [{**c, "id": 2, "type": "row"}]  # same id, another kind of panel: not a rename
    assert match_panels([b], other_kind) == [(None, other_kind[0]), (b, None)]


def test_added_removed_and_renamed_panels_in_json(client, emu, overview):
    pushed(client, [overview])
    data = copy.deepcopy(overview.data)
    data["panels"] = [p for p in data["panels"] if p["title"] != "Active users"]
    panel(data, "Request rate")["title"] = "Requests"
    [d] = diff_all(client, [Rendered.of(data)], folder_uid=FOLDER)
    changes = {p.change: p.to_json() for p in d.panels}
    assert set(changes) == {REMOVED, RENAMED}
    assert changes[RENAMED] == {"change": "renamed", "id": 1, "title": "Requests", "old_title": "Request rate",
                                "changes": []}
    assert changes[REMOVED]["title"] == "Active users" and ADDED not in changes
    assert d.to_json()["url"].startswith(f"{emu.url}/d/{overview.uid}/")


def test_errors_raise(emu, overview):
    from tonebridge_dash.grafana import GrafanaClient, TokenAuth

    with GrafanaClient(emu.url, auth=TokenAuth("wrong")) as c, pytest.raises(Unauthorized):
        diff_all(c, [overview], folder_uid=FOLDER)
