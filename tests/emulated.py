"""Fixtures for tests against the Grafana emulator (import them by name)."""

from __future__ import annotations

import socket

import pytest

from grafana_emulator import GrafanaEmulator
from tonebridge_dash.grafana import GrafanaClient, RetryPolicy, TokenAuth

TOKEN = "glsa_emulated-secret-token_0123456789"
# Short waits so that retry tests take milliseconds, not seconds.
FAST_RETRY = RetryPolicy(attempts=4, backoff=0.01, max_delay=0.05, budget=2.0)


def start(profile: str = "P2", *, apis: bool = False, **kwargs) -> GrafanaEmulator:
    """An emulator; without ``apis`` it serves the legacy /api only (as
    Grafana 11 does), so ``--api auto`` takes the legacy path."""
    g = GrafanaEmulator(profile, token=TOKEN, **kwargs)
    g.apis_enabled = apis
    return g.start()


@pytest.fixture()
def grafana13():
    """Grafana 13 with its /apis: it serves dashboard.grafana.app/v2 beside
    v1beta1 and v2beta1."""
    g = start("P3", apis=True)
    yield g
    g.stop()
    assert g.internal_errors == []


@pytest.fixture(params=["P2"])
def emu(request):
    g = start(request.param)
    yield g
    g.stop()
    assert g.internal_errors == []


@pytest.fixture()
def tb(tb):
    """conftest's ``tb`` against the emulator: the command has its token in
    GRAFANA_TOKEN unless ``token`` says otherwise (None: no token) and
    follows the legacy /api (``TB_DASH_API=legacy``, its requests are the
    ones these tests count) unless ``env`` says otherwise; the token is
    never in its output."""
    def run(*args, token=TOKEN, env=None, cwd=None):
        ran = tb(*args, env={"GRAFANA_TOKEN": token, "TB_DASH_API": "legacy", **(env or {})}, cwd=cwd)
        assert TOKEN not in ran.out + ran.err
        return ran

    return run


@pytest.fixture()
def client(emu):
    with GrafanaClient(emu.url, auth=TokenAuth(TOKEN), retry=FAST_RETRY) as c:
        yield c


def free_port() -> int:
    """A local port nothing listens on (for "connection refused")."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
