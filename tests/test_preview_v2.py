"""The preview draws v2 dashboards in a real browser: rows, grids and auto
grids as Grafana places them, and a ``TabsLayout`` as a tab bar showing one
tab's panels at a time (``?tab=N``), against the real Prometheus."""

from __future__ import annotations

import pytest

from tonebridge_dash.dashboard.versioned import in_schema
from tonebridge_dash.preview.png import DONE
from tonebridge_dash.preview.server import PreviewServer, Prometheus
from tonebridge_dash.preview.source import previewed

from test_preview import READ_PAGE, WIDTH, expected_box, needs_chromium, tab  # noqa: F401 (fixture)

READ_TABS = """Array.from(document.querySelectorAll('#tabs .tab')).map(b => ({
  title: b.textContent, active: b.classList.contains('active')}))"""


@pytest.fixture(scope="module")
def v2_dashboards(rendered):
    return {r.uid: r for r in in_schema(list(rendered.values()), "v2")}


@pytest.fixture(scope="module")
def shown(v2_dashboards):
    return {p.uid: p for p in previewed(v2_dashboards.values())}


@pytest.fixture(scope="module")
def server(shown, prometheus):
    needs_chromium()
    with PreviewServer(list(shown.values()), Prometheus(prometheus.url), at=prometheus.end) as s:
        yield s


def elasticsearch(panel) -> bool:
    sources = [panel.get("datasource"), *(t.get("datasource") for t in panel.get("targets") or [])]
    return any(isinstance(s, dict) and s.get("type") == "elasticsearch" for s in sources)


def open_page(tab, url):
    tab.resize(WIDTH, 900)
    tab.navigate(url)
    report = tab.wait_for(DONE, 60, f"{url} finishing")
    return report, tab.evaluate(READ_PAGE), tab.evaluate(READ_TABS), tab.console_errors()


def test_a_v2_page_is_its_classic_equivalent_with_its_tabs(shown):
    business = shown["tb-business"].data
    assert [t["title"] for t in business["__tabs"]] == ["KPIs", "Usage", "Cost"]
    ids = {p["id"] for p in business["panels"] if p["type"] != "row"}
    assert set().union(*(set(t["panels"]) for t in business["__tabs"])) == ids
    assert "__tabs" not in shown["tb-application"].data  # rows: drawn as rows


@pytest.mark.chromium
def test_every_v2_layout_is_drawn_with_data(server, tab, shown):
    for uid, page in shown.items():
        report, dom, tabs, errors = open_page(tab, server.page(uid, png="1"))
        assert errors == [], f"{uid}: {errors}"
        drawn = [p for p in dom["panels"] if p["type"] != "row"]
        want = page.data.get("__tabs")
        if want:  # the first tab, under a tab bar naming them all
            assert tabs == [{"title": t["title"], "active": i == 0} for i, t in enumerate(want)]
            assert sorted(int(p["id"]) for p in drawn) == sorted(want[0]["panels"])
        else:
            assert tabs == []
            assert len(drawn) == sum(1 for p in page.data["panels"] if p["type"] != "row")
            by_id = {str(p["id"]): p for p in page.data["panels"]}
            for box in dom["panels"]:  # where the v2 layout puts them
                assert {k: round(box[k]) for k in ("left", "width", "height")} == {
                    k: v for k, v in expected_box(by_id[box["id"]]["gridPos"], dom["width"]).items() if k != "top"}
        logs = {str(p["id"]) for p in page.data["panels"] if elasticsearch(p)}
        for p in drawn:  # Elasticsearch panels: drawn from a cluster when one is given
            if p["id"] not in logs:
                assert p["state"] == "drawn" and "No data" not in p["text"], f"{uid}: {p['title']}"


@pytest.mark.chromium
def test_each_tab_shows_its_own_panels_from_the_top(server, tab, shown):
    tabs = shown["tb-business"].data["__tabs"]
    for i, t in enumerate(tabs):
        report, dom, bar, errors = open_page(tab, server.page("tb-business", png="1", tab=str(i)))
        assert errors == [] and [b["active"] for b in bar] == [j == i for j in range(len(tabs))]
        drawn = [p for p in dom["panels"] if p["type"] != "row"]
        assert sorted(int(p["id"]) for p in drawn) == sorted(t["panels"])
        assert min(p["top"] for p in drawn) == 0  # the tab's grid starts at the top
        assert report["tab"] == i


@pytest.mark.chromium
def test_png_mode_writes_one_image_per_tab(tb, prometheus, rendered, tmp_path):
    needs_chromium()
    assert tb("render", "--schema", "v2", "--out", tmp_path / "v2").code == 0
    done = tb("preview", tmp_path / "v2", "--png", tmp_path / "out", "-p", prometheus.url, "--time", prometheus.end)
    assert done.code == 0, done.err
    names = sorted(p.name for p in (tmp_path / "out").glob("*.png"))
    assert names == sorted([f"{uid}.png" for uid in rendered] + ["tb-business.tab-2.png", "tb-business.tab-3.png"])
    assert "tb-dash: warning" not in done.err  # every panel of every tab drawn with data
