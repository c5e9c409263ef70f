"""JSON Schema validators compiled once per machine, not once per run.

fastjsonschema turns a schema into Python code that validates about ten
times faster than interpreting the schema; generating and compiling that
code for Grafana's schemas takes about a second, longer than validating
sixty dashboards with it. The compiled code is kept in the user's cache
directory (``$TB_DASH_CACHE_DIR``, else ``$XDG_CACHE_HOME/tb-dash``, else
``~/.cache/tb-dash``), under a key that covers the schema, fastjsonschema's
version and Python's, so a changed schema or upgrade compiles afresh.

The cache is only an accelerator: a directory that cannot be created or
written, a file that is truncated or corrupt, and the validator is compiled
in memory as before. Its code runs in this process, so it is used only
when nobody else could have put it there (``_directory``): the directory
and every directory above it, up to ``/``, are opened one by one without
following a symbolic link and must belong to this user or root and be
writable by nobody else (a shared sticky directory such as ``/tmp`` only
when the next one down is this user's own); the entries' directory and
each entry (opened without following a link) must be this user's own and
writable by nobody else. Anything else, and the cache is neither read nor
written, silently. Where the system cannot open a file relative to a
directory or tell its owner, the cache is not used.
``TB_DASH_CACHE_DIR=off`` turns the cache off.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import re
import stat
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

FORMAT = b"tb-dash compiled schema 1\n"


def cache_dir(kind: str = "schemas") -> Path | None:
    """Where compiled validators (or another ``kind`` of entry: ``yaml``,
    see ``inputs``) are kept; None when the cache is off."""
    named = os.environ.get("TB_DASH_CACHE_DIR")
    if named is not None:
        return None if named.strip().lower() in ("", "off", "0", "no") else Path(named) / kind
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tb-dash" / kind


_GROUP_OTHER_WRITE = stat.S_IWGRP | stat.S_IWOTH
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_DIRECTORY_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _NOFOLLOW
_SUPPORTED = (hasattr(os, "geteuid") and _NOFOLLOW != 0 and getattr(os, "O_DIRECTORY", 0) != 0
              and os.open in os.supports_dir_fd and os.mkdir in os.supports_dir_fd)


def _safe_directory(st: os.stat_result, euid: int, *, last: bool, below_shared: bool) -> bool:
    """Whether nobody but this user (or root) can change what is under a
    directory; ``below_shared``: its parent is a shared sticky directory,
    where anyone may have made it, so it must be this user's own."""
    owned = st.st_uid == euid or (st.st_uid == 0 and not last and not below_shared)
    if not stat.S_ISDIR(st.st_mode) or not owned:
        return False
    if st.st_mode & _GROUP_OTHER_WRITE:
        # Others may add entries to a sticky directory but not rename or
        # remove ours: fine above the cache (the next level is checked as ours).
        return not last and bool(st.st_mode & stat.S_ISVTX)
    return True


def _directory(directory: Path, create: bool) -> int | None:
    """A descriptor of ``directory`` (made, mode 0700, when ``create`` and
    missing), when it and every directory above it are safe; None when
    not (the cache is then not used)."""
    if not _SUPPORTED:
        return None
    try:
        parts = Path(os.path.realpath(directory)).parts
    except (OSError, ValueError):
        return None
    euid = os.geteuid()
    fd = None
    try:
        fd = os.open(parts[0], _DIRECTORY_FLAGS)
        st = os.fstat(fd)
        shared = bool(st.st_mode & _GROUP_OTHER_WRITE)
        if not _safe_directory(st, euid, last=len(parts) == 1, below_shared=False):
            raise PermissionError
        for i, name in enumerate(parts[1:], start=2):
            try:
                child = os.open(name, _DIRECTORY_FLAGS, dir_fd=fd)
            except FileNotFoundError:
                if not create:
                    raise
                try:
                    os.mkdir(name, 0o700, dir_fd=fd)
                except FileExistsError:
                    pass
                child = os.open(name, _DIRECTORY_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = child
            st = os.fstat(fd)
            if not _safe_directory(st, euid, last=i == len(parts), below_shared=shared):
                raise PermissionError
            shared = bool(st.st_mode & _GROUP_OTHER_WRITE)
        found, fd = fd, None
        return found
    except (OSError, ValueError):
        return None
    finally:
        if fd is not None:
            os.close(fd)


def _own_file(st: os.stat_result) -> bool:
    return stat.S_ISREG(st.st_mode) and st.st_uid == os.geteuid() and not st.st_mode & _GROUP_OTHER_WRITE


def key_of(schema: dict, name: str) -> str:
    import fastjsonschema

    text = json.dumps(schema, sort_keys=True, separators=(",", ":"))
    seed = f"{name}|{fastjsonschema.VERSION}|{sys.version}|{FORMAT!r}|".encode()
    return hashlib.sha256(seed + text.encode()).hexdigest()


def read_entry(directory: Path, path: Path, form: bytes) -> bytes | None:
    """The payload ``write_entry`` kept at ``path`` (a name in
    ``directory``) under the header ``form``; None when the directory or
    the file is not safe (see the module's docstring), or the file is
    missing, of another form, truncated or altered."""
    fd = _directory(directory, create=False)
    if fd is None:
        return None
    try:
        entry = os.open(path.name, os.O_RDONLY | os.O_NONBLOCK | _NOFOLLOW, dir_fd=fd)
        with os.fdopen(entry, "rb") as f:
            if not _own_file(os.fstat(f.fileno())):
                return None
            blob = f.read()
    except OSError:
        return None
    finally:
        os.close(fd)
    head, sep, rest = blob.partition(b"\n")
    if not sep or head + b"\n" != form or len(rest) < 32:
        return None
    digest, payload = rest[:32], rest[32:]
    return payload if hashlib.sha256(payload).digest() == digest else None


def write_entry(directory: Path, path: Path, form: bytes, payload: bytes) -> None:
    """Keep ``payload`` at ``path`` (a name in ``directory``; whole or not at
    all), in a directory only this user may change; a failure, or a
    directory that is not safe, only leaves it out."""
    fd = _directory(directory, create=True)
    if fd is None:
        return
    tmp = f".{path.name}.{os.getpid()}.tmp"
    try:
        out = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600, dir_fd=fd)
        try:
            with os.fdopen(out, "wb") as f:
                f.write(form + hashlib.sha256(payload).digest() + payload)
            os.replace(tmp, path.name, src_dir_fd=fd, dst_dir_fd=fd)
        except BaseException:
            try:
                os.unlink(tmp, dir_fd=fd)
            except OSError:
                pass
            raise
    except OSError:
        pass
    finally:
        os.close(fd)


def _load(directory: Path, path: Path) -> Any:
    payload = read_entry(directory, path, FORMAT)
    if payload is None:
        return None  # compiled afresh
    try:
        entry, body = marshal.loads(payload)
    except (ValueError, EOFError, TypeError):
        return None
    return (entry, body) if isinstance(entry, str) and entry.isidentifier() else None


def _store(directory: Path, path: Path, code: Any) -> None:
    write_entry(directory, path, FORMAT, marshal.dumps(code))


def validator(schema: dict, name: str = "schema") -> Callable[[Any], Any]:
    """fastjsonschema's validator of ``schema`` (never writing defaults into
    the document), from the cache when it holds it."""
    import fastjsonschema

    directory = cache_dir()
    code = None
    path = None
    if directory is not None:
        path = directory / f"{key_of(schema, name)[:40]}.bin"
        code = _load(directory, path)
    if code is None:
        # use_default=False: by default fastjsonschema writes schema defaults
        # into the document it validates.
        source = fastjsonschema.compile_to_code(schema, use_default=False)
        # The first function generated is the schema's own; the rest are its definitions'.
        entry = next(line[4:].split("(", 1)[0] for line in source.splitlines() if line.startswith("def "))
        code = (entry, compile(source, f"<compiled schema {name}>", "exec"))
        if directory is not None and path is not None:
            _store(directory, path, code)
    entry, body = code
    scope: dict[str, Any] = {}
    exec(body, scope)
    return scope[entry]


# JSON Schema's patterns are ECMA-262's, where $ is the end of the text;
# Python's also matches before a final newline, so "ops\n" would pass
# "^[a-z]+$" and name a file. fastjsonschema rewrites $ to \Z; the
# jsonschema classes that word the errors must agree (``end_anchored``).
_DOLLAR = re.compile(r"(?<!\\)\$")


@lru_cache(maxsize=None)
def _end_anchored(pattern: str) -> re.Pattern:
    try:
        return re.compile(_DOLLAR.sub(r"\\Z", pattern))
    except re.error:
        return re.compile(pattern)


def end_anchored(cls: Any) -> Any:
    """jsonschema's validator class ``cls`` with a ``pattern`` keyword whose
    ``$`` matches only at the end of the text."""
    import jsonschema
    from jsonschema.exceptions import ValidationError

    def pattern(validator, patrn, instance, schema):
        if validator.is_type(instance, "string") and not _end_anchored(patrn).search(instance):
            yield ValidationError(f"{instance!r} does not match {patrn!r}")

    return jsonschema.validators.extend(cls, {"pattern": pattern})


_files: dict[str, Callable[[Any], Any]] = {}


def passes(schema_file: Path, value: Any) -> bool:
    """Whether ``value`` meets the schema in ``schema_file`` (compiled once
    per process, from the cache when it can). A caller that needs to say
    what is wrong asks jsonschema, which words every error; this is only
    the fast verdict."""
    key = str(schema_file)
    if key not in _files:
        _files[key] = validator(json.loads(schema_file.read_text(encoding="utf-8")), schema_file.stem)
    try:
        _files[key](value)
        return True
    except Exception:  # fastjsonschema.JsonSchemaValueException, or a quirk: the caller decides
        return False
