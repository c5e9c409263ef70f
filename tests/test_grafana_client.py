"""GrafanaClient against the emulator: every error status becomes its typed
exception with Grafana's message; retries are bounded; secrets stay secret."""

from __future__ import annotations

import time
import traceback

import pytest

from emulated import FAST_RETRY, TOKEN, client, emu, free_port  # noqa: F401 (fixtures)
from tonebridge_dash.errors import TbDashError
from tonebridge_dash.grafana import (BadRequest, Conflict, FolderNotFound, Forbidden, GrafanaClient,
                                     NotFound, PasswordAuth, RateLimited, RetryPolicy, ServerError,
                                     TokenAuth, TooLarge, Unauthorized, UnexpectedResponse,
                                     Unreachable, VersionConflict, resolve_auth)
from tonebridge_dash.grafana import client as grafana_client
from tonebridge_dash.grafana.client import USER_AGENT, parse_retry_after
from tonebridge_dash.errors import UsageError


class Clock:
    """The client's clock (``time`` in ``tonebridge_dash.grafana.client``):
    a wait advances it instead of passing, so what a retry budget allows is
    counted, never measured. Pass ``sleep=clock.sleep`` to the client."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:  # what a Retry-After date is counted from
        return time.time()

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


@pytest.fixture()
def clock(monkeypatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(grafana_client, "time", c)
    return c


def test_endpoints_round_trip(client, emu):
    assert client.health()["database"] == "ok"
    client.create_folder("tb", "ToneBridge")
    answer = client.save_dashboard({"uid": "d1", "title": "One"}, folder_uid="tb", message="tb-dash: x")
    assert answer["version"] == 1 and answer["url"] == "/d/d1/one"
    assert client.get_dashboard("d1")["meta"]["folderUid"] == "tb"
    assert [h["uid"] for h in client.search(type="dash-db", dashboard_uids=["d1", "zz"])] == ["d1"]
    assert client.dashboard_versions("d1")[0]["message"] == "tb-dash: x"
    assert client.get_folder("tb")["title"] == "ToneBridge"
    assert client.folders()[0]["uid"] == "tb"
    assert client.datasource_by_name("Prometheus")["uid"] == "prometheus"
    assert client.datasource_by_uid("prometheus")["name"] == "Prometheus"
    assert client.delete_dashboard("d1")["uid"] == "d1"
    assert client.url_for("/d/d1/one") == emu.url + "/d/d1/one"


def test_sends_user_agent_org_and_bearer_token(emu):
    emu.add_org(3)
    emu.add_token("org3", org_id=3)
    with GrafanaClient(emu.url + "/", auth=TokenAuth("org3"), org_id=3) as c:
        c.search()
    headers = emu.last_headers["GET /api/search"]
    assert headers["User-Agent"] == USER_AGENT and USER_AGENT.startswith("tb-dash/")
    assert headers["X-Grafana-Org-Id"] == "3"
    assert headers["Authorization"] == "Bearer org3"


def test_versions_accepts_the_old_bare_list(client, emu):
    emu.versions_as_list = True
    client.save_dashboard({"uid": "d", "title": "D"})
    client.save_dashboard({"uid": "d", "title": "D"})
    assert [v["version"] for v in client.dashboard_versions("d", limit=5)] == [2, 1]


@pytest.mark.parametrize("token, exc, text", [
    ("wrong", Unauthorized, "401: Invalid API key (api-key.invalid); check GRAFANA_TOKEN"),
    ("expired", Unauthorized, "401: Expired API key (api-key.expired)"),
])
def test_401_names_the_reason(emu, token, exc, text):
    emu.add_token("expired", state="expired")
    with GrafanaClient(emu.url, auth=TokenAuth(token), retry=FAST_RETRY) as c:
        with pytest.raises(exc) as e:
            c.search()
    assert e.value.message == f"GET /api/search: Grafana answered {text}" + (
        ", --token-file or GRAFANA_USER/GRAFANA_PASSWORD" if token == "wrong" else
        "; check GRAFANA_TOKEN, --token-file or GRAFANA_USER/GRAFANA_PASSWORD")
    assert e.value.status == 401 and e.value.exit_code == 1
    assert isinstance(e.value, TbDashError)


def test_403_carries_the_permissions_grafana_names(emu):
    emu.add_token("viewer", role="Viewer")
    with GrafanaClient(emu.url, auth=TokenAuth("viewer")) as c:
        with pytest.raises(Forbidden) as e:
            c.save_dashboard({"uid": "x", "title": "X"})
    assert "Permissions needed: any(dashboards:create, dashboards:write)" in e.value.message


def test_status_to_exception(client, emu):
    with pytest.raises(NotFound) as e:
        client.get_dashboard("missing")
    assert e.value.grafana_message == "Dashboard not found"
    with pytest.raises(FolderNotFound) as e:
        client.save_dashboard({"uid": "x", "title": "X"}, folder_uid="nope")
    assert isinstance(e.value, BadRequest) and e.value.message.endswith("400: folder not found")
    with pytest.raises(BadRequest) as e:
        client.save_dashboard({"uid": "x", "title": " "})
    assert e.value.grafana_status == "empty-name"
    client.save_dashboard({"uid": "x", "title": "X"})
    with pytest.raises(VersionConflict) as e:
        client.save_dashboard({"uid": "x", "title": "X"}, overwrite=False)
    assert e.value.status == 412 and e.value.grafana_status == "version-mismatch"
    client.create_folder("f", "F")
    with pytest.raises(Conflict) as e:
        client.create_folder("f", "F")
    assert not isinstance(e.value, VersionConflict)
    emu.max_body_bytes = 100
    with pytest.raises(TooLarge, match="Dashboard is too large, max is 16 MB"):
        client.save_dashboard({"uid": "big", "title": "B", "description": "x" * 500})
    with pytest.raises(BadRequest, match="422: Limit is above maximum allowed"):
        client.search(limit=6000)


def test_p3_409_is_a_version_conflict_like_p2_412():
    from emulated import start

    g = start("P3")
    try:
        with GrafanaClient(g.url, auth=TokenAuth(TOKEN)) as c:
            c.save_dashboard({"uid": "x", "title": "X"})
            with pytest.raises(VersionConflict) as e:
                c.save_dashboard({"uid": "x", "title": "X"}, overwrite=False)
            assert e.value.status == 409
            assert c.save_dashboard({"uid": "x", "title": "X"})["version"] == 2  # overwrite works
    finally:
        g.stop()


def test_html_error_pages_become_one_readable_line(client, emu):
    emu.fail_next(1, 413, html=True)
    with pytest.raises(TooLarge) as e:
        client.save_dashboard({"uid": "x", "title": "X"})
    assert e.value.message == ("POST /api/dashboards/db: Grafana answered 413: non-JSON text/html "
                               "answer: 413 Request Entity Too Large")


def test_a_200_without_json_is_not_grafana(client, emu):
    emu.fail_next(1, 200, html=True, route="GET /api/search")
    with pytest.raises(UnexpectedResponse, match="without JSON; is the URL Grafana's"):
        client.search()


def test_503_burst_is_ridden_out(client, emu):
    emu.fail_next(3, 503)
    assert client.search() == []
    assert emu.counts["GET /api/search"] == 4 and client.retries_done == 3


def test_retry_after_is_honoured():
    slept = []
    from emulated import start

    g = start()
    try:
        with GrafanaClient(g.url, auth=TokenAuth(TOKEN), sleep=slept.append,
                           retry=RetryPolicy(attempts=3, budget=10)) as c:
            g.fail_next(2, 429, retry_after=2)
            c.search()
            assert slept == [2.0, 2.0]
            g.fail_next(1, 503, retry_after=60)  # beyond the budget: give up at once
            with pytest.raises(ServerError, match="503"):
                c.search()
            g.fail_next(None, 429)
            with pytest.raises(RateLimited, match=r"gave up after 3 attempts"):
                c.search()
    finally:
        g.stop()


def test_parse_retry_after():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_502_forever_fails_within_the_budget(emu, clock):
    """The budget ends the retries, not the attempts: ten would wait at
    least 0.775 s (the shortest waits, jitter halving them), more than it."""
    emu.fail_next(None, 502, html=True)
    policy = RetryPolicy(attempts=10, backoff=0.05, max_delay=0.2, budget=0.6)
    with GrafanaClient(emu.url, auth=TokenAuth(TOKEN), retry=policy, sleep=clock.sleep) as c:
        with pytest.raises(ServerError) as e:
            c.search()
    assert sum(clock.waits) <= policy.budget
    assert emu.counts["GET /api/search"] == len(clock.waits) + 1 < policy.attempts
    assert "502: non-JSON text/html answer: 502 Bad Gateway (gave up after" in e.value.message


def test_default_policy_gives_up_well_under_a_minute():
    p = RetryPolicy()
    worst_wait = sum(min(p.max_delay, p.backoff * 2 ** (n - 1)) for n in range(1, p.attempts))
    assert worst_wait < 10 and p.budget <= 20


@pytest.mark.parametrize("status", [502, 504])
def test_writes_without_overwrite_are_not_retried_when_grafana_may_have_done_them(client, emu, status):
    emu.fail_next(5, status, route="POST /api/dashboards/db")
    with pytest.raises(ServerError) as e:
        client.save_dashboard({"uid": "x", "title": "X"}, overwrite=False)
    assert emu.counts["POST /api/dashboards/db"] == 1 and e.value.maybe_applied
    emu.fail_next(5, status, route="POST /api/folders")
    with pytest.raises(ServerError):
        client.create_folder("f", "F")
    assert emu.counts["POST /api/folders"] == 1
    emu.clear_faults()
    emu.drop_next(5, route="POST /api/folders")
    with pytest.raises(Unreachable) as e:
        client.create_folder("f", "F")
    assert emu.counts["POST /api/folders"] == 2 and e.value.maybe_applied


@pytest.mark.parametrize("status", [429, 503])
def test_writes_without_overwrite_are_retried_when_grafana_did_not_take_them(client, emu, status):
    """429 and 503 say the request was not carried out: repeating it is safe."""
    emu.fail_next(2, status, route="POST /api/dashboards/db")
    assert client.save_dashboard({"uid": "x", "title": "X"}, overwrite=False)["version"] == 1
    assert emu.counts["POST /api/dashboards/db"] == 3


def test_a_write_is_retried_when_the_connection_was_never_made():
    url = f"http://127.0.0.1:{free_port()}"
    with GrafanaClient(url, retry=RetryPolicy(attempts=3, backoff=0.01)) as c:
        with pytest.raises(Unreachable, match=r"connection refused\) \(gave up after 3 attempts") as e:
            c.save_dashboard({"uid": "x", "title": "X"}, overwrite=False)
    assert not e.value.maybe_applied


def test_the_upsert_with_overwrite_is_retried(client, emu):
    emu.fail_next(2, 502, route="POST /api/dashboards/db")
    assert client.save_dashboard({"uid": "x", "title": "X"})["version"] == 1
    assert emu.counts["POST /api/dashboards/db"] == 3


def test_dropped_connections_are_retried(client, emu):
    emu.drop_next(2)
    assert client.search() == []
    emu.drop_next(None)
    with pytest.raises(Unreachable, match="connection dropped before a complete answer"):
        client.search()


def test_connection_refused_is_one_clear_line():
    url = f"http://127.0.0.1:{free_port()}"
    with GrafanaClient(url, retry=RetryPolicy(attempts=2, backoff=0.01)) as c:
        with pytest.raises(Unreachable) as e:
            c.health()
    assert e.value.message.startswith(f"GET /api/health: cannot reach Grafana at {url} (connection refused)")
    assert e.value.__cause__ is None and e.value.__suppress_context__


def test_a_slow_answer_times_out(emu):
    emu.slow_body = 0.5
    with GrafanaClient(emu.url, auth=TokenAuth(TOKEN), timeout=0.1, retry=RetryPolicy(attempts=1)) as c:
        with pytest.raises(Unreachable, match="no answer within the timeout"):
            c.search()


def test_the_token_never_shows(emu):
    emu.fail_next(1, 500)
    c = GrafanaClient(emu.url, auth=TokenAuth(TOKEN), retry=RetryPolicy(attempts=1))
    try:
        c.search()
    except ServerError as e:
        text = "".join(traceback.format_exception(e)) + repr(e) + str(e.args)
    assert TOKEN not in text
    assert TOKEN not in repr(c) + repr(c.session.auth)
    with pytest.raises(Unauthorized) as bad:
        GrafanaClient(emu.url, auth=TokenAuth("not-" + TOKEN)).search()
    assert TOKEN not in bad.value.message


def test_unsendable_tokens_are_refused_without_quoting_them():
    with pytest.raises(UsageError) as e:
        TokenAuth("secret\nvalue")
    assert "secret" not in e.value.message


def test_credentials_in_the_url_are_refused():
    with pytest.raises(UsageError, match="not in the Grafana URL"):
        GrafanaClient("http://admin:pw@localhost:3000")
    with pytest.raises(UsageError, match="must start with http"):
        GrafanaClient("localhost:3000")


def test_resolve_auth_order(tmp_path):
    f = tmp_path / "token"
    f.write_text("from-file\n")
    assert resolve_auth(f, {"GRAFANA_TOKEN": "env"})._header == "Bearer from-file"
    assert resolve_auth(None, {"GRAFANA_TOKEN": "env"})._header == "Bearer env"
    basic = resolve_auth(None, {"GRAFANA_USER": "admin", "GRAFANA_PASSWORD": "pw"})
    assert isinstance(basic, PasswordAuth) and "pw" not in repr(basic)
    assert resolve_auth(None, {}) is None
    with pytest.raises(UsageError, match="set both GRAFANA_USER and GRAFANA_PASSWORD"):
        resolve_auth(None, {"GRAFANA_USER": "admin"})
    with pytest.raises(UsageError, match="token file not found"):
        resolve_auth(tmp_path / "missing", {})


def test_basic_auth_user_and_password(emu):
    emu.add_user("admin", "s3cret")
    with GrafanaClient(emu.url, auth=PasswordAuth("admin", "s3cret")) as c:
        assert c.search() == []
    with GrafanaClient(emu.url, auth=PasswordAuth("admin", "wrong")) as c:
        with pytest.raises(Unauthorized, match="Invalid username or password"):
            c.search()
