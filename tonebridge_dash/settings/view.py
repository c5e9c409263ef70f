"""The settings as people read them: a commented starting file (``tb-dash
init``) and the effective settings with where each value came from
(``tb-dash config``).

Three layers make the settings, lowest first: the engine's defaults
(``schemas/settings.defaults.yaml``), the content's (``content.defaults``)
and the settings file. Each leaf value is attributed to the highest layer
that sets it. Secrets never appear: settings hold none by design (Alertmanager
reads them from files), and URLs are shown redacted.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterator, Mapping

import yaml

from ..errors import SettingsError, redact_url
from ..files.read import SETTINGS_LIMIT, InputError, load_yaml, read_text
from . import DEFAULT_FILE, DEFAULTS, SCHEMA_PATH, _merge, content_defaults, from_mapping

ENGINE, CONTENT, FILE = "engine default", "content default", "settings file"

# What ``init`` suggests under ``environments``: where push and diff go.
EXAMPLE_ENVIRONMENTS = {
    "staging": {"url": "https://grafana.staging.example.com"},
    "prod": {"url": "https://grafana.example.com", "folder": {"title": "Dashboards (prod)", "uid": "dashboards-prod"}},
}
_SECRET_KEY = re.compile(r"(token|password|secret|api_?key)\Z", re.I)


def read_file(path: Path) -> dict[str, Any]:
    """The settings file's own mapping (not merged)."""
    try:
        raw = load_yaml(read_text(path, SETTINGS_LIMIT, "settings file"), str(path))
    except InputError as e:
        raise SettingsError(e.message) from None
    return {} if raw is None else raw


def leaves(d: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted key, value) of every leaf; an empty mapping is a leaf."""
    for key, value in d.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            yield from leaves(value, path + ".")
        else:
            yield path, value


def effective(file: Mapping[str, Any] | None, source: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The merged settings and, for each leaf, the layer it came from.
    Validated as every command validates them."""
    file = dict(file or {})
    cfg = from_mapping(file, source)
    content = content_defaults(cfg.content.defaults)
    merged = _merge(_merge(DEFAULTS, content), file)
    layers = [(FILE, dict(leaves(file))), (f"{CONTENT} ({cfg.content.defaults})", dict(leaves(content)))]
    origins = {}
    for key, _ in leaves(merged):
        origins[key] = next((name for name, keys in layers if key in keys), ENGINE)
    return masked(merged), origins


def masked(value: Any, key: str = "") -> Any:
    """``value`` with URLs redacted and any key named like a secret masked."""
    if isinstance(value, Mapping):
        return {k: masked(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v, key) for v in value]
    if isinstance(value, str) and _SECRET_KEY.search(key) and not key.endswith("_file"):
        return "***"
    if isinstance(value, str) and re.match(r"https?://", value):
        return redact_url(value)
    return value


def as_text(merged: Mapping[str, Any], origins: Mapping[str, str]) -> str:
    """One line per leaf: ``key: value  # origin``, aligned."""
    rows = [(k, json.dumps(v, ensure_ascii=False), origins.get(k, ENGINE)) for k, v in leaves(merged)]
    width = min(max((len(k) + len(v) + 2 for k, v, _ in rows), default=0), 64)
    return "\n".join(f"{f'{k}: {v}':<{width}}  # {o}" for k, v, o in rows)


def _descriptions() -> dict[str, str]:
    """Top-level section -> its description in the settings schema."""
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return {k: v.get("description", "") for k, v in schema.get("properties", {}).items()}


def starter(content_module: str | None = None) -> str:
    """A commented ``tb-dash.yaml`` with every key at its default (the
    engine's under the content's) and two example environments."""
    module = content_module or DEFAULTS["content"]["defaults"]
    merged = _merge(DEFAULTS, content_defaults(module))
    merged["environments"] = EXAMPLE_ENVIRONMENTS
    notes = _descriptions()
    out = [f"# {DEFAULT_FILE}: tb-dash's settings, every key at its default.",
           "# Change what you need and delete the rest: a key left out keeps its default.",
           "# 'tb-dash config' shows the effective settings and where each value comes from;",
           "# 'tb-dash validate' checks them. Secrets never go here (see secret_files).", ""]
    for section, value in merged.items():
        if notes.get(section):
            out += [f"# {line}" for line in _wrap(notes[section])]
        if section == "environments":
            out.append("# Examples: replace the URLs with your Grafanas (push --env staging).")
        out.append(yaml.safe_dump({section: value}, sort_keys=False, allow_unicode=True, width=100).rstrip())
        out.append("")
    return "\n".join(out)


def _wrap(text: str, width: int = 88) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return lines + ([line] if line else [])
