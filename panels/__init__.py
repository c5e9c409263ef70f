"""ToneBridge's measures: the metric catalog, the PromQL written once, and
panel builders (pure functions ``<what>_<viz>(cfg)`` returning grafanalib
panels); on the log side, the log-field catalog (``log_fields``), the Lucene
queries written once (``log_queries``) and the log panels (``logs``)."""
