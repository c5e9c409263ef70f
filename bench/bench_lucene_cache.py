"""Benchmark: ``tb-dash render`` and ``tb-dash validate`` of the project with
the Lucene verdict and class cache cold and warm, side by side.

Not a test: each figure is the median wall time of several runs of the
command line (a new process each time, as a user runs it), in a cache
directory of its own:

- cold: an empty cache (schemas compiled, javac, a JVM, every query parsed);
- without the Lucene cache: the schema cache warm, the Lucene entries
  removed before each run (what every run cost before the cache: javac and
  a JVM each time);
- Lucene classes only: the verdicts removed, the classes kept (a run whose
  queries all changed: a JVM, no javac);
- warm: everything cached (no javac, no JVM).

The three variants run in turns, so a burst of load on the (shared) machine
falls on all of them.

Run: python bench/bench_lucene_cache.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _run(cache: Path, out: Path, command: str) -> float:
    args = {"validate": ["validate"], "render": ["render", "--out", str(out)]}[command]
    env = {**os.environ, "TB_DASH_CACHE_DIR": str(cache)}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "tonebridge_dash", *args], capture_output=True, text=True, env=env)
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"tb-dash {' '.join(args)} exited {done.returncode}:\n{done.stdout}{done.stderr}")
    return took


def _forget(cache: Path, pattern: str) -> None:
    for p in (cache / "lucene").glob(pattern):
        p.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tb-dash-bench-"))
    try:
        print(f"{'median wall time, ms':24} {'cold':>8} {'no Lucene cache':>16} {'classes only':>13} {'warm':>8}")
        for command in ("validate", "render"):
            times: dict[str, list[float]] = {"cold": [], "before": [], "classes": [], "warm": []}
            cache, out = work / f"{command}-cache", work / f"{command}-out"
            for i in range(args.runs):
                shutil.rmtree(cache, ignore_errors=True)
                times["cold"].append(_run(cache, out / f"c{i}", command))
                _forget(cache, "*")
                times["before"].append(_run(cache, out / f"b{i}", command))
                _forget(cache, "verdict-*")
                times["classes"].append(_run(cache, out / f"v{i}", command))
                times["warm"].append(_run(cache, out / f"w{i}", command))
            m = {k: statistics.median(v) * 1000 for k, v in times.items()}
            print(f"tb-dash {command:16} {m['cold']:8.0f} {m['before']:16.0f} {m['classes']:13.0f} {m['warm']:8.0f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
