"""The settings of the house rules a team shapes (``validate.rules``):

```yaml
validate:
  rules:
    target-required-matchers:          # each entry: selectors it covers need a matcher on each label
      - labels: [job]
        metrics: "myservice_.*"         # optional: a regex over the whole metric name
        datasource: prometheus          # optional: the target's datasource uid (as written or as its variable holds)
    template-unused: {ignore: []}       # variables never reported as unused
    target-histogram-le: {per_series: warning}   # raw buckets read with no aggregation: error|warning|off
    target-counter-agg: {suffixes: [_total], metrics: ""}   # what is a counter (metrics: a regex, e.g. a counter
                                                             # named without _total)
```

The engine's defaults are ``schemas/settings.defaults.yaml``'s; the content's
defaults and the settings file go over them (a list replaces, a mapping
merges). The JSON Schema checks the shape; a regular expression that does
not compile is a ``SettingsError`` here, when validate starts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

from ..errors import SettingsError, clip

OFF = "off"


@dataclass(frozen=True)
class Requirement:
    """One entry of ``target-required-matchers``."""

    labels: tuple[str, ...]
    metrics: re.Pattern | None = None
    datasource: str | None = None

    def covers(self, metric: str | None, datasources: tuple[str, ...]) -> bool:
        """Whether a selector of ``metric`` in a target of one of ``datasources``
        (its uid as written, and as its variable holds) must carry the labels."""
        if self.datasource is not None and self.datasource not in datasources:
            return False
        if self.metrics is not None and (metric is None or not self.metrics.fullmatch(metric)):
            return False
        return True

    def describe(self) -> str:
        parts = [f"metrics {self.metrics.pattern}" if self.metrics is not None else "",
                 f"datasource {self.datasource}" if self.datasource is not None else ""]
        return " and ".join(p for p in parts if p) or "every selector"


@dataclass(frozen=True)
class RuleSettings:
    required: tuple[Requirement, ...] = ()
    unused_ignore: frozenset[str] = frozenset()
    per_series: str = "warning"  # error, warning or off
    counter_suffixes: tuple[str, ...] = ("_total",)
    counter_metrics: re.Pattern | None = None

    def is_counter(self, metric: str | None) -> bool:
        if not metric:
            return False
        return metric.endswith(self.counter_suffixes) or (
            self.counter_metrics is not None and self.counter_metrics.fullmatch(metric) is not None)


def _regex(value: Any, where: str, source: str) -> re.Pattern | None:
    if value is None or value == "":
        return None
    try:
        return re.compile(str(value))
    except re.error as e:
        raise SettingsError(f"{source}: key '{where}': {clip(repr(value), 60)} is not a regular expression "
                            f"({e})") from None


def parse(rules: Mapping[str, Any], source: str = "the settings") -> RuleSettings:
    """``validate.rules`` (already checked by the settings' JSON Schema) as ``RuleSettings``."""
    required = []
    for i, entry in enumerate(rules.get("target-required-matchers") or ()):
        where = f"validate.rules.target-required-matchers.{i}"
        required.append(Requirement(tuple(entry["labels"]), _regex(entry.get("metrics"), f"{where}.metrics", source),
                                    entry.get("datasource") or None))
    unused = rules.get("template-unused") or {}
    histogram = rules.get("target-histogram-le") or {}
    counter = rules.get("target-counter-agg") or {}
    return RuleSettings(
        required=tuple(required),
        unused_ignore=frozenset(unused.get("ignore") or ()),
        per_series=histogram.get("per_series", "warning"),
        counter_suffixes=tuple(counter.get("suffixes", ("_total",))),
        counter_metrics=_regex(counter.get("metrics"), "validate.rules.target-counter-agg.metrics", source),
    )


_last: tuple[Any, RuleSettings] | None = None  # (cfg, its rule settings): every target asks


def of(cfg: Any) -> RuleSettings:
    """The rule settings of ``cfg`` (a ``Settings``; None: the engine's defaults)."""
    global _last
    if _last is not None and _last[0] is cfg:
        return _last[1]
    raw = getattr(cfg, "raw", None) or {}
    rules = (raw.get("validate") or {}).get("rules")
    if rules is None:
        from ..settings import DEFAULTS

        rules = DEFAULTS["validate"]["rules"]
    parsed = parse(rules, str(getattr(cfg, "source", "the settings")))
    _last = (cfg, parsed)
    return parsed
