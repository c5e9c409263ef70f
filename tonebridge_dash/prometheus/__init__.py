"""Prometheus: PromQL as dashboards hold it, the HTTP API client, ``check``
against a live server, and a throwaway server over synthetic traffic."""
