"""Benchmark: push 150 dashboards to the Grafana emulator with 40 ms of
latency on every request.

Not a test: prints medians of several runs beside their baseline, the time
a one-request-at-a-time client needs for the same per-dashboard requests
(150 x 40 ms x requests per dashboard), and checks the targets:

- first push: at most 0.25x of its sequential time;
- no-op push (nothing changed): at most 0.25x of its sequential time, and
  0 writes.

The timed part is ``push()``: validation of all 150 dashboards, the health
check, the folder, the search and the per-dashboard work; rendering is not
included. ``--sequential`` also measures the same push with
``concurrency=1`` (slow: about 6 s per run).

Run: python bench/bench_push.py [--runs 5] [--dashboards 150] [--latency 0.04] [--sequential]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from grafana_emulator import GrafanaEmulator  # noqa: E402

from tonebridge_dash.grafana import GrafanaClient, TokenAuth  # noqa: E402
from tonebridge_dash.grafana.push import push  # noqa: E402
from tonebridge_dash.model import Rendered  # noqa: E402
from tonebridge_dash.dashboard.render import build_all  # noqa: E402
from tonebridge_dash.settings import from_mapping  # noqa: E402

TOKEN = "bench-token"
PER_DASHBOARD_ROUTES = ("GET /api/dashboards/uid/:uid", "GET /api/dashboards/uid/:uid/versions",
                        "POST /api/dashboards/db")
TARGET = 0.25


def dashboards(n: int) -> list[Rendered]:
    """``n`` distinct dashboards: the project's own, cycled, each with its own uid and title."""
    base = build_all(from_mapping({}))
    out = []
    for i in range(n):
        r = base[i % len(base)]
        uid, title = f"bench-{i:04d}", f"{r.title} #{i}"
        out.append(Rendered(uid, title, {**r.data, "uid": uid, "title": title}, r.source))
    return out


def timed_push(emu: GrafanaEmulator, items: list[Rendered], concurrency: int) -> tuple[float, dict]:
    emu.reset_counts()
    with GrafanaClient(emu.url, auth=TokenAuth(TOKEN), pool_size=max(concurrency, 10)) as client:
        t = time.perf_counter()
        report = push(client, items, folder_uid="bench", folder_title="Bench", concurrency=concurrency,
                      revision="bench")
        elapsed = time.perf_counter() - t
    assert report.exit_code == 0, [o.detail for o in report.outcomes if o.detail][:3]
    per_dashboard = sum(emu.counts[r] for r in PER_DASHBOARD_ROUTES)
    return elapsed, {"writes": emu.writes(), "requests": emu.total_requests(),
                     "per_dashboard": per_dashboard / len(items),
                     "actions": {a: report.count(a) for a in ("created", "updated", "unchanged")}}


def one_round(items, latency, concurrency):
    with GrafanaEmulator(token=TOKEN, latency=latency) as emu:
        first = timed_push(emu, items, concurrency)
        noop = timed_push(emu, items, concurrency)
    return first, noop


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--dashboards", type=int, default=150)
    p.add_argument("--latency", type=float, default=0.04, help="seconds added to every request")
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--sequential", action="store_true",
                   help="also measure concurrency=1 (one request at a time)")
    a = p.parse_args()
    items = dashboards(a.dashboards)
    rounds = [one_round(items, a.latency, a.concurrency) for _ in range(a.runs)]
    ok = True
    print(f"{a.dashboards} dashboards, {a.latency * 1000:.0f} ms per request, concurrency "
          f"{a.concurrency}, median of {a.runs} runs")
    print(f"{'push':<8} {'median':>8} {'min':>7} {'max':>7} {'req/dash':>8} {'requests':>8} "
          f"{'writes':>6} {'sequential':>10} {'ratio':>6}  target")
    for i, name in enumerate(("first", "no-op")):
        times = [r[i][0] for r in rounds]
        stats = rounds[-1][i][1]
        # a one-request-at-a-time client making the same per-dashboard requests
        sequential = a.dashboards * a.latency * max(stats["per_dashboard"], 1.0)
        ratio = statistics.median(times) / sequential
        met = ratio <= TARGET and (name == "first" or stats["writes"] == 0)
        ok &= met
        print(f"{name:<8} {statistics.median(times):>7.3f}s {min(times):>6.3f}s {max(times):>6.3f}s "
              f"{stats['per_dashboard']:>8.2f} {stats['requests']:>8} {stats['writes']:>6} "
              f"{sequential:>9.2f}s {ratio:>6.3f}  <= {TARGET}{'' if name == 'first' else ', 0 writes'}: "
              f"{'met' if met else 'NOT MET'}")
    if a.sequential:
        (first_s, _), (noop_s, _) = one_round(items, a.latency, 1)
        print(f"measured with concurrency=1: first {first_s:.2f}s, no-op {noop_s:.2f}s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
