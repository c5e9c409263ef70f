"""Benchmark: tb-dash validate DIR on growing inputs, time and peak memory.

Not a test: it shows whether validate stays linear in its input. For each
shape and size it writes a directory of dashboard JSON built from the
project's own dashboards, runs ``tb-dash validate DIR`` in a new process
(the median of ``--runs``), and prints the wall time, the peak resident
memory and both per megabyte of input, side by side; a linear validate
keeps the per-megabyte columns flat as the input grows.

Shapes:

- ``dashboards``: copies of the largest project dashboard, each its own uid;
- ``panels``: one dashboard whose panels are stacked down the grid (the
  overlap rule compared every pair of panels: quadratic);
- ``overlapping``: one dashboard whose panels all share one place (a
  finding per panel, not per pair).

Run: python bench/bench_validate_scale.py [--sizes 1,2,4,8,16] [--shapes dashboards,panels]
     [--runs 3]   (sizes in MB; a single dashboard file may hold at most 16 MiB)

The tb-dash it measures is the one ``python -m tonebridge_dash`` finds from
the current directory: run it from another checkout to compare versions.
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tonebridge_dash.dashboard.render import build_all
from tonebridge_dash.settings import from_mapping

MB = 1_000_000


def _panels(base: dict) -> list[dict]:
    return [p for p in base["panels"] if p.get("type") != "row"]


def _one_dashboard(base: dict, size: int, stacked: bool) -> list[tuple[str, dict]]:
    """One dashboard of about ``size`` bytes, its panels stacked down the
    grid or all in one place."""
    sample = _panels(base)
    per_panel = len(json.dumps(sample)) / len(sample)
    data = copy.deepcopy(base)
    data["panels"] = []
    for i in range(max(int(size / per_panel), 1)):
        p = copy.deepcopy(sample[i % len(sample)])
        p["id"] = i + 1
        p["gridPos"] = {"x": 0, "y": 8 * i if stacked else 0, "w": 12, "h": 8}
        data["panels"].append(p)
    return [(data["uid"], data)]


def _copies(base: dict, size: int) -> list[tuple[str, dict]]:
    one = len(json.dumps(base))
    out = []
    for i in range(max(size // one, 1)):
        d = copy.deepcopy(base)
        d["uid"], d["title"] = f"copy-{i}", f"Copy {i}"
        out.append((d["uid"], d))
    return out


SHAPES = {
    "dashboards": _copies,
    "panels": lambda base, size: _one_dashboard(base, size, stacked=True),
    "overlapping": lambda base, size: _one_dashboard(base, size, stacked=False),
}


# A small process starts each validate and reports its peak memory: Linux
# carries a parent's peak over to a child it forks, and this script's own
# memory (the inputs it builds) would hide validate's.
_LAUNCHER = ("import os, subprocess, sys\n"
             "p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
             "_, status, usage = os.wait4(p.pid, 0)\n"
             "print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)\n")


def _run(directory: Path) -> tuple[float, float, int]:
    """Wall seconds, peak resident MB and exit code of one validate."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _LAUNCHER, sys.executable, "-m", "tonebridge_dash", "validate",
                           str(directory), "--format", "json"], capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - started
    code, peak_kb = map(int, done.stdout.split())
    return seconds, peak_kb / 1024, code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,2,4,8,16", help="input sizes in MB, comma-separated")
    parser.add_argument("--shapes", default=",".join(SHAPES), help=f"of {', '.join(SHAPES)}")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    cfg = from_mapping({})
    base = max((r.data for r in build_all(cfg)), key=lambda d: len(json.dumps(d)))
    print(f"{'shape':<12} {'input MB':>8} {'files':>6} {'exit':>4} {'seconds':>8} {'peak MB':>8} "
          f"{'s/MB':>6} {'peak/MB':>8}")
    for shape in args.shapes.split(","):
        for size in (float(s) for s in args.sizes.split(",")):
            with tempfile.TemporaryDirectory(prefix="tb-dash-bench-") as tmp:
                directory = Path(tmp)
                for uid, data in SHAPES[shape](base, int(size * MB)):
                    (directory / f"{uid}.json").write_text(json.dumps(data))
                files = list(directory.iterdir())
                actual = sum(f.stat().st_size for f in files) / MB
                runs = [_run(directory) for _ in range(args.runs)]
            seconds = statistics.median(r[0] for r in runs)
            peak = statistics.median(r[1] for r in runs)
            print(f"{shape:<12} {actual:8.1f} {len(files):6d} {runs[0][2]:4d} {seconds:8.2f} {peak:8.0f} "
                  f"{seconds / actual:6.2f} {peak / actual:8.0f}", flush=True)


if __name__ == "__main__":
    main()
