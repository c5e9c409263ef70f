"""Dashboard JSON -> a readable dashboard module, ``build(cfg)``.

``generate`` migrates the dashboard (``migrate``, ``complete``) and writes
Python that rebuilds it through the engine: one ``panel(...)`` call per
panel with its queries as PromQL strings (or, given the settings, as calls
to the content's query functions where one gives exactly the same text:
``calls``), in ``row``/``Cell``s of the
layout when the original's positions follow the layout's flow, else at
explicit places (``at``, ``row_panel``). What the current model has no
place for (``step`` on a query, a graph's ``paceLength``...) is listed in
the notes, as is everything the migration approximated.
"""

from __future__ import annotations

import keyword
import pprint
import re
import textwrap
from dataclasses import dataclass, field
from typing import Any

from ..errors import shown
from ..model import GRID_COLUMNS, UID_RE, as_list, as_object
from .calls import Catalog, catalog
from .complete import complete
from ..dashboard.layout import Cell, grid, row
from .migrate import DATASOURCE, migrate
from ..dashboard.normalize import DASHBOARD_KEYS, PANEL_KEYS, ROW_KEYS, target_keys
from .raw import RawPanel, ref_id

WIDTH = 100
_DASHBOARD_SKIP = {"uid", "title", "panels", "editable", "schemaVersion"}


@dataclass
class Generated:
    code: str
    title: str
    panels: int  # data panels, rows not counted
    queries: int
    notes: list[str] = field(default_factory=list)
    layout: str = "rows"  # or "positions"
    calls: int = 0  # queries written as calls to the content's query functions
    functions: dict[str, int] = field(default_factory=dict)  # those functions ("module.name"), how often


def module_name(stem: str) -> str:
    """A Python module name from a file name: ``k8s-views-global`` -> ``k8s_views_global``."""
    name = re.sub(r"\W+", "_", stem.lower()).strip("_") or "imported"
    if name[0].isdigit():
        name = "d_" + name
    if name.startswith("_"):
        name = "d" + name
    return name + "_" if keyword.iskeyword(name) else name


def generate(doc: Any, name: str, source: str, cfg: Any = None) -> Generated:
    """The module for the dashboard in ``doc`` (read from ``source``). With
    the settings ``cfg``, a query that is exactly what one of the content's
    query functions gives with them becomes a call to it (``calls``)."""
    m = migrate(doc, source)
    d = complete(m.dashboard)
    notes = grouped(m.notes)
    ctx = _Context(catalog(cfg, _RESERVED) if cfg is not None else None)
    panels = d.get("panels", [])
    data = [p for p in _flat(panels) if p.get("type") != "row"]
    queries = sum(len(as_list(p.get("targets"))) for p in data)
    flows = _flows(panels)
    body = _rows(panels, ctx) if flows else _placed(panels, ctx)
    for key, count in sorted(ctx.dropped.items()):
        notes.append(f"{key} ({count}x): not part of Grafana's current model, not kept")
    title = str(d.get("title", ""))
    uid = d.get("uid")
    uid_arg = repr(uid) if isinstance(uid, str) and UID_RE.match(uid) else \
        f'cfg.dashboards.uid_prefix + {name!r}'
    if not (isinstance(uid, str) and UID_RE.match(uid)):
        notes.append(f"uid {uid!r} is not a valid Grafana uid: the settings' uid_prefix + '{name}'")
    args = [f"uid={uid_arg}", f"title={title!r}"]
    for key, value in d.items():
        if key in DASHBOARD_KEYS and key not in _DASHBOARD_SKIP:
            args.append(_kwarg(key, value, 8))
    args.append(body)
    doc_lines = [f'"""{_doc_safe(title)}: imported from {_doc_safe(source)} by tb-dash import.', ""]
    doc_lines.append("Edit it like any other dashboard module; `tb-dash render` builds it.")
    if ctx.calls:
        where = ", ".join(sorted({f.rpartition(".")[0] for f in ctx.functions}))
        doc_lines += [""] + textwrap.wrap(
            f"{ctx.calls} of {queries} queries are calls to the content's query functions ({where}): on import "
            "they gave exactly the imported PromQL with the settings then in effect; they follow the settings "
            "from now on.", 79)
    if notes:
        doc_lines += ["", "Approximated or not kept on import:", ""] + [f"- {_doc_safe(n)}" for n in notes]
    imports = ["from tonebridge_dash.kit import " + ", ".join(_names(body) + (["Cell", "row"] if flows else []))]
    if ctx.calls:
        imports = sorted(imports + ctx.catalog.imports(ctx.modules), key=lambda line: line.split()[1])
    code = ("\n".join(doc_lines) + '\n"""\n\n' + "\n".join(imports) + "\n\n"
            "# Linted as any dashboard Grafana loads, not by the house conventions (remove to adopt them).\n"
            'LINT_PROFILE = "grafana"\n\n\n'
            "def build(cfg):\n    return dashboard(\n        cfg,\n        "
            + ",\n        ".join(args) + ",\n    )\n")
    return Generated(code, title, len(data), queries, notes, "rows" if flows else "positions",
                     ctx.calls, dict(sorted(ctx.functions.items())))


# Names the generated module defines or imports: a content module it calls is imported under another.
_RESERVED = frozenset({"cfg", "build", "LINT_PROFILE", "dashboard", "at", "panel", "prom", "query", "row_panel",
                       "Cell", "row"})


@dataclass
class _Context:
    catalog: Catalog | None
    dropped: dict[str, int] = field(default_factory=dict)  # keys not kept, how often
    calls: int = 0  # queries written as calls to the content's query functions
    functions: dict[str, int] = field(default_factory=dict)  # which, how often
    modules: set[str] = field(default_factory=set)  # the content modules the calls name

    def drop(self, key: str) -> None:
        self.dropped[key] = self.dropped.get(key, 0) + 1

    def call(self, expr: str) -> str | None:
        """A call of the content's catalog that gives exactly ``expr``, or None."""
        found = self.catalog.call_for(expr) if self.catalog is not None else None
        if found is None:
            return None
        self.calls += 1
        self.functions[found.function] = self.functions.get(found.function, 0) + 1
        self.modules.update(found.modules)
        return found.code


def grouped(notes: list[str], shown: int = 4) -> list[str]:
    """One line per kind of note: ``panel 'A': x`` and ``panel 'B': x`` ->
    ``x: panels 'A', 'B'``."""
    by: dict[str, list[str]] = {}
    for n in notes:
        hit = re.match(r"^panel ('.*?'|\S+): (.*)\Z", n)
        if hit:
            by.setdefault(hit.group(2), []).append(hit.group(1))
        else:
            by.setdefault(n, [])
    out = []
    for text, where in by.items():
        if not where:
            out.append(text)
            continue
        more = f" and {len(where) - shown} more" if len(where) > shown else ""
        label = "panel" if len(where) == 1 else f"{len(where)} panels"
        out.append(f"{text} ({label}: {', '.join(where[:shown])}{more})")
    return out


def _names(body: str) -> list[str]:
    names = ["dashboard"] + [n for n in ("at", "panel", "prom", "query", "row_panel")
                             if re.search(rf"\b{n}\(", body)]
    return sorted(set(names))


def _doc_safe(text: str) -> str:
    """``text`` inside the module's docstring: control and bidirectional
    characters as the escapes of ``shown``, which read back as the same
    characters; none raw (NUL would not compile, CR, ESC and U+202E would
    hide what the file says). migrate made lone surrogates U+FFFD."""
    return shown(str(text).replace("\\", "\\\\").replace('"""', '\\"\\"\\"'))


def _flat(panels: list) -> list[dict]:
    out = []
    for p in panels:
        out.append(p)
        out.extend(c for c in as_list(p.get("panels")) if isinstance(c, dict))
    return out


def _literal(value: Any, indent: int) -> str:
    text = pprint.pformat(value, width=max(WIDTH - indent, 40), sort_dicts=False)
    return text.replace("\n", "\n" + " " * indent)


def _kwarg(key: str, value: Any, indent: int) -> str:
    if key.isidentifier() and not keyword.iskeyword(key):
        return f"{key}={_literal(value, indent + len(key) + 1)}"
    return f"**{{{key!r}: {_literal(value, indent + len(key) + 6)}}}"


# --- layout ---------------------------------------------------------------------
def _pos(p: dict) -> dict:
    pos = as_object(p.get("gridPos"))
    return {k: pos.get(k) for k in ("x", "y", "w", "h")}


def _sections(panels: list) -> list[tuple[dict | None, list[dict]]]:
    out: list[tuple[dict | None, list[dict]]] = [(None, [])]
    for p in panels:
        if p.get("type") == "row":
            out.append((p, []))
        else:
            out[-1][1].append(p)
    return [s for s in out if s[0] is not None or s[1]]


def _flows(panels: list) -> bool:
    """Whether the layout's rows and cells put every panel where it was."""
    for p in _flat(panels):
        pos = _pos(p)
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in pos.values()):
            return False
        if p.get("type") == "row" and (p.get("collapsed") or p.get("panels") or p.get("repeat")
                                       or set(p) - {"type", "title", "id", "gridPos", "collapsed", "panels"}):
            return False
        if p.get("type") != "row" and not (1 <= pos["w"] <= GRID_COLUMNS and pos["h"] >= 1):
            return False
    rows = [row(r.get("title", "") if r is not None else None,
                *(Cell(RawPanel({"i": i}), w=_pos(p)["w"], h=_pos(p)["h"]) for i, p in enumerate(ps)))
            for r, ps in _sections(panels)]
    if _sections(panels) and _sections(panels)[0][0] is not None and panels and panels[0].get("type") != "row":
        return False
    laid = [_plain_pos(p) for p in grid(rows)]
    return laid == [_pos(p) for p in panels]


def _plain_pos(p: Any) -> dict:
    pos = p.gridPos
    pos = pos.to_json_data() if hasattr(pos, "to_json_data") else pos
    return {k: pos[k] for k in ("x", "y", "w", "h")}


def _rows(panels: list, ctx: _Context) -> str:
    out = []
    for r, ps in _sections(panels):
        title = "None" if r is None else repr(str(r.get("title", "")))
        cells = [f"Cell({_panel(p, 20, ctx)},\n                 w={_pos(p)['w']}, h={_pos(p)['h']})"
                 for p in ps]
        out.append(f"row({title}" + "".join(f",\n            {c}" for c in cells) + ")")
    return "rows=[\n        " + ",\n        ".join(out) + ",\n    ]"


def _placed(panels: list, ctx: _Context) -> str:
    out = []
    for p in panels:
        if p.get("type") == "row":
            out.append(_row_panel(p, ctx))
        else:
            out.append(_at(p, 8, ctx))
    return "panels=[\n        " + ",\n        ".join(out) + ",\n    ]"


def _at(p: dict, indent: int, ctx: _Context) -> str:
    pos = _pos(p)
    place = ", ".join(f"{k}={_literal(pos[k], 0)}" for k in ("x", "y", "w", "h"))
    return f"at({_panel(p, indent + 3, ctx)},\n{' ' * (indent + 3)}{place})"


def _row_panel(p: dict, ctx: _Context) -> str:
    pos = _pos(p)
    args = [repr(str(p.get("title", ""))), _literal(pos["y"], 0)]
    args += [_at(c, 12, ctx) for c in as_list(p.get("panels")) if isinstance(c, dict)]
    if p.get("collapsed"):
        args.append("collapsed=True")
    for key, value in p.items():
        if key in ("type", "title", "gridPos", "panels", "collapsed"):
            continue
        if key in ROW_KEYS:
            args.append(_kwarg(key, value, 12))
        else:
            ctx.drop(f"row key '{key}'")
    if pos != {"x": 0, "y": pos["y"], "w": GRID_COLUMNS, "h": 1}:
        args.append(f"gridPos={_literal(pos, 12)}")
    return "row_panel(" + ",\n            ".join(args) + ")"


# --- one panel --------------------------------------------------------------------
def _panel(p: dict, indent: int, ctx: _Context) -> str:
    pad = "\n" + " " * (indent + 4)
    targets = [t for t in as_list(p.get("targets")) if isinstance(t, dict)]
    args = [repr(str(p.get("type"))), repr(str(p.get("title", "")))]
    if targets:
        kept = [target_keys(t, t.get("datasource") or p.get("datasource")) for t in targets]
        targets = [{k: v for k, v in t.items() if not (k == "datasource" and v == p.get("datasource"))}
                   for t in targets]  # a query without one uses the panel's
        args.append("[" + "".join(f"{pad}    {_target(t, i, indent + 8, ctx, kept[i])},"
                                  for i, t in enumerate(targets)) + f"{pad}]")
    elif p.get("type") != "text" or "targets" in p:
        args.append("[]")
    fc = as_object(p.get("fieldConfig"))
    defaults = dict(as_object(fc.get("defaults")))
    if isinstance(defaults.get("unit"), str):
        args.append(f"unit={defaults.pop('unit')!r}")
    thresholds = as_object(defaults.get("thresholds"))
    if isinstance(thresholds.get("steps"), list) and thresholds.get("mode", "absolute") == "absolute" \
            and set(thresholds) <= {"mode", "steps"}:
        defaults.pop("thresholds")
        args.append(f"thresholds={_literal(thresholds['steps'], indent + 15)}")
    if p.get("datasource") != DATASOURCE:
        args.append(f"datasource={_literal(p.get('datasource'), indent + 15)}")
    for key, value in p.items():
        if key in ("type", "title", "targets", "datasource", "gridPos", "fieldConfig"):
            continue
        if key in PANEL_KEYS:
            args.append(_kwarg(key, value, indent + 4))
        else:
            ctx.drop(f"panel key '{key}'")
    if "fieldConfig" in p and (defaults or as_list(fc.get("overrides"))):
        args.append(_kwarg("fieldConfig", {"defaults": defaults, "overrides": as_list(fc.get("overrides"))},
                           indent + 4))
    return "panel(" + ("," + pad).join(args) + ")"


def _target(t: dict, i: int, indent: int, ctx: _Context, kept: set[str] | None) -> str:
    rest = {}
    for key, value in t.items():
        if kept is None or key in kept:  # None: another datasource's, its query is in its own keys
            rest[key] = value
        else:
            ctx.drop(f"query key '{key}'")
    if rest.get("refId") == ref_id(i):
        rest.pop("refId")
    expr = rest.pop("expr", None)
    if not isinstance(expr, str):
        if expr is not None:
            rest["expr"] = expr
        return "query(" + ", ".join(_kwarg(k, v, indent) for k, v in rest.items()) + ")"
    args = [ctx.call(expr) or repr(expr)]
    legend = rest.pop("legendFormat", None)
    if isinstance(legend, str):
        args.append(repr(legend))
    elif legend is not None:
        rest["legendFormat"] = legend
    args += [_kwarg(k, v, indent) for k, v in rest.items()]
    return "prom(" + ", ".join(args) + ")"
