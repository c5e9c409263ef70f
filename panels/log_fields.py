"""The log-field catalog: every field of the spec's structured log line
(§3.1), with the Elasticsearch type Fluentd's records get from the dynamic
mapping (no index template in the spec): a string is ``text`` with an exact
``<field>.keyword`` twin (``keyword``, values up to 256 characters), a whole
number ``long``, the ISO-8601 ``timestamp`` a ``date``. ``metadata`` is an
object: its fields are ``metadata.<name>``.

This is the contract with the services' loggers, as ``panels.metrics`` is
with their instrumentation: the queries (``panels.log_queries``) search the
text fields and aggregate or match exactly on the keyword twins.
"""

from __future__ import annotations

from dataclasses import dataclass

TEXT, KEYWORD, LONG, DATE = "text", "keyword", "long", "date"
KEYWORD_SUFFIX = ".keyword"


@dataclass(frozen=True)
class LogField:
    name: str  # the dotted name in the index (metadata.model_used)
    type: str  # as the dynamic mapping types it
    description: str
    example: object
    seed: str = "§3.1"

    @property
    def keyword(self) -> str | None:
        """The exact twin of a text field (``level.keyword``), else None."""
        return self.name + KEYWORD_SUFFIX if self.type == TEXT else None

    @property
    def exact(self) -> str:
        """The field to match a whole value on or aggregate by."""
        return self.keyword or self.name


def _f(name: str, kind: str, description: str, example: object, seed: str = "§3.1") -> LogField:
    return LogField(name, kind, description, example, seed)


TIMESTAMP = _f("timestamp", DATE, "When the line was written, ISO 8601 in UTC", "2024-01-15T10:30:45.123Z")
LEVEL = _f("level", TEXT, "The level: TRACE, DEBUG, INFO, WARN, ERROR or FATAL (§2.2)", "INFO", "§3.1, §2.2")
SERVICE = _f("service", TEXT, "The service that wrote the line", "gateway")
TRACE_ID = _f("trace_id", TEXT, "The trace of the request (OpenTelemetry, §5): opens it in Jaeger",
              "550e8400-e29b-41d4-a716-446655440000", "§3.1, §5")
SPAN_ID = _f("span_id", TEXT, "The span of the request", "b7ad6b7169203331")
USER_ID = _f("user_id", TEXT, "The user the request is for", "user_123")
ORG_ID = _f("org_id", TEXT, "The user's organisation", "org_456")
METHOD = _f("method", TEXT, "The HTTP method", "POST")
PATH = _f("path", TEXT, "The request path", "/api/v1/transform")
STATUS = _f("status", LONG, "The HTTP status answered", 200)
DURATION_MS = _f("duration_ms", LONG, "How long the request took, in milliseconds", 234)
MESSAGE = _f("message", TEXT, "What happened, in words (searched by the audit patterns, §10.2)",
             "Transform request completed successfully", "§3.1, §10.2")
TRANSFORMATION_TYPE = _f("metadata.transformation_type", TEXT, "The kind of transformation", "tone")
TARGET_TONE = _f("metadata.target_tone", TEXT, "The tone asked for", "warm")
TEXT_LENGTH = _f("metadata.text_length", LONG, "The input text's length, in characters", 150)
MODEL_USED = _f("metadata.model_used", TEXT, "The LLM model used", "gpt-4")
# §8.1 aggregates errors by error_type.keyword: an error line carries its
# kind of error as a top-level field beside §3.1's (as zap writes a field
# added to an Error call), which §3.1's example, a successful request, lacks.
ERROR_TYPE = _f("error_type", TEXT, "An error line's kind of error (§8.1)", "timeout", "§8.1")

LOG_FIELDS: tuple[LogField, ...] = (TIMESTAMP, LEVEL, SERVICE, TRACE_ID, SPAN_ID, USER_ID, ORG_ID, METHOD, PATH,
                                    STATUS, DURATION_MS, MESSAGE, TRANSFORMATION_TYPE, TARGET_TONE, TEXT_LENGTH,
                                    MODEL_USED, ERROR_TYPE)
BY_NAME = {f.name: f for f in LOG_FIELDS}

# §2.2's levels, by value.
LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")


def mapping_types() -> dict[str, str]:
    """Every field of the catalog and its keyword twin, by name: what
    ``GET <index>/_field_caps`` shows for an index of such lines."""
    out: dict[str, str] = {}
    for f in LOG_FIELDS:
        out[f.name] = f.type
        if f.keyword:
            out[f.keyword] = KEYWORD
    return out
