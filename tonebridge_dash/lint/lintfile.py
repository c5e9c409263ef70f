"""grafana/dashboard-linter's configuration file: a ``.lint`` in the
directory of a dashboard file excludes rules, or downgrades them to
warnings, for the dashboards of that directory (lint/configuration.go):

```yaml
exclusions:
  template-job-rule:                 # no entries: the whole rule
  target-instance-rule:
    reason: totals are across all instances
    entries:
      - dashboard: Apollo Server     # a dashboard's title
        panel: Requests Per Second   # a panel's title
        targetIdx: 2                 # a target's index in the panel's targets
warnings:
  panel-units-rule:
```

An entry matches a finding when each of its keys that is set matches what
the finding has (a finding of the whole dashboard has no panel and no
target, so an entry's ``panel`` and ``targetIdx`` do not narrow it); a rule
listed with no entries is matched by every finding of the rule. A finding
both excluded and downgraded is a warning, as in the linter. Rules are
named as dashboard-linter names them (``panel-units-rule``) or as tb-dash
does (``panel-units``); anything else in the file is an error (exit 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from ..errors import clip
from ..files.read import SETTINGS_LIMIT, InputError, check_plain, load_yaml, read_text

FILE = ".lint"
_ENTRY_KEYS = ("dashboard", "panel", "targetIdx", "targetidx", "alert", "reason")


@dataclass(frozen=True)
class Entry:
    dashboard: str | None = None  # title
    panel: str | None = None  # title
    target: int | None = None
    reason: str = ""

    def matches(self, dashboard: str, panel: str | None, target: int | None) -> bool:
        """IsMatch: ``panel`` None for a finding of the whole dashboard,
        ``target`` None for one that is not about a target."""
        return ((self.dashboard is None or self.dashboard == dashboard)
                and (self.panel is None or panel is None or self.panel == panel)
                and (self.target is None or target is None or self.target == target))


@dataclass(frozen=True)
class RuleEntries:
    reason: str
    entries: tuple[Entry, ...]  # empty: every finding of the rule

    def match(self, dashboard: str, panel: str | None, target: int | None) -> Entry | None:
        if not self.entries:
            return Entry(reason=self.reason)
        return next((e for e in self.entries if e.matches(dashboard, panel, target)), None)


@dataclass(frozen=True)
class LintFile:
    path: str
    exclusions: Mapping[str, RuleEntries]  # tb-dash rule name -> entries
    warnings: Mapping[str, RuleEntries]

    def excluded(self, rule: str, dashboard: str, panel: str | None, target: int | None) -> str | None:
        """The reason a finding is excluded, or None."""
        entries = self.exclusions.get(rule)
        found = entries.match(dashboard, panel, target) if entries is not None else None
        if found is None:
            return None
        return f"{found.reason or entries.reason or 'no reason given'} ({self.path})"

    def downgraded(self, rule: str, dashboard: str, panel: str | None, target: int | None) -> bool:
        entries = self.warnings.get(rule)
        return entries is not None and entries.match(dashboard, panel, target) is not None


def _rule_name(name: Any, where: str, rule_names: tuple[str, ...]) -> str:
    if isinstance(name, str):
        for candidate in (name, name.removesuffix("-rule")):
            if candidate in rule_names:
                return candidate
    raise InputError(f"{where}: unknown rule {clip(repr(name), 60)} (rules: {', '.join(rule_names)}, "
                     "each also with dashboard-linter's -rule suffix)")


def _text(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise InputError(f"{where}: expected a non-empty string, not {clip(repr(value), 60)}")
    return value


def _index(value: Any, where: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InputError(f"{where}: expected a target index (0, 1, ...), not {clip(repr(value), 60)}")
    return value


def _entries(value: Any, where: str) -> RuleEntries:
    if value is None:
        return RuleEntries("", ())
    if not isinstance(value, dict):
        raise InputError(f"{where}: expected a mapping with reason and entries, or nothing")
    unknown = sorted(set(value) - {"reason", "entries"})
    if unknown:
        raise InputError(f"{where}: unknown key '{clip(unknown[0], 60)}' (allowed: entries, reason)")
    reason = _text(value.get("reason"), f"{where}.reason") or ""
    raw = value.get("entries")
    if raw is not None and not isinstance(raw, list):
        raise InputError(f"{where}.entries: expected a list of entries")
    entries = []
    for i, e in enumerate(raw or []):
        at = f"{where}.entries[{i}]"
        if not isinstance(e, dict):
            raise InputError(f"{at}: expected a mapping (dashboard, panel, targetIdx, reason)")
        unknown = sorted(set(e) - set(_ENTRY_KEYS))
        if unknown:
            raise InputError(f"{at}: unknown key '{clip(unknown[0], 60)}' (allowed: dashboard, panel, targetIdx, "
                             "reason)")
        entries.append(Entry(_text(e.get("dashboard"), f"{at}.dashboard"), _text(e.get("panel"), f"{at}.panel"),
                             _index(e.get("targetIdx", e.get("targetidx")), f"{at}.targetIdx"),
                             _text(e.get("reason"), f"{at}.reason") or ""))
    return RuleEntries(reason, tuple(entries))


def parse(raw: Any, source: str, rule_names: tuple[str, ...]) -> LintFile:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise InputError(f"{source}: expected a mapping with exclusions and warnings")
    check_plain(raw, source)
    unknown = sorted(set(raw) - {"exclusions", "warnings"})
    if unknown:
        raise InputError(f"{source}: unknown key '{clip(unknown[0], 60)}' (allowed: exclusions, warnings)")
    parts: dict[str, dict[str, RuleEntries]] = {}
    for part in ("exclusions", "warnings"):
        rules = raw.get(part)
        if rules is not None and not isinstance(rules, dict):
            raise InputError(f"{source}: {part}: expected a mapping of rule names")
        parts[part] = {_rule_name(name, f"{source}: {part}", rule_names): _entries(value, f"{source}: {part}.{name}")
                       for name, value in (rules or {}).items()}
    return LintFile(source, parts["exclusions"], parts["warnings"])


def load(directory: Path, rule_names: tuple[str, ...]) -> LintFile | None:
    """The ``.lint`` file of ``directory``, or None when it has none; an
    ``InputError`` (one line, exit 2) when it is not a valid one."""
    path = directory / FILE
    if not path.exists() and not path.is_symlink():
        return None
    text = read_text(path, SETTINGS_LIMIT, "lint configuration file")
    return parse(load_yaml(text, str(path)), str(path), rule_names)
