"""The preview: a page per dashboard drawn in the browser from its Grafana
JSON, with data from a Prometheus, served on 127.0.0.1 (``server``), and
PNGs of those pages through headless Chromium (``chromium``, ``png``).

The page itself (HTML, JavaScript, CSS and the vendored uPlot) is package
data under ``static/``; nothing is fetched from the internet.
"""
