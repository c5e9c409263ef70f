"""The dashboard model: grid layout, normalization of grafanalib's output to
the current Grafana model, Grafana's JSON Schemas, the rendering path and
the lint rules of ``validate``."""
