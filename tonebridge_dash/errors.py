"""The project's own exceptions and the exit codes the CLI maps them to.

Every expected failure is a ``TbDashError``: the CLI prints its message as one
line on stderr and exits with its ``exit_code``. Anything else is a bug.
"""

from __future__ import annotations

import re

EXIT_OK = 0
EXIT_FAILED = 1  # something failed, or (diff/check/validate) the answer is "no"
EXIT_USAGE = 2  # usage, settings or input error
EXIT_REFUSED = 3  # push refused to overwrite a dashboard edited by hand


class TbDashError(Exception):
    """An expected failure with a one-line message and an exit code."""

    exit_code = EXIT_FAILED

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else self.__class__.__name__


class UsageError(TbDashError):
    """Bad arguments, settings or input files."""

    exit_code = EXIT_USAGE


class SettingsError(UsageError):
    """The settings file is missing, unreadable or invalid."""


class RenderError(TbDashError):
    """A dashboard failed to build or does not match Grafana's schema."""



_USERINFO = re.compile(r"^((?:[A-Za-z][A-Za-z0-9+.-]*:)?//)?[^?#]*@")


def redact_url(url: str) -> str:
    """``url`` fit to print in a message: the user and password before ``@``
    become ``***``, and so does every value of the query string (``?token=``,
    ``?api_key=``...) and the fragment. The host, port and path stay, so the
    message still says where."""
    head, sep, fragment = str(url).partition("#")
    head, qmark, query = head.partition("?")
    head = _USERINFO.sub(lambda m: f"{m.group(1) or ''}***@", head)
    if qmark:
        head += "?" + "&".join(f"{p.partition('=')[0]}=***" if "=" in p else ("***" if p else "")
                               for p in query.split("&"))
    return head + ("#***" if sep and fragment else sep)


def clip(text: str, limit: int = 200) -> str:
    """``text`` as one line of at most about ``limit`` characters: a message
    never quotes an unbounded value (a megabyte key, a value a YAML alias
    expanded) nor breaks the one-line rule with a newline inside a value."""
    if len(text) > limit:
        half = max(limit // 2 - 2, 1)
        text = f"{text[:half]} ... {text[-half:]}"
    return shown(text)


# What a terminal would act on rather than show: C0 controls (ESC starts a
# sequence that sets the window title or moves the cursor; CR and LF forge
# lines), DEL, C1 controls (0x9b is a one-byte ESC [), the line and
# paragraph separators and the bidirectional marks, embeddings, overrides
# and isolates (text that reads in another order than it runs).
_UNSHOWN = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(m: re.Match) -> str:
    ch = m.group()
    return _ESCAPES.get(ch) or (f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")


def shown(text: str) -> str:
    """``text`` that came from outside (a title from Grafana or a file, a
    value from the settings) fit for a line of human-readable output:
    control and bidirectional characters written as escapes (``\\x1b``,
    ``\\n``, ``\\u202e``), so a title cannot drive the terminal or forge a
    line. JSON output is encoded as it is, never through this."""
    return _UNSHOWN.sub(_escape, text) if _UNSHOWN.search(text) else text
