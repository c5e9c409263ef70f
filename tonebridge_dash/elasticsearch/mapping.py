"""Records typed as Elasticsearch's dynamic mapping types them.

A record as Fluentd sends it (logstash style) is flattened with dots
(``metadata.error_type``); the first value a field is seen with maps it:
a string that reads as ``strict_date_optional_time`` (and holds ``-``, ``:``
or ``/``, Elasticsearch's guard) is a ``date``, another string ``text`` with a
``<field>.keyword`` twin (``ignore_above`` 256 characters), a whole number a
``long``, a fractional one a ``float`` (single precision: Elasticsearch maps
JSON decimals to ``float``, not ``double``), true/false a ``boolean``. Later
values are coerced as Elasticsearch coerces them (``"12"`` into a long, 1.9
into 1) or the record is refused, as Elasticsearch refuses it.
"""

from __future__ import annotations

import re
import struct
from datetime import datetime, timedelta, timezone
from typing import Any

from tonebridge_dash.errors import TbDashError, clip

KEYWORD_SUFFIX = ".keyword"
IGNORE_ABOVE = 256
TEXT, KEYWORD, LONG, FLOAT, DATE, BOOLEAN = "text", "keyword", "long", "float", "date", "boolean"
AGGREGATABLE = frozenset({KEYWORD, LONG, FLOAT, DATE, BOOLEAN})
NUMERIC = frozenset({LONG, FLOAT, DATE})

_ISO = re.compile(
    r"(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?"
    r"(Z|[+-]\d{2}(?::?\d{2})?)?)?)?)?")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class MappingError(TbDashError):
    """A record Elasticsearch would refuse (mapper_parsing_exception)."""


def parse_date(text: str) -> int | None:
    """Epoch milliseconds of ``text`` in strict_date_optional_time (UTC unless
    it says otherwise), or None when it is not such a date."""
    m = _ISO.fullmatch(text)
    if not m:
        return None
    year, month, day, hour, minute, second, fraction, zone = m.groups()
    try:
        moment = datetime(int(year), int(month or 1), int(day or 1), int(hour or 0), int(minute or 0),
                          int(second or 0), tzinfo=timezone.utc)
    except ValueError:
        return None
    millis = int((fraction or "0").ljust(9, "0")[:3])
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
        moment -= sign * offset
    return (moment - _EPOCH) // timedelta(milliseconds=1) + millis


def format_date(millis: int) -> str:
    """``millis`` as Elasticsearch prints a date (strict_date_optional_time, UTC)."""
    moment = _EPOCH + timedelta(milliseconds=millis)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{millis % 1000:03d}Z"


def float32(value: float) -> float:
    """``value`` as a ``float`` field holds it."""
    return struct.unpack("<f", struct.pack("<f", value))[0]


def flatten(record: dict, prefix: str = "") -> dict[str, list]:
    """Every leaf of ``record`` by dotted name, as a list of its scalar values
    (an array's values, an object inside an array flattened in turn)."""
    out: dict[str, list] = {}

    def add(name: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                add(f"{name}.{key}" if name else str(key), inner)
        elif isinstance(value, list):
            for item in value:
                add(name, item)
        elif value is not None:
            out.setdefault(name, []).append(value)
        else:
            out.setdefault(name, [])

    add(prefix, record)
    return out


def _detect(value: Any) -> str:
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, int):
        return LONG
    if isinstance(value, float):
        return FLOAT
    if isinstance(value, str):
        if any(c in value for c in "-:/") and parse_date(value) is not None:
            return DATE
        return TEXT
    raise MappingError(f"a value of type {type(value).__name__} cannot be indexed")


def _refuse(field: str, kind: str, value: Any) -> MappingError:
    return MappingError(f"mapper_parsing_exception: failed to parse field [{field}] of type [{kind}]: "
                        f"{clip(repr(value), 80)}")


def _coerce(field: str, kind: str, value: Any) -> Any:
    """``value`` as a field of ``kind`` holds it (its doc value), or refused."""
    if kind in (TEXT, KEYWORD):
        if isinstance(value, bool):
            return "true" if value else "false"
        return value if isinstance(value, str) else repr(value) if isinstance(value, float) else str(value)
    if kind == BOOLEAN:
        if isinstance(value, bool):
            return value
        if value in ("true", "false", ""):
            return value == "true"
        raise _refuse(field, kind, value)
    if kind == DATE:
        millis = parse_date(value) if isinstance(value, str) else None
        if millis is None and isinstance(value, int) and not isinstance(value, bool):
            millis = value  # epoch_millis
        if millis is None:
            raise _refuse(field, kind, value)
        return millis
    if isinstance(value, bool):
        raise _refuse(field, kind, value)
    try:
        number = float(value) if isinstance(value, (str, float)) else value
    except ValueError:
        raise _refuse(field, kind, value) from None
    if kind == LONG:
        return int(number)  # truncated toward zero, as coerce does
    return float32(float(number))


class Mapping:
    """The fields of one index by name and Elasticsearch type (the twins included)."""

    def __init__(self) -> None:
        self.types: dict[str, str] = {}

    def add(self, flat: dict[str, list]) -> dict[str, list]:
        """Map the fields ``flat`` adds; its values as each field holds them."""
        for name, values in flat.items():
            if name not in self.types and values:
                kind = _detect(values[0])
                self.types[name] = kind
                if kind == TEXT:
                    self.types[name + KEYWORD_SUFFIX] = KEYWORD
        typed: dict[str, list] = {}
        for name, values in flat.items():
            kind = self.types.get(name)
            if kind is None:
                continue
            typed[name] = [_coerce(name, kind, v) for v in values]
            if kind == TEXT and name + KEYWORD_SUFFIX in self.types:
                typed[name + KEYWORD_SUFFIX] = [v for v in typed[name] if len(v) <= IGNORE_ABOVE]
        return typed

    def properties(self) -> dict:
        """The mapping as ``GET /<index>/_mapping`` shows it (objects nested)."""
        root: dict = {}
        for name, kind in self.types.items():
            if name.endswith(KEYWORD_SUFFIX) and self.types.get(name[: -len(KEYWORD_SUFFIX)]) == TEXT:
                continue
            node = root
            parts = name.split(".")
            for part in parts[:-1]:
                node = node.setdefault(part, {"properties": {}})["properties"]
            entry: dict = {"type": kind}
            if kind == TEXT:
                entry["fields"] = {"keyword": {"type": KEYWORD, "ignore_above": IGNORE_ABOVE}}
            node[parts[-1]] = entry
        return root
