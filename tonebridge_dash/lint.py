"""``tb-dash validate``: the rules a dashboard must pass before it ships.

Each rule is a small function over one dashboard (or, for uid uniqueness,
all of them) that yields ``(panel, message)`` pairs; ``RULES`` gives each its
severity and a one-line fix hint. The Prometheus rules follow
grafana/dashboard-linter's (same names, without its ``-rule`` suffix);
``schema`` reuses ``schema.py``'s compiled validators; the layout rules
catch what Grafana would silently rearrange.

Exclusions come from the settings (``validate.exclude``): a rule, optionally
narrowed to a dashboard uid and a panel title, and a reason.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Iterable, Iterator, Sequence

import promql_parser as pp

from . import promql
from .promql import as_list, as_object
from .errors import UsageError
from .findings import ERROR, WARNING, Outcome
from .render import UID_RE


GRID_COLUMNS = 24
DATASOURCE_VARIABLES = ("datasource", "prometheus_datasource")
PROMETHEUS = "prometheus"
COUNTER_FUNCTIONS = ("rate", "irate", "increase")
RATE_FUNCTIONS = ("rate", "irate")
# Panel types that show data and so need targets (rows, text and the like do not).
QUERY_PANELS = ("timeseries", "stat", "gauge", "bargauge", "table", "heatmap", "piechart", "histogram",
                "barchart", "state-timeline", "status-history", "graph", "singlestat", "trend", "xychart")
# dashboard-linter applies its title/description and unit rules to these.
DESCRIBED_PANELS = ("stat", "singlestat", "graph", "table", "timeseries", "gauge")

# Grafana's unit ids (packages/grafana-data/src/valueFormats/categories.ts).
UNITS = frozenset("""
none string short percent percentunit humidity dB hex0x hex sci locale pixel
accMS2 accFS2 accG degree radian grad arcmin arcsec areaM2 areaF2 areaMI2
flops mflops gflops tflops pflops eflops zflops yflops
ppm conppb conngm3 conngNm3 conμgm3 conμgNm3 conmgm3 conmgNm3 congm3 congNm3 conmgdL conmmolL
currencyUSD currencyGBP currencyEUR currencyJPY currencyRUB currencyUAH currencyBRL currencyDKK
currencyISK currencyNOK currencySEK currencyCZK currencyCHF currencyPLN currencyBTC currencymBTC
currencyμBTC currencyZAR currencyINR currencyKRW currencyIDR currencyPHP currencyVND
bytes decbytes bits decbits kbytes deckbytes mbytes decmbytes gbytes decgbytes tbytes dectbytes
pbytes decpbytes pps binBps Bps binbps bps KiBs Kibits KBs Kbits MiBs Mibits MBs Mbits GiBs Gibits
GBs Gbits TiBs Tibits TBs Tbits PiBs Pibits PBs Pbits
dateTimeAsIso dateTimeAsIsoNoDateIfToday dateTimeAsUS dateTimeAsUSNoDateIfToday dateTimeAsLocal
dateTimeAsLocalNoDateIfToday dateTimeAsSystem dateTimeFromNow
watt kwatt megwatt gwatt mwatt Wm2 voltamp kvoltamp voltampreact kvoltampreact watth watthperkg
kwatth kwattm amph kamph mamph joule ev amp kamp mamp volt kvolt mvolt dBm ohm kohm Mohm farad
µfarad nfarad pfarad ffarad henry mhenry µhenry lumens
flowgpm flowcms flowcfs flowcfm litreh flowlpm flowmlpm lux forceNm forcekNm forceN forcekN
Hs KHs MHs GHs THs PHs EHs massmg massg masslb masskg masst
lengthmm lengthin lengthft lengthm lengthkm lengthmi
pressurembar pressurebar pressurekbar pressurepa pressurehpa pressurekpa pressurehg pressurepsi
radbq radci radgy radrad radsv radmsv radusv radrem radexpckg radr radsvh radmsvh radusvh
rotrpm rothz rotrads rotdegs celsius fahrenheit kelvin
hertz ns µs ms s m h d dtdurationms dtdurations dthms dtdhms timeticks clockms clocks
cps ops reqps rps wps iops cpm opm rpm wpm
velocityms velocitykmh velocitymph velocityknot mlitre litre m3 Nm3 dm3 gallons
bool bool_yes_no bool_on_off
""".split())
# Custom units Grafana formats itself: "suffix:req", "currency:CHF", "si:g"...
CUSTOM_UNIT = re.compile(r"^(prefix|suffix|si|count|currency|time|bool):")


@dataclass(frozen=True)
class Finding:
    severity: str
    rule: str
    dashboard: str  # uid
    panel: str  # panel title ("" for the dashboard itself)
    message: str
    hint: str
    panel_id: Any = None

    def where(self) -> str:
        return self.panel or "(dashboard)"


@dataclass(frozen=True)
class Issue:
    """What a rule function yields: where and what, optionally a severity
    other than the rule's."""

    panel: dict | None
    message: str
    severity: str | None = None


@dataclass(frozen=True)
class Rule:
    name: str
    severity: str
    summary: str
    hint: str
    fn: Callable[["Dashboard"], Iterable[Issue]]


@dataclass
class Dashboard:
    """One dashboard as the rules see it: its JSON, its panels and the
    settings (for rules that depend on what the project asked for)."""

    uid: str
    title: str
    data: dict
    panels: list[dict]
    cfg: Any = None
    variables: dict[str, str] = field(default_factory=dict)
    parsed: list[tuple] = field(default_factory=list)  # (panel, target, expr or error, undefined)

    @classmethod
    def of(cls, rendered, cfg=None) -> "Dashboard":
        data = rendered.data
        panels = list(promql.dashboard_panels(data))
        variables = promql.dashboard_variables(data)
        return cls(rendered.uid, rendered.title, data, panels, cfg, variables, _parse_targets(panels, variables))

    def template(self, name: str) -> dict | None:
        for v in self.templating():
            if v.get("name") == name:
                return v
        return None

    def templating(self) -> list[dict]:
        return promql.template_variables(self.data)

    def datasource_variable(self) -> dict | None:
        for v in self.templating():
            if v.get("type") == "datasource":
                return v
        return None

    def parsed_targets(self) -> Iterator[tuple[dict, dict, Any]]:
        """(panel, target, parsed expression or PromQLSyntaxError) for every
        Prometheus target."""
        for p, t, expr, _ in self.parsed:
            yield p, t, expr

    def undefined_variables(self) -> Iterator[tuple[dict, dict, tuple[str, ...]]]:
        for p, t, _, undefined in self.parsed:
            if undefined:
                yield p, t, undefined


def _parse_targets(panels: list[dict], variables: dict[str, str]) -> list[tuple]:
    """Every Prometheus target, parsed once per dashboard for all the rules."""
    values = promql.Values.for_lint()
    out = []
    for p in panels:
        for t in as_list(p.get("targets")):
            if isinstance(t, dict) and isinstance(t.get("expr"), str):
                s = promql.substitute(t["expr"], variables, values)
                try:
                    expr: Any = promql.parse(s.text)
                except promql.PromQLSyntaxError as e:
                    expr = e
                out.append((p, t, expr, s.undefined))
    return out


def _ref(t: dict) -> str:
    return f"[{t.get('refId', '?')}]"


# --- Grafana's schema ---------------------------------------------------------
_PANEL_PATH = re.compile(r"^panels\[(\d+)\](?:\.panels\[(\d+)\])?")


def rule_schema(d: Dashboard) -> Iterator[Issue]:
    from .schema import validate_dashboard

    top = as_list(d.data.get("panels"))
    for issue in validate_dashboard(d.data):
        panel = None
        m = _PANEL_PATH.match(issue.path)
        if m:
            try:
                panel = top[int(m.group(1))]
                if m.group(2) is not None:
                    panel = panel["panels"][int(m.group(2))]
            except (IndexError, KeyError, TypeError):
                panel = None
        if isinstance(panel, dict) and ".gridPos." in issue.path and _grid(panel) is not None:
            continue  # out of range: grid-bounds says it with the fix
        yield Issue(panel if isinstance(panel, dict) else None, str(issue))


# --- layout ---------------------------------------------------------------------
def _grid(p: dict) -> tuple[int, int, int, int] | None:
    g = p.get("gridPos")
    if not isinstance(g, dict):
        return None
    try:
        return int(g.get("x", 0)), int(g.get("y", 0)), int(g.get("w", 0)), int(g.get("h", 0))
    except (TypeError, ValueError):
        return None


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
    boxes = [(p, _grid(p)) for p in panels]
    boxes = [(p, g) for p, g in boxes if g is not None]
    for i, (a, (ax, ay, aw, ah)) in enumerate(boxes):
        for b, (bx, by, bw, bh) in boxes[i + 1:]:
            if ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah:
                yield Issue(b, f"overlaps panel '{a.get('title', '')}' (id {a.get('id')}): "
                               f"x={bx}, y={by}, {bw}x{bh} against x={ax}, y={ay}, {aw}x{ah}")


def rule_panel_overlap(d: Dashboard) -> Iterator[Issue]:
    top = [p for p in as_list(d.data.get("panels")) if isinstance(p, dict)]
    yield from _overlaps(top)
    for row in top:  # a collapsed row keeps its panels inside it
        inner = [p for p in as_list(row.get("panels")) if isinstance(p, dict)]
        yield from _overlaps(inner)


def rule_panel_id_unique(d: Dashboard) -> Iterator[Issue]:
    seen: dict[Any, dict] = {}
    for p in d.panels:
        pid = p.get("id")
        if pid is None:
            yield Issue(p, "has no id")
        elif not isinstance(pid, int) or isinstance(pid, bool):
            yield Issue(p, f"has id {pid!r}, not a number")
        elif pid in seen:
            yield Issue(p, f"has id {pid}, already used by panel '{seen[pid].get('title', '')}'")
        else:
            seen[pid] = p


def rule_uid_format(d: Dashboard) -> Iterator[Issue]:
    uid = d.data.get("uid")
    if not isinstance(uid, str) or not UID_RE.match(uid):
        yield Issue(None, f"uid {uid!r} is not valid for Grafana (1-40 characters of a-z, A-Z, 0-9, _ and -)")


# --- datasource -----------------------------------------------------------------
def _variable_reference(uid: Any, d: Dashboard) -> bool:
    ds = d.datasource_variable()
    if ds is None:
        return False
    name = ds.get("name", "")
    return uid in (f"${name}", f"${{{name}}}")


def _datasource_problem(ds: Any, d: Dashboard) -> str | None:
    if isinstance(ds, str):
        return f"datasource is the string {ds!r}, not a {{type, uid}} reference"
    if not isinstance(ds, dict):
        return "has no datasource"
    if ds.get("type") != PROMETHEUS:
        return f"datasource type is {ds.get('type')!r}, not 'prometheus'"
    if not _variable_reference(ds.get("uid"), d):
        name = as_object(d.datasource_variable()).get("name", "datasource")
        return f"datasource uid is {ds.get('uid')!r}, not the dashboard's variable '${{{name}}}'"
    return None


def rule_template_datasource(d: Dashboard) -> Iterator[Issue]:
    variables = [v for v in d.templating() if v.get("type") == "datasource"]
    if not variables:
        yield Issue(None, "has no datasource variable")
        return
    for v in variables:
        if v.get("query") != PROMETHEUS:
            yield Issue(None, f"datasource variable '{v.get('name')}' lists {v.get('query')!r} datasources, "
                              "not 'prometheus'")
        if v.get("name") not in DATASOURCE_VARIABLES:
            yield Issue(None, f"datasource variable is named '{v.get('name')}', should be 'datasource'")
        if v.get("label") not in ("Data source", "Prometheus data source"):
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


def rule_panel_no_targets(d: Dashboard) -> Iterator[Issue]:
    for p in d.panels:
        if p.get("type") in QUERY_PANELS and not p.get("targets"):
            yield Issue(p, f"is a {p.get('type')} panel with no queries")


# --- targets --------------------------------------------------------------------------
def rule_target_promql(d: Dashboard) -> Iterator[Issue]:
    for p, t, expr in d.parsed_targets():
        if isinstance(expr, promql.PromQLSyntaxError):
            yield Issue(p, f"target {_ref(t)} is not valid PromQL: {expr}")
    for p, t, undefined in d.undefined_variables():
        yield Issue(p, f"target {_ref(t)} uses undefined variable(s) {', '.join('$' + u for u in undefined)}")


def rule_target_rate_interval(d: Dashboard) -> Iterator[Issue]:
    for p, t, expr in d.parsed_targets():
        if isinstance(expr, promql.PromQLSyntaxError):
            continue
        for node, parents in promql.walk(expr):
            if (isinstance(node, pp.MatrixSelector) and parents
                    and promql.function_name(parents[-1]) in RATE_FUNCTIONS
                    and node.range != promql.RATE_INTERVAL_MARKER_DELTA):
                fn = promql.function_name(parents[-1])
                yield Issue(p, f"target {_ref(t)}: {fn}() over a fixed range [{pp.display_duration(node.range)}], "
                               "not [$__rate_interval]")


def rule_target_counter_agg(d: Dashboard) -> Iterator[Issue]:
    for p, t, expr in d.parsed_targets():
        if isinstance(expr, promql.PromQLSyntaxError):
            continue
        for node, parents in promql.walk(expr):
            if not isinstance(node, pp.VectorSelector):
                continue
            name = promql.metric_name(node) or ""
            if not name.endswith("_total"):
                continue
            inside = (len(parents) >= 2 and isinstance(parents[-1], pp.MatrixSelector)
                      and promql.function_name(parents[-2]) in COUNTER_FUNCTIONS)
            if not inside:
                yield Issue(p, f"target {_ref(t)}: counter '{name}' is not inside rate(), irate() or increase()")


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
         "set a short stable uid, e.g. tb-<module>", rule_uid_format),
    Rule("uid-unique", ERROR, "no two dashboards share a uid",
         "give each dashboard its own uid (derived from its module name)", None),  # across dashboards
    Rule("panel-id-unique", ERROR, "every panel has an id, unique in its dashboard",
         "let the dashboard number its panels (auto_panel_ids)", rule_panel_id_unique),
    Rule("grid-bounds", ERROR, "every panel fits the 24-column grid (x >= 0, w >= 1, x + w <= 24)",
         "reduce w or x so that x + w <= 24", rule_grid_bounds),
    Rule("panel-overlap", ERROR, "no two panels cover the same grid cells",
         "move one panel down (y) or sideways (x), or shrink it", rule_panel_overlap),
    Rule("template-datasource", ERROR, "a Prometheus datasource variable named 'datasource' exists",
         "add the datasource variable (type datasource, query prometheus, label 'Data source')",
         rule_template_datasource),
    Rule("panel-datasource", ERROR, "every panel with queries uses {type: prometheus, uid: ${datasource}}",
         "use panels.common.DATASOURCE, never a datasource name or a fixed uid", rule_panel_datasource),
    Rule("target-datasource", ERROR, "every target's datasource, when set, is {type: prometheus, "
         "uid: ${datasource}}", "use panels.common.target(), which sets the reference", rule_target_datasource),
    Rule("template-job", ERROR, "a 'job' query variable: multi, allValue '.+', on ${datasource}",
         "use dashboards._common.job_instance_variables()", rule_template_job),
    Rule("template-instance", ERROR, "an 'instance' query variable: multi, allValue '.+', on ${datasource}",
         "use dashboards._common.job_instance_variables()", rule_template_instance),
    Rule("template-label-promql", ERROR, "every query variable's PromQL parses",
         "fix the selector inside label_values(...) or query_result(...)", rule_template_label_promql),
    Rule("panel-title-description", WARNING, "every data panel has a title and a description",
         "pass a description to the panel factory", rule_panel_title_description),
    Rule("panel-units", WARNING, "every data panel has a unit (an unknown unit id is an error)",
         "set unit= to one of Grafana's unit ids (reqps, s, percentunit, bytes...)", rule_panel_units),
    Rule("panel-no-targets", ERROR, "every data panel has at least one query",
         "add a target, or remove the panel", rule_panel_no_targets),
    Rule("target-promql", ERROR, "every target parses as PromQL once Grafana's variables are substituted",
         "fix the expression in panels/queries.py; test it with promtool or the Prometheus UI",
         rule_target_promql),
    Rule("target-rate-interval", ERROR, "rate() and irate() use [$__rate_interval]",
         "use the dashboard scope's window ($__rate_interval) instead of a fixed range",
         rule_target_rate_interval),
    Rule("target-counter-agg", ERROR, "a *_total counter is only read inside rate(), irate() or increase()",
         "wrap the counter in rate(...[$__rate_interval]) or increase(...)", rule_target_counter_agg),
    Rule("uneditable-dashboard", ERROR, "dashboards are not editable in the UI "
         "(unless the settings set dashboards.editable: true)",
         "set dashboards.editable: false (the default), or exclude the rule with a reason",
         rule_uneditable_dashboard),
)
RULE_NAMES = tuple(r.name for r in RULES)


def _uid_unique(dashboards: Sequence[Dashboard]) -> Iterator[tuple[Dashboard, Issue]]:
    seen: dict[str, Dashboard] = {}
    for d in dashboards:
        if d.uid in seen:
            yield d, Issue(None, f"uid '{d.uid}' is also used by '{seen[d.uid].title}'")
        else:
            seen[d.uid] = d


@dataclass
class Result(Outcome):
    findings: list[Finding] = field(default_factory=list)
    excluded: list[tuple[Finding, str]] = field(default_factory=list)  # (finding, reason)
    dashboards: list[tuple[str, str]] = field(default_factory=list)  # (uid, title)
    seconds: float = 0.0

    def to_json(self) -> dict:
        return {
            "ok": not self.errors(),
            "dashboards": len(self.dashboards),
            "errors": len(self.errors()),
            "warnings": len(self.warnings()),
            "excluded": len(self.excluded),
            "seconds": round(self.seconds, 4),
            "findings": [asdict(f) for f in self.findings],
            "excluded_findings": [{**asdict(f), "reason": reason} for f, reason in self.excluded],
        }


def check_exclusions(exclusions: Iterable) -> None:
    for i, e in enumerate(exclusions):
        if e.rule not in RULE_NAMES:
            raise UsageError(f"validate.exclude[{i}]: unknown rule '{e.rule}' (rules: {', '.join(RULE_NAMES)})")


def _excluded_by(f: Finding, exclusions: Iterable) -> str | None:
    for e in exclusions:
        if (e.rule == f.rule and (e.dashboard is None or e.dashboard == f.dashboard)
                and (e.panel is None or e.panel == f.panel)):
            return e.reason
    return None


def validate(rendered: Sequence, cfg=None, rules: Sequence[Rule] = RULES) -> Result:
    """Run ``rules`` over every dashboard of ``rendered``."""
    import time

    started = time.perf_counter()
    exclusions = tuple(getattr(cfg, "exclusions", ()) or ())
    check_exclusions(exclusions)
    dashboards = [Dashboard.of(r, cfg) for r in rendered]
    by_rule = {r.name: r for r in rules}
    result = Result(dashboards=[(d.uid, d.title) for d in dashboards])
    raw: list[tuple[Rule, Dashboard, Issue]] = []
    for d in dashboards:
        for rule in rules:
            if rule.fn is not None:
                raw.extend((rule, d, issue) for issue in rule.fn(d))
    if "uid-unique" in by_rule:
        raw.extend((by_rule["uid-unique"], d, issue) for d, issue in _uid_unique(dashboards))
    for rule, d, issue in raw:
        p = issue.panel or {}
        f = Finding(issue.severity or rule.severity, rule.name, d.uid, str(p.get("title", "")) if issue.panel
                    is not None else "", issue.message, rule.hint, p.get("id"))
        reason = _excluded_by(f, exclusions)
        if reason is None:
            result.findings.append(f)
        else:
            result.excluded.append((f, reason))
    result.seconds = time.perf_counter() - started
    return result


def format_text(result: Result) -> str:
    """Findings grouped by dashboard, then a summary line."""
    lines = []
    for uid, title in result.dashboards:
        found = [f for f in result.findings if f.dashboard == uid]
        seen = set()
        if not found:
            lines.append(f"{uid}  {title}: ok")
            continue
        lines.append(f"{uid}  {title}")
        for f in found:
            lines.append(f"  {f.severity:<7} {f.rule:<23} {f.where()}: {f.message}")
            if (f.rule, f.hint) not in seen:  # one hint per rule and dashboard is enough
                seen.add((f.rule, f.hint))
                lines.append(f"  {'':<7} {'':<23} hint: {f.hint}")
    e, w, x = len(result.errors()), len(result.warnings()), len(result.excluded)
    excluded = f", {x} excluded by the settings" if x else ""
    lines.append(f"validated {len(result.dashboards)} dashboards: {e} error(s), {w} warning(s){excluded}")
    return "\n".join(lines)


def build_unchecked(cfg, package: str | None = None) -> list:
    """What ``render`` would write, built in memory but not yet checked
    against the schema (``validate`` reports every problem instead of
    stopping at the first)."""
    from .normalize import normalize
    from .registry import DEFAULT_PACKAGE, discover
    from .render import Rendered, plain

    out = []
    for m in discover(package or DEFAULT_PACKAGE):
        data = normalize(plain(m.build(cfg)), cfg.dashboards.schema_version)
        out.append(Rendered(str(data.get("uid", "")), str(data.get("title", "")), data, m.module))
    return sorted(out, key=lambda r: r.uid)
