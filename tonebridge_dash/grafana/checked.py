"""Validate once: a push checks the dashboards with every rule of validate
before its first write, and remembers that this exact content passed.

The key is a hash of tb-dash's version, the lint modules' modification
times, the settings and every dashboard's JSON; a hit replays the warnings
of that check instead of running it again (about 10 ms per dashboard). A
miss, an unreadable or unwritable cache, is only a full check.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Callable, Sequence

from .. import __version__
from ..dashboard import render
from ..dashboard.render import check_all
from ..model import Rendered

DEFAULT_CACHE_DIR = Path("build") / ".cache" / "validated"


def _code_stamp() -> str:
    """When the checks' code last changed (a development checkout keeps its version)."""
    here = Path(render.__file__).parent
    files = sorted(here.rglob("*.py")) + sorted(here.rglob("*.json"))
    return ",".join(f"{p.name}:{p.stat().st_mtime_ns}" for p in files)


def key_of(dashboards: Sequence[Rendered], cfg) -> str:
    h = hashlib.sha256(f"{__version__}|{_code_stamp()}|{cfg!r}".encode())
    for r in dashboards:
        h.update(b"\0" + (r.source or "").encode() + b"\0")
        h.update(json.dumps(r.data, separators=(",", ":"), ensure_ascii=False).encode())
    return h.hexdigest()


def check_once(dashboards: Sequence[Rendered], cfg, warn: Callable[[str], None] | None,
               cache_dir: Path | None) -> None:
    """``check_all``, skipped (its warnings replayed) when the same
    dashboards passed it with the same settings and code before."""
    if cache_dir is None:
        return check_all(dashboards, cfg, warn)
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
    check_all(dashboards, cfg, said.append)
    for w in said if warn is not None else ():
        warn(w)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(said), encoding="utf-8")
        tmp.replace(path)
    except OSError:
        pass
    return None
