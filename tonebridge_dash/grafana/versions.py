"""Which ``/apis`` version carries a push, and where Grafana says a
dashboard is to be read.

v2 dashboards are written as the resources of their version
(``for_dashboards``); the legacy ``/api`` cannot carry them. A dashboard
Grafana stores as v2 is not served by the legacy ``/api`` either: Grafana 12+
answers its read with 406 and the ``/apis`` path to read it at
(``stored_elsewhere``), as ``pkg/api/dashboard.go`` does.
"""

from __future__ import annotations

import re
from typing import Any

from ..dashboard.versioned import is_v2_data, version_of
from ..errors import UsageError
from .apis import GROUP, ApisClient


def for_dashboards(client, dashboards) -> Any:
    """The client that writes ``dashboards``: ``client`` for classic ones; for
    v2 resources (all of one version), an ``ApisClient`` at that version.
    The legacy /api cannot carry them: a usage error says what to do."""
    versions = sorted({version_of(r.data) if is_v2_data(r.data) else "v1" for r in dashboards})
    if versions in ([], ["v1"]):
        return client
    if len(versions) > 1:
        raise UsageError(f"the dashboards mix formats ({', '.join(versions)}): push one format at a time "
                         "(the settings' dashboards.schema, or one --from directory each)")
    if getattr(client, "at_version", None) is None:
        raise UsageError(f"{versions[0]} dashboards are written through Grafana's /apis "
                         f"({GROUP}/{versions[0]}), not the legacy /api: use --api apis (or auto, with "
                         "Grafana 12 or later)")
    return client.at_version(versions[0])


def stored_elsewhere(client, error) -> "ApisClient | None":
    """Grafana 12+ answers a legacy read of a dashboard stored as v2 with 406
    and the /apis path to read it at: an ``ApisClient`` there (reading the
    version stored), else None."""
    m = _USE_INSTEAD.search(getattr(error, "grafana_message", "") or "")
    if getattr(error, "status", None) != 406 or m is None:
        return None
    base = client.client if isinstance(client, ApisClient) else client
    return ApisClient(base, m.group(1), m.group(2), keep_stored=True)


_USE_INSTEAD = re.compile(r"use /apis/dashboard\.grafana\.app/([a-z0-9]+)/namespaces/([a-z0-9-]+)/dashboards/")
