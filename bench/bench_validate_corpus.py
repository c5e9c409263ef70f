"""Validate 60 real dashboards (the corpus of tests/dashboards_corpus/,
copied under distinct uids) in a new process, as a user runs it, and print
side by side in one run the medians of

- ``tb-dash``: as it runs by default (compiled schemas from the cache,
  one worker process per core);
- ``one process``: TB_DASH_WORKERS=1;
- ``no cache, one process``: TB_DASH_CACHE_DIR=off as well, what every run
  cost before the cache and the workers (the schemas compiled each time).

Run: python bench/bench_validate_corpus.py [--runs N] [--format text|json]
The budget is 2 s for the default.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "dashboards_corpus"
TB_DASH = Path(sys.executable).with_name("tb-dash")
BUDGET = 2.0


def main() -> int:
    runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 5
    fmt = sys.argv[sys.argv.index("--format") + 1] if "--format" in sys.argv else "json"
    files = sorted(CORPUS.glob("*.json"))
    # The package's bytecode, as a regular install writes it (pip compiles what it
    # installs; an editable install is compiled on first import, unless
    # PYTHONDONTWRITEBYTECODE is set, and then on every run).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "tonebridge_dash")], check=True)
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "dashboards"
        corpus.mkdir()
        for i in range(60):
            data = json.loads(files[i % len(files)].read_text())
            data["uid"] = f"bench-{i}"
            (corpus / f"d{i:02}.json").write_text(json.dumps(data))
        cache = str(Path(tmp) / "cache")
        variants = {"tb-dash": {"TB_DASH_CACHE_DIR": cache},
                    "one process": {"TB_DASH_CACHE_DIR": cache, "TB_DASH_WORKERS": "1"},
                    "no cache, one process": {"TB_DASH_CACHE_DIR": "off", "TB_DASH_WORKERS": "1"}}
        subprocess.run([str(TB_DASH), "validate", str(corpus)], capture_output=True,
                       env={**os.environ, "TB_DASH_CACHE_DIR": cache})  # fills the cache once
        times: dict[str, list[float]] = {name: [] for name in variants}
        summary = {}
        for _ in range(runs):
            for name, env in variants.items():  # interleaved: the machine's noise falls on each alike
                started = time.perf_counter()
                done = subprocess.run([str(TB_DASH), "validate", str(corpus), "--format", fmt],
                                      capture_output=True, text=True, env={**os.environ, **env})
                times[name].append(time.perf_counter() - started)
                if fmt == "json":
                    summary = json.loads(done.stdout)
    if summary:
        print(f"{summary['dashboards']} dashboards: {summary['errors']} errors, {summary['warnings']} warnings "
              f"({fmt} report), {os.cpu_count()} cores, median of {runs} runs")
    base = statistics.median(times["no cache, one process"])
    print(f"{'variant':<24} {'median':>7} {'min':>6} {'max':>6} {'ratio':>6}")
    for name, t in times.items():
        print(f"{name:<24} {statistics.median(t):>6.2f}s {min(t):>5.2f}s {max(t):>5.2f}s "
              f"{statistics.median(t) / base:>6.2f}")
    met = statistics.median(times["tb-dash"]) < BUDGET
    print(f"tb-dash: {statistics.median(times['tb-dash']):.2f} s (budget {BUDGET} s): {'met' if met else 'NOT MET'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
