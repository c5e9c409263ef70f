"""The one rendering path: build -> normalize -> check -> encode -> write.

``build_all`` builds every dashboard the content defines (the modules of the
package named by ``content.dashboards`` that have ``build(cfg)``), turns
grafanalib's output into the current Grafana model and, unless asked not to
(``validate`` reports every problem instead of stopping at the first),
checks it: uid, title, Grafana's JSON Schemas, one uid per dashboard.
``write_dashboards`` writes one ``<uid>.json`` per dashboard with the
project's file output (sorted keys, all or nothing, synced to disk,
unchanged files left alone). ``iter_dir`` and ``load_dir`` read them back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from ..content import discover
from ..errors import RenderError, TbDashError  # noqa: F401 (RenderError: raised here, named by callers)
from ..model import HOUSE, UID_RE, Rendered, check_profile, is_resource, non_finite
from ..files.write import encode_json, write_files
from .files import iter_dir, load_dir, read_file  # noqa: F401 (files render wrote, read back)
from .normalize import normalize_built, plain  # noqa: F401 (plain: named by callers)
from .schema import validate_dashboard


# What ``problem_of`` and ``shared_uid`` say first, in their own words.
CHECKED_FIRST = ("schema", "uid-format", "uid-unique")


def build_one(build, cfg, source: str = "", check: bool = True) -> Rendered:
    """Build and normalize one dashboard; with ``check``, refuse it when it
    could not be saved to Grafana as it is."""
    rendered = Rendered.of(normalize_built(build(cfg), cfg.dashboards.schema_version), source)
    if check:
        check_all([rendered])
    return rendered


def build_all(cfg, check: bool = True) -> list[Rendered]:
    """Every dashboard of the content, sorted by uid; with ``check``, all of
    them valid for Grafana (``check_all``; ``lint.gate`` checks every lint
    rule too)."""
    out = [_profiled(build_one(m.fn, cfg, m.module, check=False), m.module)
           for m in discover(cfg.content.dashboards, "build", "content.dashboards")]
    if check:
        check_all(out)
    return sorted(out, key=lambda r: r.uid)


def _profiled(r: Rendered, module: str) -> Rendered:
    """The dashboard with its module's lint profile: ``LINT_PROFILE =
    "grafana"`` (what ``tb-dash import`` writes) checks it as any dashboard
    Grafana loads; without it the module answers to the house profile."""
    import dataclasses
    import sys

    profile = getattr(sys.modules.get(module), "LINT_PROFILE", HOUSE)
    profile = profile if isinstance(profile, str) else repr(profile)
    return dataclasses.replace(r, profile=check_profile(profile, f"{module}.LINT_PROFILE"))


def problem_of(r: Rendered) -> str | None:
    """What keeps one dashboard from being saved to Grafana as it is: its uid,
    its title, or Grafana's schema; None when there is nothing."""
    where = r.source or r.uid
    uid = r.uid if is_resource(r.data) else r.data.get("uid")
    if not isinstance(uid, str) or not UID_RE.match(uid):
        return (f"{where}: uid {uid!r} is not valid for Grafana "
                "(1-40 characters of a-z, A-Z, 0-9, _ and -)")
    if not r.title.strip():
        return f"{where}: dashboard '{r.uid}' has an empty title"
    for path, value in non_finite(r.data):
        return f"{where}: dashboard '{r.uid}': {path} is {value}, which JSON cannot hold (a number must be finite)"
    if is_resource(r.data):  # a v2 dashboard: Grafana's v2 schema and its element references
        from .v2 import validate_v2

        issues = validate_v2(r.data)
    else:
        issues = validate_dashboard(r.data, lenient=r.profile == "grafana")
    if issues:
        more = f" (and {len(issues) - 1} more; run 'tb-dash validate')" if len(issues) > 1 else ""
        return f"{where}: dashboard '{r.uid}' does not match Grafana's schema: {issues[0]}{more}"
    return None


def shared_uid(dashboards: Sequence[Rendered]) -> str | None:
    seen: dict[str, str] = {}
    for r in dashboards:
        where = r.source or r.uid
        if r.uid in seen:
            return f"uid '{r.uid}' is used by both {seen[r.uid]} and {where}"
        seen[r.uid] = where
    return None


def check_all(dashboards: Sequence[Rendered]) -> None:
    """What keeps the dashboards from being saved to Grafana as they are
    (``problem_of``, one uid per dashboard): raises ``RenderError`` naming
    the first problem."""
    for r in dashboards:
        problem = problem_of(r)
        if problem:
            raise RenderError(problem)
    problem = shared_uid(dashboards)
    if problem:
        raise RenderError(problem)


def write_dashboards(rendered: Sequence[Rendered], out_dir: Path) -> list[Path]:
    """Write each dashboard to ``out_dir/<uid>.json``; unchanged files are not
    rewritten. Returns the paths written or confirmed."""
    return write_files(out_dir, ((r.filename, encode_json(r.data, f"dashboard '{r.uid}'")) for r in rendered))

