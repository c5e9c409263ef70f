"""The emulator answers as the API contract says Grafana does (status codes,
bodies, messages, the order of the save checks, versions, orgs, search)."""

from __future__ import annotations

import time

import pytest
import requests

import grafana_emulator
from grafana_emulator import GrafanaEmulator

TOKEN = "test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture()
def emu():
    with GrafanaEmulator() as g:
        yield g


def call(g, method, path, *, json=None, headers=None, params=None, auth=True):
    h = dict(AUTH if auth else {}, **(headers or {}))
    return requests.request(method, g.url + path, json=json, headers=h, params=params, timeout=5)


def save(g, dashboard, **body):
    return call(g, "POST", "/api/dashboards/db", json={"dashboard": dashboard, **body})


def test_starts_and_answers():
    with GrafanaEmulator() as g:
        assert requests.get(g.url + "/api/health", timeout=5).status_code == 200


def test_health_needs_no_auth_and_is_pretty_json(emu):
    r = requests.get(emu.url + "/api/health", timeout=5)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json; charset=UTF-8"
    assert r.text.startswith('{\n  "database": "ok"')
    assert requests.head(emu.url + "/api/health", timeout=5).status_code == 200
    emu.database_ok = False
    r = requests.get(emu.url + "/api/health", timeout=5)
    assert (r.status_code, r.json()["database"]) == (503, "failing")


@pytest.mark.parametrize("headers, message, message_id", [
    ({}, "Unauthorized", "auth.unauthorized"),
    ({"Authorization": "Bearer nope"}, "Invalid API key", "api-key.invalid"),
    ({"Authorization": "Bearer old"}, "Expired API key", "api-key.expired"),
    ({"Authorization": "Bearer gone"}, "Revoked API key", "api-key.revoked"),
    ({"Authorization": f"Bearer {TOKEN}", "X-Grafana-Org-Id": "2"},
     "API key does not belong to the requested organization", "api-key.organization-mismatch"),
])
def test_401_bodies_are_exact(emu, headers, message, message_id):
    emu.add_token("old", state="expired")
    emu.add_token("gone", state="revoked")
    emu.add_org(2)
    r = call(emu, "GET", "/api/search", headers=headers, auth=False)
    assert r.status_code == 401
    assert r.json() == {"extra": None, "message": message, "messageId": message_id,
                        "statusCode": 401, "traceID": ""}


def test_basic_auth_with_api_key_or_user(emu):
    emu.add_user("admin", "pw")
    assert requests.get(emu.url + "/api/search", auth=("api_key", TOKEN), timeout=5).status_code == 200
    assert requests.get(emu.url + "/api/search", auth=("admin", "pw"), timeout=5).status_code == 200
    r = requests.get(emu.url + "/api/search", auth=("admin", "bad"), timeout=5)
    assert (r.status_code, r.json()["messageId"]) == (401, "password-auth.failed")


def test_target_org_id_query_wins_over_header(emu):
    emu.add_org(2)
    emu.add_user("admin", "pw")
    s = requests.Session()
    s.auth = ("admin", "pw")
    s.post(emu.url + "/api/dashboards/db", json={"dashboard": {"uid": "o2", "title": "Two"}},
           headers={"X-Grafana-Org-Id": "1"}, params={"targetOrgId": "2"}, timeout=5)
    assert emu.dashboard("o2", org_id=2) is not None
    assert emu.dashboard("o2", org_id=1) is None
    hits = s.get(emu.url + "/api/search", headers={"X-Grafana-Org-Id": "2"}, timeout=5).json()
    assert [h["uid"] for h in hits] == ["o2"]
    assert s.get(emu.url + "/api/search", timeout=5).json() == []


def test_save_answers_like_grafana_and_counts_versions(emu):
    emu.add_folder("f1", "Folder One")
    r = save(emu, {"uid": "abc", "title": "My Board"}, folderUid="f1", message="first")
    assert r.status_code == 200
    body = r.json()
    assert body == {"status": "success", "slug": "my-board", "version": 1, "id": body["id"],
                    "uid": "abc", "url": "/d/abc/my-board", "folderUid": "f1"}
    r = save(emu, {"uid": "abc", "title": "My Board", "version": 1}, folderUid="f1", message="second")
    assert r.json()["version"] == 2
    got = call(emu, "GET", "/api/dashboards/uid/abc").json()
    assert got["dashboard"] == {"uid": "abc", "title": "My Board", "id": body["id"], "version": 2}
    assert got["meta"]["folderUid"] == "f1" and got["meta"]["folderTitle"] == "Folder One"
    versions = call(emu, "GET", "/api/dashboards/uid/abc/versions").json()
    assert versions["continueToken"] == ""
    assert [(v["version"], v["parentVersion"], v["message"]) for v in versions["versions"]] == \
        [(2, 1, "second"), (1, 0, "first")]
    assert versions["versions"][0]["createdBy"] == "sa-1-tb-dash"
    limited = call(emu, "GET", "/api/dashboards/uid/abc/versions", params={"limit": 1, "start": 1}).json()
    assert [v["version"] for v in limited["versions"]] == [1]


def test_versions_as_a_bare_list_like_old_grafana(emu):
    emu.versions_as_list = True
    save(emu, {"uid": "abc", "title": "T"})
    assert isinstance(call(emu, "GET", "/api/dashboards/uid/abc/versions").json(), list)


@pytest.mark.parametrize("body, status, answer", [
    ({"nodashboard": 1}, 400, {"message": "bad request data"}),
    ({"dashboard": {"title": "x"}, "isFolder": True}, 400, {"message": "Use folders endpoint for saving folders."}),
    ({"dashboard": {"title": "  "}}, 400, {"message": "Dashboard title cannot be empty", "status": "empty-name"}),
    ({"dashboard": {"title": "x" * 5001}}, 400,
     {"message": "Dashboard title cannot contain more than 5 000 characters", "status": "title-too-long"}),
    ({"dashboard": {"title": "t"}, "message": "m" * 501}, 400, {"message": "message too long, max 500 characters"}),
    ({"dashboard": {"title": "t", "uid": "a b"}}, 400, {"message": "uid contains illegal characters"}),
    ({"dashboard": {"title": "t", "uid": "a" * 41}}, 400, {"message": "uid too long, max 40 characters"}),
    ({"dashboard": {"title": "t"}, "folderUid": "nope"}, 400, {"message": "folder not found"}),
    ({"dashboard": {"title": "t"}, "folderId": 999}, 400, {"message": "folder not found"}),
    ({"dashboard": {"title": "t", "id": 999}}, 404, {"message": "Dashboard not found", "status": "not-found"}),
])
def test_save_errors_are_exact(emu, body, status, answer):
    r = call(emu, "POST", "/api/dashboards/db", json=body)
    assert (r.status_code, r.json()) == (status, answer)
    assert emu.internal_errors == []


def test_bad_json_is_bad_request_data(emu):
    r = requests.post(emu.url + "/api/dashboards/db", data=b"{not json", headers=AUTH, timeout=5)
    assert (r.status_code, r.json()) == (400, {"message": "bad request data"})


def test_checks_run_in_the_contract_order(emu):
    # empty title comes before a bad uid and an unknown folder
    r = save(emu, {"title": "", "uid": "a b"}, folderUid="nope")
    assert r.json()["status"] == "empty-name"
    # the uid check comes before the folder check
    r = save(emu, {"title": "t", "uid": "a b"}, folderUid="nope")
    assert r.json()["message"] == "uid contains illegal characters"


def test_version_rule_and_overwrite(emu):
    save(emu, {"uid": "v", "title": "T"})
    r = save(emu, {"uid": "v", "title": "T"})  # no version, no overwrite
    assert (r.status_code, r.json()) == (412, {"message": "The dashboard has been changed by someone else",
                                               "status": "version-mismatch"})
    assert save(emu, {"uid": "v", "title": "T", "version": 1}).status_code == 200
    assert save(emu, {"uid": "v", "title": "T", "version": 1}).status_code == 412
    r = save(emu, {"uid": "v", "title": "T", "version": 1}, overwrite=True)
    assert (r.status_code, r.json()["version"]) == (200, 3)


def test_id_and_uid_of_different_dashboards(emu):
    first = save(emu, {"uid": "one", "title": "One"}).json()
    save(emu, {"uid": "two", "title": "Two"})
    r = save(emu, {"id": first["id"], "uid": "two", "title": "x"}, overwrite=True)
    assert r.json() == {"message": "A dashboard with the same uid already exists"}


def test_p3_answers_409_for_a_version_conflict():
    with GrafanaEmulator("P3") as g:
        save(g, {"uid": "v", "title": "T"})
        r = save(g, {"uid": "v", "title": "T", "version": 1})  # P3: version must match; here it does
        assert r.status_code == 200
        r = save(g, {"uid": "v", "title": "T"})
        assert (r.status_code, r.json()) == (409, {"message": "Dashboard already exists. Use overwrite flag to update."})
        assert save(g, {"uid": "v", "title": ""}).json() == {"message": "Dashboard spec is missing required title property"}
        assert save(g, {"id": 999, "title": "x"}).json() == {"message": "Dashboard not found"}


def test_p1_keeps_titles_unique_in_a_folder():
    with GrafanaEmulator("P1") as g:
        save(g, {"uid": "a", "title": "Same"})
        r = save(g, {"uid": "b", "title": "Same"})
        assert (r.status_code, r.json()) == (412, {"message": "A dashboard with the same name in the folder already exists",
                                                   "status": "name-exists"})
        assert save(g, {"title": ""}).json() == {"message": "Dashboard title cannot be empty"}
    with GrafanaEmulator("P2") as g:
        save(g, {"uid": "a", "title": "Same"})
        assert save(g, {"uid": "b", "title": "Same"}).status_code == 200


def test_permissions_provisioning_quota_and_size(emu):
    emu.add_token("viewer", role="Viewer")
    r = call(emu, "POST", "/api/dashboards/db", json={"dashboard": {"title": "t"}},
             headers={"Authorization": "Bearer viewer"}, auth=False)
    assert r.status_code == 403 and r.json()["title"] == "Access denied"
    assert r.json()["message"].endswith("Permissions needed: any(dashboards:create, dashboards:write)")
    assert r.json()["accessErrorId"].startswith("ACE") and len(r.json()["accessErrorId"]) == 13
    emu.add_folder("locked", "Locked")
    emu.org().denied_folders.add("locked")
    assert save(emu, {"title": "t"}, folderUid="locked").json() == {"message": "Access denied to save dashboard"}
    save(emu, {"uid": "prov", "title": "P"})
    emu.org().dashboards["prov"].provisioned = True
    assert save(emu, {"uid": "prov", "title": "P"}, overwrite=True).json() == {"message": "Cannot save provisioned dashboard"}
    emu.org().quota = len(emu.org().dashboards)
    assert (save(emu, {"uid": "new", "title": "N"}).status_code, save(emu, {"uid": "new", "title": "N"}).json()) == \
        (403, {"message": "Quota reached"})
    emu.org().quota = None
    emu.max_body_bytes = 1000
    r = save(emu, {"uid": "prov2", "title": "big", "description": "x" * 2000})
    assert (r.status_code, r.json()) == (413, {"message": "Dashboard is too large, max is 16 MB"})


def test_get_and_delete(emu):
    r = call(emu, "GET", "/api/dashboards/uid/missing")
    assert (r.status_code, r.json()) == (404, {"message": "Dashboard not found"})
    save(emu, {"uid": "d", "title": "Doomed"})
    meta = call(emu, "GET", "/api/dashboards/uid/d").json()["meta"]
    for key in ("type", "canSave", "slug", "url", "created", "updated", "createdBy", "version",
                "folderUid", "folderTitle", "provisioned"):
        assert key in meta
    assert meta["folderTitle"] == "General"
    r = call(emu, "DELETE", "/api/dashboards/uid/d")
    assert r.json() == {"title": "Doomed", "message": "Dashboard Doomed deleted", "uid": "d"}
    assert call(emu, "GET", "/api/dashboards/uid/d").status_code == 404


def test_delete_like_grafana(emu):
    """DELETE answers as the contract's section 2 says: 404 for an unknown
    uid, 400 for a folder or a provisioned dashboard, the RBAC 403 before any
    look-up; the history goes with the dashboard, so a new one with the same
    uid starts at version 1."""
    assert call(emu, "DELETE", "/api/dashboards/uid/missing").json() == {"message": "Dashboard not found"}
    emu.add_folder("f", "F")
    r = call(emu, "DELETE", "/api/dashboards/uid/f")
    assert (r.status_code, r.json()) == (400, {"message": "Use folders endpoint for deleting folders."})
    save(emu, {"uid": "d", "title": "Doomed"})
    save(emu, {"uid": "d", "title": "Doomed", "version": 1})
    emu.add_token("viewer", role="Viewer")
    r = call(emu, "DELETE", "/api/dashboards/uid/missing", headers={"Authorization": "Bearer viewer"})
    assert r.status_code == 403 and "dashboards:delete" in r.json()["message"]
    emu.org().dashboards["d"].provisioned = True
    r = call(emu, "DELETE", "/api/dashboards/uid/d")
    assert (r.status_code, r.json()) == (400, {"message": "provisioned dashboard cannot be deleted"})
    emu.org().dashboards["d"].provisioned = False
    emu.reset_counts()
    assert call(emu, "DELETE", "/api/dashboards/uid/d").status_code == 200 and emu.writes() == 1
    assert call(emu, "GET", "/api/dashboards/uid/d/versions").status_code == 404
    assert call(emu, "GET", "/api/search", params={"dashboardUIDs": "d"}).json() == []
    assert save(emu, {"uid": "d", "title": "Again"}).json()["version"] == 1
    assert [v["version"] for v in emu.history("d")] == [1]
    emu.dashboard_restore = True
    r = call(emu, "DELETE", "/api/dashboards/uid/d")
    assert r.json() == {"title": "Again", "message": "Dashboard Again moved to Recently deleted", "uid": "d"}


def test_folders(emu):
    r = call(emu, "POST", "/api/folders", json={"uid": "tb", "title": "ToneBridge"})
    assert r.status_code == 200 and r.json()["url"] == "/dashboards/f/tb/tonebridge"
    r = call(emu, "POST", "/api/folders", json={"uid": "tb", "title": "Again"})
    assert (r.status_code, r.json()) == (409, {"message": "a folder/dashboard with the same uid already exists"})
    r = call(emu, "POST", "/api/folders", json={"uid": "x", "title": ""})
    assert (r.status_code, r.json()) == (400, {"message": "folder title cannot be empty"})
    r = call(emu, "GET", "/api/folders/nope")
    assert (r.status_code, r.json()) == (404, {"status": "not-found", "message": "folder not found"})
    assert call(emu, "GET", "/api/folders/tb").json()["title"] == "ToneBridge"
    assert call(emu, "GET", "/api/folders").json() == [{"id": 1, "uid": "tb", "title": "ToneBridge"}]


def test_search_sorts_folders_first_then_titles_ignoring_case(emu):
    emu.add_folder("zf", "Zeta folder")
    save(emu, {"uid": "b", "title": "beta", "tags": ["x"]}, folderUid="zf")
    save(emu, {"uid": "a", "title": "Alpha", "tags": ["x", "y"]})
    save(emu, {"uid": "c", "title": "Charlie"})
    hits = call(emu, "GET", "/api/search").json()
    assert [(h["type"], h["title"]) for h in hits] == [
        ("dash-folder", "Zeta folder"), ("dash-db", "Alpha"), ("dash-db", "beta"), ("dash-db", "Charlie")]
    beta = hits[2]
    assert beta["folderUid"] == "zf" and beta["url"] == "/d/b/beta" and beta["uri"] == "db/beta"
    assert hits[3]["tags"] == [] and "folderUid" not in hits[3]

    def uids(**params):
        return [h["uid"] for h in call(emu, "GET", "/api/search", params=params).json()]

    assert uids(type="dash-db", folderUIDs="zf") == ["b"]
    assert uids(type="dash-db", folderUIDs="general") == ["a", "c"]
    assert uids(dashboardUIDs=["a", "c"]) == ["a", "c"]
    assert uids(tag=["x", "y"]) == ["a"]
    assert uids(query="ALP") == ["a"]
    assert uids(type="dash-folder") == ["zf"]
    r = call(emu, "GET", "/api/search", params={"limit": 5001})
    assert r.status_code == 422 and r.json()["message"].startswith("Limit is above maximum allowed (5000)")
    r = call(emu, "GET", "/api/search", params={"dashboardIds": 1, "dashboardUIDs": "a"})
    assert r.json() == {"message": "search supports UIDs or IDs, not both"}


def test_orgs_have_separate_stores(emu):
    emu.add_org(2)
    emu.add_token("t2", org_id=2)
    call(emu, "POST", "/api/dashboards/db", json={"dashboard": {"uid": "x", "title": "In two"}},
         headers={"Authorization": "Bearer t2", "X-Grafana-Org-Id": "2"}, auth=False)
    assert emu.dashboard("x", org_id=2) is not None and emu.dashboard("x", org_id=1) is None


def test_datasources(emu):
    assert call(emu, "GET", "/api/datasources/name/Prometheus").json()["uid"] == "prometheus"
    assert call(emu, "GET", "/api/datasources/uid/prometheus").json()["name"] == "Prometheus"
    r = call(emu, "GET", "/api/datasources/uid/nope")
    assert (r.status_code, r.json()) == (404, {"message": "Data source not found"})


def test_fault_injection_and_counters(emu, monkeypatch):
    emu.fail_next(2, 503, retry_after=7)
    r1, r2, r3 = (call(emu, "GET", "/api/search") for _ in range(3))
    assert (r1.status_code, r1.headers["Retry-After"], r2.status_code, r3.status_code) == (503, "7", 503, 200)
    emu.fail_next(1, 502, html=True, route="GET /api/search")
    r = call(emu, "GET", "/api/search")
    assert r.headers["Content-Type"] == "text/html" and "<title>502 Bad Gateway</title>" in r.text
    emu.drop_next(1)
    with pytest.raises(requests.ConnectionError):
        call(emu, "GET", "/api/search")
    assert emu.counts["GET /api/search"] == 5
    assert emu.writes() == 0
    save(emu, {"title": "t"})
    assert emu.writes() == 1
    slept = []

    class Time:  # the emulator's clock: its waits are recorded, not made
        def __getattr__(self, name):
            return getattr(time, name)

        def sleep(self, seconds):
            slept.append(seconds)

    monkeypatch.setattr(grafana_emulator, "time", Time())
    emu.latency = 0.05
    call(emu, "GET", "/api/search")
    assert slept == [0.05]  # once, before the answer
    assert emu.internal_errors == []
