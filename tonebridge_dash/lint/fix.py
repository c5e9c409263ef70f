"""``tb-dash validate DIR --fix``: rewrite dashboard JSON files for the rules
dashboard-linter can fix: ``uneditable-dashboard`` (``editable: false``),
``template-on-time-change-reload`` (query variables ``refresh: 2``) and
``target-rate-interval`` (``rate``/``irate`` over ``[$__rate_interval]``);
with the settings, ``target-es-time-field`` and ``target-es-aggregatable``
(``elastic.fix``: the logs' time field, a terms field's ``.keyword`` twin).
With ``--profile house`` (and the settings) also the house rules that
can be fixed safely: ``template-unused`` (``references.remove_unused``) and
``target-histogram-le`` (``histogram.fix_expr``); a finding the settings or
the ``.lint`` file exclude is not fixed. Only files whose content changes
are rewritten, all or nothing, through the project's file output. The
project's own dashboards are code: their findings say what to change in
the module instead.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable

from ..findings import ERROR, Finding
from ..files.read import DASHBOARD_LIMIT, load_json, read_limited
from ..model import as_list, iter_panels, template_variables
from ..files.write import encode_json, write_files
from ..prometheus import promql
from . import configured, elastic, histogram, lintfile, references
from .view import HOUSE

# (rule, panel title or None, target index or None) -> whether a finding there is excluded
Skip = Callable[[str, "str | None", "int | None"], bool]

FIXABLE = ("uneditable-dashboard", "template-on-time-change-reload", "target-rate-interval", "target-es-time-field",
           "target-es-aggregatable")
HOUSE_FIXABLE = ("template-unused", "target-histogram-le")
# rate(...[5m]) / irate(...[1m]): the range of a rate over a plain selector.
_RATE_RANGE = re.compile(r"(\b(?:rate|irate)\s*\(\s*[^()\[\]]*?)\[\s*[0-9][0-9smhdwy]*\s*\]")


def _never(rule: str, panel: str | None, target: int | None) -> bool:
    return False


def fix_dashboard(data: dict, cfg: Any = None, profile: str | None = None, skip: Skip = _never) -> list[str]:
    """Fix ``data`` in place; what was changed, one line each. The house
    rules' fixes only in the house ``profile``, where ``skip`` says no."""
    changes = _fix_linter(data) + elastic.fix(data, cfg, skip)
    if profile == HOUSE:
        changes.extend(_fix_house(data, configured.of(cfg), skip))
    return changes


def _fix_house(data: dict, rules: configured.RuleSettings, skip: Skip) -> list[str]:
    changes = []
    if not skip("template-unused", None, None):
        changes.extend(references.remove_unused(data, rules.unused_ignore))
    variables = promql.dashboard_variables(data)
    for p in iter_panels(data):
        for i, t in enumerate(as_list(p.get("targets"))):
            if not isinstance(t, dict) or not isinstance(t.get("expr"), str) or \
                    skip("target-histogram-le", str(p.get("title", "")), i):
                continue
            fixed = histogram.fix_expr(t["expr"], variables)
            if fixed is not None:
                t["expr"] = fixed
                changes.append(f"panel '{p.get('title', '')}' target {t.get('refId', '?')}: by (le)")
    return changes


def _fix_linter(data: dict) -> list[str]:
    changes = []
    if data.get("editable", True) is not False:
        data["editable"] = False
        changes.append("editable: false")
    for v in template_variables(data):
        if v.get("type") == "query" and v.get("refresh") != 2:
            v["refresh"] = 2
            changes.append(f"variable '{v.get('name')}': refresh 2")
    for p in iter_panels(data):
        for t in as_list(p.get("targets")):
            if isinstance(t, dict) and isinstance(t.get("expr"), str):
                fixed = _RATE_RANGE.sub(r"\1[$__rate_interval]", t["expr"])
                if fixed != t["expr"]:
                    t["expr"] = fixed
                    changes.append(f"panel '{p.get('title', '')}' target {t.get('refId', '?')}: [$__rate_interval]")
    return changes


def _skip(cfg: Any, lint: lintfile.LintFile | None, uid: str, title: str) -> Skip:
    """Whether the settings' exclusions or the ``.lint`` file exclude a finding of ``rule`` there."""
    from . import _excluded_by

    exclusions = tuple(getattr(cfg, "exclusions", ()) or ())

    def skip(rule: str, panel: str | None, target: int | None) -> bool:
        if _excluded_by(Finding(ERROR, rule, uid, panel or "", "", target=target), exclusions) is not None:
            return True
        return lint is not None and lint.excluded(rule, title, panel, target) is not None \
            and not lint.downgraded(rule, title, panel, target)

    return skip


def fix_dir(directory: Path, cfg: Any = None, profile: str | None = None) -> list[tuple[Path, list[str]]]:
    """Fix every ``*.json`` dashboard of ``directory`` (or the one file
    ``directory`` names); the files changed and how. ``cfg`` and
    ``profile``: see ``fix_dashboard``."""
    out, writes = [], []
    files = [directory] if directory.is_file() else sorted(directory.glob("*.json"))
    if directory.is_file():
        directory = directory.parent
    lint = None
    if profile == HOUSE:
        from .rules import RULE_NAMES

        configured.of(cfg)  # a bad regex in the settings: an error before any file changes
        lint = lintfile.load(directory, RULE_NAMES)
    for f in files:
        data = load_json(read_limited(f, DASHBOARD_LIMIT, "dashboard JSON file"), str(f))
        if not isinstance(data, dict) or "apiVersion" in data:
            continue  # a Kubernetes resource: fix its source, not the rendered envelope
        skip = _skip(cfg, lint, str(data.get("uid", "")), str(data.get("title", ""))) if profile == HOUSE else _never
        changes = fix_dashboard(data, cfg, profile, skip)
        if changes:
            out.append((f, changes))
            writes.append((f.name, encode_json(data, str(f))))
    if writes:
        write_files(directory, writes)
    return out

