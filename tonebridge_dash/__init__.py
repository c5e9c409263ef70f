"""tb-dash: monitoring as code. Grafana dashboards, Prometheus rules and the
Alertmanager configuration from one set of PromQL definitions, for any
service whose content (panels, dashboards, rule files, defaults) the
settings name.

Layers, lowest first: the root's shared base (settings, errors, findings,
output, model, content discovery, progress); ``alerting``; ``prometheus``;
``dashboard``; ``grafana``; and ``cli`` on top.
"""

__version__ = "0.1.0"
