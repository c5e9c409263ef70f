"""Benchmark: tb-dash validate and tb-dash check on the whole project.

Not a test: prints medians of several runs so a reader can judge the target
("the whole project validates in well under a second"):

- validate in-process, first run in a process (the schema validators are
  compiled then) and warm runs, each including the in-memory build;
- ``tb-dash validate`` from the command line (a new process each time);
- with ``--check`` (needs Debian's prometheus and promtool): starting the
  synthetic Prometheus (with the project's recording rules backfilled), and
  ``tb-dash check`` against it.

Run: python bench/bench_validate.py [--runs 5] [--check]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from tonebridge_dash import lint
from tonebridge_dash.dashboard.render import build_all
from tonebridge_dash.settings import from_mapping


def _median(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _cli(*args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "tonebridge_dash", *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"tb-dash {' '.join(args)} exited {done.returncode}:\n{done.stdout}{done.stderr}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--check", action="store_true", help="also time check against a synthetic Prometheus")
    args = parser.parse_args()

    started = time.perf_counter()

    cfg = from_mapping({})
    first = lint.validate(build_all(cfg, check=False), cfg)
    cold = time.perf_counter() - started
    warm = _median(lambda: lint.validate(build_all(cfg, check=False), cfg), args.runs)
    rules_only = _median(lambda: lint.validate(dashboards, cfg), args.runs) if (
        dashboards := build_all(cfg, check=False)) else 0.0
    print(f"dashboards: {len(first.dashboards)}, findings: {len(first.findings)}")
    print(f"validate in-process, first (imports + schema compile): {cold * 1000:7.1f} ms")
    print(f"validate in-process, warm (build + rules):             {warm * 1000:7.1f} ms")
    print(f"validate in-process, rules only:                       {rules_only * 1000:7.1f} ms")
    print(f"tb-dash validate (new process):                        "
          f"{_median(lambda: _cli('validate'), args.runs) * 1000:7.1f} ms")

    if args.check:
        from tonebridge_dash.prometheus.server import SyntheticPrometheus

        started = time.perf_counter()
        with SyntheticPrometheus(cfg=cfg) as prom:
            ready = time.perf_counter() - started
            print(f"synthetic Prometheus ready ({prom.samples} samples, rules): {ready * 1000:5.0f} ms")
            took = _median(lambda: _cli("check", "-p", prom.url, "--time", str(prom.end)), args.runs)
            print(f"tb-dash check (new process):                           {took * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
