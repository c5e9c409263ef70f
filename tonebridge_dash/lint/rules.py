"""The rules a dashboard must pass before it ships, and their table.

Each rule is a small function over one dashboard (``view.Dashboard``) that
yields ``Issue``s; ``RULES`` gives each its severity and a one-line fix
hint. The Prometheus rules follow grafana/dashboard-linter's (same names,
without its ``-rule`` suffix); ``schema`` reuses the compiled validators of
``dashboard.schema``; the layout rules catch what Grafana would silently
rearrange. ``uid-unique`` compares dashboards: ``lint.validate`` runs it.
The rules the settings shape (``validate.rules``) are ``house``'s."""

from __future__ import annotations

import re
from typing import Any, Iterator

import promql_parser as pp

from ..findings import ERROR, WARNING
from ..model import GRID_COLUMNS, PROMETHEUS, UID_RE, as_list, as_object, non_finite
from ..prometheus import promql
from ..dashboard.schema import validate_dashboard
from . import linter, ported
from .elastic import ELASTIC_RULES
from .house import HOUSE_RULES, rule_target_counter_agg
from .units import CUSTOM_UNIT, UNITS
from .view import HOUSE, Dashboard, Issue, Rule, ref as _ref

DATASOURCE_VARIABLES = ("datasource", "prometheus_datasource")
DATASOURCE_TYPES = (PROMETHEUS, "elasticsearch")  # a log dashboard's variable lists Elasticsearch datasources
RATE_FUNCTIONS = ("rate", "irate")
# Panel types that show data and so need targets (rows, text and the like do not).
QUERY_PANELS = ("timeseries", "stat", "gauge", "bargauge", "table", "heatmap", "piechart", "histogram",
                "barchart", "state-timeline", "status-history", "graph", "singlestat", "trend", "xychart")
# dashboard-linter applies its title/description and unit rules to these.
DESCRIBED_PANELS = ("stat", "singlestat", "graph", "table", "timeseries", "gauge")


# --- Grafana's schema ---------------------------------------------------------
_PANEL_PATH = re.compile(r"^panels\[(\d+)\](?:\.panels\[(\d+)\])?")


def _panel_at(top: list, path: str) -> dict | None:
    """The panel a JSON path inside the dashboard points into, if any."""
    m = _PANEL_PATH.match(path)
    if not m:
        return None
    try:
        panel = top[int(m.group(1))]
        if m.group(2) is not None:
            panel = panel["panels"][int(m.group(2))]
    except (IndexError, KeyError, TypeError):
        return None
    return panel if isinstance(panel, dict) else None


def rule_schema(d: Dashboard) -> Iterator[Issue]:
    """House profile: the schemas as they are (our own output meets them).
    Otherwise errors are what Grafana would refuse; what it fills with a
    default or migrates on load (a missing key, an old key) is a warning,
    the first of each part."""
    top = as_list(d.data.get("panels"))
    for path, value in () if d.decoded else non_finite(d.data):  # the schemas call NaN a number; JSON does not
        yield Issue(_panel_at(top, path), f"{path}: {value} is not a JSON number (a number must be finite)")
    house = d.profile == HOUSE
    errors = validate_dashboard(d.data, lenient=not house)
    for issue in errors:
        panel = _panel_at(top, issue.path)
        if panel is not None and ".gridPos." in issue.path and _grid(panel) is not None:
            continue  # out of range: grid-bounds says it with the fix
        yield Issue(panel, str(issue))
    if not house and not errors:
        for issue in validate_dashboard(d.data, every=False):
            yield Issue(_panel_at(top, issue.path), f"{issue} (Grafana fills or migrates it on load)", WARNING)


# --- layout ---------------------------------------------------------------------
def _grid(p: dict) -> tuple[int, int, int, int] | None:
    g = p.get("gridPos")
    if not isinstance(g, dict):
        return None
    try:
        return int(g.get("x", 0)), int(g.get("y", 0)), int(g.get("w", 0)), int(g.get("h", 0))
    except (TypeError, ValueError, OverflowError):
        return None


def _row_height(p: dict, g: tuple | None) -> tuple | None:
    return (g[0], g[1], g[2], 1) if g is not None and p.get("type") == "row" else g


def rule_grid_bounds(d: Dashboard) -> Iterator[Issue]:
    for p in d.panels:
        g = _grid(p)
        if g is None:
            yield Issue(p, "has no gridPos {x, y, w, h}")
            continue
        x, y, w, h = g
        if w < 1 or h < 1:
            yield Issue(p, f"is {w} columns wide and {h} rows high; both must be at least 1")
        elif x < 0 or y < 0:
            yield Issue(p, f"starts outside the grid at x={x}, y={y}")
        elif x + w > GRID_COLUMNS:
            yield Issue(p, f"is {w} columns wide at x={x}: ends at column {x + w}, "
                           f"the grid has {GRID_COLUMNS}")


def _overlaps(panels: list[dict]) -> Iterator[Issue]:
    """Each panel that covers a cell a panel before it (above it, or left of
    it on the same row) already covers, with one panel it overlaps. A sweep
    down the grid that keeps, per column, the panel reaching lowest: linear
    in the panels (the grid is 24 columns wide; comparing every pair took
    minutes for a large dashboard). Cells outside the grid are grid-bounds'."""
    boxes = sorted((g[1], g[0], i, p, g) for i, p in enumerate(panels)  # Grafana draws a row 1 unit high
                   if (g := _row_height(p, _grid(p))) is not None and g[2] >= 1 and g[3] >= 1)
    lowest: list[tuple[int, dict, tuple] | None] = [None] * GRID_COLUMNS  # per column: (bottom, panel, grid)
    for _, _, _, b, (bx, by, bw, bh) in boxes:
        columns = range(max(bx, 0), min(bx + bw, GRID_COLUMNS))
        hit = next((lowest[c] for c in columns if lowest[c] is not None and lowest[c][0] > by), None)
        if hit is not None:
            _, a, (ax, ay, aw, ah) = hit
            yield Issue(b, f"overlaps panel '{a.get('title', '')}' (id {a.get('id')}): "
                           f"x={bx}, y={by}, {bw}x{bh} against x={ax}, y={ay}, {aw}x{ah}")
        for c in columns:
            if lowest[c] is None or lowest[c][0] < by + bh:
                lowest[c] = (by + bh, b, (bx, by, bw, bh))


def rule_panel_overlap(d: Dashboard) -> Iterator[Issue]:
    """An error for the house; for any other dashboard a warning: Grafana's
    grid pushes an overlapping panel down when it loads the dashboard."""
    top = [p for p in as_list(d.data.get("panels")) if isinstance(p, dict)]
    inner = [[p for p in as_list(row.get("panels")) if isinstance(p, dict)] for row in top]
    for panels in [top] + inner:  # a collapsed row keeps its panels inside it
        for issue in _overlaps(panels):
            yield issue if d.profile == HOUSE else Issue(issue.panel, issue.message + " (Grafana moves it down)",
                                                          WARNING)


def rule_panel_id_unique(d: Dashboard) -> Iterator[Issue]:
    """A missing or repeated id: a warning outside the house (Grafana gives a new one on load)."""
    seen: dict[Any, dict] = {}
    fills, severity = ("", None) if d.profile == HOUSE else (" (Grafana assigns it a new one on load)", WARNING)
    for p in d.panels:
        pid = p.get("id")
        if pid is None:
            yield Issue(p, f"has no id{fills}", severity)
        elif not isinstance(pid, int) or isinstance(pid, bool):
            yield Issue(p, f"has id {pid!r}, not a number")
        elif pid in seen:
            yield Issue(p, f"has id {pid}, already used by panel '{seen[pid].get('title', '')}'{fills}", severity)
        else:
            seen[pid] = p


def rule_uid_format(d: Dashboard) -> Iterator[Issue]:
    uid = d.data.get("uid")
    if uid is None or uid == "":
        return  # Grafana assigns one on import
    if not isinstance(uid, str) or not UID_RE.fullmatch(uid):
        yield Issue(None, f"uid {uid!r} is not valid for Grafana (1-40 characters of a-z, A-Z, 0-9, _ and -)")


# --- datasource -----------------------------------------------------------------
def _variable_reference(uid: Any, d: Dashboard, kind: str | None = None) -> bool:
    """Whether ``uid`` is the dashboard's (first) datasource variable, or one listing ``kind`` datasources."""
    names = [v.get("name", "") for v in d.templating() if v.get("type") == "datasource" and v.get("query") == kind] \
        if kind else [as_object(d.datasource_variable()).get("name")] if d.datasource_variable() else []
    return any(uid in (f"${n}", f"${{{n}}}") for n in names)


def _datasource_problem(ds: Any, d: Dashboard) -> str | None:
    if isinstance(ds, str):
        return f"datasource is the string {ds!r}, not a {{type, uid}} reference"
    if not isinstance(ds, dict):
        return "has no datasource"
    if ds.get("type") != PROMETHEUS and not (ds.get("type") in DATASOURCE_TYPES and _variable_reference(
            ds.get("uid"), d, ds.get("type"))):  # a log dashboard's Elasticsearch panels: its own variable
        return f"datasource type is {ds.get('type')!r}, not 'prometheus'"
    if not _variable_reference(ds.get("uid"), d, ds.get("type") if ds.get("type") != PROMETHEUS else None):
        name = as_object(d.datasource_variable()).get("name", "datasource")
        return f"datasource uid is {ds.get('uid')!r}, not the dashboard's variable '${{{name}}}'"
    return None


def rule_template_datasource(d: Dashboard) -> Iterator[Issue]:
    variables = [v for v in d.templating() if v.get("type") == "datasource"]
    if not variables:
        yield Issue(None, "has no datasource variable")
        return
    for v in variables:
        kind = v.get("query") if v.get("query") in DATASOURCE_TYPES else PROMETHEUS
        if v.get("query") != kind:
            yield Issue(None, f"datasource variable '{v.get('name')}' lists {v.get('query')!r} datasources, "
                              "not 'prometheus'")
        if v.get("name") not in (*DATASOURCE_VARIABLES, f"{kind}_datasource"):
            yield Issue(None, f"datasource variable is named '{v.get('name')}', should be 'datasource'")
        if v.get("label") not in ("Data source", f"{kind.title()} data source"):
            yield Issue(None, f"datasource variable is labelled {v.get('label')!r}, should be 'Data source'",
                        WARNING)


def rule_panel_datasource(d: Dashboard) -> Iterator[Issue]:
    for p in d.panels:
        if p.get("type") in QUERY_PANELS or p.get("targets"):
            problem = _datasource_problem(p.get("datasource"), d)
            if problem:
                yield Issue(p, problem)


def rule_target_datasource(d: Dashboard) -> Iterator[Issue]:
    for p in d.panels:
        for t in as_list(p.get("targets")):
            if isinstance(t, dict) and "datasource" in t:  # a target without one uses the panel's
                problem = _datasource_problem(t["datasource"], d)
                if problem:
                    yield Issue(p, f"target {_ref(t)} {problem}")


# --- template variables -----------------------------------------------------------
def _filter_template(d: Dashboard, name: str) -> Iterator[Issue]:
    ds = d.datasource_variable()
    if ds is None or ds.get("query") != PROMETHEUS:
        return  # not a Prometheus dashboard: template-datasource says so
    v = d.template(name)
    if v is None:
        yield Issue(None, f"has no '{name}' variable")
        return
    if v.get("type") != "query":
        yield Issue(None, f"'{name}' variable is of type {v.get('type')!r}, should be a Prometheus query")
    uid = as_object(v.get("datasource")).get("uid") if isinstance(v.get("datasource"), dict) else v.get("datasource")
    if not _variable_reference(uid, d):
        yield Issue(None, f"'{name}' variable queries datasource {uid!r}, should use '${{{ds.get('name')}}}'")
    if not v.get("multi"):
        yield Issue(None, f"'{name}' variable should allow several values (multi)")
    if v.get("allValue") != ".+":
        yield Issue(None, f"'{name}' variable's allValue is {v.get('allValue')!r}, should be '.+'")
    if str(v.get("label", "")).lower() != name:
        yield Issue(None, f"'{name}' variable is labelled {v.get('label')!r}, should be '{name}'", WARNING)


def rule_template_job(d: Dashboard) -> Iterator[Issue]:
    return _filter_template(d, "job")


def rule_template_instance(d: Dashboard) -> Iterator[Issue]:
    return _filter_template(d, "instance")


def rule_template_label_promql(d: Dashboard) -> Iterator[Issue]:
    values = promql.Values.for_lint()
    for v in d.templating():
        if v.get("type") != "query":
            continue
        vq = promql.variable_query(v.get("query"))
        if vq.promql is None:
            continue
        s = promql.substitute(vq.promql, d.variables, values)
        try:
            promql.parse(s.text)
        except promql.PromQLSyntaxError as e:
            yield Issue(None, f"variable '{v.get('name')}' query is not valid PromQL: {e}")
        if s.undefined:
            yield Issue(None, f"variable '{v.get('name')}' uses undefined variable(s) "
                              f"{', '.join('$' + u for u in s.undefined)}")


# --- panels -------------------------------------------------------------------------
def rule_panel_title_description(d: Dashboard) -> Iterator[Issue]:
    for p in d.panels:
        if p.get("type") in DESCRIBED_PANELS:
            missing = [k for k in ("title", "description") if not str(p.get(k) or "").strip()]
            if missing:
                yield Issue(p, f"has no {' and no '.join(missing)}")


def rule_panel_units(d: Dashboard) -> Iterator[Issue]:
    for p in d.panels:
        if p.get("type") not in DESCRIBED_PANELS:
            continue
        field_config = as_object(p.get("fieldConfig"))
        unit = as_object(field_config.get("defaults")).get("unit")
        for o in as_list(field_config.get("overrides")):
            for prop in as_list(as_object(o).get("properties")):
                if isinstance(prop, dict) and prop.get("id") == "unit" and prop.get("value"):
                    unit = unit or prop["value"]
        if not unit:
            yield Issue(p, "has no unit")
        elif not isinstance(unit, str) or (unit not in UNITS and not CUSTOM_UNIT.match(unit)):
            yield Issue(p, f"unit {unit!r} is not one of Grafana's units", ERROR)


def rule_threshold_order(d: Dashboard) -> Iterator[Issue]:
    for p in d.panels:
        defaults = as_object(as_object(p.get("fieldConfig")).get("defaults"))
        steps = [s for s in as_list(as_object(defaults.get("thresholds")).get("steps")) if isinstance(s, dict)]
        values = [s.get("value") for s in steps[1:]]  # the first step is the base (no value)
        numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if any(b <= a for a, b in zip(numbers, numbers[1:])):
            shown = ", ".join(f"{s.get('color')} from {s.get('value')}" for s in steps[1:])
            yield Issue(p, f"threshold steps are not in ascending order ({shown}): Grafana would colour "
                           "by the last step a value reaches, not by the level it breaches")


def rule_panel_no_targets(d: Dashboard) -> Iterator[Issue]:
    for p in d.panels:
        if p.get("type") in QUERY_PANELS and not p.get("targets"):
            yield Issue(p, f"is a {p.get('type')} panel with no queries")


# --- targets --------------------------------------------------------------------------
def rule_target_promql(d: Dashboard, p: dict, t: dict, expr: Any, undefined: tuple) -> Iterator[Issue]:
    if isinstance(expr, promql.PromQLSyntaxError):
        yield Issue(p, f"target {_ref(t)} is not valid PromQL: {expr}")
    if undefined:
        yield Issue(p, f"target {_ref(t)} uses undefined variable(s) {', '.join('$' + u for u in undefined)}")


def rule_target_rate_interval(d: Dashboard, p: dict, t: dict, expr: Any, undefined: tuple) -> Iterator[Issue]:
    if isinstance(expr, promql.PromQLSyntaxError):
        return
    for node, parents in promql.walk(expr):
        if (isinstance(node, pp.MatrixSelector) and parents
                and promql.function_name(parents[-1]) in RATE_FUNCTIONS
                and node.range != promql.RATE_INTERVAL_MARKER_DELTA):
            fn = promql.function_name(parents[-1])
            yield Issue(p, f"target {_ref(t)}: {fn}() over a fixed range [{pp.display_duration(node.range)}], "
                           "not [$__rate_interval]")


def rule_uneditable_dashboard(d: Dashboard) -> Iterator[Issue]:
    # Applies unless the settings ask for editable dashboards (dashboards.editable: true).
    if d.cfg is not None and getattr(d.cfg.dashboards, "editable", False):
        return
    if d.data.get("editable", True):
        yield Issue(None, "is editable in the UI; dashboards as code should set editable: false")


RULES: tuple[Rule, ...] = (
    Rule("schema", ERROR, "matches Grafana's dashboard and panel-plugin JSON Schemas",
         "fix the key named in the message (see Grafana's dashboard JSON model)", rule_schema),
    Rule("uid-format", ERROR, "uid is 1-40 characters of a-z, A-Z, 0-9, _ and -",
         "set a short stable uid, e.g. a prefix and the module name", rule_uid_format),
    Rule("uid-unique", ERROR, "no two dashboards share a uid",
         "give each dashboard its own uid (derived from its module name)", None),  # across dashboards
    Rule("panel-id-unique", ERROR, "every panel has an id, unique in its dashboard",
         "number the panels once per dashboard (grafanalib: auto_panel_ids())", rule_panel_id_unique),
    Rule("grid-bounds", ERROR, "every panel fits the 24-column grid (x >= 0, w >= 1, x + w <= 24)",
         "reduce w or x so that x + w <= 24", rule_grid_bounds),
    Rule("panel-overlap", ERROR, "no two panels cover the same grid cells",
         "move one panel down (y) or sideways (x), or shrink it", rule_panel_overlap),
    Rule("template-datasource", ERROR, "a Prometheus datasource variable named 'datasource' exists",
         "add the datasource variable (type datasource, query prometheus, label 'Data source')",
         rule_template_datasource, scope="linter", linter=ported.linter_template_datasource),
    Rule("panel-datasource", ERROR, "every panel with queries uses {type: prometheus, uid: ${datasource}}",
         "reference the variable, {\"type\": \"prometheus\", \"uid\": \"${datasource}\"}, never a "
         "datasource name or a fixed uid", rule_panel_datasource, scope="linter",
         linter=ported.linter_panel_datasource),
    Rule("target-datasource", ERROR, "every target's datasource, when set, is {type: prometheus, "
         "uid: ${datasource}}", "give the target the panel's reference, or none (it then uses the panel's)",
         rule_target_datasource, scope="house"),
    Rule("template-job", ERROR, "a 'job' query variable: multi, allValue '.+', on ${datasource}",
         "add a query variable 'job' on ${datasource}: label_values(<metric>, job), multi, include All "
         "with allValue '.+'", rule_template_job, scope="linter", linter=ported.linter_template_job),
    Rule("template-instance", ERROR, "an 'instance' query variable: multi, allValue '.+', on ${datasource}",
         "add a query variable 'instance' on ${datasource}: label_values(<metric>{job=~\"$job\"}, instance), "
         "multi, include All with allValue '.+'", rule_template_instance, scope="linter",
         linter=ported.linter_template_instance),
    Rule("template-label-promql", ERROR, "every query variable's PromQL parses",
         "fix the selector inside label_values(...) or query_result(...)", rule_template_label_promql,
         linter=ported.linter_template_label_promql),
    Rule("panel-title-description", WARNING, "every data panel has a title and a description",
         "give the panel a description (shown as its tooltip)", rule_panel_title_description, scope="linter",
         linter=ported.linter_panel_title_description),
    Rule("panel-units", WARNING, "every data panel has a unit (an unknown unit id is an error)",
         "set unit= to one of Grafana's unit ids (reqps, s, percentunit, bytes...)", rule_panel_units, scope="linter",
         linter=ported.linter_panel_units),
    Rule("threshold-order", ERROR, "threshold steps ascend by value (a warning level below a critical one, "
         "or above it where low is worse, still ascends)",
         "order the steps by value; for a measure where low is worse, reverse the colours, not the values "
         "(in the settings: warning below critical, or above it with lower_is_worse)", rule_threshold_order),
    Rule("panel-no-targets", ERROR, "every data panel has at least one query",
         "add a target, or remove the panel", rule_panel_no_targets, linter=ported.linter_panel_no_targets),
    Rule("target-promql", ERROR, "every target parses as PromQL once Grafana's variables are substituted",
         "fix the expression; try it in the Prometheus UI or with promtool",
         None, rule_target_promql, linter=ported.linter_target_promql),
    Rule("target-rate-interval", ERROR, "rate() and irate() use [$__rate_interval]",
         "use [$__rate_interval], which Grafana fits to the scrape interval and step",
         None, rule_target_rate_interval, scope="linter", linter=ported.linter_target_rate_interval),
    Rule("target-counter-agg", ERROR, "a *_total counter is only read inside rate(), irate() or increase()",
         "wrap the counter in rate(...[$__rate_interval]) or increase(...)", None, rule_target_counter_agg,
         scope="linter", linter=ported.linter_target_counter_agg),
    Rule("uneditable-dashboard", ERROR, "dashboards are not editable in the UI "
         "(unless the settings set dashboards.editable: true)",
         "set dashboards.editable: false (the default), or exclude the rule with a reason",
         rule_uneditable_dashboard, scope="linter", linter=ported.linter_uneditable_dashboard),
    Rule("template-on-time-change-reload", ERROR, "query variables refresh on time range change (refresh 2)",
         "set the variable's refresh to 2 ('On time range change'); tb-dash validate DIR --fix does it",
         linter.rule_template_on_time_change_reload, scope="linter"),
    Rule("target-job", ERROR, "every PromQL selector has a job=~\"$job\" matcher",
         "add job=~\"$job\" to the selector", None, linter.rule_target_job, scope="advice"),
    Rule("target-instance", ERROR, "every PromQL selector has an instance=~\"$instance\" matcher",
         "add instance=~\"$instance\" to the selector", None, linter.rule_target_instance, scope="advice"),
    Rule("target-logql", ERROR, "every Loki target is well-formed LogQL",
         "fix the expression; try it in Grafana's Explore", linter.rule_target_logql),
    Rule("target-logql-auto", ERROR, "Loki range queries use [$__auto]",
         "use [$__auto], which Grafana fits to the step", linter.rule_target_logql_auto, scope="linter"),
    *ELASTIC_RULES,
    *HOUSE_RULES,
)
RULE_NAMES = tuple(r.name for r in RULES)
