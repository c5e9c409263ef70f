"""push --prune against the emulator: the folder's dashboards that the code no
longer has are deleted when tb-dash wrote them last; a hand-edited one
survives (refused, exit 3) unless --force, which backs it up first."""

from __future__ import annotations

import io
import json
import sys

import pytest

from emulated import TOKEN, client, emu, tb  # noqa: F401 (fixtures)
from test_cli_push import one_line
from tonebridge_dash.errors import EXIT_OK, EXIT_REFUSED
from tonebridge_dash.grafana import GrafanaClient, RetryPolicy, TokenAuth
from tonebridge_dash.grafana.prune import NotConfirmed, Prune
from tonebridge_dash.grafana.push import push

FOLDER = {"folder_uid": "tonebridge", "folder_title": "ToneBridge"}
GONE, EDITED = "tb-overview", "tb-slo"  # removed from the code; the second edited by hand too
DELETE = "DELETE /api/dashboards/uid/:uid"


@pytest.fixture()
def dashboards(rendered):
    return list(rendered.values())


def kept(dashboards):
    return [r for r in dashboards if r.uid not in (GONE, EDITED)]


def prune_run(client, dashboards, tmp_path, **kw):
    """A push --prune of the code without GONE and EDITED."""
    code = kept(dashboards)
    options = {k: kw.pop(k) for k in ("only", "confirm") if k in kw}
    only = options.get("only")
    return push(client, code, revision="abc123", backup_dir=tmp_path / "backups", **FOLDER,
                prune=Prune(keep=frozenset(r.uid for r in code), only=frozenset(only) if only else None,
                            confirm=options.get("confirm")), **kw)


def test_prune_deletes_a_removed_dashboard_and_a_hand_edited_one_survives(client, emu, dashboards, tmp_path):
    push(client, dashboards, **FOLDER)
    emu.ui_save(EDITED, lambda d: d.update(description="tuned by hand"), user="carol")
    emu.add_folder("other", "Other")
    client.save_dashboard({"uid": "elsewhere", "title": "Not in our folder"}, folder_uid="other")
    emu.reset_counts()
    report = prune_run(client, dashboards, tmp_path)
    by_uid = {o.uid: o for o in report.outcomes}
    assert by_uid[GONE].action == "deleted" and by_uid[EDITED].action == "refused"
    assert "was saved in Grafana by carol" in by_uid[EDITED].detail
    assert by_uid[EDITED].detail.endswith("not deleted (use --force to back it up and delete)")
    assert report.exit_code == EXIT_REFUSED
    assert emu.dashboard(GONE) is None and emu.history(GONE) == []
    assert emu.dashboard(EDITED)["description"] == "tuned by hand"
    assert emu.dashboard("elsewhere") is not None  # another folder is never looked at
    assert emu.counts[DELETE] == 1 and emu.writes() == 1
    report = prune_run(client, dashboards, tmp_path, force=True)
    [o] = [o for o in report.outcomes if o.action == "deleted"]
    assert (o.uid, report.exit_code) == (EDITED, EXIT_OK)
    assert json.loads(report.backups[0].read_text())["description"] == "tuned by hand"
    assert emu.dashboard(EDITED) is None


def test_a_dashboard_tb_dash_never_wrote_is_not_deleted(client, emu, dashboards, tmp_path):
    push(client, dashboards, **FOLDER)
    client.save_dashboard({"uid": "made-by-hand", "title": "Someone's"}, folder_uid="tonebridge",
                          message="tb-dash: 0123456789ab")  # a message that looks like tb-dash's
    report = prune_run(client, dashboards, tmp_path)
    [o] = [o for o in report.outcomes if o.uid == "made-by-hand"]
    assert o.action == "refused" and emu.dashboard("made-by-hand") is not None


def test_dry_run_says_would_delete_and_writes_nothing(client, emu, dashboards, tmp_path):
    push(client, dashboards, **FOLDER)
    emu.reset_counts()
    report = prune_run(client, dashboards, tmp_path, dry_run=True, force=True,
                       confirm=lambda doomed: pytest.fail("a dry run asks nothing"))
    assert emu.writes() == 0 and emu.dashboard(GONE) is not None
    assert {o.uid: o.action for o in report.outcomes if o.deleting} == {GONE: "deleted", EDITED: "deleted"}


def test_the_deletes_are_confirmed_before_anything_is_written(client, emu, dashboards, tmp_path):
    push(client, dashboards, **FOLDER)
    emu.ui_save(EDITED, lambda d: d.update(description="by hand"))
    asked = []
    emu.reset_counts()
    with pytest.raises(NotConfirmed, match=r"not confirmed: nothing was deleted or saved \(1 dashboard"):
        prune_run(client, dashboards, tmp_path, confirm=lambda doomed: asked.append(doomed) or False)
    assert [d.uid for d in asked[0]] == [GONE]  # the hand-edited one would not be deleted: not listed
    assert emu.writes() == 0


def test_a_save_after_the_listing_is_judged_before_the_delete(client, emu, dashboards, tmp_path):
    push(client, dashboards, **FOLDER)

    def meanwhile(doomed):
        emu.ui_save(GONE, lambda d: d.update(description="saved while you read the list"), user="dave")
        return True

    report = prune_run(client, dashboards, tmp_path, confirm=meanwhile)
    [o] = [o for o in report.outcomes if o.uid == GONE]
    assert o.action == "refused" and "by dave" in o.detail and emu.dashboard(GONE) is not None


def test_only_limits_what_is_pruned(client, emu, dashboards, tmp_path):
    push(client, dashboards, **FOLDER)
    report = prune_run(client, [], tmp_path, only=[EDITED])
    assert [(o.uid, o.action) for o in report.outcomes] == [(EDITED, "deleted")]
    assert emu.dashboard(GONE) is not None


def test_a_delete_whose_answer_was_lost_is_read_back(emu, dashboards, tmp_path):
    policy = RetryPolicy(attempts=3, backoff=0.01, max_delay=0.05, budget=2.0)
    with GrafanaClient(emu.url, auth=TokenAuth(TOKEN), timeout=0.3, retry=policy) as c:
        push(c, dashboards, **FOLDER)
        emu.ui_save(EDITED, lambda d: d.update(description="by hand"))  # refused: one delete only
        emu.answer_late(0.6, route=DELETE)
        report = prune_run(c, dashboards, tmp_path)
    gone = {o.uid: o for o in report.outcomes}[GONE]
    assert gone.action == "deleted" and gone.detail == "its answer was lost; read back, it was deleted"
    assert emu.counts[DELETE] == 1 and emu.dashboard(GONE) is None


def test_a_failed_delete_is_one_line(client, emu, dashboards, tmp_path):
    push(client, dashboards, **FOLDER)
    emu.org().dashboards[GONE].provisioned = True
    report = prune_run(client, dashboards, tmp_path)
    gone = {o.uid: o for o in report.outcomes}[GONE]
    assert (gone.action, gone.detail) == ("failed", f"DELETE /api/dashboards/uid/{GONE}: Grafana answered 400: "
                                                    "provisioned dashboard cannot be deleted")


# -- the command line -------------------------------------------------------------

def without(tmp_path, rendered, *uids):
    """The rendered dashboards without ``uids``, as --from files."""
    out = tmp_path / "code"
    out.mkdir(exist_ok=True)
    for f in out.iterdir():
        f.unlink()
    for r in rendered.values():
        if r.uid not in uids:
            (out / r.filename).write_text(json.dumps(r.data))
    return str(out)


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_cli_prune_needs_yes_off_a_terminal_and_lists_then_asks_on_one(tb, emu, rendered, tmp_path, monkeypatch):
    tb("push", "--grafana-url", emu.url)
    emu.ui_save(EDITED, lambda d: d.update(description="by hand"), user="erin")
    code_dir = without(tmp_path, rendered, GONE, EDITED)
    emu.reset_counts()
    code, out, err = tb("push", "--grafana-url", emu.url, "--from", code_dir, "--prune")
    assert (code, out, emu.total_requests()) == (2, "", 0)
    assert one_line(err) == ("tb-dash: error: push --prune deletes dashboards: pass --yes to confirm, "
                             "as stdin is not a terminal")
    code, out, err = tb("push", "--grafana-url", emu.url, "--from", code_dir, "--prune", "--dry-run")
    assert code == 3 and emu.writes() == 0
    assert "would delete  tb-overview" in out and "would refuse  tb-slo" in out
    assert "dry run, nothing written: 7 dashboards: would create 0, would update 0, would delete 1," in out

    monkeypatch.setattr(sys, "stdin", Terminal("n\n"))
    code, out, err = tb("push", "--grafana-url", emu.url, "--from", code_dir, "--prune")
    assert code == 1 and emu.writes() == 0 and emu.dashboard(GONE) is not None
    assert err.startswith("tb-dash: warning: push --prune will delete 1 dashboard(s) from the folder "
                          "'ToneBridge', which the code no longer has:\n  tb-overview  ToneBridge - Overview  ")
    assert "Delete them? [y/N]:" in err
    assert err.endswith("tb-dash: error: not confirmed: nothing was deleted or saved "
                        "(1 dashboard(s) would have been deleted)\n")

    monkeypatch.setattr(sys, "stdin", Terminal("y\n"))
    code, out, err = tb("push", "--grafana-url", emu.url, "--from", code_dir, "--prune")
    assert code == 3 and emu.dashboard(GONE) is None and emu.dashboard(EDITED) is not None
    assert "deleted    tb-overview" in out
    assert "7 dashboards: 0 created, 0 updated, 1 deleted, 5 unchanged, 1 refused" in out
    assert err.endswith("tb-dash: error: refused to delete 1 dashboard(s) not written last by "
                        "tb-dash (tb-slo); re-run with --force to back them up and delete\n")
    code, out, err = tb("push", "--grafana-url", emu.url, "--from", code_dir, "--prune", "--yes", "--force")
    assert (code, err) == (0, "") and emu.dashboard(EDITED) is None
    [backup] = (tmp_path / "build" / "backups").iterdir()
    assert json.loads(backup.read_text())["description"] == "by hand"


def test_cli_only_pushes_the_named_dashboards(tb, emu, rendered):
    code, out, err = tb("push", "--grafana-url", emu.url, "--only", "tb-slo", "--only", "tb-overview")
    assert (code, err) == (0, "") and "2 dashboards: 2 created" in out
    assert sorted(emu.org().dashboards) == ["tb-overview", "tb-slo"]
    code, out, err = tb("diff", "--grafana-url", emu.url, "--only", "tb-slo")
    assert code == 0 and "1 dashboards: 0 new, 0 changed, 1 unchanged" in out
    for command in ("push", "diff"):
        code, out, err = tb(command, "--grafana-url", emu.url, "--only", "tb-nope")
        assert code == 2 and one_line(err).startswith("tb-dash: error: --only tb-nope: no dashboard has this uid "
                                                      "(the uids are: tb-application, tb-audit, tb-business")
