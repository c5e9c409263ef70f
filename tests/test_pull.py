"""tb-dash pull against the emulator: live dashboards become normalised
<uid>.json files (what render writes for the same JSON), chosen by uid,
folder or all (the search read page by page), written all or nothing, with
uids from Grafana's answers checked before they name a file; the files feed
import, diff --from and validate. Errors are one line with exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from emulated import TOKEN, client, emu, tb  # noqa: F401 (fixtures)
from test_cli_push import one_line
from tonebridge_dash.grafana import UnexpectedResponse
from tonebridge_dash.grafana.pull import PullError, find_folder, portable, pull, search_all, select
from tonebridge_dash.files.write import encode_json

CORPUS = Path(__file__).parent / "dashboards_corpus"
SEARCH = "GET /api/search"
GET = "GET /api/dashboards/uid/:uid"


def seed(client, n: int, folder: str | None = None, prefix: str = "d") -> list[str]:
    """``n`` small dashboards, saved as a person would (id, version, iteration set)."""
    uids = []
    for i in range(n):
        uid = f"{prefix}{i:02d}"
        body = {"uid": uid, "title": f"Dash {prefix} {i:02d}", "iteration": 1700000000000 + i,
                "schemaVersion": 39, "panels": [], "tags": ["seeded"]}
        client.save_dashboard(body, folder_uid=folder, message="by hand")
        uids.append(uid)
    return uids


def files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


# -- the engine ----------------------------------------------------------------

def test_search_is_read_page_by_page_until_an_empty_page(client, emu):
    uids = seed(client, 7)
    emu.reset_counts()
    assert [h["uid"] for h in search_all(client, type="dash-db", page_size=3)] == uids
    assert emu.counts[SEARCH] == 4  # 3 + 3 + 1, then the empty page
    assert select(client, page_size=2) == uids


def test_a_search_that_ignores_the_page_is_refused_not_looped():
    class SamePage:
        base_url = "http://grafana.invalid"

        def search(self, **kw):
            return [{"uid": "a", "title": "A", "type": "dash-db"}, {"uid": "b", "title": "B", "type": "dash-db"}]

    with pytest.raises(UnexpectedResponse, match=r"GET /api/search: .*on page 2 only hits of earlier pages"):
        search_all(SamePage(), page_size=2)


def test_folder_by_title_by_uid_and_the_root(client, emu):
    emu.add_folder("team-a", "Team A")
    emu.add_folder("team-b", "Team B")
    in_a = seed(client, 3, "team-a", "a")
    seed(client, 2, "team-b", "b")
    at_root = seed(client, 2, None, "r")
    assert find_folder(client, "Team A", page_size=1) == ("team-a", "Team A")
    assert select(client, folder="Team A", page_size=2) == in_a
    assert select(client, folder="team-a") == in_a
    assert select(client, folder="General") == at_root


def test_two_folders_of_one_title_are_ambiguous(client, emu):
    emu.add_folder("ops-1", "Ops")
    emu.add_folder("ops-2", "Ops")
    with pytest.raises(PullError, match=r"--folder 'Ops': 2 folders have this title \(uids ops-1, ops-2\); "
                                        r"pass the uid of one with --folder"):
        select(client, folder="Ops")
    with pytest.raises(PullError, match="has no folder with this title or uid"):
        select(client, folder="Nobody's")


def test_pulled_json_drops_what_grafana_sets_on_save_and_keeps_the_uid(client, emu):
    [uid] = seed(client, 1)
    assert set(emu.dashboard(uid)) >= {"id", "version", "iteration"}
    [p] = pull(client, [uid])
    assert p.data == portable(emu.dashboard(uid))
    assert p.data["uid"] == uid and not {"id", "version", "iteration"} & set(p.data)
    assert (p.folder_uid, p.folder_title) == ("general", "General")
    assert p.url == f"{emu.url}/d/{uid}/dash-d-00"


# -- the command -----------------------------------------------------------------

def test_pull_writes_what_render_writes_then_diff_and_validate_accept_it(tb, emu, rendered, tmp_path):
    tb("push", "--grafana-url", emu.url)
    emu.reset_counts()
    code, out, err = tb("pull", "--grafana-url", emu.url, "--folder", "ToneBridge")
    assert (code, err) == (0, "")
    assert emu.writes() == 0
    assert files(tmp_path / "pulled") == sorted(f"{uid}.json" for uid in rendered)
    for uid, r in rendered.items():  # same bytes as render: sorted keys, 2-space indent, newline
        assert (tmp_path / "pulled" / f"{uid}.json").read_bytes() == encode_json(r.data)
    lines = out.splitlines()
    assert lines[0].split() == ["FILE", "UID", "TITLE", "FOLDER", "PATH"]
    assert "new   tb-overview     ToneBridge - Overview       ToneBridge  pulled/tb-overview.json" in lines
    assert lines[-1] == f"pulled {len(rendered)} dashboards from {emu.url} into pulled: {len(rendered)} new, 0 updated, 0 unchanged"
    code, out, err = tb("diff", "--grafana-url", emu.url, "--from", "pulled")
    assert code == 0 and f"0 new, 0 changed, {len(rendered)} unchanged" in out
    code, out, err = tb("validate", "pulled")
    assert code == 0, out + err


def test_a_second_pull_leaves_files_alone_and_names_what_changed_in_grafana(tb, emu, tmp_path):
    tb("push", "--grafana-url", emu.url)
    tb("pull", "--grafana-url", emu.url, "--all")
    before = (tmp_path / "pulled" / "tb-slo.json").stat().st_mtime_ns
    emu.ui_save("tb-overview", lambda d: d.update(description="by hand"))
    code, out, err = tb("pull", "--grafana-url", emu.url, "--all")
    assert (code, err) == (0, "")
    states = {line.split()[1]: line.split()[0] for line in out.splitlines()[1:-1]}
    assert states == {"tb-application": "unchanged", "tb-audit": "unchanged", "tb-business": "unchanged",
                      "tb-logs": "unchanged", "tb-overview": "updated", "tb-slo": "unchanged", "tb-system": "unchanged"}
    assert out.splitlines()[-1].endswith(": 0 new, 1 updated, 6 unchanged")
    assert (tmp_path / "pulled" / "tb-slo.json").stat().st_mtime_ns == before
    assert json.loads((tmp_path / "pulled" / "tb-overview.json").read_text())["description"] == "by hand"


def test_json_report(tb, emu, client):
    emu.add_folder("team-a", "Team A")
    seed(client, 2, "team-a")
    code, out, err = tb("pull", "--grafana-url", emu.url, "--uid", "d01", "--uid", "d00", "--uid", "d01",
                        "--out", "mine", "--format", "json")
    assert (code, err) == (0, "")
    report = json.loads(out)
    assert set(report) == {"command", "schema_version", "grafana_url", "out", "dashboards", "counts", "exit_code"}
    assert report["command"] == "pull" and report["counts"] == {"new": 2, "updated": 0, "unchanged": 0}
    assert report["dashboards"][0] == {
        "uid": "d01", "title": "Dash d 01", "folder": {"uid": "team-a", "title": "Team A"},
        "path": "mine/d01.json", "file": "new", "url": f"{emu.url}/d/d01/dash-d-01"}
    assert [d["uid"] for d in report["dashboards"]] == ["d01", "d00"]


def test_pull_then_import_then_render(tb, emu, client, tmp_path):
    """A dashboard made elsewhere, saved in Grafana, pulled, adopted as code."""
    original = json.loads((CORPUS / "kube-prometheus-nodes.json").read_text())
    emu.add_folder("infra", "Infra")
    client.save_dashboard(original, folder_uid="infra", message="imported by a person")
    code, out, err = tb("pull", "--grafana-url", emu.url, "--folder", "Infra")
    assert code == 0, err
    uid = original["uid"]
    pulled = tmp_path / "pulled" / f"{uid}.json"
    assert json.loads(pulled.read_text()) == portable(emu.dashboard(uid))

    code, out, err = tb("import", f"pulled/{uid}.json", "--out", "imported", "--name", "nodes")
    assert code == 0, err
    assert f"imported pulled/{uid}.json as nodes" in err
    exclusions = err[err.index("validate:"):] if "validate:" in err else ""
    (tmp_path / "tb-dash.yaml").write_text("content:\n  dashboards: imported\n" + exclusions)
    code, out, err = tb("render", "--out", "build")
    assert code == 0, err
    assert json.loads((tmp_path / "build" / f"{uid}.json").read_text())["title"] == original["title"]


def test_an_unknown_uid_is_one_line_exit_2_and_nothing_written(tb, emu, client, tmp_path):
    seed(client, 1)
    code, out, err = tb("pull", "--grafana-url", emu.url, "--uid", "d00", "--uid", "nope")
    assert code == 2 and out == ""
    assert one_line(err) == f"tb-dash: error: --uid nope: Grafana at {emu.url} has no dashboard with this uid"
    assert files(tmp_path / "pulled") == []


@pytest.mark.parametrize("args, line", [
    ((), "pull needs exactly one of --uid UID, --folder TITLE or --all"),
    (("--all", "--folder", "x"), "pull needs exactly one of --uid UID, --folder TITLE or --all (more than one was given)"),
    (("--uid", "../etc/passwd"), "--uid '../etc/passwd': not a valid dashboard uid (1-40 characters of a-z, A-Z, 0-9, _ and -)"),
    (("--folder", " "), "--folder needs a folder title or uid"),
    (("--folder", "Nowhere"), "--folder 'Nowhere': Grafana at {url} has no folder with this title or uid"),
])
def test_usage_errors_are_one_line_exit_2(tb, emu, tmp_path, args, line):
    emu.reset_counts()
    code, out, err = tb("pull", "--grafana-url", emu.url, *args)
    assert code == 2 and out == ""
    assert one_line(err) == "tb-dash: error: " + line.format(url=emu.url)
    assert files(tmp_path / "pulled") == []
    if "Nowhere" not in args:
        assert emu.total_requests() == 0  # refused before any request


@pytest.mark.parametrize("hit_uid", ["../../outside", "/abs", "a" * 41, 7])
def test_a_uid_from_a_search_answer_is_checked_before_it_names_a_file(tb, emu, client, tmp_path, hit_uid):
    seed(client, 2)
    emu.rewrite(SEARCH, lambda hits: [{**h, "uid": hit_uid} if h["uid"] == "d01" else h for h in hits])
    code, out, err = tb("pull", "--grafana-url", emu.url, "--all")
    assert code == 2
    assert one_line(err).startswith(f"tb-dash: error: GET /api/search: Grafana answered the dashboard uid {hit_uid!r}, "
                                    "which is not a valid uid; refused")
    assert files(tmp_path) == []  # nothing anywhere, not even pulled/


def test_an_answer_about_another_dashboard_is_refused(tb, emu, client, tmp_path):
    seed(client, 2)
    emu.rewrite(GET, lambda body: {**body, "dashboard": {**body["dashboard"], "uid": "../../x"}})
    code, out, err = tb("pull", "--grafana-url", emu.url, "--all")
    assert code == 2
    assert one_line(err) == ("tb-dash: error: GET /api/dashboards/uid/d00: Grafana answered the dashboard "
                             "with the uid '../../x'; refused")
    assert files(tmp_path) == []


def test_a_failure_on_one_dashboard_writes_none_and_keeps_old_files(tb, emu, client, tmp_path):
    seed(client, 3)
    tb("pull", "--grafana-url", emu.url, "--all")
    old = {name: (tmp_path / "pulled" / name).read_bytes() for name in files(tmp_path / "pulled")}
    emu.ui_save("d00", lambda d: d.update(title="changed"))
    emu.fail_next(None, 500, route=GET)
    code, out, err = tb("pull", "--grafana-url", emu.url, "--all", "--retries", "0")
    assert code == 2 and out == ""
    assert one_line(err).startswith("tb-dash: error: GET /api/dashboards/uid/d0")
    assert {name: (tmp_path / "pulled" / name).read_bytes() for name in files(tmp_path / "pulled")} == old


def test_unreachable_and_unauthorized_are_one_line_exit_2(tb, emu, tmp_path):
    code, out, err = tb("pull", "--grafana-url", "http://127.0.0.1:1", "--all", "--retries", "0")
    assert code == 2 and "cannot reach Grafana at http://127.0.0.1:1 (connection refused)" in one_line(err)
    code, out, err = tb("pull", "--grafana-url", emu.url, "--all", token="glsa_wrong")
    assert code == 2
    assert one_line(err) == ("tb-dash: error: GET /api/search: Grafana answered 401: Invalid API key "
                             "(api-key.invalid); check GRAFANA_TOKEN, --token-file or GRAFANA_USER/GRAFANA_PASSWORD")
    assert "glsa_wrong" not in out + err
    assert files(tmp_path / "pulled") == []


def test_token_file_and_org(tb, emu, tmp_path):
    org2 = emu.add_org(2)
    emu.add_token("glsa_org2", org_id=2)
    (tmp_path / "token").write_text("glsa_org2\n")
    from tonebridge_dash.grafana import GrafanaClient, TokenAuth

    with GrafanaClient(emu.url, auth=TokenAuth("glsa_org2"), org_id=2) as c:
        seed(c, 1, prefix="o")
    assert list(org2.dashboards) == ["o00"]
    code, out, err = tb("pull", "--grafana-url", emu.url, "--org-id", "2", "--token-file", "token", "--all", token=None)
    assert (code, err) == (0, "")
    assert files(tmp_path / "pulled") == ["o00.json"]
    assert emu.last_headers[SEARCH].get("X-Grafana-Org-Id") == "2"


def test_an_empty_selection_and_left_over_files_are_warnings(tb, emu, client, tmp_path):
    emu.add_folder("empty", "Empty")
    code, out, err = tb("pull", "--grafana-url", emu.url, "--folder", "Empty")
    assert code == 0 and one_line(err) == "tb-dash: warning: no dashboards in the folder 'Empty'; nothing written"
    assert out.splitlines() == [f"pulled 0 dashboards from {emu.url} into pulled: 0 new, 0 updated, 0 unchanged"]
    seed(client, 2)
    tb("pull", "--grafana-url", emu.url, "--all")
    emu.org().dashboards.pop("d01")
    code, out, err = tb("pull", "--grafana-url", emu.url, "--all")
    assert code == 0
    assert one_line(err) == ("tb-dash: warning: pulled/d01.json: not pulled this time (deleted or moved in "
                             "Grafana?); left in place")
    assert files(tmp_path / "pulled") == ["d00.json", "d01.json"]


def test_an_out_that_is_a_file_is_refused_before_any_request(tb, emu, tmp_path):
    (tmp_path / "taken").write_text("x")
    emu.reset_counts()
    code, out, err = tb("pull", "--grafana-url", emu.url, "--all", "--out", "taken")
    assert code == 2 and one_line(err) == "tb-dash: error: taken: exists and is not a directory"
    assert emu.total_requests() == 0


def test_help_has_examples_and_the_connection_options(tb):
    code, out, err = tb("pull", "--help")
    assert code == 0
    for text in ("Examples:", "--folder", "--all", "--uid", "GRAFANA_URL", "GRAFANA_TOKEN", "--token-file",
                 "--org-id", "tb-dash import pulled/"):
        assert text in out, text


def test_pull_reads_through_the_legacy_api_whatever_api_says(tb, emu, client, tmp_path):
    seed(client, 2)
    emu.reset_counts()
    code, out, err = tb("pull", "--grafana-url", emu.url, "--all", "--api", "apis")
    assert (code, err) == (0, "")
    assert files(tmp_path / "pulled") == ["d00.json", "d01.json"]
    assert set(emu.counts) == {SEARCH, GET}
