"""Push through Grafana's versioned /apis: the same plan, refusals and exit
codes as the legacy /api, in a constant number of requests when nothing
changed; and push to several Grafanas at once."""

from __future__ import annotations

import copy
import json

import pytest

from emulated import FAST_RETRY, TOKEN, start, tb  # noqa: F401 (fixture)
from tonebridge_dash.cli.pushing import fold
from tonebridge_dash.grafana import GrafanaClient, TokenAuth
from tonebridge_dash.grafana.apis import ANNO_CHECKSUM, ANNO_MANAGER_ID, ANNO_MANAGER_KIND, ApisClient, choose
from tonebridge_dash.grafana.push import push

LIST = "GET /apis/dashboards"
PUT = "PUT /apis/dashboards/:name"
AUTO = {"TB_DASH_API": "auto"}  # the default (the tb fixture's is legacy)


@pytest.fixture()
def dashboards(rendered):
    return list(rendered.values())


@pytest.fixture()
def emu():
    g = start(apis=True)
    yield g
    g.stop()
    assert g.internal_errors == []


def apis_client(emu, mode="apis") -> ApisClient:
    c = choose(GrafanaClient(emu.url, auth=TokenAuth(TOKEN), retry=FAST_RETRY), mode)
    assert isinstance(c, ApisClient)
    return c


def run(emu, dashboards, **kw):
    with apis_client(emu) as c:
        return push(c, dashboards, folder_uid="tonebridge", folder_title="ToneBridge", revision="r1", **kw)


def test_auto_takes_apis_only_when_the_server_lists_it(emu):
    assert isinstance(choose(GrafanaClient(emu.url, auth=TokenAuth(TOKEN)), "auto"), ApisClient)
    emu.apis_enabled = False
    assert choose(GrafanaClient(emu.url, auth=TokenAuth(TOKEN)), "auto") is None
    assert choose(GrafanaClient(emu.url, auth=TokenAuth(TOKEN)), "legacy") is None


def test_create_then_a_no_op_makes_no_write_and_a_constant_number_of_requests(emu, dashboards):
    report = run(emu, dashboards)
    assert {o.action for o in report.outcomes} == {"created"} and report.exit_code == 0
    stored = emu.org().dashboards[dashboards[0].uid]
    assert stored.annotations[ANNO_MANAGER_ID] == "tb-dash"
    assert stored.annotations[ANNO_MANAGER_KIND] == "kubectl"
    assert stored.annotations["grafana.app/folder"] == "tonebridge"
    assert stored.annotations["grafana.app/message"].startswith("tb-dash: ")
    assert stored.annotations[ANNO_CHECKSUM] in stored.annotations["grafana.app/message"]
    emu.reset_counts()
    report = run(emu, dashboards)
    assert {o.action for o in report.outcomes} == {"unchanged"} and report.exit_code == 0
    assert emu.writes() == 0
    assert emu.total_requests() <= 4  # discovery, health, folder, one list page


def test_the_list_is_read_page_after_page(emu, dashboards):
    run(emu, dashboards)
    emu.apis_page_bytes = 1  # one dashboard per page, as Grafana's byte cap can make it
    emu.reset_counts()
    report = run(emu, dashboards)
    assert {o.action for o in report.outcomes} == {"unchanged"}
    assert emu.counts[LIST] == len(dashboards)


def test_an_update_carries_the_resource_version_it_read(emu, dashboards):
    run(emu, dashboards)
    changed = [type(r)(r.uid, r.title, {**r.data, "description": "new"}, r.source) for r in dashboards]
    emu.reset_counts()
    report = run(emu, changed)
    assert {o.action for o in report.outcomes} == {"updated"}
    assert emu.counts[PUT] == len(dashboards)
    assert emu.dashboard(dashboards[0].uid)["description"] == "new"


def test_a_concurrent_change_is_refused_never_last_writer_wins(emu, dashboards):
    run(emu, dashboards)
    uid = dashboards[0].uid
    emu.before(PUT, lambda: emu.apis_ui_save(uid, lambda s: s.update(title="Theirs"), user="carol"))
    changed = [type(r)(r.uid, r.title, {**r.data, "description": "ours"}, r.source) for r in dashboards[:1]]
    report = run(emu, changed)
    (o,) = report.outcomes
    assert o.action == "refused" and "during this push" in o.detail and "carol" in o.detail
    assert report.exit_code == 3
    assert emu.dashboard(uid)["title"] == "Theirs"


@pytest.mark.parametrize("through", ["apis", "legacy"])
def test_a_hand_edit_is_refused_then_forced_with_a_backup(emu, dashboards, tmp_path, through):
    run(emu, dashboards)
    uid = dashboards[0].uid
    save = emu.apis_ui_save if through == "apis" else emu.ui_save
    save(uid, lambda d: d.update(title="Mine"), user="bob")
    report = run(emu, dashboards)
    refused = [o for o in report.outcomes if o.action == "refused"]
    assert [o.uid for o in refused] == [uid] and "bob" in refused[0].detail and report.exit_code == 3
    assert emu.dashboard(uid)["title"] == "Mine"
    report = run(emu, dashboards, force=True, backup_dir=tmp_path)
    assert report.exit_code == 0 and report.backups
    assert json.loads(report.backups[0].read_text())["title"] == "Mine"
    assert emu.dashboard(uid)["title"] == dashboards[0].title


def test_dry_run_uses_the_servers_dry_run_and_stores_nothing(emu, dashboards):
    emu.add_folder("tonebridge", "ToneBridge")
    report = run(emu, dashboards, dry_run=True)
    assert {o.action for o in report.outcomes} == {"created"} and report.dry_run
    assert emu.counts["POST /apis/dashboards"] == len(dashboards)
    assert emu.org().dashboards == {}


def test_a_server_error_is_one_line_per_dashboard(emu, dashboards):
    emu.fail_next(None, 500, route="POST /apis/dashboards")
    report = run(emu, dashboards[:1])
    (o,) = report.outcomes
    assert o.action == "failed" and report.exit_code == 1 and "\n" not in o.detail


def test_the_cli_pushes_through_apis(tb, emu):
    code, out, err = tb("push", "--grafana-url", emu.url, "--api", "apis")
    assert code == 0, err
    emu.reset_counts()
    code, out, err = tb("push", "--grafana-url", emu.url, "--api", "apis")
    assert code == 0 and emu.writes() == 0 and "unchanged" in out


def test_a_no_op_push_reads_the_first_page_with_discovery_and_no_page_twice(tb, emu, dashboards):
    """The command sends discovery, health, the folder and the list's first
    page at once; discovery finds the version the page was read at, so the
    page is used: each page is read once, and nothing else is read."""
    emu.apis_page_bytes = 1  # one dashboard per page
    assert tb("push", "--grafana-url", emu.url, "--api", "apis")[0] == 0
    emu.reset_counts()
    code, out, err = tb("push", "--grafana-url", emu.url, env=AUTO)
    assert code == 0 and emu.writes() == 0 and f"{len(dashboards)} unchanged" in out, err
    assert emu.apis_lists == [("v1beta1", False)] + [("v1beta1", True)] * (len(dashboards) - 1)
    assert dict(emu.counts) == {"GET /apis": 1, "GET /api/health": 1, "GET /api/folders/:uid": 1,
                                LIST: len(dashboards)}


def test_a_first_page_read_at_another_version_than_discovery_finds_is_not_used(tb, emu, dashboards):
    """A Grafana whose classic version is another one (v1, say): the page read
    with discovery is dropped, and the list is read at the version found."""
    assert tb("push", "--grafana-url", emu.url, "--api", "apis")[0] == 0
    emu.apis_versions = ("v1", "v1beta1", "v0alpha1")
    emu.reset_counts()
    emu.ui_save(dashboards[0].uid, lambda d: d.update(description="by hand"))
    code, out, err = tb("push", "--grafana-url", emu.url, env=AUTO)
    assert code == 3 and emu.writes() == 0, err  # the hand edit is seen in the list read at v1
    assert sorted(emu.apis_lists) == [("v1", False), ("v1beta1", False)]
    emu.apis_versions = ("v0alpha1",)  # and one that serves no version of the guess at all
    emu.reset_counts()
    code, out, err = tb("push", "--grafana-url", emu.url, "--force", env=AUTO)
    assert code == 0 and emu.counts[PUT] == 1 and sorted(emu.apis_lists) == [("v0alpha1", False)], err


def test_legacy_sends_nothing_to_apis(tb, emu, dashboards):
    assert tb("push", "--grafana-url", emu.url, "--api", "legacy")[0] == 0
    assert emu.counts["POST /api/dashboards/db"] == len(dashboards)
    assert [r for r in emu.counts if r.startswith(("GET /apis", "POST /apis", "PUT /apis"))] == []


def test_auto_on_a_grafana_without_apis_pushes_through_the_legacy_api(tb, emu, dashboards):
    """The first page read with discovery is answered 404 and not used."""
    emu.apis_enabled = False
    code, out, err = tb("push", "--grafana-url", emu.url, env=AUTO)
    assert code == 0 and f"{len(dashboards)} created" in out and err == ""
    assert emu.counts["POST /api/dashboards/db"] == len(dashboards) and emu.counts[LIST] == 1


def test_the_unchanged_are_judged_from_the_list_and_the_changed_read_from_it_once(emu, dashboards):
    """On /apis the unchanged dashboards are judged as the list gave them; a
    changed one is updated over the resourceVersion the list gave, with no
    read of its own; the outcomes stay in the order of the dashboards."""
    run(emu, dashboards)
    changed = copy.deepcopy(dashboards[2])
    changed.data["description"] = "changed in the code"
    edited = dashboards[3].uid
    emu.apis_ui_save(edited, lambda spec: spec.update(description="by hand"))
    emu.reset_counts()
    report = run(emu, dashboards[:2] + [changed] + dashboards[3:])
    assert [o.uid for o in report.outcomes] == [d.uid for d in dashboards]
    assert [o.action for o in report.outcomes] == ["unchanged", "unchanged", "updated", "refused"] + \
        ["unchanged"] * (len(dashboards) - 4)
    assert emu.counts[PUT] == 1 and emu.counts["GET /apis/dashboards/:name"] == 0
    assert emu.org().dashboards[changed.uid].data["description"] == "changed in the code"


def test_exit_codes_fold_to_the_worst():
    assert fold([0, 0]) == 0
    assert fold([0, 3]) == 3
    assert fold([3, 1, 0]) == 1
    assert fold([1, 130]) == 130
    assert fold([]) == 0


def settings_with(tmp_path, urls: dict[str, str]):
    lines = ["environments:"]
    for name, url in urls.items():
        lines += [f"  {name}:", f"    url: {url}"]
    path = tmp_path / "tb-dash.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_several_environments_at_once_each_with_its_summary(tb, tmp_path, dashboards):
    a, b = start(apis=True), start()
    try:
        cfg = settings_with(tmp_path, {"a": a.url, "b": b.url})
        code, out, err = tb("push", "--config", str(cfg), "--env", "a", "--env", "b", "--api", "auto")
        assert code == 0, err
        assert "== a (" in out and "== b (" in out
        assert a.org().dashboards and b.org().dashboards
        b.ui_save(dashboards[0].uid, lambda d: d.update(title="Mine"))
        code, out, err = tb("push", "--config", str(cfg), "--all-envs", "--format", "json")
        assert code == 3
        report = json.loads(out)
        assert [e["env"] for e in report["environments"]] == ["a", "b"]
        assert [e["exit_code"] for e in report["environments"]] == [0, 3] and report["exit_code"] == 3
        assert "[b] refused" in err
    finally:
        a.stop(), b.stop()


def test_one_unreachable_environment_does_not_stop_the_others(tb, tmp_path):
    a = start(apis=True)
    try:
        cfg = settings_with(tmp_path, {"a": a.url, "down": "http://127.0.0.1:9"})
        code, out, err = tb("push", "--config", str(cfg), "--env", "a", "--env", "down", "--retries", "0")
        assert code == 1
        assert a.org().dashboards
        assert "[down]" in err and "Traceback" not in err and TOKEN not in err + out
    finally:
        a.stop()


def test_an_unknown_environment_is_a_usage_error_before_anything_is_sent(tb, tmp_path):
    a = start(apis=True)
    try:
        cfg = settings_with(tmp_path, {"a": a.url})
        code, out, err = tb("push", "--config", str(cfg), "--env", "a", "--env", "nope")
        assert code == 2 and a.total_requests() == 0
    finally:
        a.stop()
