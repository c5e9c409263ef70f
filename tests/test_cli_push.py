"""`tb-dash push` and `tb-dash diff` end to end against the emulator: exit
codes, one clear line on stderr, no traceback, no token in any output."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from emulated import TOKEN, emu, free_port, tb  # noqa: F401 (fixtures)


def one_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    return lines[0]


def test_push_then_push_again_writes_nothing(tb, emu, rendered):
    code, out, err = tb("push", "--grafana-url", emu.url)
    assert (code, err) == (0, "")
    assert f"{len(rendered)} dashboards: {len(rendered)} created, 0 updated, 0 unchanged, 0 refused, 0 failed" in out
    assert "folder 'ToneBridge' (uid tonebridge) created" in out
    assert f"created  tb-overview     ToneBridge - Overview       {emu.url}/d/tb-overview/" in out
    emu.reset_counts()
    code, out, err = tb("push", "--grafana-url", emu.url)
    assert code == 0 and emu.writes() == 0
    assert f"0 created, 0 updated, {len(rendered)} unchanged" in out


def test_hand_edit_is_refused_with_exit_3_then_forced(tb, emu, tmp_path):
    tb("push", "--grafana-url", emu.url)
    emu.ui_save("tb-overview", lambda d: d.update(title="Mine"), user="bob")
    code, out, err = tb("push", "--grafana-url", emu.url)
    assert code == 3
    assert one_line(err) == ("tb-dash: error: refused to overwrite 1 dashboard(s) edited in Grafana "
                             "since the last push (tb-overview); re-run with --force to back them "
                             "up and overwrite")
    assert "'tb-overview' (Mine) was saved in Grafana by bob at" in out
    assert emu.dashboard("tb-overview")["title"] == "Mine"
    code, out, err = tb("push", "--grafana-url", emu.url, "--force")
    assert (code, err) == (0, "")
    [backup] = (tmp_path / "build" / "backups").iterdir()
    assert json.loads(backup.read_text())["title"] == "Mine"
    assert emu.dashboard("tb-overview")["title"] == "ToneBridge - Overview"


def test_dry_run_prints_the_plan_and_writes_nothing(tb, emu, rendered):
    code, out, err = tb("push", "--grafana-url", emu.url, "--dry-run")
    assert code == 0 and emu.writes() == 0
    assert "would create  tb-overview" in out and "created" not in out.replace("would be created", "")
    assert "folder 'ToneBridge' (uid tonebridge) would be created" in out
    assert out.rstrip().endswith(f"dry run, nothing written: {len(rendered)} dashboards: would create "
                                 f"{len(rendered)}, would update 0, unchanged 0, would refuse 0, failed 0")


def test_wrong_token_is_one_clear_line(tb, emu):
    code, out, err = tb("push", "--grafana-url", emu.url, token="wrong-token")
    assert (code, out) == (1, "")
    assert one_line(err) == ("tb-dash: error: GET /api/folders/tonebridge: Grafana answered 401: Invalid API key "
                             "(api-key.invalid); check GRAFANA_TOKEN, --token-file or "
                             "GRAFANA_USER/GRAFANA_PASSWORD")
    assert emu.writes() == 0


def test_connection_refused_is_one_clear_line(tb):
    url = f"http://127.0.0.1:{free_port()}"
    code, out, err = tb("push", "--grafana-url", url, "--retries", "1")
    assert code == 1
    assert one_line(err).startswith(f"tb-dash: error: GET /api/health: cannot reach Grafana at {url} "
                                    "(connection refused) (gave up after 2 attempts")


def test_502_forever_fails_clearly_well_under_a_minute(tb, emu, monkeypatch):
    """The default retry policy: 5 attempts for a request, and what it
    waits between them (recorded here, not slept) adds up to less than 4 s."""
    from tonebridge_dash.grafana.client import RetryPolicy

    waits = []  # (retry number, seconds) of every request, in turn
    policy_delay = RetryPolicy.delay
    monkeypatch.setattr(RetryPolicy, "delay", lambda self, retry, after: waits.append(
        (retry, policy_delay(self, retry, after))) or 0.0)
    emu.fail_next(None, 502, html=True)
    code, out, err = tb("push", "--grafana-url", emu.url)  # the default retry policy
    assert code == 1 and waits
    assert sorted(r for r, _ in waits) == sorted([1, 2, 3, 4] * (len(waits) // 4)), waits  # 4 waits a request
    assert all(s <= 0.25 * 2 ** (r - 1) for r, s in waits), waits  # at most 0.25 + 0.5 + 1 + 2 s: under 4 s
    assert one_line(err).startswith("tb-dash: error: GET /api/folders/tonebridge: Grafana answered 502: "
                                    "non-JSON text/html answer: 502 Bad Gateway (gave up after 5 attempts")


def test_unhealthy_grafana_stops_before_any_write(tb, emu):
    emu.database_ok = False
    code, out, err = tb("push", "--grafana-url", emu.url, "--retries", "0")
    assert code == 1 and emu.writes() == 0
    assert one_line(err) == ('tb-dash: error: GET /api/health: Grafana answered 503: {"commit": '
                             '"0123456789", "database": "failing", "version": "12.2.0"}')


def test_usage_errors_exit_2(tb, emu, tmp_path):
    code, _, err = tb("push")
    assert code == 2 and one_line(err) == ("tb-dash: error: no Grafana URL: pass --grafana-url URL, "
                                           "set GRAFANA_URL, or use --env NAME with a url in the settings")
    code, _, err = tb("push", "--env", "nope")
    assert code == 2 and "unknown environment 'nope'" in one_line(err)
    code, _, err = tb("push", "--grafana-url", "ftp://x")
    assert code == 2 and "must start with http:// or https://" in one_line(err)
    code, _, err = tb("push", "--grafana-url", emu.url, "--token-file", str(tmp_path / "none"), token=None)
    assert code == 2 and one_line(err).endswith("none: token file not found")


def test_token_file_and_grafana_url_from_the_environment(tb, emu, tmp_path):
    (tmp_path / "token").write_text(TOKEN + "\n")
    code, out, err = tb("push", "--token-file", str(tmp_path / "token"), token=None,
                        env={"GRAFANA_URL": emu.url})
    assert (code, err) == (0, "")
    assert emu.last_headers["POST /api/dashboards/db"]["Authorization"] == f"Bearer {TOKEN}"


def test_env_picks_url_folder_and_org_from_the_settings(tb, emu, tmp_path):
    emu.add_org(2)
    emu.add_token("org-two-token", org_id=2)
    (tmp_path / "tb-dash.yaml").write_text(
        "environments:\n"
        f"  staging:\n    url: {emu.url}\n    org_id: 2\n"
        "    folder: {title: ToneBridge Staging, uid: tb-staging}\n")
    code, out, err = tb("push", "--env", "staging", token="org-two-token")
    assert (code, err) == (0, "")
    assert emu.folder_of("tb-overview", org_id=2) == "tb-staging"
    assert emu.org(2).folders["tb-staging"].title == "ToneBridge Staging"
    assert emu.dashboard("tb-overview", org_id=1) is None
    assert emu.last_headers["POST /api/dashboards/db"]["X-Grafana-Org-Id"] == "2"


def test_push_from_a_directory_of_rendered_json(tb, emu, tmp_path, rendered):
    assert tb("render", "--out", str(tmp_path / "out"))[0] == 0
    code, out, err = tb("push", "--grafana-url", emu.url, "--from", str(tmp_path / "out"))
    assert (code, err) == (0, "") and f"{len(rendered)} created" in out
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "x.json").write_text('{"uid": "x", "title": "X", "panels": "oops"}')
    emu.reset_counts()
    code, out, err = tb("push", "--grafana-url", emu.url, "--from", str(tmp_path / "bad"))
    assert code == 1 and "does not match Grafana's schema" in one_line(err)  # refused as render refuses it
    assert emu.writes() == 0  # its first reads overlap the reading of the files; nothing is written
    made = emu.total_requests()
    time.sleep(0.3)
    assert emu.total_requests() == made  # and none is still under way once the command has ended


def test_a_failed_dashboard_exits_1_and_names_it(tb, emu, rendered):
    emu.fail_next(None, 413, html=True, route="POST /api/dashboards/db")
    code, out, err = tb("push", "--grafana-url", emu.url)
    assert code == 1
    n, first = len(rendered), sorted(rendered)[0]
    assert one_line(err) == (f"tb-dash: error: {n} of {n} dashboards failed; first: {first}: "
                             "POST /api/dashboards/db: Grafana answered 413: non-JSON text/html "
                             "answer: 413 Request Entity Too Large")


def test_diff_exit_codes(tb, emu, rendered):
    code, out, err = tb("diff", "--grafana-url", emu.url)
    assert code == 1 and "STATE  UID             TITLE                       URL\n" in out
    assert "new    tb-overview     ToneBridge - Overview\n    new dashboard (4 panels)\n" in out
    tb("push", "--grafana-url", emu.url)
    code, out, err = tb("diff", "--grafana-url", emu.url)
    assert (code, err) == (0, "") and f"0 new, 0 changed, {len(rendered)} unchanged" in out
    assert f"unchanged  tb-overview     ToneBridge - Overview       {emu.url}/d/tb-overview/" in out
    emu.ui_save("tb-overview", lambda d: d.update(refresh="5m"))
    code, out, err = tb("diff", "--grafana-url", emu.url, "--full")
    assert code == 1 and "    dashboard settings changed: refresh" in out
    assert '-  "refresh": "5m",' in out
    code, out, err = tb("diff", "--grafana-url", emu.url, token="wrong-token")
    assert code == 2 and "401: Invalid API key" in one_line(err)
    code, out, err = tb("diff")
    assert code == 2 and "no Grafana URL" in one_line(err)


def test_help_documents_the_exit_codes(tb):
    code, out, _ = tb("push", "--help")
    assert code == 0
    assert "3 refused to overwrite or delete a dashboard edited in Grafana" in " ".join(out.split())
    code, out, _ = tb("diff", "--help")
    assert "0 Grafana matches the code; 1 it differs; 2 error" in " ".join(out.split())


def test_the_progress_bar_is_drawn_only_on_a_terminal():
    import io

    from tonebridge_dash.progress import progress

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    assert progress("push", io.StringIO()) is None
    out = Terminal()
    draw = progress("push", out)
    draw(1, 2)
    assert out.getvalue() == "\rpush [" + "#" * 15 + "." * 15 + "] 1/2"
    draw(2, 2)
    assert out.getvalue().endswith("\r")  # the line is cleared for the summary


# -- answers of the wrong type or shape: one line, never a traceback ---------------

def _set(path: str, value):
    """A change of an answer: the key at ``path`` ("a.b") set to ``value``."""
    def change(body):
        *outer, last = path.split(".")
        target = body
        for key in outer:
            target = target[key]
        target[last] = value
        return body
    return change


DASHBOARD = "GET /api/dashboards/uid/:uid"
ODD_ANSWERS = [
    (DASHBOARD, _set("dashboard.version", "abc"), True,
     'GET /api/dashboards/uid/tb-application: Grafana answered the version "abc", not a whole number; refused'),
    (DASHBOARD, _set("dashboard.version", True), True, "the version true, not a whole number"),
    (DASHBOARD, _set("dashboard", ["x"]), True, 'the dashboard ["x"], not an object'),
    (DASHBOARD, _set("meta", "x"), True, 'the meta "x", not an object'),
    (DASHBOARD, _set("meta.folderUid", 7), True, "meta.folderUid 7, not a string"),
    (DASHBOARD, lambda body: [body], True, "the answer [{"),
    ("GET /api/search", lambda body: {"hits": body}, False,
     'GET /api/search: Grafana answered the search result {"hits": [', ),
    ("GET /api/search", lambda body: [{**h, "uid": 5} for h in body] or [{"uid": 5}], False,
     "GET /api/search: Grafana answered the dashboard uid 5, which is not a valid uid; refused"),
    ("GET /api/search", lambda body: ["tb-overview"], False, 'the search result ["tb-overview"], not a list of objects'),
    ("GET /api/dashboards/uid/:uid/versions", _set("versions", [{"version": "abc"}]), True,
     "GET /api/dashboards/uid/tb-application/versions: Grafana answered a version's number \"abc\""),
    ("GET /api/dashboards/uid/:uid/versions", lambda body: "none", True, 'the version history "none", not an object'),
]


@pytest.mark.parametrize("route, change, edited, line", ODD_ANSWERS)
def test_odd_answers_are_one_line_with_their_exit_code(tb, emu, route, change, edited, line):
    tb("push", "--grafana-url", emu.url)
    if edited:  # push and diff read the live dashboard, and its history, when it differs
        for uid in emu.org().dashboards:
            emu.ui_save(uid, lambda d: d.update(description="by hand"))
    emu.rewrite(route, change)
    emu.reset_counts()
    code, out, err = tb("push", "--grafana-url", emu.url, "--force")
    assert code == 1 and line in one_line(err)
    assert emu.writes() == 0
    code, out, err = tb("diff", "--grafana-url", emu.url)
    assert code == 2 and line in one_line(err)


def test_a_health_answer_that_is_not_an_object_is_one_line(tb, emu):
    emu.rewrite("GET /api/health", lambda body: [body])
    code, out, err = tb("push", "--grafana-url", emu.url)
    assert code == 1 and emu.writes() == 0
    assert one_line(err).startswith("tb-dash: error: GET /api/health: Grafana answered the health check [{")
    emu.rewrite("GET /api/health", _set("version", 12))  # a version that is no string: unknown, as when hidden
    assert tb("push", "--grafana-url", emu.url)[0] == 0


def test_a_save_answer_of_another_shape_is_still_a_save(tb, emu, rendered):
    """A 2xx answer to a save means it was saved: its body only gives the link."""
    emu.rewrite("POST /api/dashboards/db", lambda body: ["saved"])
    code, out, err = tb("push", "--grafana-url", emu.url)
    assert (code, err) == (0, "") and f"{len(rendered)} created" in out
    assert f"created  tb-overview     ToneBridge - Overview       {emu.url}/d/tb-overview\n" in out


# -- a push that is stopped finishes what is in flight and says what was done ------

@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize("jobs", [1, 3])
def test_a_signal_stops_the_push_after_the_saves_in_flight_with_a_summary(emu, rendered, signum, jobs):
    """A process of its own: the signal, delivered by the kernel to a
    command with worker threads, is the point."""
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen([sys.executable, "-m", "tonebridge_dash", "push", "--grafana-url", emu.url,
                             "-j", str(jobs)], cwd=root, env={**os.environ, "GRAFANA_TOKEN": TOKEN},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # The signal is sent as the first save arrives, and no save is answered
    # before the process has taken it: the saves that arrived meanwhile are the
    # ones in flight, and a worker free again must find the push stopped.
    released = threading.Event()

    def signal_then_release():
        proc.send_signal(signum)
        taken_by_kernel(proc.pid, signum)
        time.sleep(1.0)  # handed over: Python runs the handler on the main thread within threads.WAKE
        released.set()

    emu.before("POST /api/dashboards/db", signal_then_release, on_arrival=True)
    emu.before("POST /api/dashboards/db", lambda: released.wait(60), times=len(rendered), on_arrival=True)
    out, err = proc.communicate(timeout=60)
    n, saved = len(rendered), emu.counts["POST /api/dashboards/db"]
    assert proc.returncode == 128 + signum, err
    assert 1 <= saved <= jobs and sum(emu.dashboard(uid) is not None for uid in rendered) == saved
    assert (f"{n} dashboards: {saved} created, 0 updated, 0 unchanged, 0 refused, 0 failed, "
            f"{n - saved} skipped") in out
    assert f"stopped: interrupted by {signum.name}; the saves in flight were finished" in out
    assert one_line(err) == (f"tb-dash: error: interrupted by {signum.name}: {n - saved} of {n} dashboards "
                             "not started; the summary above says what was done")


def taken_by_kernel(pid: int, signum: int, limit: float = 30.0) -> None:
    """Wait until ``signum`` is no longer pending for process ``pid`` (the
    kernel ran its handler's C part), at most ``limit`` seconds."""
    bit = 1 << (signum - 1)
    end = time.monotonic() + limit
    while time.monotonic() < end:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            return  # it ended
        pending = 0
        for line in status.splitlines():
            if line.startswith(("SigPnd:", "ShdPnd:")):
                pending |= int(line.split()[1], 16)
        if not pending & bit:
            return
        time.sleep(0.01)


def test_the_push_threads_leave_the_signals_to_the_main_thread():
    """Python runs signal handlers on the main thread only. A signal the kernel
    hands to a worker (blocked in a socket read) would set the stop only when
    the main thread's wait ends: meanwhile the other workers start new saves.
    So every worker blocks SIGINT and SIGTERM, and the main thread gets them."""
    from tonebridge_dash.grafana.plan import in_parallel, run_all

    def blocked(_=None):
        return {signal.SIGINT, signal.SIGTERM} <= signal.pthread_sigmask(signal.SIG_BLOCK, set())

    assert not blocked()  # the main thread's own mask is left alone
    assert run_all(blocked, range(4), 3) == [True] * 4
    assert in_parallel(blocked, blocked) == [True, True]
    assert not blocked()


def test_a_backup_that_cannot_be_written_stops_the_push_with_a_summary(tb, emu, rendered, tmp_path):
    tb("push", "--grafana-url", emu.url)
    for uid in rendered:
        emu.ui_save(uid, lambda d: d.update(description="by hand"))
    (tmp_path / "a-file").write_text("")
    emu.reset_counts()
    code, out, err = tb("push", "--grafana-url", emu.url, "--force", "-j", "1",
                        "--backup-dir", str(tmp_path / "a-file" / "backups"))
    n, first = len(rendered), sorted(rendered)[0]
    assert code == 1 and emu.writes() == 0
    assert f"{n} dashboards: 0 created, 0 updated, 0 unchanged, 0 refused, 1 failed, {n - 1} skipped" in out
    assert one_line(err).startswith(f"tb-dash: error: 1 of {n} dashboards failed; first: {first}: "
                                    "cannot write the backup: ")
    assert one_line(err).endswith(f"not overwritten, and no new save started; {n - 1} not started")
    assert all(emu.dashboard(uid)["description"] == "by hand" for uid in rendered)


@pytest.mark.parametrize("files, message", [
    ({"a.json": {"uid": "../../x", "title": "A"}}, "a.json: uid '../../x' is not valid for Grafana"),
    ({"a.json": {"uid": "/abs/x", "title": "A"}}, "a.json: uid '/abs/x' is not valid for Grafana"),
    ({"a.json": {"uid": "same", "title": "A"}, "b.json": {"uid": "same", "title": "B"}},
     "uid 'same' is used by both"),
])
def test_diff_from_checks_its_input_as_push_does(tb, emu, tmp_path, rendered, files, message):
    """diff --from refuses what push --from refuses, with the same line (exit 2, its error code)."""
    base = rendered["tb-overview"].data
    (tmp_path / "in").mkdir()
    for name, keys in files.items():
        (tmp_path / "in" / name).write_text(json.dumps({**base, **keys}))
    code, out, err = tb("push", "--grafana-url", emu.url, "--from", str(tmp_path / "in"))
    assert code == 1 and message in one_line(err) and one_line(err).endswith("; nothing was written")
    assert emu.writes() == 0  # only its first reads, made while the files were read
    emu.reset_counts()
    code, out, err = tb("diff", "--grafana-url", emu.url, "--from", str(tmp_path / "in"))
    assert (code, out) == (2, "") and message in one_line(err)
    assert emu.total_requests() == 0


def test_what_render_checked_push_from_its_output_does_not_check_again(tb, emu, tmp_path, monkeypatch):
    from tonebridge_dash.grafana import push as checked

    assert tb("render", "--out", "out")[0] == 0
    checks = []
    real = checked.gate
    monkeypatch.setattr(checked, "gate", lambda *a, **k: checks.append(1) or real(*a, **k))
    code, out, err = tb("push", "--grafana-url", emu.url, "--from", "out")
    assert (code, checks) == (0, [])  # render's check, recorded for these very files
    changed = sorted((tmp_path / "out").glob("*.json"))[0]
    data = json.loads(changed.read_text())
    data["title"] += " (changed by hand)"
    changed.write_text(json.dumps(data))
    code, out, err = tb("push", "--grafana-url", emu.url, "--from", "out", "--dry-run")
    assert (code, checks) == (0, [1])  # a file that is not what render wrote is checked
