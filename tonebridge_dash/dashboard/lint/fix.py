"""``tb-dash validate DIR --fix``: rewrite dashboard JSON files for the rules
dashboard-linter can fix: ``uneditable-dashboard`` (``editable: false``),
``template-on-time-change-reload`` (query variables ``refresh: 2``) and
``target-rate-interval`` (``rate``/``irate`` over ``[$__rate_interval]``).
Only files whose content changes are rewritten, all or nothing, through the
project's file output. The project's own dashboards are code: their
findings say what to change in the module instead.
"""

from __future__ import annotations

import re
from pathlib import Path

from ...inputs import DASHBOARD_LIMIT, load_json, read_limited
from ...model import as_list, iter_panels, template_variables
from ...output import encode_json, write_files

FIXABLE = ("uneditable-dashboard", "template-on-time-change-reload", "target-rate-interval")
# rate(...[5m]) / irate(...[1m]): the range of a rate over a plain selector.
_RATE_RANGE = re.compile(r"(\b(?:rate|irate)\s*\(\s*[^()\[\]]*?)\[\s*[0-9][0-9smhdwy]*\s*\]")


def fix_dashboard(data: dict) -> list[str]:
    """Fix ``data`` in place; what was changed, one line each."""
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


def fix_dir(directory: Path) -> list[tuple[Path, list[str]]]:
    """Fix every ``*.json`` dashboard of ``directory`` (or the one file
    ``directory`` names); the files changed and how."""
    out, writes = [], []
    files = [directory] if directory.is_file() else sorted(directory.glob("*.json"))
    if directory.is_file():
        directory = directory.parent
    for f in files:
        data = load_json(read_limited(f, DASHBOARD_LIMIT, "dashboard JSON file"), str(f))
        if not isinstance(data, dict) or "apiVersion" in data:
            continue  # a Kubernetes resource: fix its source, not the rendered envelope
        changes = fix_dashboard(data)
        if changes:
            out.append((f, changes))
            writes.append((f.name, encode_json(data, str(f))))
    if writes:
        write_files(directory, writes)
    return out

