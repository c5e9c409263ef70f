"""The house rules a team shapes with the settings (``validate.rules``,
read by ``configured``): required label matchers, unused variables
(``references``), ``histogram_quantile`` without ``le`` (``histogram``),
run in the house profile only (``rules.RULES`` lists them after the
others); and the house version of ``target-counter-agg``, whose counters
the settings name."""

from __future__ import annotations

import re
from typing import Any, Iterator

import promql_parser as pp

from ..findings import ERROR, WARNING
from ..model import as_object
from ..prometheus import promql
from .configured import of
from .histogram import rule_target_histogram_le
from .references import rule_template_unused
from .view import Dashboard, Issue, Rule, ref as _ref

COUNTER_FUNCTIONS = ("rate", "irate", "increase")
_VARIABLE = re.compile(r"^\$(\w+)\Z|^\$\{(\w+)\}\Z")


def _datasources(d: Dashboard, p: dict, t: dict) -> tuple[str, ...]:
    """The target's datasource uid (else its panel's) as written, and as the variable it names holds."""
    ds = t.get("datasource") if t.get("datasource") is not None else p.get("datasource")
    uid = as_object(ds).get("uid") if isinstance(ds, dict) else ds
    if not isinstance(uid, str):
        return ()
    m = _VARIABLE.match(uid)
    held = d.variables.get(m.group(1) or m.group(2)) if m else None
    return (uid,) if held is None else (uid, held)


def rule_target_required_matchers(d: Dashboard, p: dict, t: dict, expr: Any, undefined: tuple) -> Iterator[Issue]:
    required = of(d.cfg).required
    if not required or expr is None or isinstance(expr, promql.PromQLSyntaxError):
        return
    datasources = _datasources(d, p, t)
    seen = set()
    for node, _ in promql.walk(expr):
        if not isinstance(node, pp.VectorSelector):
            continue
        metric = promql.metric_name(node)
        present = {m.name for m in node.matchers.matchers}
        for r in required:
            if not r.covers(metric, datasources):
                continue
            for label in r.labels:
                if label not in present and (metric, label) not in seen:
                    seen.add((metric, label))
                    yield Issue(p, f"target {_ref(t)}: selector '{metric or node}' has no {label} matcher "
                                   f"(required for {r.describe()})")


def rule_target_counter_agg(d: Dashboard, p: dict, t: dict, expr: Any, undefined: tuple) -> Iterator[Issue]:
    """Any selector of a counter, matchers or not (dashboard-linter's text
    check misses ``x_total{job="a"}``; ``ported`` keeps its verdict): a name
    with one of the settings' suffixes, or matching their regex
    (``validate.rules.target-counter-agg``). A subquery of it is a range too."""
    if isinstance(expr, promql.PromQLSyntaxError):
        return
    counters = of(d.cfg)
    for node, parents in promql.walk(expr):
        if not isinstance(node, pp.VectorSelector):
            continue
        name = promql.metric_name(node) or ""
        if not counters.is_counter(name):
            continue
        inside = (len(parents) >= 2 and isinstance(parents[-1], (pp.MatrixSelector, pp.SubqueryExpr))
                  and promql.function_name(parents[-2]) in COUNTER_FUNCTIONS)
        if not inside:
            yield Issue(p, f"target {_ref(t)}: counter '{name}' is not inside rate(), irate() or increase()")


HOUSE_RULES: tuple[Rule, ...] = (
    Rule("target-required-matchers", ERROR, "every selector the settings name (by metric or datasource) carries "
         "a matcher on each required label (validate.rules.target-required-matchers)",
         "add the matcher, e.g. job=~\"$job\"; a query that must read every job: exclude it with a reason "
         "(validate.exclude)", None, rule_target_required_matchers, scope="house"),
    Rule("template-unused", WARNING, "every variable is used by a query, title, link, other variable or repeat "
         "(validate.rules.template-unused.ignore names exceptions)",
         "use the variable (a filter that no query reads does nothing) or remove it; "
         "tb-dash validate DIR --profile house --fix removes it when nothing refers to it",
         rule_template_unused, scope="house"),
    Rule("target-histogram-le", ERROR, "histogram_quantile() over classic buckets keeps le: every aggregation "
         "between them is by (..., le) (raw buckets not aggregated: validate.rules.target-histogram-le.per_series)",
         "aggregate the buckets sum by (le) (...), or by (le, <label>) per label value; "
         "tb-dash validate DIR --profile house --fix adds le where that alone is the fix",
         None, rule_target_histogram_le, scope="house"),
)
