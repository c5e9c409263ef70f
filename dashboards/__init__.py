"""ToneBridge's dashboards. Each public module has ``build(cfg)`` returning a
grafanalib Dashboard; it holds layout only (no PromQL, no Lucene). The engine discovers
them (the settings' ``content.dashboards`` names this package); a new module here is a new dashboard."""
