"""The preview in a real browser (Debian's chromium, headless) against the
real Prometheus over synthetic traffic: every page loads without a console
error, every panel of every dashboard is drawn with data, the panels sit
where gridPos puts them, stat panels show Grafana's units and threshold
colours, a query error shows on its panel, and --png writes one picture per
dashboard, for the project's dashboards and for other projects' JSON."""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path

import pytest

from tonebridge_dash.preview.chromium import Chromium, find_chromium
from tonebridge_dash.preview.png import DONE
from tonebridge_dash.preview.server import PreviewServer, Prometheus
from tonebridge_dash.preview.source import previewed

WIDTH = 1600
COLUMNS, ROW_PX, MARGIN = 24, 30, 8  # Grafana's grid: 24 columns, 30 px rows, 8 px gaps
# Grafana's dark-theme colours for the names the dashboards use.
COLOURS = {"green": "#73BF69", "orange": "#FF9830", "red": "#F2495C", "yellow": "#FADE2A", "text": "#CCCCDC"}

# What the test reads back from a page: each panel box, its place and what it shows.
READ_PAGE = """(() => {
  const grid = document.getElementById('grid'), g = grid.getBoundingClientRect();
  return {width: grid.clientWidth, panels: Array.from(grid.children).map(e => {
    const r = e.getBoundingClientRect(), body = e.querySelector('.panel-body');
    return {id: e.dataset.panelId, type: e.dataset.type, state: e.dataset.state || '',
      left: r.left - g.left, top: r.top - g.top, width: r.width, height: r.height,
      title: (e.querySelector('.panel-title, .row-title') || {}).textContent || '',
      canvases: e.querySelectorAll('canvas').length, cells: e.querySelectorAll('td').length,
      bars: e.querySelectorAll('.bar-row').length, text: body ? body.innerText : '',
      stats: Array.from(e.querySelectorAll('.stat-tile')).map(t => ({raw: t.dataset.value,
        text: (t.querySelector('.stat-value') || {}).textContent,
        colour: getComputedStyle(t.querySelector('.stat-value')).color}))};
  })};
})()"""


def needs_chromium():
    if find_chromium() is None:
        pytest.skip("chromium not installed (apt-get install chromium); .ci/run installs it")


@pytest.fixture(scope="module")
def server(rendered, prometheus):
    needs_chromium()
    with PreviewServer(previewed(rendered.values()), Prometheus(prometheus.url), at=prometheus.end) as s:
        yield s


@pytest.fixture(scope="module")
def tab():
    needs_chromium()
    with Chromium(width=WIDTH, height=900) as browser:
        yield browser.tab()


def open_page(tab, url: str, timeout: float = 60) -> tuple[dict, dict, list[str]]:
    """The page's own report, what the DOM shows, and the console errors."""
    tab.resize(WIDTH, 900)
    tab.navigate(url)
    report = tab.wait_for(DONE, timeout, f"{url} finishing")
    return report, tab.evaluate(READ_PAGE), tab.console_errors()


@pytest.fixture(scope="module")
def pages(server, tab, rendered):
    return {uid: open_page(tab, server.page(uid, png="1")) for uid in rendered}


@pytest.mark.chromium
def test_every_page_loads_without_console_errors(pages):
    for uid, (_, _, errors) in pages.items():
        assert errors == [], f"{uid}: {errors}"


@pytest.mark.chromium
def test_every_panel_of_every_dashboard_is_drawn_with_data(pages, rendered):
    for uid, (report, dom, _) in pages.items():
        expected = [p for p in rendered[uid].panels() if p.get("type") != "row"]
        drawn = [p for p in dom["panels"] if p["type"] != "row"]
        assert len(drawn) == len(expected), uid
        # log panels show their queries here, with no Elasticsearch (test_es_preview draws them)
        logs = {str(p["id"]) for p in expected if any(isinstance(t.get("datasource"), dict) and
                                                      t["datasource"].get("type") == "elasticsearch"
                                                      for t in p.get("targets") or [])}
        for p in drawn:
            where = f"{uid}: panel {p['id']} '{p['title']}'"
            if p["id"] in logs:
                assert p["state"] == "query" and "Elasticsearch query" in p["text"], where
                continue
            assert p["state"] == "drawn", f"{where}: {p['state']} {p['text'][:200]}"
            assert "No data" not in p["text"], where
            assert p["canvases"] or p["stats"] or p["cells"] or p["bars"], f"{where}: nothing drawn"
        assert report["lastPanelMs"] > 0


def expected_box(grid_pos: dict, width: float) -> dict:
    col = (width - MARGIN * (COLUMNS - 1)) / COLUMNS
    x, y, w, h = grid_pos["x"], grid_pos["y"], grid_pos["w"], grid_pos["h"]
    return {"left": round((col + MARGIN) * x), "top": round((ROW_PX + MARGIN) * y),
            "width": round(col * w + max(0, w - 1) * MARGIN), "height": round(ROW_PX * h + max(0, h - 1) * MARGIN)}


@pytest.mark.chromium
def test_panel_boxes_sit_where_grid_pos_puts_them(pages, rendered):
    for uid, (_, dom, _) in pages.items():
        by_id = {str(p.get("id")): p for p in rendered[uid].panels()}
        assert len(dom["panels"]) == len(by_id), uid
        for box in dom["panels"]:
            want = expected_box(by_id[box["id"]]["gridPos"], dom["width"])
            for key, value in want.items():
                assert abs(box[key] - value) <= 1, f"{uid}: panel {box['id']} {key} {box[key]} != {value}"
        # the grid is as wide as the page less its margins: 24 columns, nothing past the edge
        assert max(b["left"] + b["width"] for b in dom["panels"]) <= dom["width"] + 1


def threshold_colour(panel: dict, value: float) -> str:
    steps = panel["fieldConfig"]["defaults"]["thresholds"]["steps"]
    chosen = steps[0]["color"]
    for s in steps[1:]:
        if value >= s["value"]:
            chosen = s["color"]
    return COLOURS[chosen]


def rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def number(text: str) -> float:
    return float(re.search(r"-?\d+(\.\d+)?", text).group(0))


# unit -> (pattern of the text Grafana shows, the value it shows as a number)
UNIT_TEXT = {
    "percentunit": (r"^-?\d+(\.\d+)?%$", lambda v: 100 * v),
    "reqps": (r"^\d+(\.\d+)?K? req/s$", lambda v: v if v < 1000 else v / 1000),
    "currencyUSD": (r"^\$\d+(\.\d+)?K?$", lambda v: v if v < 1000 else v / 1000),
    "suffix: transformations/min": (r"^\d+(\.\d+)?  transformations/min$", lambda v: v),
    "suffix: characters": (r"^\d+(\.\d+)?  characters$", lambda v: v),
}


@pytest.mark.chromium
def test_stat_panels_show_grafanas_units_and_threshold_colours(pages, rendered):
    checked = set()
    for uid, (_, dom, _) in pages.items():
        panels = {str(p.get("id")): p for p in rendered[uid].panels()}
        for box in dom["panels"]:
            panel = panels[box["id"]]
            unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit")
            if box["type"] != "stat" or unit not in UNIT_TEXT or not panel["fieldConfig"]["defaults"].get("thresholds"):
                continue
            (stat,) = box["stats"]
            value = float(stat["raw"])
            pattern, shown = UNIT_TEXT[unit]
            where = f"{uid}: '{box['title']}' shows {stat['text']!r} for {value}"
            assert re.match(pattern, stat["text"]), where
            decimals = panel["fieldConfig"]["defaults"].get("decimals")
            tolerance = 0.5 * 10 ** -(decimals if decimals is not None else 1) + 0.06
            assert abs(number(stat["text"]) - shown(value)) <= max(tolerance, abs(shown(value)) * 0.005), where
            assert stat["colour"] == rgb(threshold_colour(panel, value)), where
            checked.add(unit)
    assert {"percentunit", "reqps", "currencyUSD"} <= checked, checked


BROKEN = {
    "uid": "broken", "title": "Broken", "schemaVersion": 39, "time": {"from": "now-1h", "to": "now"},
    "panels": [
        {"id": 1, "type": "timeseries", "title": "Bad query", "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8},
         "targets": [{"refId": "A", "expr": "sum(rate(tonebridge_requests_total[5m])"}]},
        {"id": 2, "type": "stat", "title": "Good query", "gridPos": {"x": 12, "y": 0, "w": 12, "h": 8},
         "targets": [{"refId": "A", "expr": "sum(rate(tonebridge_requests_total[5m]))"}]},
        {"id": 3, "type": "news", "title": "Unknown type", "gridPos": {"x": 0, "y": 8, "w": 12, "h": 4}},
        {"id": 4, "type": "stat", "title": "Nothing there", "gridPos": {"x": 12, "y": 8, "w": 12, "h": 4},
         "targets": [{"refId": "A", "expr": "no_such_metric"}]},
    ],
}


@pytest.mark.chromium
def test_a_query_error_is_shown_on_its_panel(prometheus, tab):
    with PreviewServer(previewed([_rendered(BROKEN)]), Prometheus(prometheus.url), at=prometheus.end) as s:
        report, dom, errors = open_page(tab, s.page("broken", png="1"))
    by_title = {p["title"]: p for p in dom["panels"]}
    assert by_title["Bad query"]["state"] == "error"
    assert "parse error" in by_title["Bad query"]["text"]
    assert by_title["Good query"]["state"] == "drawn"
    assert by_title["Unknown type"]["state"] == "unsupported"
    assert "news" in by_title["Unknown type"]["text"]
    assert by_title["Nothing there"]["state"] == "nodata" and "No data" in by_title["Nothing there"]["text"]
    assert errors == []
    assert [p["state"] for p in report["panels"]] == ["error", "drawn", "unsupported", "nodata"]


def _rendered(data):
    from tonebridge_dash.model import Rendered

    return Rendered.of(data)


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", head[16:24])


@pytest.mark.chromium
def test_png_mode_writes_one_image_per_dashboard(tb, prometheus, rendered, tmp_path):
    needs_chromium()
    done = tb("preview", "--png", tmp_path / "out", "-p", prometheus.url, "--time", prometheus.end)
    assert done.code == 0, done.err
    assert sorted(p.name for p in (tmp_path / "out").glob("*.png")) == sorted(f"{uid}.png" for uid in rendered)
    for uid in rendered:
        width, height = png_size(tmp_path / "out" / f"{uid}.png")
        assert width == 1600 and height > 300, uid
    assert "tb-dash: warning" not in done.err  # no panel with an error or no data


FOREIGN = {
    # schemaVersion 14: rows of panels with spans, a graph and a singlestat, a datasource by name
    "old.json": {"title": "Old rows", "schemaVersion": 14, "rows": [
        {"title": "Row", "showTitle": True, "height": "250px", "panels": [
            {"id": 1, "type": "graph", "title": "Old graph", "span": 6, "datasource": "Prometheus",
             "targets": [{"expr": "sum(rate(tonebridge_requests_total[5m]))", "refId": "A"}], "yaxes": [{"format": "reqps"}]},
            {"id": 2, "type": "singlestat", "title": "Old stat", "span": 6, "format": "percentunit",
             "targets": [{"expr": "0.5", "refId": "A"}]}]}]},
    # an API answer, a datasource variable, -- Mixed --, a collapsed row with nested panels, unknown types
    "api.json": {"meta": {}, "dashboard": {"uid": "api-one", "title": "From the API", "panels": [
        {"type": "row", "title": "Folded", "collapsed": True, "gridPos": {"x": 0, "y": 0, "w": 24, "h": 1}, "panels": [
            {"id": 9, "type": "timeseries", "title": "Inside", "gridPos": {"x": 0, "y": 1, "w": 24, "h": 8},
             "targets": [{"expr": "up"}]}]},
        {"id": 3, "type": "timeseries", "title": "Mixed", "datasource": {"uid": "-- Mixed --"},
         "gridPos": {"x": 0, "y": 1, "w": 12, "h": 8},
         "targets": [{"datasource": {"type": "prometheus", "uid": "$ds"}, "expr": "sum(rate(tonebridge_requests_total[$__rate_interval]))"},
                     {"datasource": {"type": "loki", "uid": "logs"}, "expr": "{app=\"x\"}"}]},
        {"id": 4, "type": "grafana-worldmap-panel", "title": "Plugin", "gridPos": {"x": 12, "y": 1, "w": 12, "h": 8}},
        {"id": 5, "type": "text", "title": "Notes", "options": {"mode": "markdown", "content": "# Hello\n* one"}},
        {"id": 6, "title": "No type, no gridPos"},
        {"id": 7, "type": "logs", "title": "Logs", "datasource": {"type": "loki", "uid": "logs"},
         "targets": [{"expr": "{app=\"x\"}"}]}],
        "templating": {"list": [{"name": "ds", "type": "datasource", "query": "prometheus"},
                                {"name": "odd", "type": "query", "query": {"query": "label_values(up, job)"}},
                                {"name": "c", "type": "custom", "query": "a,b", "multi": True, "includeAll": True}]}}},
    "empty.json": {},
    "array.json": [],
}


@pytest.mark.chromium
def test_png_mode_draws_other_projects_dashboards(tb, prometheus, tmp_path):
    needs_chromium()
    source = tmp_path / "in"
    source.mkdir()
    for name, data in FOREIGN.items():
        (source / name).write_text(json.dumps(data), encoding="utf-8")
    done = tb("preview", source, "--png", tmp_path / "out", "-p", prometheus.url, "--time", prometheus.end)
    assert done.code == 0, done.err
    assert sorted(p.name for p in (tmp_path / "out").glob("*.png")) == ["api-one.png", "empty.png", "old.png"]
    assert "skipped" in done.err and "array.json" in done.err


def test_png_mode_without_chromium_is_one_line(tb, prometheus, tmp_path):
    done = tb("preview", "--png", tmp_path, "-p", prometheus.url,
              env={"TB_DASH_CHROMIUM": "no-such-chromium-binary"})
    assert done.code == 1
    assert done.err.count("\n") == 1 and "chromium" in done.err and "Traceback" not in done.err


def test_preview_without_prometheus_is_one_line(tb, tmp_path):
    from tonebridge_dash.prometheus.server import free_port

    done = tb("preview", "--png", tmp_path, "-p", f"http://127.0.0.1:{free_port()}")
    assert done.code == 2
    assert done.err.count("\n") == 1 and "cannot reach Prometheus" in done.err


def test_the_server_passes_on_only_prometheus_read_api(prometheus):
    import requests

    with PreviewServer([], Prometheus(prometheus.url)) as s:
        assert requests.get(f"{s.url}/api/prom/api/v1/query", params={"query": "1"}, timeout=10).json()["status"] == "success"
        assert requests.get(f"{s.url}/api/prom/api/v1/admin/tsdb/delete_series", timeout=10).status_code == 404
        assert requests.get(f"{s.url}/static/../server.py", timeout=10).status_code == 404
        assert requests.get(f"{s.url}/static/vendor/LICENSE", timeout=10).status_code == 200
        assert requests.get(f"{s.url}/d/nope", timeout=10).status_code == 404
