"""The dashboard model: grid layout, normalization of grafanalib's output to
the current Grafana model, Grafana's JSON Schemas and the rendering path
(the lint rules of ``validate`` are the ``lint`` package's)."""
