"""The settings of the dashboards themselves (``dashboards``): their uids,
tags, time settings, the classic model's ``schemaVersion``, and which
dashboard format ``render`` and ``push`` write (``schema``).

Kept apart from ``settings`` so that each module stays one idea; the keys
and defaults are in ``schemas/settings.schema.json`` and
``schemas/settings.defaults.yaml`` like every other.
"""

from __future__ import annotations

from dataclasses import dataclass

# The dashboard formats: Grafana's classic JSON model (``v1``, what every
# Grafana since 5 reads) and the ``dashboard.grafana.app`` v2 resources
# (``v2beta1`` in Grafana 12, ``v2`` in Grafana 13).
CLASSIC = "v1"
SCHEMAS = (CLASSIC, "v2beta1", "v2")


@dataclass(frozen=True)
class DashboardDefaults:
    uid_prefix: str
    tags: tuple[str, ...]
    refresh: str
    time_from: str
    time_to: str
    timezone: str
    schema_version: int
    editable: bool
    schema: str = CLASSIC  # one of SCHEMAS

    @property
    def v2(self) -> bool:
        """Whether the dashboards are written as v2 resources."""
        return self.schema != CLASSIC
