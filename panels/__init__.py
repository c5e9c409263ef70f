"""ToneBridge's measures: the metric catalog, the PromQL written once, and
panel builders (pure functions ``<what>_<viz>(cfg)`` returning grafanalib
panels)."""
