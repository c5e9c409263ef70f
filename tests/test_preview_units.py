"""The preview's unit formatter (static/units.js) in a real browser,
against Grafana's own outputs: the cases of Grafana's valueFormats tests
(packages/grafana-data/src/valueFormats/valueFormats.test.ts), then one
case per unit the dashboards use, as Grafana's formatters compute it."""

from __future__ import annotations

import json

import pytest

from tonebridge_dash.preview.chromium import Chromium, find_chromium
from tonebridge_dash.preview.server import STATIC

pytestmark = pytest.mark.chromium  # the units are formatted by the page's script, in Chromium

# (unit, decimals, value, Grafana's text)
GRAFANA_TESTS = [
    ("currencyUSD", 2, 1532.82, "$1.53K"),
    ("ms", 4, 0.0024, "0.0024 ms"),
    ("ms", 0, 100, "100 ms"),
    ("ms", 2, 1250, "1.25 s"),
    ("ms", 1, 10000086.123, "2.8 hour"),
    ("ms", 0, 1200, "1 s"),
    ("kbytes", 3, 10000000, "9.537 GiB"),
    ("deckbytes", 3, 10000000, "10.000 GB"),
]
TO_FIXED = [(100, None, "100"), (100.4, None, "100"), (100.5, None, "101"), (100, 1, "100.0"),
            (100.37, 1, "100.4"), (100.63, 1, "100.6"), (100.4, 2, "100.40"), (100.5, 2, "100.50"),
            (186.123, -2, "186")]
# The units of the project's dashboards (tb-dash list --format json), as
# Grafana's formatters (getValueFormat) give them.
DASHBOARD_UNITS = [
    ("percentunit", None, 0.0523, "5.23%"),
    ("percentunit", 1, 0.84712, "84.7%"),
    ("percentunit", None, 0, "0%"),
    ("reqps", None, 70.1, "70.1 req/s"),
    ("reqps", None, 1532, "1.53K req/s"),
    ("s", None, 0.589, "589 ms"),
    ("s", None, 1.03, "1.03 s"),
    ("s", None, 90, "1.50 min"),
    ("s", None, 0, "0 s"),
    ("ms", None, 250, "250 ms"),
    ("m", None, 90, "1.50 hour"),
    ("bytes", None, 1536, "1.50 KiB"),
    ("Bps", None, 6000, "6 kB/s"),
    ("Bps", None, 2100, "2.10 kB/s"),
    ("currencyUSD", None, 158.2, "$158"),
    ("currencyUSD", 4, 0.0017, "$0.0017"),
    ("short", None, 271762, "272 K"),
    ("short", None, 553, "553"),
    ("none", None, 3.14159, "3.14"),
    ("suffix: users", None, 20, "20  users"),  # Grafana adds a space before the suffix's own
    ("suffix:x", 2, 1.5, "1.50 x"),
    (None, None, 12.345, "12.3"),
]


@pytest.fixture(scope="module")
def units_tab():
    if find_chromium() is None:
        pytest.skip("chromium not installed (apt-get install chromium); .ci/run installs it")
    with Chromium(width=400, height=300) as browser:
        tab = browser.tab()
        tab.evaluate((STATIC / "units.js").read_text(encoding="utf-8"))
        yield tab


def formatted(tab, cases) -> list[str]:
    return tab.evaluate(f"{json.dumps(cases)}.map(([u, d, v]) => TBUnits.text(v, u, d))")


@pytest.mark.parametrize("unit,decimals,value,expected", GRAFANA_TESTS + DASHBOARD_UNITS)
def test_units_format_as_grafana(units_tab, unit, decimals, value, expected):
    assert formatted(units_tab, [[unit, decimals, value]]) == [expected]


def test_to_fixed_as_grafana(units_tab):
    got = units_tab.evaluate(f"{json.dumps([[v, d] for v, d, _ in TO_FIXED])}.map(([v, d]) => TBUnits.toFixed(v, d))")
    assert got == [text for _, _, text in TO_FIXED]
