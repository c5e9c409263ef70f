"""A dashboard's Elasticsearch targets and the ``_msearch`` Grafana sends for them.

``request.grafana_request`` builds one item (header and body) for a target;
this module finds the targets of a dashboard (a target's own datasource,
else its panel's, a datasource variable resolved to its current value), the
time range Grafana queries each over (the panel's ``timeFrom``, else the
dashboard's ``time``), the variables' values, and the fields a target reads
(its aggregations, metrics and time field, and the ``field:`` names of its
query) for ``check`` to compare with the index's. Grafana posts a panel's
items together to ``_msearch`` with ``max_concurrent_shard_requests=5``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterator, Mapping

from ..durations import seconds
from ..model import as_list, as_object, iter_panels, template_variables
from .request import grafana_request, interpolate
from .targets import COUNT, DATASOURCE_TYPE as ELASTICSEARCH

PIPELINE_METRICS = frozenset({"moving_avg", "moving_fn", "derivative", "cumulative_sum", "bucket_script",
                              "serial_diff"})
_RELATIVE = re.compile(r"now(?:([+-])(\d+)([smhdwMy]))?")
_UNIT_MS = {"s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000,
            "M": 30 * 86_400_000, "y": 365 * 86_400_000}


@dataclass(frozen=True)
class EsTarget:
    """One Elasticsearch target of a dashboard and where it is."""

    dashboard: str  # uid
    panel: str  # title
    panel_id: Any
    panel_type: str
    ref_id: str
    target: dict
    datasource_uid: str  # the datasource it reads, variables resolved ("" when unknown)
    panel_json: dict = field(default_factory=dict, compare=False)  # its timeFrom, timeShift

    @property
    def query(self) -> str:
        return str(self.target.get("query") or "")


def _variable_value(variable: Mapping[str, Any]) -> Any:
    """A variable's current (or default) value: a text or a list of them;
    "All" its allValue, else every option's value."""
    current = as_object(variable.get("current"))
    value = current.get("value", variable.get("query", "") if variable.get("type") in ("constant", "textbox")
                        else "")
    values = ["" if v is None else str(v) for v in (value if isinstance(value, list) else [value])]
    if "$__all" in values:
        if variable.get("allValue"):
            return str(variable["allValue"])
        values = [str(o.get("value")) for o in as_list(variable.get("options"))
                  if isinstance(o, dict) and o.get("value") not in (None, "$__all")]
    return values[0] if len(values) == 1 else values


def dashboard_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """Each variable of the dashboard -> its current value (``request.interpolate``
    escapes it as Grafana's lucene format does)."""
    return {str(v["name"]): _variable_value(v) for v in template_variables(data) if v.get("name")}


def _datasource_uid(ref: Any, data: Mapping[str, Any]) -> tuple[str, str]:
    """(type, uid) of a datasource reference, a variable resolved to its value."""
    if isinstance(ref, str):
        return "", ref
    ref = as_object(ref)
    kind, uid = str(ref.get("type") or ""), str(ref.get("uid") or "")
    m = re.fullmatch(r"\$\{?(\w+)\}?", uid)
    if m:
        for v in template_variables(data):
            if v.get("name") == m.group(1) and v.get("type") == "datasource":
                value = as_object(v.get("current")).get("value")
                return kind or str(v.get("query") or ""), str(value if isinstance(value, str) else "")
    return kind, uid


def target_datasource(data: Mapping[str, Any], panel: Mapping[str, Any], target: Mapping[str, Any]) -> tuple[str, str]:
    """(type, uid) of the datasource a target reads: its own, else its panel's."""
    return _datasource_uid(target.get("datasource") or panel.get("datasource"), data)


def reads_elasticsearch(source: tuple[str, str], known_uids: frozenset[str] = frozenset()) -> bool:
    """Whether a target's (type, uid) is an Elasticsearch datasource."""
    return source[0] == ELASTICSEARCH or source[1] in known_uids


def es_targets(data: Mapping[str, Any], uid: str, known_uids: frozenset[str] = frozenset()) -> Iterator[EsTarget]:
    """Every Elasticsearch target of a dashboard: one whose own or panel's
    datasource is of type elasticsearch, or one of ``known_uids``."""
    for p in iter_panels(data):
        for i, t in enumerate(as_list(p.get("targets"))):
            if not isinstance(t, dict) or t.get("hide") is True:
                continue
            source = target_datasource(data, p, t)
            if reads_elasticsearch(source, known_uids):
                yield EsTarget(uid, str(p.get("title", "")), p.get("id"), str(p.get("type", "")),
                               str(t.get("refId") or chr(65 + i)), t, source[1], p)


def parse_time(text: Any, now_ms: int) -> int:
    """Epoch milliseconds of a dashboard time (``now``, ``now-1h``, epoch
    milliseconds or an ISO date)."""
    value = str(text).strip()
    m = _RELATIVE.fullmatch(value)
    if m:
        if not m.group(1):
            return now_ms
        delta = int(m.group(2)) * _UNIT_MS[m.group(3)]
        return now_ms + delta if m.group(1) == "+" else now_ms - delta
    if re.fullmatch(r"\d+", value):
        return int(value)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"not a dashboard time: {value[:40]!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp() * 1000)


def time_range(data: Mapping[str, Any], now_ms: int, panel: Mapping[str, Any] | None = None,
               default: str = "now-6h") -> tuple[int, int]:
    """The range Grafana queries a panel over, in epoch milliseconds: the
    panel's relative ``timeFrom`` (``1h``: the last hour) and ``timeShift``,
    else the dashboard's default time range."""
    p = as_object(panel)
    shift = _duration_ms(p.get("timeShift"))
    relative = _duration_ms(p.get("timeFrom"))
    if relative:
        end = now_ms - shift
        return end - relative, end
    time = as_object(data.get("time"))
    try:
        start, end = parse_time(time.get("from", default), now_ms), parse_time(time.get("to", "now"), now_ms)
    except ValueError:
        start, end = parse_time(default, now_ms), now_ms
    return start - shift, end - shift


def _duration_ms(value: Any) -> int:
    text = str(value or "").strip().removeprefix("now-")
    try:
        return int(seconds(text) * 1000) if text else 0
    except ValueError:
        return 0


def search(t: EsTarget, data: Mapping[str, Any], index: str, time_field: str, now_ms: int,
           values: Mapping[str, Any]) -> tuple[dict, dict, str, tuple[int, int]]:
    """(header, body, query text sent, time range) of Grafana's item for ``t``;
    ``UsageError`` for a target Grafana refuses to send."""
    start, end = time_range(data, now_ms, t.panel_json)
    header, body = grafana_request(t.target, index=index, time_field=time_field, start_ms=start, end_ms=end,
                                   variables=values)
    return header, body, interpolate(t.query, values), (start, end)


MSEARCH_PATH = "_msearch?max_concurrent_shard_requests=5"  # Grafana's default query parameters


def fields_of(target: Mapping[str, Any], time_field: str) -> list[str]:
    """The fields a target's aggregations, metrics and time filter read."""
    out = [time_field]
    for agg in as_list(target.get("bucketAggs")):
        if isinstance(agg, dict) and agg.get("field") and agg.get("type") != "filters":
            out.append(str(agg["field"]))
    for m in as_list(target.get("metrics")):
        if isinstance(m, dict) and m.get("field") and m.get("type") not in PIPELINE_METRICS | {COUNT}:
            out.append(str(m["field"]))
    return list(dict.fromkeys(out))


def query_fields(query: str) -> list[str]:
    """The field names a query_string text names (``field:``), outside
    quotes and escapes; ``_exists_`` names its field as the value."""
    out: list[str] = []
    i, n, token = 0, len(query), ""
    while i < n:
        c = query[i]
        if c == "\\":
            token += query[i:i + 2]
            i += 2
            continue
        if c == '"':
            end = i + 1
            while end < n and query[end] != '"':
                end += 2 if query[end] == "\\" else 1
            i, token = end + 1, ""
            continue
        if c == ":" and token:
            name = token.replace("\\", "")
            if name == "_exists_":
                m = re.match(r"[\w.@-]+", query[i + 1:])
                if m:
                    out.append(m.group(0))
            elif "*" not in name:
                out.append(name)
            token = ""
        elif c.isspace() or c in "()+!-[]{}^~" and not token:
            token = ""
        elif c in "()":
            token = ""
        else:
            token += c
        i += 1
    return list(dict.fromkeys(out))
