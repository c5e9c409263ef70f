"""Validate 60 real dashboards (the corpus of tests/dashboards_corpus/,
copied under distinct uids) in a new process, as a user runs it:
``python bench/bench_validate_corpus.py [--runs N]`` prints each run and
the median (the budget is 2 s)."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "dashboards_corpus"
TB_DASH = Path(sys.executable).with_name("tb-dash")


def main() -> None:
    runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 5
    files = sorted(CORPUS.glob("*.json"))
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(60):
            data = json.loads(files[i % len(files)].read_text())
            data["uid"] = f"bench-{i}"
            (Path(tmp) / f"d{i:02}.json").write_text(json.dumps(data))
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            done = subprocess.run([str(TB_DASH), "validate", tmp, "--format", "json"], capture_output=True, text=True)
            times.append(time.perf_counter() - started)
            summary = json.loads(done.stdout)
            print(f"{times[-1]:.2f} s  ({summary['dashboards']} dashboards, {summary['errors']} errors, "
                  f"{summary['warnings']} warnings)")
    print(f"median {statistics.median(times):.2f} s over {runs} runs (budget 2 s)")


if __name__ == "__main__":
    main()
