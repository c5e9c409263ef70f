"""A hostile dashboard in the preview, in a real browser (Debian's
chromium, headless): whatever its text panels, titles, legends, variables
or colours hold, the page runs none of its JavaScript, loads nothing from
another origin, is not redirected and sends its Prometheus queries to its
own server, as Grafana would; and it still draws the dashboard. The page's
Content-Security-Policy is checked in the browser too."""

from __future__ import annotations

import pytest
import requests

from preview_fakes import FakePrometheus, Recorder
from tonebridge_dash.model import Rendered
from tonebridge_dash.preview.chromium import Chromium, find_chromium
from tonebridge_dash.preview.png import DONE
from tonebridge_dash.preview.server import PreviewServer, Prometheus
from tonebridge_dash.preview.source import previewed

# Run by any payload that gets to run: the test reads window.__pwned.
RUN = "top.__pwned=[top.__pwned,'{}']"


def hostile_html(evil: str) -> list[str]:
    """HTML text panel contents, each a way past a naive sanitizer."""
    mark = lambda name: RUN.format(name)  # noqa: E731
    return [
        # the reported one: a comment inside <noscript> hides the <img> from a DOMParser without scripting
        f'<noscript><!--</noscript><img src=x onerror="{mark("noscript")}">--></noscript>',
        f'<img src=x onerror="{mark("img")}">',
        f'<svg><script>{mark("svg-script")}</script></svg><svg onload="{mark("svg-onload")}"></svg>',
        f'<math><mtext><table><mglyph><style><img src=x onerror="{mark("mxss")}">',
        f'<iframe srcdoc="<script>{mark("iframe")}</script>"></iframe><object data="{evil}/object"></object>'
        f'<embed src="{evil}/embed">',
        f'<a href="javascript:{mark("js-href")}">a</a><a href=" jAvAsCrIpT:{mark("js-href2")}">b</a>',
        f'<form action="{evil}/form"><button formaction="{evil}/button">go</button></form>',
        f'<meta http-equiv="refresh" content="1;url={evil}/refresh">',
        f'<base href="{evil}/">',
        f'<link rel="stylesheet" href="{evil}/link"><style>@import url({evil}/import);</style>',
        f'<div style="background:url({evil}/style-attr)">styled</div>',
        f'<img srcset="{evil}/srcset 1x"><video poster="{evil}/poster"></video><audio src="{evil}/audio"></audio>',
        f'<template><img src=x onerror="{mark("template")}"></template>',
        f'<p title="</p><img src=x onerror={mark("attr")}>">attr</p>',
        '<b class="kept">bold stays</b> <a class="kept-link" href="https://example.com/x?a=1&amp;b=2">a link</a>',
    ]


def hostile_markdown(evil: str) -> list[str]:
    return [
        # a " in a link's URL must not end the href
        f'[quote](/"onmouseover="{RUN.format("md-quote")}"x=")',
        f"[js](javascript:{RUN.format('md-js')})",
        f'<img src=x onerror="{RUN.format("md-raw-html")}">',
        f"**<b>bold</b>** and `<i>code</i>` and [site](https://example.com/a?b=1&c=2)",
        f"# <img src=x onerror=\"{RUN.format('md-heading')}\">\n* <svg onload=\"{RUN.format('md-item')}\">",
    ]


def hostile_dashboard(evil: str) -> dict:
    tag = f'<img src=x onerror="{RUN.format("title")}">'
    panels = []
    for i, content in enumerate(hostile_html(evil)):
        content = "<p>text first, so that a parser puts what follows into the body</p>" + content
        panels.append({"id": i + 1, "type": "text", "title": f"html {i} {tag}", "description": tag,
                       "gridPos": {"x": (i % 4) * 6, "y": (i // 4) * 4, "w": 6, "h": 4},
                       "options": {"mode": "html", "content": content}})
    for j, content in enumerate(hostile_markdown(evil)):
        panels.append({"id": 100 + j, "type": "text", "title": f"md {j}",
                       "gridPos": {"x": (j % 4) * 6, "y": 20 + (j // 4) * 4, "w": 6, "h": 4},
                       "options": {"mode": "markdown", "content": content}})
    colour = f"url({evil}/colour)"
    panels += [
        {"type": "row", "title": f"row {tag}", "gridPos": {"x": 0, "y": 30, "w": 24, "h": 1}},
        {"id": 200, "type": "stat", "title": "Drawn stat", "gridPos": {"x": 0, "y": 31, "w": 6, "h": 4},
         "options": {"colorMode": "background"}, "targets": [{"refId": "A", "expr": "x", "legendFormat": tag}],
         "fieldConfig": {"defaults": {"thresholds": {"mode": "absolute", "steps": [{"color": colour, "value": None}]},
                                      "mappings": [{"type": "value", "options": {"1": {"text": tag, "color": colour}}}]},
                         "overrides": []}},
        {"id": 201, "type": "bargauge", "title": "Bars", "gridPos": {"x": 6, "y": 31, "w": 6, "h": 4},
         "options": {"displayMode": "basic"}, "targets": [{"refId": "A", "expr": "x", "legendFormat": tag}],
         "fieldConfig": {"defaults": {"color": {"mode": "fixed", "fixedColor": colour}}, "overrides": []}},
        {"id": 202, "type": "timeseries", "title": "Lines", "gridPos": {"x": 12, "y": 31, "w": 6, "h": 6},
         "targets": [{"refId": "A", "expr": "x", "legendFormat": tag}],
         "options": {"legend": {"displayMode": "table", "calcs": ["mean"]}},
         "fieldConfig": {"defaults": {"color": {"mode": "fixed", "fixedColor": colour}}, "overrides": []}},
        {"id": 203, "type": "table", "title": "Table", "gridPos": {"x": 18, "y": 31, "w": 6, "h": 6},
         "targets": [{"refId": "A", "expr": "x", "format": "table"}],
         "transformations": [{"id": "organize", "options": {"renameByName": {"job": tag}}}]},
    ]
    return {"uid": "hostile", "title": f"Hostile {tag}", "schemaVersion": 39,
            "time": {"from": "now-1h", "to": "now"}, "panels": panels,
            "templating": {"list": [
                {"name": "v", "label": tag, "type": "custom", "query": f"{tag} : one,two", "current": {"value": "one"}},
                {"name": "q", "type": "query", "query": "label_values(up, job)", "multi": True, "includeAll": True,
                 "label": tag}]}}


# Fired at every element of the page, after it is drawn: inline handlers run on synthetic events.
PROVOKE = """(() => {
  for (const e of document.querySelectorAll('body *')) {
    for (const kind of ['mouseover', 'focus', 'error', 'load', 'animationstart', 'toggle', 'pointerover'])
      e.dispatchEvent(new Event(kind));
  }
  return new Promise(r => setTimeout(r, 1500));  // past the meta refresh's 1 s
})()"""

# What the page's DOM holds that a dashboard must not put there.
LEFTOVERS = """(() => {
  const bad = [];
  for (const e of document.querySelectorAll('#bar *, #variables *, #grid *')) {  // all but the page's own scripts
    const name = e.tagName.toLowerCase();
    if (['script', 'iframe', 'object', 'embed', 'form', 'meta', 'base', 'link', 'style', 'noscript', 'template',
         'frame', 'frameset'].includes(name)) bad.push(name);
    for (const a of Array.from(e.attributes)) {
      if (/^on/i.test(a.name)) bad.push(name + '[' + a.name + ']');
      if (/^\\s*(javascript|data|vbscript):/i.test(a.value) && /href|src|action|data/i.test(a.name))
        bad.push(name + '[' + a.name + '=' + a.value + ']');
      if (a.name === 'style' && /url\\(/i.test(a.value)) bad.push(name + '[style url]');
    }
  }
  return bad;
})()"""


def needs_chromium():
    if find_chromium() is None:
        pytest.skip("chromium not installed (apt-get install chromium); .ci/run installs it")


@pytest.fixture(scope="module")
def evil():
    with Recorder() as r:
        yield r


@pytest.fixture(scope="module")
def prometheus():
    with FakePrometheus() as p:
        yield p


@pytest.fixture(scope="module")
def server(evil, prometheus):
    with PreviewServer(previewed([Rendered.of(hostile_dashboard(evil.url))]), Prometheus(prometheus.url)) as s:
        yield s


@pytest.fixture(scope="module")
def drawn(server, evil):
    """The hostile page opened, drawn and provoked: (report, tab)."""
    needs_chromium()
    with Chromium(width=1600, height=900) as browser:
        tab = browser.tab()
        tab.navigate(server.page("hostile", png="1"))
        report = tab.wait_for(DONE, 60, "the hostile page finishing")
        tab.evaluate(PROVOKE, timeout=30)
        yield report, tab


@pytest.mark.chromium
def test_the_hostile_dashboard_runs_no_script(drawn):
    _, tab = drawn
    assert tab.evaluate("window.__pwned === undefined ? null : JSON.stringify(window.__pwned)") is None


@pytest.mark.chromium
def test_the_hostile_dashboard_is_not_redirected_and_keeps_its_base(drawn, server):
    _, tab = drawn
    assert tab.evaluate("location.href").startswith(server.page("hostile"))
    assert tab.evaluate("document.baseURI").startswith(server.page("hostile"))


@pytest.mark.chromium
def test_the_hostile_dashboard_reaches_no_other_origin(drawn, evil, prometheus):
    assert evil.requests == []
    assert prometheus.requests, "the page's queries went to its own server, and from there to Prometheus"


@pytest.mark.chromium
def test_the_hostile_dashboard_leaves_nothing_active_in_the_dom(drawn):
    _, tab = drawn
    left = tab.evaluate(LEFTOVERS)
    assert left == [], left


@pytest.mark.chromium
def test_the_hostile_dashboard_is_still_drawn(drawn):
    report, tab = drawn
    states = {p["id"]: p["state"] for p in report["panels"]}
    assert set(states.values()) == {"drawn"}, states
    assert len(states) == len(hostile_html("x")) + len(hostile_markdown("x")) + 4
    kept = tab.evaluate("""(() => ({
      bold: (document.querySelector('.text-panel b.kept') || {}).textContent,
      link: (document.querySelector('.text-panel a.kept-link') || {}).href,
      site: Array.from(document.querySelectorAll('.text-panel a')).map(a => a.getAttribute('href'))
              .filter(h => h && h.startsWith('https://example.com/a')),
      markdownBold: Array.from(document.querySelectorAll('.text-panel strong, .text-panel b')).map(b => b.textContent),
      quote: Array.from(document.querySelectorAll('.text-panel a')).filter(a => a.textContent === 'quote')
              .map(a => a.getAttribute('href')),
      shownAsText: document.body.innerText.includes('<img src=x onerror='),
      stat: (document.querySelector('[data-panel-id="200"] .stat-value') || {}).textContent,
    }))()""")
    assert kept["bold"] == "bold stays"
    assert kept["link"] == "https://example.com/x?a=1&b=2"
    assert kept["site"] == ["https://example.com/a?b=1&c=2"]
    assert "<b>bold</b>" in kept["markdownBold"]  # Markdown's raw HTML is shown as text, bold
    assert kept["quote"] in ([], ['/"onmouseover="' + RUN.format("md-quote") + '"x="'])  # one href, all of it
    assert kept["shownAsText"]  # titles and Markdown show the tag as text
    assert kept["stat"].startswith("<img")  # the mapping's text, as text


@pytest.mark.chromium
def test_the_index_page_shows_a_hostile_title_as_text(drawn, server):
    _, tab = drawn
    tab.navigate(server.url + "/")
    tab.wait_for("document.readyState === 'complete'", 10, "the index page loading")
    tab.evaluate(PROVOKE, timeout=30)
    assert tab.evaluate("window.__pwned === undefined") is True
    assert tab.evaluate("document.querySelectorAll('ul img').length") == 0


CSP_DIRECTIVES = {"default-src": "'none'", "script-src": "'self'", "connect-src": "'self'", "base-uri": "'none'",
                  "form-action": "'none'", "object-src": "'none'", "frame-ancestors": "'none'"}


def test_pages_carry_a_strict_content_security_policy(server):
    for path in ("/", "/d/hostile"):
        r = requests.get(server.url + path, timeout=10)
        policy = dict((d.split(" ", 1) + [""])[:2] for d in r.headers["Content-Security-Policy"].split("; "))
        for name, value in CSP_DIRECTIVES.items():
            assert policy.get(name) == value, (path, name, policy)
        assert not any("unsafe" in v or "*" in v or "http" in v for v in policy.values()), policy
        assert r.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.chromium
def test_the_browser_enforces_the_policy(drawn):
    _, tab = drawn
    blocked = tab.evaluate("""(() => {
      const s = document.createElement('script');
      s.textContent = 'window.__inline = 1';
      document.head.appendChild(s);
      const d = document.createElement('div');
      d.setAttribute('onclick', 'window.__handler = 1');
      document.body.appendChild(d);
      d.click();
      return {inline: window.__inline, handler: window.__handler};
    })()""")
    assert blocked == {}
    # DevTools may eval by default; asked not to, it meets the page's policy
    answer = tab.send("Runtime.evaluate", {"expression": "eval('3')", "allowUnsafeEvalBlockedByCSP": False})
    assert "EvalError" in answer["exceptionDetails"]["exception"]["description"]


@pytest.mark.chromium
def test_png_of_the_hostile_dashboard_reaches_no_other_origin(tb, evil, prometheus, tmp_path):
    """--png: the same page in the Chromium that writes the pictures (as root, without its sandbox)."""
    import json

    needs_chromium()
    seen = len(evil.requests)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "hostile.json").write_text(json.dumps(hostile_dashboard(evil.url)), encoding="utf-8")
    done = tb("preview", tmp_path / "in", "--png", tmp_path / "out", "-p", prometheus.url)
    assert done.code == 0, done.err
    assert (tmp_path / "out" / "hostile.png").stat().st_size > 10000
    assert evil.requests[seen:] == []
