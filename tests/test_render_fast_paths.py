"""Render's fast paths give exactly what the plain paths give: the bytes of
``json.dumps`` from ``encode_json``'s own encoder, and ``normalize`` of
``plain`` from ``normalize_built``'s single walk."""

from __future__ import annotations

import enum
import json

import pytest
from grafanalib import core as g

from tonebridge_dash.content import discover
from tonebridge_dash.dashboard.normalize import SCHEMA_VERSIONS, _drop_nulls, normalize, normalize_built, plain
from tonebridge_dash.files import write
from tonebridge_dash.files.write import encode_json


def jsons_own(value) -> bytes:
    return (json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode()


def ordered(value) -> str:
    """``value`` with its keys in their order (``==`` of dicts ignores it)."""
    return json.dumps(value, ensure_ascii=False)


@pytest.fixture(scope="module")
def built(cfg):
    """Each dashboard of the content as its module builds it (grafanalib objects)."""
    return [m.fn(cfg) for m in discover(cfg.content.dashboards, "build")]


class Level(enum.IntEnum):
    HIGH = 2


class Name(str):
    pass


DEEP: list = []
_inner = DEEP
for _ in range(200):  # deeper than the fast encoder goes: json writes it
    _inner.append([])
    _inner = _inner[0]


@pytest.mark.parametrize("value", [
    {}, [], "", 0, -0.0, 1e16, 1e-7, 2**80, True, False, None, 0.1 + 0.2,
    {"b": [[], {}, [{}], [[]]], "a": {"z": None, "y": "é\u2028\x00\"\\\t"}, "": 1},
    [1.5, "x", [True, None], {"k": [{"n": -3}]}],
    {2: "int", 1: "keys"}, {True: 1, False: 0}, {2.5: "float key"}, (1, (2, "tuple")),
    {"level": Level.HIGH}, {Name("sub"): Name("class")}, DEEP,
])
def test_encode_json_writes_the_bytes_json_writes(value):
    assert encode_json(value) == jsons_own(value)


def test_encode_json_refuses_what_json_refuses():
    for value in ({1: "a", "b": 2}, {"a": {1, 2}}, {"a": object()}):
        with pytest.raises(TypeError):
            encode_json(value)


def test_every_rendered_dashboard_is_written_by_the_fast_encoder(built, cfg, monkeypatch):
    dashboards = [normalize_built(d, cfg.dashboards.schema_version) for d in built]
    expected = [jsons_own(d) for d in dashboards]

    def slow(*args, **kwargs):
        raise AssertionError("json's encoder was asked")
    monkeypatch.setattr(write, "json_text", slow)
    assert [encode_json(d) for d in dashboards] == expected


@pytest.mark.parametrize("version", SCHEMA_VERSIONS)
def test_normalize_built_is_normalize_of_plain(built, version):
    for d in built:
        assert ordered(normalize_built(d, version)) == ordered(normalize(plain(d), version))


def test_plain_without_nulls_is_drop_nulls_of_plain(built):
    odd = {1: "a", "1": None, "value": None, "x": [None, {"y": None, "value": None}], "t": (g.GridPos(1, 2, 3, 4),)}
    for obj in [*built, odd, {"1": "a", 1: None}]:
        assert ordered(plain(obj, nulls=False)) == ordered(_drop_nulls(plain(obj)))
    assert plain(odd, nulls=False) == {"value": None, "x": [None, {"value": None}],
                                       "t": [{"h": 1, "w": 2, "x": 3, "y": 4}]}
