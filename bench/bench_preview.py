"""Benchmark: PNGs of every dashboard in one Chromium session.

Not a test: starts a real Prometheus over three hours of synthetic traffic
(Debian's prometheus and promtool), then runs ``write_pngs`` (one headless
Chromium, one tab, each dashboard's page opened, drawn and captured in
turn) several times, and prints per dashboard the median wall time (open,
draw, capture) and the page's own time from navigation to its last panel
drawn (``performance.now()`` when the last panel finished).

Run: python bench/bench_preview.py [--runs 3] [--width 1600]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from tonebridge_dash.dashboard.render import build_all
from tonebridge_dash.preview.png import write_pngs
from tonebridge_dash.preview.server import PreviewServer, Prometheus
from tonebridge_dash.preview.source import previewed
from tonebridge_dash.prometheus.server import SyntheticPrometheus
from tonebridge_dash.settings import from_mapping


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--width", type=int, default=1600)
    args = parser.parse_args()
    cfg = from_mapping({})
    found = previewed(build_all(cfg, check=False))
    with SyntheticPrometheus(cfg=cfg) as prom, tempfile.TemporaryDirectory() as out:
        server = PreviewServer(found, Prometheus(prom.url), at=prom.end)
        with server:
            runs = []
            for _ in range(args.runs):
                started = time.monotonic()
                shots = write_pngs(server, Path(out), width=args.width)
                runs.append((time.monotonic() - started, shots))
    print(f"{len(found)} dashboards, {args.runs} runs, width {args.width}px, medians:")
    print(f"{'dashboard':<16} {'panels':>6} {'png (s)':>8} {'last panel (ms)':>16}")
    for i, d in enumerate(found):
        seconds = statistics.median(r[1][i].seconds for r in runs)
        last = statistics.median(r[1][i].last_panel_ms for r in runs)
        print(f"{d.uid:<16} {runs[0][1][i].panels:>6} {seconds:>8.2f} {last:>16.0f}")
    total = statistics.median(r[0] for r in runs)
    print(f"all dashboards, one Chromium session (start included): {total:.2f}s, "
          f"{total / len(found):.2f}s per dashboard")


if __name__ == "__main__":
    main()
