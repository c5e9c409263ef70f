"""Grafana: the HTTP API client (``client``, ``auth``) and its typed errors
(``errors``), what Grafana holds beside the code (``plan``), and the two
commands built on them: ``push`` (safe writes, hand edits refused or backed
up; ``prune`` deletes what the code no longer has) and ``diff`` (what a push
would change), with their text ``summary`` and their JSON and Markdown
``report``.

The client and its errors are re-exported here."""

from .auth import PasswordAuth, TokenAuth, resolve_auth
from .client import GrafanaClient, RetryPolicy
from .errors import (BadRequest, Conflict, FolderNotFound, Forbidden, GrafanaError, NotFound,
                     RateLimited, ServerError, TooLarge, Unauthorized, UnexpectedResponse,
                     Unreachable, VersionConflict)

__all__ = [
    "BadRequest", "Conflict", "FolderNotFound", "Forbidden", "GrafanaClient", "GrafanaError",
    "NotFound", "PasswordAuth", "RateLimited", "RetryPolicy", "ServerError", "TokenAuth",
    "TooLarge", "Unauthorized", "UnexpectedResponse", "Unreachable", "VersionConflict",
    "resolve_auth",
]
