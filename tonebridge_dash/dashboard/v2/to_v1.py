"""A v2 dashboard -> the classic model (placeholder, completed below)."""

from __future__ import annotations


def to_v1(v2: dict) -> tuple[dict, list[str]]:
    raise NotImplementedError
