"""PromQL as Grafana stores it: substituting the dashboard's variables,
parsing with ``promql-parser`` and walking the syntax tree.

``validate`` and ``check`` share this module. Both substitute Grafana's
variables before parsing, because ``rate(x[$__rate_interval])`` is not
PromQL until Grafana has replaced ``$__rate_interval``; they differ only in
the values they substitute (``Values.for_lint`` and ``Values.for_check``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Iterator, Mapping

import promql_parser as pp

from ..durations import seconds
from ..errors import clip
from ..model import as_list, as_object, iter_panels, template_variables

# Grafana's variable syntaxes: ${var}, ${var:format}, [[var]], [[var:format]], $var.
# A name starts with a letter or _: "$1" and "${1}" are regex capture references
# (label_replace), not variables.
_VARIABLE = re.compile(r"\$\{([A-Za-z_]\w*)(?::[\w-]+)?\}|\[\[([A-Za-z_]\w*)(?::[\w-]+)?\]\]|\$([A-Za-z_]\w*)")

# A range nobody writes by hand: linting substitutes it for $__rate_interval,
# so a range selector of exactly this length was written as $__rate_interval.
RATE_INTERVAL_MARKER = "7777777ms"
RATE_INTERVAL_MARKER_DELTA = timedelta(milliseconds=7777777)

_REGEX_SPECIAL = re.compile(r"([\\^$.|?*+()\[\]{}])")

MAX_EXPR_CHARS = 64 * 1024  # the project's longest query is under 300 characters
MAX_NESTING = 256  # parentheses and operators; the project's deepest query has about ten
# Tokens that say how deep an expression nests; a string (closed or not) is
# one token, so nothing inside it counts, and no pattern backtracks.
_NESTING = re.compile(r'"(?:[^"\\]|\\.)*"?|\'(?:[^\'\\]|\\.)*\'?|`[^`]*`?|[{}(]'
                      r"|\b(?:and|or|unless|atan2)\b|==|!=|>=|<=|[-+*/%^<>]")


def dashboard_range(data: Mapping[str, Any], default: str = "6h") -> str:
    """The length of a dashboard's default time range (``now-6h`` -> ``6h``),
    which is what Grafana substitutes for ``$__range``."""
    time = as_object(data.get("time"))
    start, end = str(time.get("from", "")), str(time.get("to", "now"))
    m = re.fullmatch(r"now-(\d+[smhdwy])", start)
    if m and end == "now":
        return m.group(1)
    return default


@dataclass(frozen=True)
class Values:
    """What to substitute for Grafana's built-in variables."""

    rate_interval: str
    interval: str
    range: str

    @classmethod
    def for_lint(cls) -> "Values":
        return cls(rate_interval=RATE_INTERVAL_MARKER, interval="1m", range="6h")

    @classmethod
    def for_check(cls, rate_interval: str = "1m", interval: str = "1m", range: str = "6h") -> "Values":
        return cls(rate_interval=rate_interval, interval=interval, range=range)

    def builtins(self) -> dict[str, str]:
        r = seconds(self.range)
        i = seconds(self.interval)
        ri = seconds(self.rate_interval)
        return {
            "__rate_interval": self.rate_interval,
            "__rate_interval_ms": f"{ri * 1000:g}",
            "__interval": self.interval,
            "__interval_ms": f"{i * 1000:g}",
            "__range": self.range,
            "__range_s": f"{r:g}",
            "__range_ms": f"{r * 1000:g}",
            "__auto": self.interval,
        }


def regex_escape(value: str) -> str:
    # As Grafana does: a regex escape, itself escaped for a PromQL string ("b\\.c").
    return _REGEX_SPECIAL.sub(r"\\\\\1", value)


def variable_value(variable: Mapping[str, Any]) -> str:
    """The text Grafana would put in a query for this variable's current
    (or default) selection: "All" becomes its ``allValue`` (``.*`` when
    unset), several values become ``(a|b)``."""
    current = as_object(variable.get("current"))
    value = current.get("value", variable.get("query", "") if variable.get("type") == "constant" else "")
    values = value if isinstance(value, list) else [value]
    values = ["" if v is None else str(v) for v in values]
    if "$__all" in values:
        return str(variable.get("allValue") or ".*")
    if variable.get("type") == "datasource":
        return values[0] if values else ""
    if len(values) == 1:
        return values[0]
    return "(" + "|".join(regex_escape(v) for v in values) + ")"


def dashboard_variables(data: Mapping[str, Any]) -> dict[str, str]:
    """Every templating variable of a dashboard -> its substituted text."""
    out = {}
    for v in template_variables(data):
        if v.get("name"):
            out[str(v["name"])] = variable_value(v)
    return out


@dataclass(frozen=True)
class Substituted:
    text: str
    undefined: tuple[str, ...] = ()  # variables the dashboard does not define


def substitute(expr: str, variables: Mapping[str, str], values: Values) -> Substituted:
    """``expr`` with Grafana's built-in and the dashboard's variables replaced.
    An undefined variable is left as a harmless placeholder (``.*`` inside a
    string, otherwise the name) and reported."""
    builtins = values.builtins()
    undefined: dict[str, None] = {}  # in order of appearance
    room = MAX_EXPR_CHARS - len(expr)  # what substitution may add before parse refuses the text

    def replace(m: re.Match) -> str:
        nonlocal room
        name = m.group(1) or m.group(2) or m.group(3)
        if name in builtins:
            value = builtins[name]
        elif name in variables:
            value = variables[name]
        else:
            undefined.setdefault(name)
            value = m.group(0) if name.startswith("__") else "undefined_" + name
        if room < 0:  # already too long to parse: stop growing it
            return m.group(0)
        grown, room = room, room - (len(value) - len(m.group(0)))
        # A variable used a thousand times would otherwise make a megabyte of text
        # out of a kilobyte; cut just past the limit, which parse reports.
        return value if room >= 0 else value[:grown + len(m.group(0)) + 1]

    return Substituted(_VARIABLE.sub(replace, expr), tuple(undefined))


class PromQLSyntaxError(ValueError):
    pass


def nesting(text: str) -> int:
    """Parentheses and binary operators outside strings and label matchers
    (``{...}``): a bound on how deep the syntax tree of ``text`` can be.
    Linear in the text."""
    count = braces = 0
    for m in _NESTING.finditer(text):
        token = m.group(0)
        if token == "{":
            braces += 1
        elif token == "}":
            braces = max(braces - 1, 0)
        elif braces == 0 and token[0] not in "\"'`":
            count += 1
    return count


_parsed: dict[str, Any] = {}
MEMO = 4096  # expressions remembered; ``forget`` empties it


def forget() -> None:
    """Forget the expressions parsed and walked so far (validate does, between dashboards)."""
    _parsed.clear()
    _walked.clear()


def parse(text: str) -> Any:
    """``_parse``, remembered: the rules of validate look at each target's
    expression several times; it is parsed once. The tree is shared, never
    to be changed by a caller."""
    tree = _parsed.get(text)
    if tree is None:
        tree = _parse(text)
        if len(_parsed) >= MEMO:
            _parsed.clear()
        _parsed[text] = tree
    return tree


def _parse(text: str) -> Any:
    """Parse PromQL; a syntax error becomes ``PromQLSyntaxError`` with the
    parser's one-line message. Text longer than ``MAX_EXPR_CHARS`` or nested
    beyond ``MAX_NESTING`` is refused unparsed: the parser's time grows with
    the square of the nesting, and at some thousands of levels it crashes
    the process (a stack overflow, not an exception)."""
    if len(text) > MAX_EXPR_CHARS:
        raise PromQLSyntaxError(f"longer than {MAX_EXPR_CHARS} characters (once variables are substituted); "
                                "tb-dash does not parse it")
    if len(text) > MAX_NESTING and nesting(text) > MAX_NESTING:  # each counted token is a character at least
        raise PromQLSyntaxError(f"more than {MAX_NESTING} parentheses and operators; "
                                "tb-dash does not parse an expression this deep")
    try:
        return pp.parse(text)
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except BaseException as e:  # ValueError, RuntimeError, or a panic of the Rust parser (a BaseException)
        message = str(e).strip().splitlines()[0] if str(e).strip() else "invalid PromQL"
        raise PromQLSyntaxError(clip(message)) from None


def children(node: Any) -> list[Any]:
    if isinstance(node, pp.AggregateExpr):
        kids = [node.expr]
        if isinstance(node.param, pp.Expr):
            kids.insert(0, node.param)
        return kids
    if isinstance(node, pp.BinaryExpr):
        return [node.lhs, node.rhs]
    if isinstance(node, pp.Call):
        return list(node.args)
    if isinstance(node, (pp.ParenExpr, pp.UnaryExpr, pp.SubqueryExpr)):
        return [node.expr]
    if isinstance(node, pp.MatrixSelector):
        return [node.vector_selector]
    return []


_walked: dict[int, tuple[Any, list]] = {}  # id(tree) -> (tree, its walk); ``forget`` empties it


def walk(node: Any, parents: tuple = ()) -> Iterator[tuple[Any, tuple]]:
    """Every node, depth first, with the chain of its ancestors (nearest
    last). A whole tree's walk is remembered with the tree: several rules
    walk each target's."""
    if parents:
        return iter(_walk(node, parents))
    hit = _walked.get(id(node))
    if hit is None or hit[0] is not node:  # the tree is held with it: its id is not reused meanwhile
        if len(_walked) >= MEMO:
            _walked.clear()
        hit = _walked[id(node)] = (node, _walk(node, ()))
    return iter(hit[1])


def _walk(node: Any, parents: tuple) -> list[tuple[Any, tuple]]:
    out = []
    stack = [(node, parents)]
    while stack:
        n, chain = stack.pop()
        out.append((n, chain))
        kids = children(n)
        if kids:
            below = chain + (n,)
            stack.extend((k, below) for k in reversed(kids))
    return out


def metric_name(selector: Any) -> str | None:
    """The metric a vector selector reads: its name or a ``__name__="..."`` matcher."""
    if selector.name:
        return selector.name
    for m in selector.matchers.matchers:
        if m.name == "__name__" and m.op == pp.MatchOp.Equal:
            return m.value
    return None


def metric_names(expr: Any) -> list[str]:
    """The metric names an expression reads, in order, without repeats."""
    names: list[str] = []
    for node, _ in walk(expr):
        if isinstance(node, pp.VectorSelector):
            name = metric_name(node)
            if name and name not in names:
                names.append(name)
    return names


def function_name(node: Any) -> str | None:
    return node.func.name if isinstance(node, pp.Call) else None


# --- Grafana's Prometheus variable queries ----------------------------------
_LABEL_VALUES = re.compile(r"^\s*label_values\s*\((.*),\s*([a-zA-Z_]\w*)\s*\)\s*$", re.S)
_NO_PROMQL = re.compile(r"^\s*(label_names\s*\(.*\)|label_values\s*\(\s*[a-zA-Z_]\w*\s*\)|metrics\s*\(.*\))\s*$", re.S)
_QUERY_RESULT = re.compile(r"^\s*query_result\s*\((.*)\)\s*$", re.S)


@dataclass(frozen=True)
class VariableQuery:
    """The PromQL inside a variable query (None when it has none) and the
    label whose values the variable lists (None for ``query_result``)."""

    promql: str | None
    label: str | None = None


def variable_query(query: Any) -> VariableQuery:
    """Split a Grafana Prometheus variable query: ``label_values(sel, label)``,
    ``query_result(expr)``, ``label_names()``, ``metrics(re)`` or plain PromQL."""
    if isinstance(query, Mapping):
        query = query.get("query", "")
    text = str(query or "")
    if not text.strip() or _NO_PROMQL.match(text):
        return VariableQuery(None)
    m = _LABEL_VALUES.match(text)
    if m:
        return VariableQuery(m.group(1).strip(), m.group(2))
    m = _QUERY_RESULT.match(text)
    if m:
        return VariableQuery(m.group(1).strip())
    return VariableQuery(text)


def variable_check_query(vq: VariableQuery) -> str | None:
    """An instant query that returns data when the variable has values."""
    if vq.promql is None:
        return None
    if vq.label:
        return f"count by ({vq.label}) ({vq.promql})"
    return vq.promql


@dataclass(frozen=True)
class Target:
    """One Prometheus query of a dashboard: a panel target or a variable."""

    dashboard: str  # uid
    panel: str  # panel title, or "variable <name>"
    panel_id: Any
    ref_id: str
    expr: str  # as written in the dashboard
    datasource: Any = None
    variable: VariableQuery | None = field(default=None, compare=False)


def targets(data: Mapping[str, Any], uid: str) -> Iterator[Target]:
    """Every panel target with an ``expr`` (Prometheus)."""
    for p in iter_panels(data):
        for i, t in enumerate(as_list(p.get("targets"))):
            if isinstance(t, dict) and isinstance(t.get("expr"), str):
                yield Target(uid, str(p.get("title", "")), p.get("id"), str(t.get("refId") or chr(65 + i)),
                             t["expr"], t.get("datasource"))


def variable_targets(data: Mapping[str, Any], uid: str) -> Iterator[Target]:
    """Every query variable whose query holds PromQL."""
    for v in template_variables(data):
        if v.get("type") == "query":
            vq = variable_query(v.get("query"))
            if vq.promql is not None:
                yield Target(uid, f"variable {v.get('name', '?')}", None, "", vq.promql,
                             v.get("datasource"), vq)
