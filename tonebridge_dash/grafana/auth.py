"""Credentials for Grafana: a service-account token (Bearer) or a user and
password (Basic).

The secret lives only inside the ``requests`` auth object; its ``repr`` hides
it, and the checks below never quote it, so it cannot reach an error message,
a log line or a traceback.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Mapping

import requests

from ..errors import UsageError
from ..files.read import TOKEN_LIMIT, read_text

TOKEN_ENV = "GRAFANA_TOKEN"
USER_ENV = "GRAFANA_USER"
PASSWORD_ENV = "GRAFANA_PASSWORD"


def _check_header_safe(value: str, what: str) -> None:
    # requests would otherwise reject it with an error that quotes the header.
    if not value or any(not (" " <= c <= "~") for c in value):
        raise UsageError(f"{what} is empty or contains characters that cannot be sent "
                         "in an HTTP header (a stray newline or non-ASCII character?)")


class TokenAuth(requests.auth.AuthBase):
    """``Authorization: Bearer <token>``."""

    kind = "token"

    def __init__(self, token: str, source: str = TOKEN_ENV) -> None:
        _check_header_safe(token, source)
        self._header = f"Bearer {token}"
        self.source = source

    def __call__(self, r):
        r.headers["Authorization"] = self._header
        return r

    def __repr__(self) -> str:
        return f"TokenAuth(from {self.source}, token hidden)"


class PasswordAuth(requests.auth.AuthBase):
    """HTTP Basic with a Grafana user and password."""

    kind = "password"

    def __init__(self, user: str, password: str) -> None:
        _check_header_safe(user, USER_ENV)
        _check_header_safe(password, PASSWORD_ENV)
        if ":" in user:
            raise UsageError(f"{USER_ENV} must not contain ':'")
        self.user = user
        raw = f"{user}:{password}".encode("ascii")
        self._header = "Basic " + base64.b64encode(raw).decode("ascii")

    def __call__(self, r):
        r.headers["Authorization"] = self._header
        return r

    def __repr__(self) -> str:
        return f"PasswordAuth(user={self.user!r}, password hidden)"


def read_token_file(path: Path) -> TokenAuth:
    """The token in ``path``: a regular file of at most 64 KiB (``/dev/zero``
    or a FIFO nobody writes would otherwise be read for ever)."""
    return TokenAuth(read_text(path, TOKEN_LIMIT, "token file").strip(), source=f"token file {path}")


def resolve_auth(token_file: Path | None = None,
                 environ: Mapping[str, str] | None = None) -> requests.auth.AuthBase | None:
    """Credentials in order: ``--token-file``, ``GRAFANA_TOKEN``, then
    ``GRAFANA_USER`` with ``GRAFANA_PASSWORD``. None when nothing is set
    (Grafana will answer 401 unless anonymous access is on)."""
    env = os.environ if environ is None else environ
    if token_file is not None:
        return read_token_file(token_file)
    if env.get(TOKEN_ENV):
        return TokenAuth(env[TOKEN_ENV].strip())
    user, password = env.get(USER_ENV), env.get(PASSWORD_ENV)
    if user or password:
        if not (user and password):
            raise UsageError(f"set both {USER_ENV} and {PASSWORD_ENV}, or use {TOKEN_ENV}")
        return PasswordAuth(user, password)
    return None
