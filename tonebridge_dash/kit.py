"""What content is written with: the one module ``panels/``, ``dashboards/``,
``alerts/`` and imported dashboard modules import from the engine.

- layout: ``Cell``, ``Row``, ``row``, ``grid`` (place panels in rows);
  ``tabs``, ``auto_grid`` (a dashboard's ``V2_LAYOUT``: its rows as tabs or
  on an auto grid when it is rendered as a v2 resource);
- raw panels, as ``tb-dash import`` writes them: ``dashboard``, ``panel``,
  ``prom``, ``query``, ``at``, ``row_panel``, ``RawPanel``, ``DATASOURCE``;
- the metric catalog's types: ``Metric``, ``COUNTER``, ``GAUGE``,
  ``HISTOGRAM``, ``SUMMARY``, ``SCRAPE``; the synthetic traffic ``Profile``;
- rule files: ``RuleFile``, ``Group``, ``Alert``, ``Record``, ``RulesError``;
  Grafana-managed log alerts: ``LogRuleGroup``, ``LogAlert``;
- the settings' ``Threshold``, ``seconds`` (a duration), ``build_one`` (a
  dashboard built as render builds it) and ``iter_panels``;
- the log side, as modules: ``lucene`` (query_string text with every value
  escaped: ``lucene.term``, ``phrase``, ``contains``...) and ``elastic``
  (Grafana's Elasticsearch targets: ``elastic.target``, ``terms``...).

Each name is loaded on first use, so a command that needs only the layout
does not load the rules or the synthetic traffic.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "Cell": "dashboard.layout", "Row": "dashboard.layout", "row": "dashboard.layout", "grid": "dashboard.layout",
    "tabs": "dashboard.layout", "auto_grid": "dashboard.layout",
    "build_one": "dashboard.render",
    "RawPanel": "importing.raw", "DATASOURCE": "importing.raw", "at": "importing.raw",
    "dashboard": "importing.raw", "panel": "importing.raw", "prom": "importing.raw", "query": "importing.raw",
    "row_panel": "importing.raw",
    "Metric": "prometheus.catalog", "COUNTER": "prometheus.catalog", "GAUGE": "prometheus.catalog",
    "HISTOGRAM": "prometheus.catalog", "SUMMARY": "prometheus.catalog", "SCRAPE": "prometheus.catalog",
    "Profile": "prometheus.synthetic",
    "Alert": "alerting.rules", "Group": "alerting.rules", "Record": "alerting.rules", "RuleFile": "alerting.rules",
    "RulesError": "alerting.rules",
    "LogAlert": "alerting.grafana", "LogRuleGroup": "alerting.grafana",
    "Threshold": "settings",
    "seconds": "durations",
    "iter_panels": "model",
}

# Names that are whole modules of the engine.
_MODULES = {"lucene": "elasticsearch.lucene_query", "elastic": "elasticsearch.targets"}

__all__ = sorted([*_WHERE, *_MODULES])


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        value = importlib.import_module(f"{__package__}.{_MODULES[name]}")
        globals()[name] = value
        return value
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__package__}.{where}"), name)
    globals()[name] = value  # found once
    return value


def __dir__() -> list[str]:
    return __all__
