"""Grafana's HTTP API: the client and its typed errors."""

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
