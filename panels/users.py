"""Active users (seed §6.1 "Active Users", §6.2 user activity)."""

from __future__ import annotations

from . import common as c
from . import queries as q
from .queries import SERVICE, Scope


def active_users_stat(cfg, scope: Scope = SERVICE) -> c.g.Stat:
    return c.stat(
        "Active users",
        "Users with any activity in the last 5 minutes.",
        "suffix: users",
        [c.target(q.active_users(cfg, scope), "users")],
        decimals=0,
    )


def active_users_timeseries(cfg, scope: Scope = SERVICE) -> c.g.TimeSeries:
    return c.timeseries(
        "Active users",
        "Users with any activity in the preceding 5 minutes, over time.",
        "suffix: users",
        [c.target(q.active_users(cfg, scope), "active users")],
    )
