"""Alerting: Prometheus rule files from the content's rule definitions, and
the Alertmanager configuration from the settings."""
