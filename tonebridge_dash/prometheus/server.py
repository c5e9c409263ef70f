"""A throwaway Prometheus over synthetic traffic.

``SyntheticPrometheus`` writes the OpenMetrics file (``synthetic``) from a
traffic profile (``profile``, or the content's: ``content.traffic``),
backfills it with ``promtool tsdb create-blocks-from openmetrics`` into a
temporary TSDB, starts ``prometheus`` on 127.0.0.1 over it with no scrape
targets, waits until it is ready and stops it on exit::

    with SyntheticPrometheus() as prom:
        check(..., url=prom.url, at=prom.end)

With ``rule_files`` (or ``cfg``: the project's own rule files), the
recording rules in them are backfilled too
(``promtool tsdb create-blocks-from rules`` against the running server, then
a restart so that Prometheus loads the new blocks; a second pass when a
rule reads another rule's recorded series).

Backfilled blocks are loaded when Prometheus opens its TSDB, so they are
queryable once ``/-/ready`` answers. Prometheus looks back 5 minutes for an
instant query: ask at ``prom.end`` (the last sample), not at "now".
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import yaml

from ..errors import TbDashError
from . import exporter, lifetime, synthetic

_CONFIG = """\
# No scrape targets: every series comes from the backfilled blocks.
global:
  scrape_interval: 15s
scrape_configs: []
"""

# Live: the backfilled history, then a synthetic exporter scraped every step
# (its series keep their own job and instance), the rules evaluated as they
# would be in production.
_LIVE_CONFIG = """\
global:
  scrape_interval: {step}s
  evaluation_interval: {step}s
rule_files: [{rules}]
scrape_configs:
  - job_name: tb-dash-demo
    honor_labels: true
    static_configs: [{{targets: ["{target}"]}}]
"""


WORKDIR_PREFIX = "tb-dash-prometheus-"


class PrometheusSetupError(TbDashError):
    """promtool or prometheus is missing or failed."""


def find_binary(name: str) -> str | None:
    return shutil.which(name)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def backfill(openmetrics: Path, tsdb: Path, promtool: str = "promtool") -> None:
    """Turn an OpenMetrics file into TSDB blocks under ``tsdb``."""
    tsdb.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics", "-q", str(openmetrics), str(tsdb)],
                          capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise PrometheusSetupError(f"promtool could not backfill {openmetrics}: {last[0]}")


@dataclass
class SyntheticPrometheus:
    """Context manager: a ready Prometheus serving synthetic traffic."""

    duration: int = 3 * 3600
    step: int = 30
    seed: int = 0
    end: int | None = None  # unix seconds of the last sample; default now
    start: int | None = None  # set on start: the first sample
    prometheus: str = "prometheus"
    promtool: str = "promtool"
    startup_timeout: float = 60.0
    rule_files: Sequence[Path] = field(default_factory=tuple)  # recording rules to backfill
    cfg: object = None  # with settings, the content's traffic profile and rule files (tb-dash rules)
    profile: synthetic.Profile | None = None  # the traffic; default the content's (cfg.content.traffic)
    port: int | None = None  # on 127.0.0.1; default a free one
    live: bool = False  # go on producing data after the history: a scraped synthetic exporter
    progress: Callable[[str], None] | None = None  # told each step while it prepares

    url: str = ""
    workdir: Path | None = None
    samples: int = 0
    _process: subprocess.Popen | None = field(default=None, repr=False)
    _log: object = field(default=None, repr=False)
    _port: int = field(default=0, repr=False)
    _exporter: object = field(default=None, repr=False)

    def __enter__(self) -> "SyntheticPrometheus":
        for binary in (self.prometheus, self.promtool):
            if find_binary(binary) is None:
                raise PrometheusSetupError(f"'{binary}' not found on PATH (Debian: apt-get install prometheus)")
        lifetime.remove_orphans(Path(tempfile.gettempdir()), WORKDIR_PREFIX)  # of a tb-dash that was killed
        self.workdir = Path(tempfile.mkdtemp(prefix=WORKDIR_PREFIX))
        try:
            lifetime.claim(self.workdir)
            self._start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _start(self) -> None:
        assert self.workdir is not None
        w = synthetic.window(self.end, self.duration, self.step)
        self.end = w.end
        self.start = w.start
        data = self.workdir / "synthetic.om"
        profile = self.profile
        if profile is None:
            if self.cfg is None:
                raise PrometheusSetupError("no traffic profile: pass profile= or cfg= (content.traffic)")
            profile = synthetic.load_profile(self.cfg.content.traffic).moved(self.cfg.sources)
        say = self.progress or (lambda message: None)
        say(f"generating {self.duration / 3600:g}h of synthetic traffic")
        continuation = exporter.Continuation() if self.live else None
        self.samples = synthetic.write(data, w, profile, self.seed, continuation.line if continuation else None)
        tsdb = self.workdir / "tsdb"
        say(f"backfilling {self.samples} samples with promtool")
        backfill(data, tsdb, self.promtool)
        data.unlink()
        config = self.workdir / "prometheus.yml"
        config.write_text(_CONFIG, encoding="utf-8")
        self._port = self.port or free_port()
        self.url = f"http://127.0.0.1:{self._port}"
        self._log = open(self.workdir / "prometheus.log", "wb")
        say("starting Prometheus")
        self._launch(config, tsdb)
        if self.cfg is not None:
            from ..alerting.rules import build_all, write_rule_files

            rules_dir = self.workdir / "rules"
            rules_dir.mkdir()
            self.rule_files = [*self.rule_files, *write_rule_files(build_all(self.cfg), rules_dir)]
        if self.rule_files:
            depth = recording_depth(self.rule_files)
            for n in range(depth):
                say(f"backfilling the recording rules ({n + 1} of {depth})")
                self._backfill_rules(tsdb)
                self._stop()
                self._launch(config, tsdb)
        if continuation is not None:
            say("starting the live synthetic exporter")
            self._exporter = exporter.Exporter(continuation)
            rules = ", ".join(f'"{p}"' for p in self.rule_files)
            config.write_text(_LIVE_CONFIG.format(step=self.step, rules=rules, target=self._exporter.address),
                              encoding="utf-8")
            self._stop()
            self._launch(config, tsdb)

    def _launch(self, config: Path, tsdb: Path) -> None:
        self._process = subprocess.Popen(
            [self.prometheus, f"--config.file={config}", f"--storage.tsdb.path={tsdb}",
             f"--web.listen-address=127.0.0.1:{self._port}",
             # Keep the backfilled blocks, however old the synthetic window is.
             "--storage.tsdb.retention.time=3650d", "--log.level=warn"],
            stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            preexec_fn=lifetime.die_with_parent())  # killed with tb-dash, even by SIGKILL
        lifetime.record_child(self.workdir, self._process.pid)
        self._wait_ready()

    def _backfill_rules(self, tsdb: Path) -> None:
        done = subprocess.run(
            [self.promtool, "tsdb", "create-blocks-from", "rules", "-q", f"--url={self.url}",
             f"--start={self.start}", f"--end={self.end}", f"--output-dir={tsdb}",
             f"--eval-interval={self.step}s", *map(str, self.rule_files)],
            capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            raise PrometheusSetupError(f"promtool could not backfill the recording rules: {last[0]}")

    def _stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
            self._process = None

    def _wait_ready(self) -> None:
        import requests

        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise PrometheusSetupError(f"prometheus exited with status {self._process.returncode}: "
                                           f"{self.log_tail()}")
            try:
                if requests.get(f"{self.url}/-/ready", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise PrometheusSetupError(f"prometheus did not become ready within {self.startup_timeout:g}s: "
                                   f"{self.log_tail()}")

    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def log_tail(self) -> str:
        if self.workdir is None:
            return ""
        try:
            lines = (self.workdir / "prometheus.log").read_text(errors="replace").strip().splitlines()
        except OSError:
            return ""
        return lines[-1] if lines else "(no output)"

    def __exit__(self, *exc) -> None:
        self._stop()
        if self._exporter is not None:
            self._exporter.close()
            self._exporter = None
        if self._log is not None:
            self._log.close()
            self._log = None
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None


def recording_depth(rule_files: Sequence[Path]) -> int:
    """How many backfill passes the recording rules need: 1 when every rule
    reads raw series only, one more for each rule that reads a series another
    rule records (``promtool tsdb create-blocks-from rules`` evaluates each
    rule over the whole range on its own, so a rule sees only the recorded
    series of earlier passes)."""
    exprs: dict[str, list[str]] = {}
    for f in rule_files:
        for group in (yaml.safe_load(Path(f).read_text(encoding="utf-8")) or {}).get("groups") or []:
            for rule in group.get("rules") or []:
                if "record" in rule:
                    exprs.setdefault(str(rule["record"]), []).append(str(rule.get("expr", "")))
    depth: dict[str, int] = {}

    def of(name: str, seen: frozenset = frozenset()) -> int:
        if name not in depth:
            reads = {r for expr in exprs[name] for r in re.findall(r"[a-zA-Z_][\w:]*", expr)
                     if r in exprs and r != name and r not in seen}
            depth[name] = 1 + max((of(r, seen | {name}) for r in reads), default=0)
        return depth[name]

    return max((of(name) for name in exprs), default=0)
