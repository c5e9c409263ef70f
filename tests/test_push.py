"""push() against the emulator: creates, updates, skips what is unchanged,
refuses hand edits and keeps them, --force backs up and restores."""

from __future__ import annotations

import copy
import json

import pytest

from emulated import TOKEN, client, emu  # noqa: F401 (fixtures)
from test_grafana_client import clock  # noqa: F401 (fixture)
from tonebridge_dash.dashboard.render import RenderError
from tonebridge_dash.errors import EXIT_FAILED, EXIT_OK, EXIT_REFUSED
from tonebridge_dash.grafana import (GrafanaClient, GrafanaError, NotFound, RetryPolicy, ServerError, TokenAuth,
                                     Unauthorized, UnexpectedResponse)
from tonebridge_dash.grafana.plan import comparable, content_hash, version_message
from tonebridge_dash.grafana.push import push
from tonebridge_dash.model import Rendered

FOLDER = {"folder_uid": "tonebridge", "folder_title": "ToneBridge"}


@pytest.fixture()
def dashboards(rendered):
    return list(rendered.values())


def run(client, dashboards, tmp_path=None, **kw):
    if tmp_path is not None:
        kw.setdefault("backup_dir", tmp_path / "backups")
    return push(client, dashboards, revision="abc123", **FOLDER, **kw)


def changed(r: Rendered, **updates) -> Rendered:
    data = copy.deepcopy(r.data)
    data.update(updates)
    return Rendered(r.uid, data.get("title", r.title), data, r.source)


def test_first_push_creates_every_dashboard_in_its_folder(client, emu, dashboards):
    report = run(client, dashboards)
    assert report.exit_code == EXIT_OK and report.folder_created
    assert [o.action for o in report.outcomes] == ["created"] * len(dashboards)
    assert emu.org().folders["tonebridge"].title == "ToneBridge"
    for r in dashboards:
        assert comparable(emu.dashboard(r.uid)) == comparable(r.data)
        assert emu.folder_of(r.uid) == "tonebridge"
        assert emu.history(r.uid)[0]["message"] == f"tb-dash: {content_hash(r.data)} [abc123]"
    o = report.outcomes[0]
    assert o.url.startswith(emu.url + f"/d/{o.uid}/")


def test_second_push_writes_nothing(client, emu, dashboards):
    run(client, dashboards)
    emu.reset_counts()
    report = run(client, dashboards)
    assert [o.action for o in report.outcomes] == ["unchanged"] * len(dashboards)
    assert emu.writes() == 0
    assert emu.counts["GET /api/search"] == 1  # one listing, however many dashboards
    assert emu.counts["GET /api/dashboards/uid/:uid/versions"] == 0


def test_a_changed_dashboard_is_updated_with_a_new_version(client, emu, dashboards):
    run(client, dashboards)
    emu.reset_counts()
    target = changed(dashboards[0], description="now with a description")
    report = run(client, [target, *dashboards[1:]])
    assert [o.action for o in report.outcomes] == ["updated"] + ["unchanged"] * (len(dashboards) - 1)
    assert emu.writes() == 1
    assert emu.dashboard(target.uid)["description"] == "now with a description"
    assert emu.dashboard(target.uid)["version"] == 2
    assert emu.history(target.uid)[0]["message"] == version_message(target.data, "abc123")


def test_a_dashboard_moved_to_another_folder_is_moved_back(client, emu, dashboards):
    run(client, dashboards)
    emu.add_folder("elsewhere", "Elsewhere")
    uid = dashboards[0].uid
    emu.org().dashboards[uid].folder_uid = "elsewhere"
    report = run(client, dashboards)
    assert report.outcomes[0].action == "updated"
    assert emu.folder_of(uid) == "tonebridge"


def test_a_hand_edit_is_refused_and_kept(client, emu, dashboards, tmp_path):
    run(client, dashboards)
    uid = dashboards[1].uid
    emu.ui_save(uid, lambda d: d.update(title="Fixed by hand"), user="alice", message="quick fix")
    edited = emu.dashboard(uid)
    emu.reset_counts()
    report = run(client, dashboards, tmp_path)
    assert report.exit_code == EXIT_REFUSED
    refused = [o for o in report.outcomes if o.action == "refused"]
    assert [o.uid for o in refused] == [uid]
    assert f"'{uid}' (Fixed by hand) was saved in Grafana by alice at " in refused[0].detail
    assert "(version 2, message 'quick fix')" in refused[0].detail
    assert emu.writes() == 0
    assert emu.dashboard(uid) == edited
    assert not (tmp_path / "backups").exists()


def test_force_backs_up_the_hand_edit_then_restores_the_code(client, emu, dashboards, tmp_path):
    run(client, dashboards)
    uid = dashboards[1].uid
    emu.ui_save(uid, lambda d: d.update(title="Fixed by hand"), user="alice")
    edited = emu.dashboard(uid)
    report = run(client, dashboards, tmp_path, force=True)
    assert report.exit_code == EXIT_OK
    outcome = next(o for o in report.outcomes if o.uid == uid)
    assert outcome.action == "updated" and "backed up to" in outcome.detail
    [backup] = report.backups
    assert backup.parent == tmp_path / "backups" and backup.name.startswith(f"{uid}.v2.")
    assert json.loads(backup.read_text()) == edited
    assert comparable(emu.dashboard(uid)) == comparable(dashboards[1].data)
    assert run(client, dashboards).exit_code == EXIT_OK  # and the next push is a no-op again


def test_an_adopted_dashboard_without_tb_dash_history_is_refused(client, emu, dashboards):
    r = dashboards[0]
    client.save_dashboard({**r.data, "title": "Made in the UI"}, message="")
    report = run(client, [r])
    assert report.outcomes[0].action == "refused"
    assert "was saved in Grafana by sa-1-tb-dash" in report.outcomes[0].detail


def test_dry_run_writes_nothing(client, emu, dashboards, tmp_path):
    report = run(client, dashboards, dry_run=True)
    assert report.dry_run and report.folder_created
    assert [o.action for o in report.outcomes] == ["created"] * len(dashboards)
    assert emu.writes() == 0 and not emu.org().folders


def test_nothing_is_written_when_one_dashboard_is_invalid(client, emu, dashboards):
    bad = changed(dashboards[-1], panels=[{"type": "timeseries", "gridPos": {"h": 8, "w": 99, "x": 0, "y": 0}}])
    with pytest.raises(RenderError, match="does not match Grafana's schema.*nothing was written"):
        run(client, [*dashboards[:-1], bad])
    assert emu.total_requests() == 0


@pytest.mark.parametrize("uid, title, message", [
    ("bad uid!", "T", "uid 'bad uid!' is not valid for Grafana"),
    ("ok", "  ", "dashboard 'ok' has an empty title"),
])
def test_bad_uids_and_titles_are_refused_before_any_request(client, emu, dashboards, uid, title, message):
    bad = Rendered(uid, title, {**dashboards[0].data, "uid": uid, "title": title}, "x.json")
    with pytest.raises(RenderError, match=message):
        run(client, [bad])
    assert emu.total_requests() == 0


def test_duplicate_uids_are_refused(client, emu, dashboards):
    with pytest.raises(RenderError, match="is used by both"):
        run(client, [dashboards[0], dashboards[0]])


def test_folder_created_concurrently_is_fine(client, emu, dashboards):
    """Another run creates the folder between our look and our create: 409, then fine."""
    emu.add_folder("tonebridge", "ToneBridge")
    real_get = client.get_folder
    looks = []

    def get_folder(uid):
        looks.append(uid)
        if len(looks) == 1:
            raise NotFound("GET /api/folders/tonebridge: Grafana answered 404", status=404)
        return real_get(uid)

    client.get_folder = get_folder
    report = run(client, dashboards)
    assert report.exit_code == EXIT_OK and not report.folder_created
    assert emu.counts["POST /api/folders"] == 1 and len(looks) == 2


def test_a_503_burst_is_ridden_out(client, emu, dashboards):
    emu.fail_next(3, 503, retry_after=0)
    emu.fail_next(3, 503, route="POST /api/dashboards/db")
    report = run(client, dashboards)
    assert report.exit_code == EXIT_OK
    assert all(emu.dashboard(r.uid) for r in dashboards)


def test_grafana_answering_502_forever_fails_quickly(emu, clock, dashboards):
    """The push ends with the first requests' retries: none asked more than
    the policy's attempts, no dashboard read or written."""
    emu.fail_next(None, 502, html=True)
    policy = RetryPolicy(attempts=5, backoff=0.05, max_delay=0.2, budget=1.0)
    with GrafanaClient(emu.url, auth=TokenAuth(TOKEN), retry=policy, sleep=clock.sleep) as c:
        with pytest.raises(ServerError, match="502 Bad Gateway"):
            run(c, dashboards)
    assert set(emu.counts) <= {"GET /api/health", "GET /api/search", "GET /api/folders/:uid"}, emu.counts
    assert max(emu.counts.values()) <= policy.attempts and clock.waits
    assert emu.writes() == 0


def test_one_failing_dashboard_does_not_stop_the_others(client, emu, dashboards):
    emu.max_body_bytes = max(len(json.dumps(r.data)) for r in dashboards) - 1
    report = run(client, dashboards)
    assert report.exit_code == EXIT_FAILED
    failed = [o for o in report.outcomes if o.action == "failed"]
    assert len(failed) >= 1 and "413: Dashboard is too large" in failed[0].detail
    assert report.count("created") == len(dashboards) - len(failed)


def test_wrong_token_fails_before_any_write(emu, dashboards):
    with GrafanaClient(emu.url, auth=TokenAuth("wrong")) as c:
        with pytest.raises(Unauthorized):
            run(c, dashboards)
    assert emu.writes() == 0


@pytest.mark.parametrize("emu", ["P1", "P3"], indirect=True)
def test_other_grafana_profiles_behave_the_same(client, emu, dashboards, tmp_path):
    assert run(client, dashboards).exit_code == EXIT_OK
    emu.reset_counts()
    assert run(client, dashboards).count("unchanged") == len(dashboards) and emu.writes() == 0
    emu.ui_save(dashboards[0].uid, lambda d: d.update(description="by hand"))
    assert run(client, dashboards, tmp_path).exit_code == EXIT_REFUSED
    assert run(client, dashboards, tmp_path, force=True).exit_code == EXIT_OK
    assert comparable(emu.dashboard(dashboards[0].uid)) == comparable(dashboards[0].data)


def test_org_id_pushes_into_that_org_only(emu, dashboards):
    emu.add_org(2)
    emu.add_token("org2", org_id=2)
    with GrafanaClient(emu.url, auth=TokenAuth("org2"), org_id=2) as c:
        assert run(c, dashboards).exit_code == EXIT_OK
    assert emu.dashboard(dashboards[0].uid, org_id=2) is not None
    assert emu.dashboard(dashboards[0].uid, org_id=1) is None


def test_concurrency_one_gives_the_same_result(client, emu, dashboards):
    report = run(client, dashboards, concurrency=1)
    assert report.count("created") == len(dashboards)
    assert [o.uid for o in report.outcomes] == [r.uid for r in dashboards]


def test_progress_is_reported_for_every_dashboard(client, dashboards):
    seen = []
    run(client, dashboards, on_progress=lambda done, total: seen.append((done, total)))
    assert sorted(seen) == [(i, len(dashboards)) for i in range(1, len(dashboards) + 1)]


@pytest.mark.parametrize("emu", ["P1"], indirect=True)
def test_grafana_before_11_3_would_replace_a_same_titled_dashboard(client, emu, dashboards, tmp_path):
    """On P1 an overwrite takes over another dashboard with the same title in
    the folder: push refuses that unless --force, which backs it up first."""
    r = dashboards[0]
    emu.add_folder("tonebridge", "ToneBridge")
    client.save_dashboard({"uid": "hand-made", "title": r.title.upper(), "description": "mine"},
                          folder_uid="tonebridge", overwrite=False)
    report = run(client, dashboards, tmp_path)
    outcome = report.outcomes[0]
    assert (report.exit_code, outcome.action) == (EXIT_REFUSED, "refused")
    assert "'hand-made' (" in outcome.detail and "would replace it with" in outcome.detail
    assert emu.dashboard("hand-made")["description"] == "mine"
    report = run(client, dashboards, tmp_path, force=True)
    assert report.exit_code == EXIT_OK
    [backup] = report.backups
    assert json.loads(backup.read_text())["description"] == "mine"
    assert comparable(emu.dashboard(r.uid)) == comparable(r.data)


def test_same_titles_are_fine_from_grafana_11_3(client, emu, dashboards):
    r = dashboards[0]
    emu.add_folder("tonebridge", "ToneBridge")
    client.save_dashboard({"uid": "hand-made", "title": r.title}, folder_uid="tonebridge")
    assert run(client, dashboards).exit_code == EXIT_OK
    assert emu.dashboard("hand-made") is not None and emu.dashboard(r.uid) is not None


@pytest.mark.parametrize("version, unique", [("11.2.3", True), ("11.3.0", False), ("12.0.1", False),
                                             ("10.4.0", True), (None, True)])
def test_titles_unique_per_folder(version, unique):
    from tonebridge_dash.grafana.push import titles_unique_per_folder

    assert titles_unique_per_folder({"database": "ok", **({"version": version} if version else {})}) is unique


def _undefined_job(r: Rendered) -> Rendered:
    """The dashboard without its job and instance variables: its queries use an undefined $job."""
    data = copy.deepcopy(r.data)
    data["templating"]["list"] = [v for v in data["templating"]["list"] if v["name"] not in ("job", "instance")]
    return Rendered(r.uid, r.title, data, r.source)


def test_push_refuses_what_validate_calls_an_error(client, emu, dashboards, cfg):
    bad = _undefined_job(dashboards[0])
    with pytest.raises(RenderError, match=rf"^dashboard '{bad.uid}': \(dashboard\): has no 'job' variable "
                                         r"\[template-job\] \(and \d+ more\); run 'tb-dash validate'.*nothing was written$"):
        run(client, [*dashboards[1:], bad], cfg=cfg)
    assert emu.total_requests() == 0
    assert RenderError("x").exit_code == EXIT_FAILED  # exit 1, as render refuses it


def test_push_prints_warnings_and_goes_on(client, emu, dashboards, cfg):
    quiet = changed(dashboards[0], panels=copy.deepcopy(dashboards[0].data["panels"]))
    next(p for p in quiet.data["panels"] if p.get("description"))["description"] = ""
    warnings = []
    report = run(client, [quiet], cfg=cfg, warn=warnings.append)
    assert report.exit_code == EXIT_OK
    assert len(warnings) == 1 and "has no description [panel-title-description]" in warnings[0]


# -- paths from Grafana's answers stay inside their directory ------------------

@pytest.mark.parametrize("answered", ["../../escaped", "ABS"])
def test_a_backup_never_leaves_the_backup_dir(client, emu, dashboards, tmp_path, answered):
    """The backup's file name comes from Grafana's answer: a uid that is a
    path is refused, and nothing is written outside --backup-dir."""
    run(client, dashboards)
    uid = dashboards[1].uid
    emu.ui_save(uid, lambda d: d.update(description="by hand"))
    outside = tmp_path / "abs" / "evil"
    answered = str(outside) if answered == "ABS" else answered
    emu.org().dashboards[uid].data["uid"] = answered  # what GET /api/dashboards/uid/<uid> answers
    work = tmp_path / "work" / "here"
    report = run(client, dashboards, backup_dir=work / "backups", force=True)
    outcome = next(o for o in report.outcomes if o.uid == uid)
    assert (report.exit_code, outcome.action) == (EXIT_FAILED, "failed")
    assert outcome.detail == (f"GET /api/dashboards/uid/{uid}: Grafana answered the dashboard with the "
                              f"uid {answered!r}; refused")
    assert report.backups == [] and emu.dashboard(uid)["description"] == "by hand"
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert written == []


@pytest.mark.parametrize("emu", ["P1"], indirect=True)
def test_a_path_like_uid_in_a_search_answer_is_refused(client, emu, dashboards, tmp_path):
    """On Grafana before 11.3 the dashboard that shares a title is found by
    search; its uid names the backup file, so a path there is refused."""
    r = dashboards[0]
    emu.add_folder("tonebridge", "ToneBridge")
    client.save_dashboard({"uid": "hand-made", "title": r.title}, folder_uid="tonebridge")
    org = emu.org()
    org.dashboards["../../escaped"] = org.dashboards.pop("hand-made")
    org.dashboards["../../escaped"].uid = org.dashboards["../../escaped"].data["uid"] = "../../escaped"
    with pytest.raises(UnexpectedResponse) as e:
        run(client, [r], backup_dir=tmp_path / "a" / "b" / "backups", force=True)
    assert e.value.message == ("GET /api/search: Grafana answered the dashboard uid '../../escaped', "
                               "which is not a valid uid; refused")
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == [] and emu.dashboard(r.uid) is None


@pytest.mark.parametrize("path", ["@evil.example/d/x", ".evil.example/d/x", "https://evil.example/d/x", 7])
def test_dashboard_urls_from_grafana_stay_on_grafana(client, emu, dashboards, path, monkeypatch):
    """The URL in the summary is Grafana's base URL plus the path Grafana
    answered: a path that would change the host is not used."""
    real = client.save_dashboard
    monkeypatch.setattr(client, "save_dashboard", lambda *a, **k: {**real(*a, **k), "url": path})
    report = run(client, dashboards[:1])
    assert report.outcomes[0].url == f"{emu.url}/d/{dashboards[0].uid}"


@pytest.mark.parametrize("name", ["../x.json", "/abs/x.json", "a/b.json", "..", ".", "", "a\\b.json"])
def test_inside_refuses_anything_but_one_file_name(tmp_path, name):
    from tonebridge_dash.grafana.push import inside

    assert inside(tmp_path, "tb-x.v3.20260101T000000Z.json") == tmp_path / "tb-x.v3.20260101T000000Z.json"
    with pytest.raises(UnexpectedResponse, match="not a file name"):
        inside(tmp_path, name)


# -- a change made during the push is never overwritten silently -----------------

def _described(report, uid):
    return next(o for o in report.outcomes if o.uid == uid)


@pytest.mark.parametrize("emu", ["P2", "P3"], indirect=True)
def test_a_ui_save_between_the_read_and_the_save_is_refused(client, emu, dashboards, tmp_path):
    """The save carries the version push read: Grafana refuses it (412, or
    409) when someone saved in between, and push names them (exit 3)."""
    run(client, dashboards)
    target = changed(dashboards[0], description="new in the code")
    emu.before("POST /api/dashboards/db", lambda: emu.ui_save(
        target.uid, lambda d: d.update(title="Saved meanwhile"), user="carol", message="mid-push"))
    report = run(client, [target, *dashboards[1:]], tmp_path)
    outcome = _described(report, target.uid)
    assert (report.exit_code, outcome.action) == (EXIT_REFUSED, "refused")
    assert f"'{target.uid}' (Saved meanwhile) was saved in Grafana by carol at " in outcome.detail
    assert "(version 2, message 'mid-push'), during this push; not overwritten" in outcome.detail
    assert emu.dashboard(target.uid)["title"] == "Saved meanwhile" and emu.dashboard(target.uid)["version"] == 2


def test_force_backs_up_a_save_made_during_the_push(client, emu, dashboards, tmp_path):
    run(client, dashboards)
    target = changed(dashboards[0], description="new in the code")
    emu.before("POST /api/dashboards/db", lambda: emu.ui_save(
        target.uid, lambda d: d.update(title="Saved meanwhile"), user="carol"))
    report = run(client, [target], tmp_path, force=True)
    assert (report.exit_code, report.outcomes[0].action) == (EXIT_OK, "updated")
    [saved] = report.backups
    assert json.loads(saved.read_text())["title"] == "Saved meanwhile" and saved.name.startswith(f"{target.uid}.v2.")
    assert comparable(emu.dashboard(target.uid)) == comparable(target.data)
    assert [v["version"] for v in emu.history(target.uid)] == [3, 2, 1]


def test_two_pushes_at_once_do_not_overwrite_each_other_silently(client, emu, dashboards, tmp_path):
    """Another push saves between this push's read and its save: this one is
    refused and names it (exit 3); the other push's version stays."""
    run(client, dashboards)
    mine, theirs = changed(dashboards[0], description="mine"), changed(dashboards[0], description="theirs")
    emu.before("POST /api/dashboards/db", lambda: push(client, [theirs], revision="other", **FOLDER))
    report = run(client, [mine], tmp_path)
    assert (report.exit_code, report.outcomes[0].action) == (EXIT_REFUSED, "refused")
    assert f"message '{version_message(theirs.data, 'other')}'), during this push" in report.outcomes[0].detail
    assert emu.dashboard(mine.uid)["description"] == "theirs"
    assert [v["message"] for v in emu.history(mine.uid)][:1] == [version_message(theirs.data, "other")]


def test_the_same_push_twice_at_once_is_unchanged(client, emu, dashboards):
    run(client, dashboards)
    target = changed(dashboards[0], description="both")
    emu.before("POST /api/dashboards/db", lambda: push(client, [target], revision="abc123", **FOLDER))
    report = run(client, [target])
    assert (report.exit_code, report.outcomes[0].action) == (EXIT_OK, "unchanged")
    assert len(emu.history(target.uid)) == 2


# -- hand edits are found by content, not by the message ---------------------------

@pytest.mark.parametrize("message", ["tb-dash: fixed by hand", "COPIED"])
def test_a_ui_save_with_a_tb_dash_message_is_still_a_hand_edit(client, emu, dashboards, tmp_path, message):
    run(client, dashboards)
    uid = dashboards[0].uid
    message = emu.history(uid)[0]["message"] if message == "COPIED" else message  # the hash of the old content
    emu.ui_save(uid, lambda d: d.update(title="By hand"), message=message)
    report = run(client, dashboards, tmp_path)
    outcome = _described(report, uid)
    assert (report.exit_code, outcome.action) == (EXIT_REFUSED, "refused")
    names = "" if message == "tb-dash: fixed by hand" else "; its content is not the one that message names"
    assert f"(version 2, message {message!r}){names}; not overwritten" in outcome.detail
    assert emu.dashboard(uid)["title"] == "By hand"


def test_a_dashboard_the_search_left_out_is_not_overwritten(client, emu, dashboards, tmp_path):
    """The create carries no overwrite: Grafana refuses it when the dashboard
    exists, and push judges what is there like any live dashboard."""
    r = dashboards[0]
    emu.add_folder("tonebridge", "ToneBridge")
    client.save_dashboard({**r.data, "title": "Made by hand"}, folder_uid="tonebridge", message="mine")
    emu.rewrite("GET /api/search", lambda body: [])
    report = run(client, [r], tmp_path)
    assert (report.exit_code, report.outcomes[0].action) == (EXIT_REFUSED, "refused")
    assert "(Made by hand) was saved in Grafana by sa-1-tb-dash" in report.outcomes[0].detail
    assert emu.dashboard(r.uid)["title"] == "Made by hand"
    report = run(client, [r], tmp_path, force=True)
    assert (report.exit_code, report.outcomes[0].action) == (EXIT_OK, "updated")
    assert json.loads(report.backups[0].read_text())["title"] == "Made by hand"
    assert run(client, [r]).outcomes[0].action == "unchanged"  # what push wrote is known again


# -- a save whose answer is lost is read back, never repeated blindly ---------------

SAVE = "POST /api/dashboards/db"


@pytest.fixture()
def impatient(emu):
    """A client that waits 0.3 s for an answer."""
    policy = RetryPolicy(attempts=5, backoff=0.01, max_delay=0.05, budget=2.0)
    with GrafanaClient(emu.url, auth=TokenAuth(TOKEN), timeout=0.3, retry=policy) as c:
        yield c


@pytest.mark.parametrize("existing", [True, False])
def test_a_save_that_timed_out_but_landed_is_read_back_and_counted_once(impatient, emu, dashboards, existing):
    r = dashboards[0]
    if existing:
        run(impatient, [r])
        r = changed(r, description="new in the code")
    emu.reset_counts()
    emu.answer_late(1.0, 1, route=SAVE)
    report = run(impatient, [r])
    outcome = report.outcomes[0]
    assert (report.exit_code, outcome.action) == (EXIT_OK, "updated" if existing else "created")
    assert "its answer was lost; read back, it was saved" in outcome.detail
    assert emu.counts[SAVE] == 1 and len(emu.history(r.uid)) == (2 if existing else 1)
    assert comparable(emu.dashboard(r.uid)) == comparable(r.data)
    assert outcome.url == f"{emu.url}/d/{r.uid}/{r.title.lower().replace(' - ', '-').replace(' ', '-')}"


def test_a_save_whose_connection_dropped_is_read_back_then_done_once_more(impatient, emu, dashboards):
    r = dashboards[0]
    run(impatient, [r])
    r = changed(r, description="new in the code")
    emu.reset_counts()
    emu.drop_next(1, route=SAVE)  # dropped before Grafana did anything
    report = run(impatient, [r])
    assert (report.exit_code, report.outcomes[0].action, report.outcomes[0].detail) == (EXIT_OK, "updated", "")
    assert emu.counts[SAVE] == 2 and emu.counts["GET /api/dashboards/uid/:uid"] == 2
    assert [v["version"] for v in emu.history(r.uid)] == [2, 1]


def test_a_save_that_keeps_failing_is_failed_after_two_tries_with_a_read_back_each(impatient, emu, dashboards):
    r = dashboards[0]
    run(impatient, [r])
    r = changed(r, description="new in the code")
    emu.reset_counts()
    emu.fail_next(None, 502, html=True, route=SAVE)
    report = run(impatient, [r])
    assert impatient.retries_done == 0  # neither save repeated by the client nor a read retried
    assert (report.exit_code, report.outcomes[0].action) == (EXIT_FAILED, "failed")
    assert report.outcomes[0].detail == ("POST /api/dashboards/db: Grafana answered 502: non-JSON text/html answer: "
                                         "502 Bad Gateway; read back: it was not saved")
    assert emu.counts[SAVE] == 2 and emu.counts["GET /api/dashboards/uid/:uid"] == 3
    assert len(emu.history(r.uid)) == 1


def test_a_lost_answer_that_cannot_be_read_back_says_so(impatient, emu, dashboards):
    r = dashboards[0]
    emu.answer_late(1.0, 1, route=SAVE)
    emu.fail_next(None, 500, route="GET /api/dashboards/uid/:uid")
    report = run(impatient, [r])
    assert (report.exit_code, report.outcomes[0].action) == (EXIT_FAILED, "failed")
    assert report.outcomes[0].detail == (
        "POST /api/dashboards/db: cannot reach Grafana at " + emu.url + " (no answer within the timeout); "
        "whether it was saved is unknown (reading it back: GET /api/dashboards/uid/" + r.uid +
        ": Grafana answered 500: Internal Server Error)")
    assert emu.counts[SAVE] == 1


def test_a_request_and_its_retries_end_within_the_budget(emu, clock):
    """Each retry waits only for what is left of the budget: a Grafana that
    never answers in time fails after the budget, not after timeout x tries.
    The client's clock advances by each attempt's timeout and each wait, so
    the time the attempts may take is counted, not measured: the first
    takes its 0.9 s, the wait up to 0.05 s, the retry what is left of 1 s."""
    emu.answer_late(3.0, None, route="GET /api/search")
    policy = RetryPolicy(attempts=5, backoff=0.05, max_delay=0.05, budget=1.0)
    with GrafanaClient(emu.url, auth=TokenAuth(TOKEN), timeout=0.9, retry=policy, sleep=clock.sleep) as c:
        timeouts, send = [], c.session.request

        def timed(*args, timeout, **kwargs):
            timeouts.append(timeout)
            try:
                return send(*args, timeout=timeout, **kwargs)
            finally:
                clock.now += max(timeout) if isinstance(timeout, tuple) else timeout

        c.session.request = timed
        with pytest.raises(GrafanaError, match="no answer within the timeout"):
            c.search()
    assert timeouts[0] == 0.9 and len(timeouts) == 2, timeouts
    assert clock.now == pytest.approx(policy.budget)
