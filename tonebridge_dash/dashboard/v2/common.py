"""What both directions of the v2 conversion share: the API's names, the
enums of the v2 schema and their classic numbers, and lenient readers of
JSON that may hold anything (a wrong type reads as absent, as Grafana's
converter reads it)."""

from __future__ import annotations

from typing import Any

from ...model import PROMETHEUS

GROUP = "dashboard.grafana.app"
VERSIONS = ("v2beta1", "v2")  # the v2 versions tb-dash reads and writes
READ_VERSIONS = ("v2alpha1", *VERSIONS)  # v2alpha1, Grafana 12's first preview, is read as v2beta1 (alpha)
CLASSIC_VERSIONS = ("v0alpha1", "v1alpha1", "v1beta1", "v1")
# The type of a datasource known only by its uid: Grafana asks its datasource
# service, and falls back to the default datasource's type. tb-dash has no
# service; a house dashboard's default is Prometheus.
DEFAULT_DATASOURCE_TYPE = PROMETHEUS
GRAFANA_DATASOURCE_UID = "grafana"  # the "-- Grafana --" datasource of type "datasource"
MIXED = "-- Mixed --"
LEGACY_STRING = "__legacyStringValue"  # a variable's query that was a plain string
ANGULAR = "__angularMigration"

CURSOR_SYNC = {0: "Off", 1: "Crosshair", 2: "Tooltip"}
HIDE = {0: "dontHide", 1: "hideLabel", 2: "hideVariable"}
REFRESH = {0: "never", 1: "onDashboardLoad", 2: "onTimeRangeChanged"}
SORT = {0: "disabled", 1: "alphabeticalAsc", 2: "alphabeticalDesc", 3: "numericalAsc", 4: "numericalDesc",
        5: "alphabeticalCaseInsensitiveAsc", 6: "alphabeticalCaseInsensitiveDesc", 7: "naturalAsc",
        8: "naturalDesc"}
VARIABLE_KINDS = {"query": "QueryVariable", "datasource": "DatasourceVariable", "custom": "CustomVariable",
                  "adhoc": "AdhocVariable", "constant": "ConstantVariable", "interval": "IntervalVariable",
                  "textbox": "TextVariable", "switch": "SwitchVariable", "groupby": "GroupByVariable"}


def is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def string(m: Any, key: str, default: str = "") -> str:
    v = m.get(key) if isinstance(m, dict) else None
    return v if isinstance(v, str) else default


def boolean(m: Any, key: str, default: bool = False) -> bool:
    v = m.get(key) if isinstance(m, dict) else None
    return v if isinstance(v, bool) else default


def integer(m: Any, key: str, default: int = 0) -> int:
    v = m.get(key) if isinstance(m, dict) else None
    if is_number(v):
        return int(v)
    if isinstance(v, str):
        try:
            return int(v)
        except ValueError:
            return default
    return default


def obj(m: Any, key: str) -> dict:
    v = m.get(key) if isinstance(m, dict) else None
    return v if isinstance(v, dict) else {}


def lst(m: Any, key: str) -> list:
    v = m.get(key) if isinstance(m, dict) else None
    return v if isinstance(v, list) else []


def strings(m: Any, key: str) -> list[str]:
    return [s for s in lst(m, key) if isinstance(s, str)]


def enum(table: dict[int, str], value: Any, default: int = 0) -> str:
    """A classic number (or an already-named value) as the v2 name."""
    if is_number(value):
        return table.get(int(value), table[default])
    if isinstance(value, str) and value in table.values():
        return value
    return table[default]


def number_of(table: dict[int, str], name: Any, default: int = 0) -> int:
    """A v2 enum name back to the classic number."""
    for k, v in table.items():
        if v == name:
            return k
    return default


def is_template_variable(s: str) -> bool:
    return s.startswith("$")
