"""Benchmark: tb-dash render beside raw grafanalib, and --help start-up.

Not a test: prints figures side by side with their baseline, medians of
several runs, so a reader can judge the targets:

- render (build + normalize + schema validation + encode) per dashboard at
  most 1.2x raw grafanalib (build + json.dumps of the same dashboard);
- ``tb-dash --help`` at most 1.2x ``python -c "import typer"``.

The machine may be busy: the two sides of a ratio run in turns (grafanalib,
tb-dash, tb-dash with its writes, and again), so a burst of load falls on
both, and each figure is the median of its runs.

Run: python bench/bench_render.py [--runs 5] [--sizes 1,10,100,1000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import attr
from grafanalib._gen import DashboardEncoder

from tonebridge_dash.content import discover
from tonebridge_dash.files.write import encode_json as encode
from tonebridge_dash.dashboard.render import build_one, write_dashboards
from tonebridge_dash.settings import from_mapping


def generated_builders(n: int):
    """``n`` distinct dashboards: the project's dashboards, cycled, each with
    its own uid and title."""
    modules = discover(from_mapping({}).content.dashboards, "build")

    def make(i: int):
        module = modules[i % len(modules)]

        def build(cfg):
            d = module.fn(cfg)
            return attr.evolve(d, uid=f"bench-{i:05d}", title=f"{d.title} #{i}")
        return build

    return [make(i) for i in range(n)]


def raw_grafanalib(builders, cfg) -> None:
    for build in builders:
        json.dumps(build(cfg).to_json_data(), cls=DashboardEncoder, sort_keys=True, indent=2)


def tb_dash_render(builders, cfg, out: Path) -> None:
    rendered = [build_one(build, cfg) for build in builders]
    write_dashboards(rendered, out)


def tb_dash_in_memory(builders, cfg) -> None:
    for build in builders:
        encode(build_one(build, cfg).data)


def medians_ms(fns, runs: int) -> list[float]:
    """The median time of each of ``fns``, run in turns ``runs`` times."""
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(runs):
        for fn, spent in zip(fns, times):
            t = time.perf_counter()
            fn()
            spent.append((time.perf_counter() - t) * 1000)
    return [statistics.median(spent) for spent in times]


def startup(argv: list[str]) -> None:
    subprocess.run(argv, check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default="1,10,100,1000")
    args = parser.parse_args()
    cfg = from_mapping({})
    # Warm up once: compiling the schema validators is a per-process cost
    # (reported separately below), not a per-dashboard one.
    t = time.perf_counter()
    tb_dash_in_memory(generated_builders(4), cfg)
    warmup = (time.perf_counter() - t) * 1000

    print(f"first render in a process (compiles the schema validators): {warmup:.0f} ms")
    print(f"{'N':>5} | {'grafanalib ms/dash':>18} | {'tb-dash ms/dash':>15} | {'ratio':>5} | "
          f"{'tb-dash +write ms/dash':>22} | {'ratio':>5}")
    for n in (int(s) for s in args.sizes.split(",")):
        builders = generated_builders(n)
        runs = args.runs if n <= 100 else max(3, args.runs // 2)
        with tempfile.TemporaryDirectory() as tmp:
            # a fresh directory every run, so every file is really written
            counter = iter(range(10**6))
            base, ours, written = (ms / n for ms in medians_ms([
                lambda: raw_grafanalib(builders, cfg),
                lambda: tb_dash_in_memory(builders, cfg),
                lambda: tb_dash_render(builders, cfg, Path(tmp) / str(next(counter)))], runs))
        print(f"{n:>5} | {base:>18.2f} | {ours:>15.2f} | {ours / base:>5.2f} | {written:>22.2f} | "
              f"{written / base:>5.2f}")

    runs = max(args.runs, 7)
    script = Path(sys.executable).with_name("tb-dash")  # the installed console script
    help_argv = [str(script), "--help"] if script.exists() else [sys.executable, "-m", "tonebridge_dash", "--help"]
    typer_ms, help_ms = medians_ms([lambda: startup([sys.executable, "-c", "import typer"]),
                                    lambda: startup(help_argv)], runs)
    print(f"\nstart-up, median of {runs}: python -c 'import typer' {typer_ms:.0f} ms | "
          f"tb-dash --help {help_ms:.0f} ms | ratio {help_ms / typer_ms:.2f}")


if __name__ == "__main__":
    main()
