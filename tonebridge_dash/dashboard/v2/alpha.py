"""Grafana 12's first preview of v2 (``dashboard.grafana.app/v2alpha1``) read
as v2beta1, the way Grafana converts it (``v2alpha1_to_v2beta1``): a query's
kind was its datasource type and its datasource sat beside it; a viz
config's kind was the plugin and its version inside its spec; an ad hoc or
group-by variable's datasource sat in its spec. Everything else is the same."""

from __future__ import annotations

import copy
from typing import Any

from .common import GROUP, lst, obj, string

ALPHA = "v2alpha1"


def _query(query: Any, datasource: Any) -> dict:
    """A v2alpha1 query (``{kind: <datasource type>, spec}``) and the
    datasource beside it as a v2beta1 ``DataQuery``."""
    out: dict[str, Any] = {"kind": "DataQuery", "group": string(query, "kind"), "version": "v0"}
    if isinstance(datasource, dict):
        out["datasource"] = {"name": datasource["uid"]} if isinstance(datasource.get("uid"), str) else {}
    out["spec"] = query.get("spec", {}) if isinstance(query, dict) else {}
    return out


def _element(element: Any) -> None:
    spec = obj(element, "spec")
    data = obj(obj(spec, "data"), "spec")
    for q in lst(data, "queries"):
        qs = obj(q, "spec")
        if qs:
            qs["query"] = _query(qs.get("query"), qs.pop("datasource", None))
    viz = obj(spec, "vizConfig")
    if viz and viz.get("kind") != "VizConfig":
        inner = obj(viz, "spec")
        version = inner.pop("pluginVersion", "")
        spec["vizConfig"] = {"kind": "VizConfig", "group": string(viz, "kind"),
                             "version": version if isinstance(version, str) else "", "spec": inner}


def upgrade(doc: dict) -> dict:
    """A v2alpha1 resource as v2beta1 (a copy); anything else unchanged."""
    if not (isinstance(doc, dict) and doc.get("apiVersion") == f"{GROUP}/{ALPHA}" and isinstance(doc.get("spec"),
                                                                                               dict)):
        return doc
    out = copy.deepcopy(doc)
    out["apiVersion"] = f"{GROUP}/v2beta1"
    spec = out["spec"]
    for element in (spec.get("elements") or {}).values() if isinstance(spec.get("elements"), dict) else ():
        _element(element)
    for a in lst(spec, "annotations"):
        inner = obj(a, "spec")
        if inner:
            inner["query"] = _query(inner.get("query"), inner.pop("datasource", None))
    for v in lst(spec, "variables"):
        inner = obj(v, "spec")
        if v.get("kind") == "QueryVariable" and inner:
            inner["query"] = _query(inner.get("query"), inner.pop("datasource", None))
        elif v.get("kind") in ("AdhocVariable", "GroupByVariable") and inner:
            ds = inner.pop("datasource", None)
            v["group"] = string(ds, "type")
            v["datasource"] = {"name": ds["uid"]} if isinstance(ds, dict) and isinstance(ds.get("uid"), str) else {}
    return out
