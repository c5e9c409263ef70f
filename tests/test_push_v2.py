"""Push v2 dashboards through ``/apis/dashboard.grafana.app/<version>``:
create, a no-op with no write, an update carrying the resourceVersion, a
concurrent change refused; a dashboard stored in the other version compared
as Grafana converts it and never taken for a hand edit for its version; the
emulator's versions and conversion status as Grafana's source has them."""

from __future__ import annotations

import copy
import json

import pytest

from emulated import FAST_RETRY, TOKEN, grafana13, tb  # noqa: F401 (fixtures)
from tonebridge_dash.dashboard.versioned import in_schema
from tonebridge_dash.errors import UsageError
from tonebridge_dash.grafana import GrafanaClient, TokenAuth
from tonebridge_dash.grafana.apis import ANNO_CHECKSUM, ApisClient, choose
from tonebridge_dash.grafana.push import push

POST, PUT, LIST = "POST /apis/dashboards", "PUT /apis/dashboards/:name", "GET /apis/dashboards"
GROUP = "dashboard.grafana.app"


@pytest.fixture()
def emu(grafana13):
    return grafana13


@pytest.fixture()
def classic(rendered):
    return list(rendered.values())


def v2(dashboards, version="v2"):
    return in_schema(dashboards, version)


def client(emu) -> ApisClient:
    c = choose(GrafanaClient(emu.url, auth=TokenAuth(TOKEN), retry=FAST_RETRY), "apis")
    assert isinstance(c, ApisClient)
    return c


def run(emu, dashboards, **kw):
    with client(emu) as c:
        return push(c, dashboards, folder_uid="tonebridge", folder_title="ToneBridge", revision="r1", **kw)


def actions(report) -> set[str]:
    return {o.action for o in report.outcomes}


def described(r, text):
    """``r`` (a v2 rendered dashboard) with another description."""
    data = copy.deepcopy(r.data)
    data["spec"]["description"] = text
    return type(r)(r.uid, r.title, data, r.source)


@pytest.mark.parametrize("version", ["v2beta1", "v2"])
def test_create_then_a_no_op_push_writes_nothing(emu, classic, version):
    report = run(emu, v2(classic, version))
    assert actions(report) == {"created"} and report.exit_code == 0
    for r in classic:
        stored = emu.org().dashboards[r.uid]
        assert stored.stored_version == version and stored.annotations["grafana.app/folder"] == "tonebridge"
        assert stored.data["elements"] and "panels" not in stored.data
    emu.reset_counts()
    report = run(emu, v2(classic, version))
    assert actions(report) == {"unchanged"} and emu.writes() == 0
    assert {v for v, _ in emu.apis_lists} == {version}  # read at the version pushed


def test_an_update_carries_the_resource_version_and_a_concurrent_change_is_refused(emu, classic):
    dashboards = v2(classic)
    run(emu, dashboards)
    uid = dashboards[0].uid
    emu.reset_counts()
    report = run(emu, [described(dashboards[0], "ours")])
    assert actions(report) == {"updated"} and emu.counts[PUT] == 1
    assert emu.dashboard(uid)["description"] == "ours"
    # someone saves between tb-dash's read and its write: Grafana's 409, refused, theirs kept
    emu.before(PUT, lambda: emu.apis_ui_save(uid, lambda s: s.update(title="Theirs"), user="carol",
                                             version="v2"))
    report = run(emu, [described(dashboards[0], "ours again")])
    (o,) = report.outcomes
    assert o.action == "refused" and "during this push" in o.detail and "carol" in o.detail
    assert report.exit_code == 3 and emu.dashboard(uid)["title"] == "Theirs"


def test_a_hand_edit_of_a_v2_dashboard_is_refused_then_forced_with_a_backup(emu, classic, tmp_path):
    dashboards = v2(classic)
    run(emu, dashboards)
    uid = dashboards[0].uid
    emu.apis_ui_save(uid, lambda s: s.update(title="Mine"), user="bob", version="v2")
    report = run(emu, dashboards)
    refused = [o for o in report.outcomes if o.action == "refused"]
    assert [o.uid for o in refused] == [uid] and "bob" in refused[0].detail and report.exit_code == 3
    report = run(emu, dashboards, force=True, backup_dir=tmp_path)
    assert report.exit_code == 0 and json.loads(report.backups[0].read_text())["spec"]["title"] == "Mine"
    assert emu.dashboard(uid)["title"] == dashboards[0].title


def test_classic_dashboards_moved_to_v2_are_compared_after_conversion_never_as_hand_edits(emu, classic):
    run(emu, classic)  # stored as v1beta1 by an earlier classic push
    assert {d.stored_version for d in emu.org().dashboards.values()} == {"v1beta1"}
    emu.reset_counts()
    report = run(emu, v2(classic))
    # Grafana converts each to v2: the same panels are unchanged (no write, no refusal);
    # the Business dashboard's tabs are a real change, saved over the classic one
    by_uid = {o.uid: o.action for o in report.outcomes}
    assert by_uid.pop("tb-business") == "updated" and set(by_uid.values()) == {"unchanged"}
    assert report.exit_code == 0 and emu.writes() == 1
    assert emu.org().dashboards["tb-business"].stored_version == "v2"
    # and back: a v2-stored dashboard pushed as classic is judged on the v2 it is stored as
    report = run(emu, classic)
    assert report.exit_code == 0 and not [o for o in report.outcomes if o.action == "refused"]


def test_v2beta1_dashboards_pushed_as_v2_are_unchanged(emu, classic):
    run(emu, v2(classic, "v2beta1"))  # Grafana 12's format, then the team moves to 13's
    system = emu.org().dashboards["tb-system"].data  # it has transformations: their shape differs
    assert any(t["kind"] != "Transformation" for e in system["elements"].values()
               for t in e["spec"]["data"]["spec"].get("transformations", []))
    emu.reset_counts()
    report = run(emu, v2(classic, "v2"))
    assert actions(report) == {"unchanged"} and emu.writes() == 0


def test_a_hand_edit_of_a_dashboard_stored_in_the_other_version_is_still_refused(emu, classic):
    run(emu, classic)
    uid = "tb-overview"
    emu.ui_save(uid, lambda d: d.update(description="edited in the classic UI"), user="dave")
    dashboards = [described(r, "code") for r in v2(classic) if r.uid == uid]
    report = run(emu, dashboards)
    (o,) = report.outcomes
    assert o.action == "refused" and "dave" in o.detail and report.exit_code == 3


def test_a_failed_conversion_reads_the_stored_version(emu, classic):
    run(emu, classic)
    emu.failing_conversions = frozenset({"tb-slo"})
    with client(emu) as c:
        item = c.at_version("v2").list_all()["tb-slo"]
        assert item["status"]["conversion"] == {"storedVersion": "v1beta1", "failed": True,
                                                "error": "conversion from v1beta1 to v2 failed"}
    report = run(emu, v2([r for r in classic if r.uid == "tb-slo"]))
    (o,) = report.outcomes
    assert o.action == "updated" and report.exit_code == 0  # judged on the classic stored: tb-dash's own
    assert emu.org().dashboards["tb-slo"].stored_version == "v2"


def test_the_emulator_sets_the_conversion_status_as_grafana_does(emu, classic):
    run(emu, v2(classic[:1]))
    uid = classic[0].uid
    with GrafanaClient(emu.url, auth=TokenAuth(TOKEN)) as c:
        same = c.request("GET", f"/apis/{GROUP}/v2/namespaces/default/dashboards/{uid}")
        other = c.request("GET", f"/apis/{GROUP}/v1beta1/namespaces/default/dashboards/{uid}")
        beta = c.request("GET", f"/apis/{GROUP}/v2beta1/namespaces/default/dashboards/{uid}")
    assert "status" not in same and same["apiVersion"] == f"{GROUP}/v2"
    assert other["status"]["conversion"] == {"storedVersion": "v2", "failed": False}
    assert "panels" in other["spec"] and "elements" in beta["spec"]
    groups = json.loads(json.dumps(emu.group_document()))
    assert "v2" in [v["version"] for v in groups["versions"]]


def test_the_legacy_api_answers_406_for_a_v2_dashboard_and_says_where_to_read_it(emu, classic):
    run(emu, v2(classic[:1]))
    from tonebridge_dash.grafana.errors import GrafanaError

    with GrafanaClient(emu.url, auth=TokenAuth(TOKEN)) as c, pytest.raises(GrafanaError) as e:
        c.get_dashboard(classic[0].uid)
    assert e.value.status == 406
    assert f"use /apis/{GROUP}/v2/namespaces/default/dashboards/{classic[0].uid} instead" in e.value.grafana_message


def test_v2_dashboards_need_the_apis_and_one_format_per_push(emu, classic):
    with GrafanaClient(emu.url, auth=TokenAuth(TOKEN)) as legacy, pytest.raises(UsageError) as e:
        push(legacy, v2(classic), folder_uid="tonebridge", folder_title="ToneBridge")
    assert "use --api apis" in e.value.message and emu.writes() == 0
    with pytest.raises(UsageError) as e:
        run(emu, [*v2(classic[:1]), *classic[1:2]])
    assert "mix formats (v1, v2)" in e.value.message


def test_the_cli_pushes_the_settings_format(tb, emu, tmp_path):
    (tmp_path / "tb-dash.yaml").write_text("dashboards: {schema: v2}\n")
    code, out, err = tb("push", "--grafana-url", emu.url, "--api", "apis", cwd=tmp_path)
    assert code == 0, err
    assert {d.stored_version for d in emu.org().dashboards.values()} == {"v2"}
    emu.reset_counts()
    code, out, err = tb("push", "--grafana-url", emu.url, "--api", "apis", cwd=tmp_path)
    assert code == 0 and emu.writes() == 0, err
    assert emu.apis_lists == [("v2", False)]  # one list, at the version pushed, read with discovery
    # files rendered as v2 push the same way
    assert tb("render", "--schema", "v2", "--out", tmp_path / "v2", cwd=tmp_path).code == 0
    code, out, err = tb("push", "--grafana-url", emu.url, "--api", "apis", "--from", tmp_path / "v2", cwd=tmp_path)
    assert code == 0 and emu.writes() == 0, err
    code, out, err = tb("push", "--grafana-url", emu.url, "--from", tmp_path / "v2", cwd=tmp_path)
    assert code == 2 and "use --api apis" in err


def test_prune_of_a_v2_dashboard_names_it_by_its_title(tb, emu, tmp_path):
    (tmp_path / "tb-dash.yaml").write_text("dashboards: {schema: v2}\n")
    assert tb("push", "--grafana-url", emu.url, "--api", "apis", cwd=tmp_path).code == 0
    assert tb("render", "--out", "v2", cwd=tmp_path).code == 0
    (tmp_path / "v2" / "tb-business.json").unlink()  # no longer in the code
    emu.reset_counts()
    code, out, err = tb("push", "--grafana-url", emu.url, "--api", "apis", "--from", tmp_path / "v2", "--prune",
                        "--yes", "--dry-run", cwd=tmp_path)
    assert code == 0, err
    assert "ToneBridge - Business" in out and "would delete 1" in out and emu.writes() == 0


def test_the_checksum_is_of_what_was_written(emu, classic):
    dashboards = v2(classic[:1])
    run(emu, dashboards)
    from tonebridge_dash.grafana.hashing import content_hash

    notes = emu.org().dashboards[classic[0].uid].annotations
    assert notes[ANNO_CHECKSUM] == content_hash(dashboards[0].data)


def test_a_grafana_that_does_not_serve_the_version_says_so(emu, classic):
    emu.apis_versions = ("v1beta1", "v0alpha1", "v2beta1", "v2alpha1")  # Grafana 12
    from tonebridge_dash.grafana.errors import NotFound

    with pytest.raises(NotFound) as e:
        run(emu, v2(classic[:1]))
    assert "does not serve dashboard.grafana.app/v2 " in e.value.message and "dashboards.schema" in e.value.message
    assert emu.writes() == 0


def test_auto_takes_the_apis_of_a_grafana_that_lists_only_v2(emu, classic):
    emu.apis_versions = ("v2",)
    c = choose(GrafanaClient(emu.url, auth=TokenAuth(TOKEN), retry=FAST_RETRY), "auto")
    assert isinstance(c, ApisClient)
    with c:
        report = push(c, v2(classic[:1]), folder_uid="tonebridge", folder_title="ToneBridge")
    assert report.exit_code == 0 and actions(report) == {"created"}


def test_a_dry_run_is_the_servers_and_stores_nothing(emu, classic):
    emu.add_folder("tonebridge", "ToneBridge")
    report = run(emu, v2(classic), dry_run=True)
    assert actions(report) == {"created"} and report.dry_run
    assert emu.counts[POST] == len(classic) and emu.org().dashboards == {}
