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


@pytest.fixture(params=["P2"])
def emu(request):
    g = start(request.param)
    yield g
    g.stop()
    assert g.internal_errors == []


@pytest.fixture()
def client(emu):
    with GrafanaClient(emu.url, auth=TokenAuth(TOKEN), retry=FAST_RETRY) as c:
        yield c


def free_port() -> int:
    """A local port nothing listens on (for "connection refused")."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
