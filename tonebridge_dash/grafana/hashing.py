"""What a dashboard shows, and the hash tb-dash writes of it.

A push saves each dashboard with the version message ``tb-dash: <hash>
[<revision>]`` (on /apis, the hash is also the ``grafana.app/sourceChecksum``
annotation): the hash of what the dashboard shows, without what Grafana sets
on every save. A live dashboard whose content no longer has that hash was
changed by someone else. A v2 dashboard (a resource) is hashed as its
version, name and spec.
"""

from __future__ import annotations

import hashlib
import re

from ..files.write import encode_json
from ..model import as_object, is_resource

VOLATILE_KEYS = ("id", "version")  # set by Grafana on every save
NEW, UNCHANGED, CHANGED = "new", "unchanged", "changed"  # a diff's states (here: the push summary needs no diff)
MESSAGE_PREFIX = "tb-dash: "
HASHED_MESSAGE = re.compile(r"^tb-dash: ([0-9a-f]{12})(?: |\Z)")  # what version_message writes


def comparable(data: dict) -> dict:
    """The dashboard JSON without the keys Grafana owns; of a resource (a v2
    dashboard), its version, name and spec."""
    if is_resource(data):
        return {"apiVersion": data.get("apiVersion"), "kind": data.get("kind", "Dashboard"),
                "metadata": {"name": as_object(data.get("metadata")).get("name")}, "spec": data.get("spec")}
    return {k: v for k, v in data.items() if k not in VOLATILE_KEYS}


def content_hash(data: dict) -> str:
    """A short, stable hash of what a dashboard shows."""
    return hashlib.sha256(encode_json(comparable(data))).hexdigest()[:12]


def version_message(data: dict, revision: str | None) -> str:
    """The version message tb-dash saves with: ``tb-dash: <hash> [<revision>]``."""
    tail = f" [{revision}]" if revision else ""
    return f"{MESSAGE_PREFIX}{content_hash(data)}{tail}"


def saved_hash(version: dict) -> str | None:
    """The content hash in a version message tb-dash wrote, else None."""
    m = HASHED_MESSAGE.match(str(version.get("message") or ""))
    return m.group(1) if m else None
