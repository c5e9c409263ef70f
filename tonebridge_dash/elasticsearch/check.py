"""``tb-dash check --elasticsearch-url``: every Elasticsearch target of the
dashboards run against a live cluster, the way Grafana runs it.

Each target becomes the ``_msearch`` item Grafana sends (``request``) over
the range Grafana queries its panel over (``msearch``: the panel's
``timeFrom``, else the dashboard's time range, at "now" or ``--time``), with
its dashboard's variables at their current values; a panel's targets go in
one ``_msearch``, as Grafana sends them. The fields every target reads (its aggregations, metrics, time field
and the ``field:`` names of its query) are compared with the index's
``_field_caps``. Findings:

- ``es-query-error``: Elasticsearch refused the search (a query Lucene cannot
  parse, a terms aggregation on a text field...), or Grafana would not send
  it (no metrics and no bucket aggregation);
- ``es-unknown-field``: a field the index does not have (a query on it
  matches nothing, silently; an aggregation on it shows no buckets);
- ``es-unknown-datasource``: the target's datasource is not one the settings
  provision (``logs.datasource``, ``logs.audit_datasource``), so its index is
  unknown;
- ``es-no-hits`` (a warning: no error line or no audit pattern in the window
  may be the healthy state): the search matched no document, and whether the
  index has any document in that time range at all.
"""

from __future__ import annotations

import difflib
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from ..errors import UsageError
from ..findings import ERROR, WARNING, CheckReport, Finding
from ..progress import Progress
from ..threads import signals_to_main_thread
from . import msearch
from .request import grafana_request, ndjson
from .client import ElasticsearchClient, error_reason

QUERY_ERROR = "es-query-error"
UNKNOWN_FIELD = "es-unknown-field"
NO_HITS = "es-no-hits"
UNKNOWN_DATASOURCE = "es-unknown-datasource"

HINTS = {
    QUERY_ERROR: "fix the query or aggregation; 'tb-dash validate' parses queries on Lucene without a cluster",
    UNKNOWN_FIELD: "compare the name with the index's mapping (GET <index>/_mapping); strings are text with "
                   "a .keyword twin for exact matches and terms aggregations",
    NO_HITS: "check the query's values and the time range; with no document in the range at all, is Fluentd "
             "shipping to this index?",
    UNKNOWN_DATASOURCE: "point the target at the provisioned Elasticsearch datasource (logs.datasource.uid)",
}


@dataclass(frozen=True)
class EsDatasource:
    """An Elasticsearch datasource the settings provision: what it reads."""

    uid: str
    name: str
    index: str
    time_field: str


def datasources(cfg: Any) -> dict[str, EsDatasource]:
    """The settings' Elasticsearch datasources by uid (none without ``logs``)."""
    logs = getattr(cfg, "logs", None)
    if logs is None:
        return {}
    out = {}
    for ds, index in ((logs.datasource, logs.index), (getattr(logs, "audit_datasource", None),
                                                      getattr(logs, "audit_index", ""))):
        if ds is not None and ds.uid and index and ds.uid not in out:
            out[ds.uid] = EsDatasource(ds.uid, ds.name, index, logs.time_field)
    return out


@dataclass(frozen=True)
class Planned:
    target: msearch.EsTarget
    datasource: EsDatasource | None
    query: str  # the query_string text sent ("" for every document)
    header: dict
    body: dict
    fields: tuple[str, ...]  # the fields it reads
    span: tuple[int, int]  # the time range, epoch milliseconds
    refused: str = ""  # why Grafana would not send it


def plan(rendered: Iterable, sources: dict[str, EsDatasource], now_ms: int) -> list[Planned]:
    """The searches ``check`` sends, in dashboard and panel order."""
    out = []
    for r in rendered:
        values = msearch.dashboard_values(r.data)
        for t in msearch.es_targets(r.data, r.uid, frozenset(sources)):
            ds = sources.get(t.datasource_uid)
            if ds is None:
                out.append(Planned(t, None, t.query, {}, {}, (), (0, 0)))
                continue
            try:
                header, body, query, span = msearch.search(t, r.data, ds.index, ds.time_field, now_ms, values)
            except UsageError as e:
                out.append(Planned(t, ds, t.query, {}, {}, (), (0, 0), e.message))
                continue
            fields = msearch.fields_of(t.target, ds.time_field) + msearch.query_fields(query)
            out.append(Planned(t, ds, query, header, body, tuple(dict.fromkeys(fields)), span))
    return out


def _finding(p: Planned, severity: str, kind: str, message: str) -> Finding:
    t = p.target
    return Finding(severity, kind, t.dashboard, t.panel, message, HINTS[kind], t.panel_id, t.ref_id,
                   p.query or "(every document)")


def _known(name: str, caps: dict[str, set[str]]) -> bool:
    return name in caps or name.startswith("_") or "*" in name or "?" in name


class _Run:
    def __init__(self, client: ElasticsearchClient) -> None:
        self.client = client
        self.caps: dict[str, dict[str, set[str]] | None] = {}
        self.totals: dict[tuple, int | None] = {}

    def fields(self, index: str) -> dict[str, set[str]] | None:
        if index not in self.caps:
            self.caps[index] = self.client.field_types(index)
        return self.caps[index]

    def documents_in_range(self, p: Planned) -> int | None:
        """How many documents of the index the time range holds (any query)."""
        key = (p.header["index"], p.datasource.time_field, p.span)
        if key not in self.totals:
            header, body = grafana_request({"metrics": [{"id": "1", "type": "raw_data", "settings": {"size": "1"}}]},
                                           index=p.header["index"], time_field=p.datasource.time_field,
                                           start_ms=p.span[0], end_ms=p.span[1])
            answer = self.client.msearch(ndjson([(header, body)]))[0]
            self.totals[key] = _total(answer) if "error" not in answer else None
        return self.totals[key]

    def panel(self, planned: list[Planned]) -> list[Finding]:
        found: list[Finding] = []
        sent = [p for p in planned if p.datasource is not None and not p.refused]
        for p in planned:
            if p.datasource is None:
                uid = p.target.datasource_uid or "(none)"
                found.append(_finding(p, ERROR, UNKNOWN_DATASOURCE,
                                      f"datasource '{uid}' is not an Elasticsearch datasource of the settings"))
            elif p.refused:
                found.append(_finding(p, ERROR, QUERY_ERROR, f"Grafana would not send it: {p.refused}"))
        if not sent:
            return found
        answers = self.client.msearch(ndjson([(p.header, p.body) for p in sent]))
        for p, answer in zip(sent, answers):
            found.extend(self.judge(p, answer))
        return found

    def judge(self, p: Planned, answer: dict) -> list[Finding]:
        found = []
        caps = self.fields(p.header["index"])
        if caps is None:
            return [_finding(p, WARNING, NO_HITS, f"no index matches '{p.header['index']}'")]
        unknown = [f for f in p.fields if not _known(f, caps)]
        if unknown:
            near = [m for f in unknown for m in difflib.get_close_matches(f, caps, n=1, cutoff=0.8)]
            found.append(_finding(p, ERROR, UNKNOWN_FIELD, f"field(s) the index '{p.header['index']}' does not "
                                                           f"have: {', '.join(unknown)}"
                                  + (f" (did you mean {', '.join(near)}?)" if near else "")))
        if "error" in answer:
            found.append(_finding(p, ERROR, QUERY_ERROR, f"Elasticsearch refused the search: {error_reason(answer)}"))
        elif _total(answer) == 0:
            inside = self.documents_in_range(p)
            why = "" if inside is None else (
                "; the index has no document at all in the time range" if inside == 0 else
                f"; the index has {inside}{'+' if inside >= 10000 else ''} documents in the time range, "
                "the query matches none")
            found.append(_finding(p, WARNING, NO_HITS, f"no hits{why}"))
        return found


def _total(answer: dict) -> int:
    total = (answer.get("hits") or {}).get("total")
    if isinstance(total, dict):
        return int(total.get("value") or 0)
    if isinstance(total, int):
        return total
    return len((answer.get("hits") or {}).get("hits") or [])


def run(rendered: Sequence, client: ElasticsearchClient, sources: dict[str, EsDatasource], *,
        at: float | None = None, concurrency: int = 4,
        progress: Progress | None = None) -> CheckReport:
    """Check every Elasticsearch target of ``rendered``; ``progress(done,
    total)`` is called (from this thread) as panels are answered."""
    started = time.perf_counter()
    now_ms = int((time.time() if at is None else at) * 1000)
    planned = plan(rendered, sources, now_ms)
    report = CheckReport(queries=len(planned), at=at, dashboards=[r.uid for r in rendered],
                         titles={r.uid: r.title for r in rendered})
    by_panel: dict[tuple, list[Planned]] = {}
    for p in planned:
        by_panel.setdefault((p.target.dashboard, p.target.panel_id, p.target.panel), []).append(p)
    report.panels = len(by_panel)
    if not planned:
        return report
    client.info()  # fails fast when the cluster is unreachable
    one = _Run(client)
    with ThreadPoolExecutor(max_workers=max(1, concurrency), initializer=signals_to_main_thread) as pool:
        for done, found in enumerate(pool.map(one.panel, by_panel.values()), 1):
            report.findings.extend(found)
            if progress is not None:
                progress(done, len(by_panel))
    report.seconds = time.perf_counter() - started
    return report
