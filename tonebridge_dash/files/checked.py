"""Validate once: a push checks the dashboards with every rule of validate
before its first write, and remembers that this exact content passed.

The key is a hash of tb-dash's version, the lint modules' modification
times, the settings and every dashboard's JSON (a file's bytes as read);
a hit replays the warnings of that check instead of running it again
(about 10 ms per dashboard). A miss, an unreadable or unwritable cache, is
only a full check.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Callable, Sequence

from .. import __version__
from ..model import Rendered

DEFAULT_CACHE_DIR = Path("build") / ".cache" / "validated"


def _code_stamp() -> str:
    """When the checks' code last changed (a development checkout keeps its version)."""
    engine = Path(__file__).parent.parent
    files = [p for here in (engine / "dashboard", engine / "lint", engine / "schemas" / "grafana")  # render's and lint's
             for p in sorted(here.rglob("*.py")) + sorted(here.rglob("*.json"))]
    return ",".join(f"{p.name}:{p.stat().st_mtime_ns}" for p in files)


def key_of(dashboards: Sequence[Rendered], cfg) -> str:
    h = hashlib.sha256(f"{__version__}|{_code_stamp()}|{cfg!r}".encode())
    for r in dashboards:
        h.update(b"\0" + (r.source or "").encode() + b"\0")
        # A file's bytes say what it holds (hashed as it was read); built ones are encoded.
        h.update(f"file:{r.digest}".encode() if r.digest
                 else json.dumps(r.data, separators=(",", ":"), ensure_ascii=False).encode())
    return h.hexdigest()


def check_once(dashboards: Sequence[Rendered], cfg, warn: Callable[[str], None] | None,
               cache_dir: Path | None, gate: Callable) -> None:
    """``gate(dashboards, cfg, warn)`` (``lint.gate``), skipped (its warnings
    replayed) when the same dashboards passed it with the same settings and
    code before."""
    if cache_dir is None:
        return gate(dashboards, cfg, warn)
    key = key_of(dashboards, cfg)
    path = cache_dir / key[:40]
    try:
        warnings = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(warnings, list) and all(isinstance(w, str) for w in warnings):
            for w in warnings if warn is not None else ():
                warn(w)
            return None
    except (OSError, ValueError):
        pass
    said: list[str] = []
    gate(dashboards, cfg, said.append)
    for w in said if warn is not None else ():
        warn(w)
    _store(cache_dir, key, said)
    return None


def _store(cache_dir: Path, key: str, warnings: list[str]) -> None:
    path = cache_dir / key[:40]
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(warnings), encoding="utf-8")
        tmp.replace(path)
    except OSError:
        pass


def remember(out: Path, files: Sequence[tuple[str, bytes]], cfg, warnings: list[str],
             cache_dir: Path = DEFAULT_CACHE_DIR) -> None:
    """Render checked what it wrote with the same rules, so ``push --from
    OUT`` need not again: the check is recorded under the key those files
    will have when push reads them (each file's path and bytes, in the
    order push reads them). A push that reads anything else misses."""
    loaded = [Rendered("", "", {}, str(out / name), digest=hashlib.sha256(content).hexdigest())
              for name, content in sorted(files, key=lambda f: str(out / f[0]))]
    _store(cache_dir, key_of(loaded, cfg), list(warnings))
