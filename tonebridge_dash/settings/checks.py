"""What the settings' JSON Schema cannot say, checked after the layers are
merged: names the content does not define, selectors that are not PromQL
label matchers, thresholds that contradict themselves, durations of
nothing. Each problem is one ``SettingsError`` naming the file and key."""

from __future__ import annotations

from typing import Any, Mapping

from ..durations import seconds
from ..errors import SettingsError, clip
from ..model import json_nodes, json_path

# Sections whose keys the content defines: the settings file may change
# their values, not invent new ones (a typo would be silently ignored).
CONTENT_KEYED = ("thresholds", "selectors")


def _unprintable(text: str) -> str | None:
    """The first character of ``text`` that is a control character (C0 but
    tab, DEL, C1) or a bidirectional override, isolate or mark."""
    for ch in text:
        n = ord(ch)
        if (n < 32 and ch != "\t") or 0x7F <= n <= 0x9F or 0x202A <= n <= 0x202E or 0x2066 <= n <= 0x2069 \
                or n in (0x200E, 0x200F, 0x061C):
            return ch
    return None


def printable(raw: Any, source: str) -> None:
    """No key or string of the settings holds a control or bidi character:
    they end up in file names, YAML comments, manifests and terminals, and
    the schema's patterns would let a final newline through. Checked before
    the schema; the value is never quoted (it may be a secret)."""
    for value, link, _ in json_nodes(raw):
        texts = [(value, link)] if isinstance(value, str) else []
        if isinstance(value, dict):
            texts += [(key, (link, key)) for key in value if isinstance(key, str)]
        for text, where in texts:
            bad = _unprintable(text)
            if bad is not None:
                what = "key" if text is not value else "value"
                raise SettingsError(f"{source}: key '{json_path(where)}': the {what} holds the control "
                                    f"character U+{ord(bad):04X} (not allowed in settings)")


def known_keys(raw: Mapping[str, Any], base: Mapping[str, Any], source: str) -> None:
    """A threshold or selector the content does not define is a typo."""
    for section in CONTENT_KEYED:
        for key in raw.get(section) or {}:
            if key not in base[section]:
                allowed = ", ".join(sorted(base[section])) or "none are defined"
                raise SettingsError(f"{source}: unknown key '{section}.{key}' (allowed: {allowed})")


def sources(raw: Mapping[str, Any], base: Mapping[str, str], source: str) -> None:
    """``sources:`` names metrics of the content's catalog (the keys of its
    default ``sources``) and sources the content defines (their values)."""
    import difflib

    known = sorted(set(base.values()))
    for metric, name in (raw.get("sources") or {}).items():
        where = f"{source}: key 'sources.{clip(metric, 60)}'"
        if metric not in base:
            close = difflib.get_close_matches(metric, list(base), n=1)
            hint = f" (did you mean {close[0]}?)" if close else "" if base else " (the content names none)"
            raise SettingsError(f"{where}: the content's catalog has no metric '{clip(metric, 60)}' "
                               f"that a source emits{hint}")
        if name not in known:
            raise SettingsError(f"{where}: unknown source '{clip(str(name), 60)}' (sources: {', '.join(known)})")


def selector(name: str, matchers: str, source: str) -> None:
    """Label matchers that PromQL accepts inside ``{...}``, or nothing."""
    if not matchers.strip():
        return
    import promql_parser

    try:
        promql_parser.parse(f"up{{{matchers}}}")
    except (ValueError, TypeError):
        raise SettingsError(f"{source}: key 'selectors.{name}': {matchers!r} is not a list of PromQL "
                            'label matchers (e.g. job="api", namespace=~"prod|stage")') from None


def threshold(name: str, t: Any, source: str) -> None:
    """A threshold (``settings.Threshold``) that contradicts itself: levels
    out of order for its direction, or a ratio outside 0..1 (an alert that
    can never fire)."""
    where = f"{source}: key 'thresholds.{name}'"
    for level, value in (("critical", t.critical), ("warning", t.warning)):
        if t.ratio and value is not None and not 0 <= value <= 1:
            raise SettingsError(f"{where}: {level} {value:g} is not a ratio between 0 and 1 (5% is 0.05)")
    if t.warning is None:
        return
    if t.lower_is_worse and not t.warning > t.critical:
        raise SettingsError(f"{where}: warning {t.warning:g} must be above critical {t.critical:g} "
                            "(lower is worse for this measure)")
    if not t.lower_is_worse and not t.warning < t.critical:
        raise SettingsError(f"{where}: warning {t.warning:g} must be below critical {t.critical:g} "
                            "(higher is worse for this measure)")


# Durations that must be longer than nothing: a zero window or interval is
# a rule file promtool rejects, or an Alertmanager that never repeats.
POSITIVE_DURATIONS = (("slo", "window"), ("alerts", "interval"), ("alertmanager", "group_interval"),
                      ("alertmanager", "repeat_interval"), ("alertmanager", "resolve_timeout"))
OTHER_DURATIONS = (("alertmanager", "group_wait"), ("dashboards", "refresh"))


def durations(merged: Mapping[str, Any], source: str) -> None:
    """Every duration is one Prometheus accepts (units largest first, at
    most 292 years: the schema's pattern allows ``30m1h`` and ``99999y``,
    which promtool rejects); windows and intervals are longer than nothing."""
    found = [(f"{section}.{key}", merged[section][key], (section, key) in POSITIVE_DURATIONS)
             for section, key in POSITIVE_DURATIONS + OTHER_DURATIONS]
    found += [(f"thresholds.{name}.for", t["for"], False) for name, t in merged["thresholds"].items() if "for" in t]
    for key, value, positive in found:
        if value == "":  # dashboards.refresh: no auto-refresh
            continue
        try:
            length = seconds(value)
        except ValueError as e:
            raise SettingsError(f"{source}: key '{key}': {e}") from None
        if positive and length <= 0:
            raise SettingsError(f"{source}: key '{key}': {value} must be longer than 0")
