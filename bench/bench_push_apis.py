"""Benchmark: a no-op push of 150 dashboards through Grafana's /apis, with
40 ms of latency on every request of the emulator.

Not a test: prints, side by side in one run, the medians of

- ``apis``: what ``tb-dash push --from DIR --api apis`` does in-process:
  the settings; discovery of /apis, then health, folder and the paginated
  list, under way while the rendered files are read (``grafana.
  connecting.Connecting``); validate (a cache hit after the first run: the same
  content was validated before); compare; 0 writes;
- ``legacy``: the same through the legacy /api (a read and a version
  lookup per changed dashboard, a read per dashboard);
- ``cli``: the real command in a new process (start-up included), to the
  same folder (a tb-dash.yaml beside it says so);
- ``bare``: the least a client in a new process can do: list every
  dashboard page by page with requests, read the files, compare the specs
  (no settings, no checks, no report): the floor the command stands on;
- ``baseline``: a one-request-at-a-time client reading each dashboard
  (150 requests in a row, measured once);

and the ratio of each to the baseline (target for /apis: <= 0.1).

Run: python bench/bench_push_apis.py [--runs 5] [--dashboards 150] [--latency 0.04]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from types import SimpleNamespace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from grafana_emulator import GrafanaEmulator  # noqa: E402

from tonebridge_dash.grafana.connecting import Connecting  # noqa: E402
from tonebridge_dash.dashboard.render import build_all, load_dir  # noqa: E402
from tonebridge_dash.grafana import GrafanaClient, TokenAuth  # noqa: E402
from tonebridge_dash.grafana.push import push  # noqa: E402
from tonebridge_dash.settings import from_mapping  # noqa: E402

TOKEN = "bench-token"
TARGET = 0.1


def write_dashboards(n: int, directory: Path) -> None:
    """``n`` distinct rendered dashboards: the project's own, cycled."""
    base = build_all(from_mapping({}))
    for i in range(n):
        r = base[i % len(base)]
        uid = f"bench-{i:04d}"
        data = {**r.data, "uid": uid, "title": f"{r.title} #{i}"}
        (directory / f"{uid}.json").write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


class _Target:
    """What ``Connecting`` asks of the command line's Grafana target."""

    def __init__(self, url: str, api: str) -> None:
        self.url, self.api = url, SimpleNamespace(value=api)

    def connect(self, cfg):
        client = GrafanaClient(self.url, auth=TokenAuth(TOKEN))
        return SimpleNamespace(folder=SimpleNamespace(uid="bench", title="Bench")), client


def in_process(emu: GrafanaEmulator, directory: Path, cache: Path, api: str) -> tuple[float, int, int]:
    """As the command does it: connecting and the first reads under way
    while the files are read."""
    emu.reset_counts()
    t = time.perf_counter()
    cfg = from_mapping({})
    target = _Target(emu.url, api)
    connecting = Connecting(lambda: target.connect(cfg), api)
    connecting.started.wait(10)
    items = load_dir(directory)
    _, client = connecting.result()
    with client:
        report = push(client, items, folder_uid="bench", folder_title="Bench", revision="bench", cfg=cfg,
                      warn=lambda _: None, cache_dir=cache, early=connecting.early)
    elapsed = time.perf_counter() - t
    assert report.exit_code == 0, [o.detail for o in report.outcomes if o.detail][:3]
    return elapsed, emu.writes(), emu.total_requests()


def cli(emu: GrafanaEmulator, directory: Path, cwd: Path) -> tuple[float, int, int]:
    """The command, in the folder the pushes above used (``cwd``'s
    tb-dash.yaml says so): a no-op too."""
    env = {**os.environ, "GRAFANA_TOKEN": TOKEN, "NO_COLOR": "1"}
    exe = Path(sys.executable).with_name("tb-dash")
    emu.reset_counts()
    t = time.perf_counter()
    r = subprocess.run([str(exe), "push", "--grafana-url", emu.url, "--from", str(directory), "--api", "apis"],
                       cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - t
    assert r.returncode == 0, r.stderr[-500:]
    return elapsed, emu.writes(), emu.total_requests()


BARE = r"""
import json, sys
from pathlib import Path
import requests
url, directory = sys.argv[1], Path(sys.argv[2])
s = requests.Session()
s.headers["Authorization"] = "Bearer " + sys.argv[3]
path = url + "/apis/dashboard.grafana.app/v1beta1/namespaces/default/dashboards"
live, token = {}, ""
while True:
    body = s.get(path, params={"limit": 500, **({"continue": token} if token else {})}).json()
    live.update((i["metadata"]["name"], i["spec"]) for i in body["items"])
    token = body["metadata"].get("continue")
    if not token:
        break
changed = 0
for f in sorted(directory.glob("*.json")):
    d = json.loads(f.read_bytes())
    spec = live.get(d["uid"])
    changed += spec is None or spec != {k: v for k, v in d.items() if k not in ("id", "version", "uid")}
sys.exit(changed)
"""


def bare(emu: GrafanaEmulator, directory: Path) -> tuple[float, int, int]:
    """``BARE`` in a new process: lists, reads, compares; all unchanged."""
    emu.reset_counts()
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", BARE, emu.url, str(directory), TOKEN], capture_output=True, text=True)
    elapsed = time.perf_counter() - t
    assert r.returncode == 0, (r.returncode, r.stderr[-500:])
    return elapsed, emu.writes(), emu.total_requests()


def baseline(emu: GrafanaEmulator, uids: list[str]) -> float:
    """One request at a time: each dashboard read in turn."""
    with GrafanaClient(emu.url, auth=TokenAuth(TOKEN)) as c:
        t = time.perf_counter()
        for uid in uids:
            c.get_dashboard(uid)
        return time.perf_counter() - t


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--dashboards", type=int, default=150)
    p.add_argument("--latency", type=float, default=0.04, help="seconds added to every request")
    a = p.parse_args()
    # The package's bytecode, as a regular install writes it (pip compiles what it
    # installs; an editable install is compiled on first import, unless
    # PYTHONDONTWRITEBYTECODE is set, and then on every run).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "tonebridge_dash")], check=True)
    with tempfile.TemporaryDirectory() as tmp, GrafanaEmulator(token=TOKEN) as emu:
        work = Path(tmp)
        os.environ["TB_DASH_CACHE_DIR"] = str(work / "cache")  # compiled schemas: this run's own
        directory = work / "dashboards"
        directory.mkdir()
        write_dashboards(a.dashboards, directory)
        cache = work / "build" / ".cache" / "validated"
        in_process(emu, directory, cache, "apis")  # the first push: creates them, validates once
        emu.latency = a.latency
        base = baseline(emu, [f"bench-{i:04d}" for i in range(a.dashboards)])
        rows = {}
        for api in ("apis", "legacy"):
            runs = [in_process(emu, directory, cache, api) for _ in range(a.runs)]
            rows[api] = ([r[0] for r in runs], runs[-1][1], runs[-1][2])
        (work / "build").mkdir(exist_ok=True)
        (work / "tb-dash.yaml").write_text("grafana:\n  folder: {uid: bench, title: Bench}\n")
        cli(emu, directory, work)  # its settings' first check, recorded
        # The emulator answers in this process: what the runs above left here is
        # set aside from the collector, so that it does not slow the answers.
        gc.collect()
        gc.freeze()
        # Taken in turns: this machine's speed drifts, and the two are compared.
        pairs = [(cli(emu, directory, work), bare(emu, directory)) for _ in range(a.runs)]
        rows["cli"] = ([p[0][0] for p in pairs], max(p[0][1] for p in pairs), pairs[-1][0][2])
        rows["bare"] = ([p[1][0] for p in pairs], 0, pairs[-1][1][2])
    print(f"{a.dashboards} dashboards, {a.latency * 1000:.0f} ms per request, no-op push, "
          f"median of {a.runs} runs; baseline (one request at a time, measured): {base:.3f}s")
    print(f"{'path':<8} {'median':>8} {'min':>7} {'max':>7} {'requests':>8} {'writes':>6} {'ratio':>6}")
    for name, (times, writes, requests) in rows.items():
        med = statistics.median(times)
        print(f"{name:<8} {med:>7.3f}s {min(times):>6.3f}s {max(times):>6.3f}s "
              f"{requests if requests is not None else '-':>8} {writes:>6} {med / base:>6.3f}")
    met = True
    for name in ("apis", "cli"):
        ratio = statistics.median(rows[name][0]) / base
        ok = ratio <= TARGET and rows[name][1] == 0
        met = met and ok
        print(f"{name}: {ratio:.3f}x the baseline (target <= {TARGET}, 0 writes): {'met' if ok else 'NOT MET'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
