"""``template-unused``: a variable the dashboard defines and nothing uses,
and ``--fix``'s removal of it.

A variable is used when any string of the dashboard outside its own
definition refers to it as Grafana does (``$x``, ``${x}``, ``${x:fmt}``,
``${x.field}``, ``[[x]]``, ``[[x:fmt]]``; the name as Grafana's pattern
reads it, ``\\w+``): in queries, titles, descriptions, links, field
config, annotations, other variables; or when a panel or row repeats over
it (``repeat``), a repeated copy holds it (``scopedVars``), or an interval
variable's auto value is used (``$__auto_interval_x``). Ad hoc filters
apply to every query of their datasource without being named: never
unused. A link with ``includeVars`` (or ``${__all_variables}``) passes the
selection on to another dashboard but does not use it here: the variable
is reported, but ``--fix`` keeps it, since removing it would change what
the link carries; it also keeps a variable another rule requires
(a datasource variable, ``job``, ``instance``).
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from ..model import as_list, template_variables
from .view import Dashboard, Issue

# Grafana's variableRegex (public/app/features/variables/utils.ts), names only;
# a field or format stops at the next "$" too, so an unclosed "${a." is not
# scanned to the end of the text again from each of its repeats.
_REFERENCE = re.compile(r"\$(\w+)|\[\[(\w+?)(?::\w+)?\]\]|\$\{(\w+)(?:\.[^:^}$]+)?(?::[^}$]+)?\}")
_AUTO_INTERVAL = "__auto_interval_"
# Variables other rules require (template-datasource, template-job, template-instance): never removed.
REQUIRED = ("job", "instance")


def _strings(value: Any, out: list[str]) -> None:
    """Every string in ``value`` (keys of ``scopedVars`` too: a repeated copy's variable)."""
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            out.append(v)
        elif isinstance(v, dict):
            for k, child in v.items():
                if k == "scopedVars" and isinstance(child, dict):
                    out.extend(f"${name}" for name in child if isinstance(name, str))
                elif k == "repeat" and isinstance(child, str) and child:
                    out.append(f"${child}")
                stack.append(child)
        elif isinstance(v, list):
            stack.extend(v)


def names_in(text: str) -> Iterator[str]:
    for m in _REFERENCE.finditer(text):
        name = m.group(1) or m.group(2) or m.group(3)
        yield name[len(_AUTO_INTERVAL):] if name.startswith(_AUTO_INTERVAL) else name


def used_by(data: dict) -> dict[str, set[str]]:
    """Who uses each name: ``""`` for anything but a variable, else the
    names of the variables whose definitions refer to it (a variable's
    reference to itself does not count)."""
    users: dict[str, set[str]] = {}
    variables = template_variables(data)
    for key, value in data.items():
        if key == "templating" and isinstance(value, dict):
            rest = {k: v for k, v in value.items() if k != "list"}
            texts: list[str] = []
            _strings(rest, texts)
        else:
            texts = []
            _strings(value, texts)
        for text in texts:
            for name in names_in(text):
                users.setdefault(name, set()).add("")
    for v in variables:
        own = v.get("name")
        texts = []
        _strings(v, texts)
        for text in texts:
            for name in names_in(text):
                if name != own:
                    users.setdefault(name, set()).add(str(own))
    return users


def passes_variables_on(data: dict) -> bool:
    """A link of the dashboard or of a panel carries the variables to another dashboard."""
    texts: list[str] = []
    _strings(data, texts)
    if any("__all_variables" in t for t in texts):
        return True
    stack = [data]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            if v.get("includeVars") is True:
                return True
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return False


def unused(data: dict, ignore: frozenset[str] = frozenset()) -> list[dict]:
    """The variables nothing uses, in the order they are defined."""
    users = used_by(data)
    return [v for v in template_variables(data)
            if isinstance(v.get("name"), str) and v["name"] and v.get("type") != "adhoc"
            and v["name"] not in ignore and not users.get(v["name"])]


def rule_template_unused(d: Dashboard) -> Iterator[Issue]:
    from .configured import of

    for v in unused(d.data, of(d.cfg).unused_ignore):
        yield Issue(None, f"variable '{v['name']}' ({v.get('type', '?')}) is defined but nothing uses it: no query, "
                          "title, link, other variable or repeat refers to it")


def removable(v: dict) -> bool:
    return v.get("type") != "datasource" and v.get("name") not in REQUIRED


def remove_unused(data: dict, ignore: frozenset[str] = frozenset()) -> list[str]:
    """Remove the unused variables ``removable`` allows, until none is left
    (a variable only an unused one referred to is unused once that one is
    gone); what was removed, one line each. Nothing is removed from a
    dashboard whose links pass its variables on."""
    if passes_variables_on(data):
        return []
    changes = []
    while True:
        gone = [v for v in unused(data, ignore) if removable(v)]
        if not gone:
            return changes
        ids = {id(v) for v in gone}
        templating = data["templating"]
        templating["list"] = [v for v in as_list(templating.get("list")) if id(v) not in ids]
        changes.extend(f"variable '{v['name']}': removed (nothing uses it)" for v in gone)
