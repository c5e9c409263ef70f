"""``target-histogram-le``: ``histogram_quantile`` over classic histogram
buckets must keep their ``le`` label, and ``--fix``'s ``by (le)``.

For each selector of buckets under ``histogram_quantile``'s second
argument (a metric named ``*_bucket``, or a recorded series with a
``*_bucket`` part, ``job:x_bucket:rate5m``), every aggregation between the
two must keep ``le``: ``by (..., le)``, or ``without (...)`` not naming it
(``topk``, ``bottomk``, ``limitk`` and ``limit_ratio`` pick series and keep
their labels); so must a one-to-one binary operation (``on (...)`` naming
it, ``ignoring (...)`` not). Otherwise the quantile has no buckets and the
panel no data: an error. Raw buckets (``*_bucket``, no ``:``) with no
aggregation at all give one quantile per series: ``per_series`` in the
settings (a warning by default). Native histograms (no ``_bucket``) have
no ``le`` and are not judged.

``fix`` adds ``le`` where that alone is the fix: an aggregation with no
grouping becomes ``sum by (le) (...)``, ``by (job)`` becomes
``by (job, le)``. A ``without (le)`` (someone took it out) or a binary
operation is left alone, and so is the whole expression unless the text
edited parses to the same tree with only those groupings changed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

import promql_parser as pp

from ..findings import ERROR, WARNING
from ..prometheus import promql
from .view import Dashboard, Issue, ref as _ref

KEEPS_SERIES = ("topk", "bottomk", "limitk", "limit_ratio")  # they pick series: every label stays
AGGREGATIONS = ("sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "quantile",
                *KEEPS_SERIES)


@dataclass(frozen=True)
class Problem:
    metric: str
    aggregation: int | None  # the aggregation's index among the tree's AggregateExprs (walk order); None: per series
    what: str  # the operation that drops le, as PromQL prints it
    fixable: bool = False
    per_series: bool = False  # raw buckets not aggregated at all (le kept, one quantile per series)


def is_bucket(name: str | None) -> bool:
    return bool(name) and any(part.endswith("_bucket") for part in name.split(":"))


def _keeps_le(node: Any) -> tuple[bool, str, bool]:
    """(whether ``node`` keeps ``le``, how it reads, whether adding ``le`` to its grouping fixes it)."""
    if isinstance(node, pp.AggregateExpr):
        op = str(node.op)
        m = node.modifier
        if op in KEEPS_SERIES:
            return True, op, False
        if m is None:
            return False, f"{op}(...) with no by (...)", True
        labels = list(m.labels)
        if str(m.type).endswith("By"):
            return "le" in labels, f"{op} by ({', '.join(labels)})", True
        return "le" not in labels, f"{op} without ({', '.join(labels)})", False
    if isinstance(node, pp.BinaryExpr) and node.modifier is not None:
        m = node.modifier
        if str(m.card).endswith("OneToOne") and m.matching is not None:
            labels = list(m.matching.labels)
            include = str(m.matching.type).endswith("Include")
            keeps = ("le" in labels) if include else ("le" not in labels)
            return keeps, f"{'on' if include else 'ignoring'} ({', '.join(labels)})", False
    return True, "", False


def problems(tree: Any) -> list[Problem]:
    """What loses ``le`` (or aggregates nothing) under each ``histogram_quantile`` of ``tree``."""
    index: dict[int, int] = {}  # id(AggregateExpr) -> its index in walk order
    found: dict[tuple, Problem] = {}
    for node, parents in promql.walk(tree):
        if isinstance(node, pp.AggregateExpr):
            index[id(node)] = len(index)
        if not isinstance(node, pp.VectorSelector) or not is_bucket(promql.metric_name(node)):
            continue
        at = next((i for i in range(len(parents) - 1, -1, -1)
                   if promql.function_name(parents[i]) == "histogram_quantile"), None)
        if at is None or at + 1 >= len(parents) or str(parents[at + 1]) == str(parents[at].args[0]):
            continue  # not under a histogram_quantile's buckets argument
        name = promql.metric_name(node) or ""
        path = parents[at + 1:]
        aggregated = False
        for n in path:
            aggregated = aggregated or isinstance(n, pp.AggregateExpr)
            keeps, what, fixable = _keeps_le(n)
            if not keeps:
                key = (id(n), name)
                found.setdefault(key, Problem(name, index.get(id(n)), what, fixable))
        if not aggregated and ":" not in name:
            found.setdefault((None, name), Problem(name, None, "not aggregated", per_series=True))
    return list(found.values())


def rule_target_histogram_le(d: Dashboard, p: dict, t: dict, expr: Any, undefined: tuple) -> Iterator[Issue]:
    from .configured import of

    if expr is None or isinstance(expr, promql.PromQLSyntaxError):
        return
    per_series = of(d.cfg).per_series
    for pr in problems(expr):
        if pr.per_series:
            if per_series != "off":
                yield Issue(p, f"target {_ref(t)}: histogram_quantile() over '{pr.metric}' not aggregated: one "
                               "quantile per series (sum by (le) gives one; by (le, <label>) one per label value)",
                            ERROR if per_series == "error" else WARNING)
        else:
            yield Issue(p, f"target {_ref(t)}: histogram_quantile() over '{pr.metric}' through {pr.what}, which "
                           "drops the le label: the quantile has no buckets (no data)")


# --- --fix ----------------------------------------------------------------------
_TOKEN = re.compile(r'#[^\n]*|"(?:[^"\\]|\\.)*"?|\'(?:[^\'\\]|\\.)*\'?|`[^`]*`?|\$\{[^}]*\}?|\[\[[^\]]*\]?\]?|\$\w+'
                    r"|[A-Za-z_:][\w:]*|\(|\)|\{|\}|\S")
_LISTS = ("by", "without", "on", "ignoring", "group_left", "group_right")


@dataclass(frozen=True)
class _Aggregation:
    keyword_end: int
    grouping: tuple[str, int, int] | None  # (by|without, where the list's text starts, where its ")" is)


def _aggregations(text: str) -> list[_Aggregation] | None:
    """Each aggregation operator of ``text`` in order, with its grouping
    list (before or after its argument); None when the text is not read
    with confidence (unbalanced brackets)."""
    tokens = [(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(text) if m.group(0)[0] != "#"]
    out: list[_Aggregation] = []
    i, braces = 0, 0

    def close(j: int) -> int | None:  # tokens[j] is "(": the index of its ")"
        depth = 0
        for k in range(j, len(tokens)):
            depth += {"(": 1, ")": -1}.get(tokens[k][0], 0)
            if depth == 0:
                return k
        return None

    def grouping(j: int) -> tuple[tuple[str, int, int] | None, int] | None:
        if j + 1 < len(tokens) and tokens[j][0].lower() in ("by", "without") and tokens[j + 1][0] == "(":
            end = close(j + 1)
            return None if end is None else ((tokens[j][0].lower(), tokens[j + 1][2], tokens[end][1]), end + 1)
        return None, j

    while i < len(tokens):
        tok = tokens[i][0].lower()
        if tok == "{":
            braces += 1
        elif tok == "}":
            braces -= 1
        elif braces == 0 and tok in _LISTS and i + 1 < len(tokens) and tokens[i + 1][0] == "(":
            end = close(i + 1)
            if end is None:
                return None
            if tok in ("by", "without"):  # a trailing grouping: already read with its aggregation
                i = end + 1
                continue
            i = end + 1
            continue
        elif braces == 0 and tok in AGGREGATIONS:
            g = grouping(i + 1)
            if g is None:
                return None
            found, j = g
            if found is None and j < len(tokens) and tokens[j][0] == "(":
                end = close(j)
                if end is None:
                    return None
                after = grouping(end + 1)
                if after is None:
                    return None
                found = after[0]
            out.append(_Aggregation(tokens[i][2], found))
            i = j if g[0] is not None else i + 1
            continue
        i += 1
    return out


def _edit(text: str, a: _Aggregation) -> tuple[int, str]:
    if a.grouping is None:
        return a.keyword_end, " by (le)" + ("" if text[a.keyword_end:a.keyword_end + 1].isspace() else " ")
    _, start, end = a.grouping
    inside = text[start:end].strip()
    return end, ("le" if not inside else " le" if inside.endswith(",") else ", le")


def _same_but_le(old: Any, new: Any, fixed: set[int]) -> bool:
    """``new`` is ``old`` with ``le`` added to the groupings of the aggregations ``fixed``."""
    a, b = list(promql.walk(old)), list(promql.walk(new))
    if len(a) != len(b):
        return False
    k = 0
    for (x, _), (y, _) in zip(a, b):
        if type(x) is not type(y):
            return False
        if isinstance(x, pp.AggregateExpr):
            want = (f"by ({', '.join([*(x.modifier.labels if x.modifier is not None else ()), 'le'])})"
                    if k in fixed else str(x.modifier))
            if str(x.op) != str(y.op) or str(y.modifier) != want:
                return False
            k += 1
        elif isinstance(x, (pp.VectorSelector, pp.MatrixSelector, pp.NumberLiteral, pp.StringLiteral)):
            if str(x) != str(y):
                return False
        elif isinstance(x, pp.Call) and promql.function_name(x) != promql.function_name(y):
            return False
        elif isinstance(x, pp.BinaryExpr) and (str(x.op) != str(y.op) or str(x.modifier) != str(y.modifier)):
            return False
    return True


def fix_expr(text: str, variables: Mapping[str, str]) -> str | None:
    """``text`` with ``le`` added where ``problems`` says that is the fix, or None."""
    values = promql.Values.for_lint()
    try:
        tree = promql.parse(promql.substitute(text, variables, values).text)
    except promql.PromQLSyntaxError:
        return None
    found = [p for p in problems(tree) if not p.per_series]
    if not found or not all(p.fixable for p in found):
        return None  # a without (le) or an on (...) is not for adding le to decide
    fixed = {p.aggregation for p in found if p.aggregation is not None}
    aggregations = _aggregations(text)
    count = sum(isinstance(n, pp.AggregateExpr) for n, _ in promql.walk(tree))
    if aggregations is None or len(aggregations) != count:
        return None
    edited = text
    for at, insert in sorted((_edit(text, aggregations[k]) for k in fixed), reverse=True):
        edited = edited[:at] + insert + edited[at:]
    try:
        new = promql.parse(promql.substitute(edited, variables, values).text)
    except promql.PromQLSyntaxError:
        return None
    return edited if _same_but_le(tree, new, fixed) else None
