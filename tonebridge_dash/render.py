"""The one rendering path: build -> normalize -> validate -> encode -> write.

``render_all`` builds every discovered dashboard from the settings, turns
grafanalib's output into the current Grafana model, checks it against
Grafana's JSON Schemas, and returns it in memory. ``encode`` gives the bytes
on disk (sorted keys, 2-space indent, trailing newline), so the same input
always gives the same bytes; ``write_all`` writes one ``<uid>.json`` per
dashboard through a temporary file and a rename.
"""

from __future__ import annotations

import itertools
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

from .errors import TbDashError, UsageError
from .normalize import normalize
from .registry import DEFAULT_PACKAGE, discover
from .schema import validate_dashboard

DEFAULT_OUT = Path("build") / "dashboards"
UID_RE = re.compile(r"^[a-zA-Z0-9_-]{1,40}$")
_tmp_names = itertools.count()  # unique temporary names within this process


class RenderError(TbDashError):
    """A dashboard failed to build or does not match Grafana's schema."""


class OutputError(TbDashError):
    """A file could not be written (a read-only or missing location)."""


@dataclass(frozen=True)
class Rendered:
    uid: str
    title: str
    data: dict  # the Grafana dashboard JSON
    source: str = ""  # the module or file it came from

    @property
    def filename(self) -> str:
        return f"{self.uid}.json"

    def panels(self) -> list[dict]:
        return list(iter_panels(self.data))


def iter_panels(data: dict) -> Iterable[dict]:
    """Every panel, rows and panels inside collapsed rows included."""
    for p in data.get("panels") or []:
        yield p
        yield from p.get("panels") or []


def plain(obj: Any) -> Any:
    """grafanalib objects -> plain JSON values (what its encoder does, without
    a round trip through a string)."""
    while hasattr(obj, "to_json_data"):
        obj = obj.to_json_data()
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    return obj


def build_one(build, cfg, source: str = "") -> Rendered:
    """Build, normalize and validate one dashboard."""
    data = normalize(plain(build(cfg)), cfg.dashboards.schema_version)
    rendered = Rendered(str(data.get("uid", "")), str(data.get("title", "")), data, source)
    problem = problem_of(rendered)
    if problem:
        raise RenderError(problem)
    return rendered


def problem_of(r: Rendered) -> str | None:
    """What keeps one dashboard from being saved to Grafana as it is: its uid,
    its title, or Grafana's schema; None when there is nothing."""
    where = r.source or r.uid
    uid = r.data.get("uid")
    if not isinstance(uid, str) or not UID_RE.match(uid):
        return (f"{where}: uid {uid!r} is not valid for Grafana "
                "(1-40 characters of a-z, A-Z, 0-9, _ and -)")
    if not r.title.strip():
        return f"{where}: dashboard '{r.uid}' has an empty title"
    issues = validate_dashboard(r.data)
    if issues:
        more = f" (and {len(issues) - 1} more; run 'tb-dash validate')" if len(issues) > 1 else ""
        return f"{where}: dashboard '{r.uid}' does not match Grafana's schema: {issues[0]}{more}"
    return None


def first_problem(dashboards: Sequence[Rendered]) -> str | None:
    """The first problem of a set of dashboards: one of them (``problem_of``),
    or a uid that two of them share."""
    for r in dashboards:
        problem = problem_of(r)
        if problem:
            return problem
    return shared_uid(dashboards)


def shared_uid(dashboards: Sequence[Rendered]) -> str | None:
    seen: dict[str, str] = {}
    for r in dashboards:
        where = r.source or r.uid
        if r.uid in seen:
            return f"uid '{r.uid}' is used by both {seen[r.uid]} and {where}"
        seen[r.uid] = where
    return None


def render_all(cfg, package: str = DEFAULT_PACKAGE) -> list[Rendered]:
    """Every dashboard of ``package``, rendered and validated, sorted by uid."""
    out = [build_one(m.build, cfg, m.module) for m in discover(package)]
    problem = shared_uid(out)  # each one is valid; only a shared uid is left to find
    if problem:
        raise RenderError(problem)
    return sorted(out, key=lambda r: r.uid)


def encode(data: dict) -> bytes:
    return (json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def write_atomic(path: Path, content: bytes, mode: int = 0o644) -> None:
    """Write ``content`` to ``path`` so that readers see the old file or the
    new one, never half of it. The file is created with ``mode`` (less the
    umask): 0o600 for a file holding secrets is never readable by others,
    not even for a moment."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{next(_tmp_names)}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except OSError as e:
        raise OutputError(f"{path}: cannot write ({e.strerror or e.__class__.__name__})") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_all(rendered: Sequence[Rendered], out_dir: Path) -> list[Path]:
    """Write each dashboard to ``out_dir/<uid>.json``; unchanged files are not
    rewritten. Returns the paths written or confirmed."""
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"{out_dir}: exists and is not a directory")
    paths = []
    for r in rendered:
        path = out_dir / r.filename
        content = encode(r.data)
        try:
            same = path.read_bytes() == content
        except OSError:
            same = False
        if not same:
            write_atomic(path, content)
        paths.append(path)
    return paths


def load_dir(path: Path) -> list[Rendered]:
    """Rendered dashboards from a directory of ``*.json`` files (for example
    the artifact a CI job reviewed)."""
    if not path.is_dir():
        raise UsageError(f"{path}: not a directory of dashboard JSON files")
    out = []
    for f in sorted(path.glob("*.json")):
        try:
            data = json.loads(f.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise UsageError(f"{f}: not valid JSON ({e})") from None
        if not isinstance(data, dict):
            raise UsageError(f"{f}: expected a dashboard JSON object")
        out.append(Rendered(str(data.get("uid", "")), str(data.get("title", "")), data, str(f)))
    if not out:
        raise UsageError(f"{path}: no *.json dashboards found")
    return out
