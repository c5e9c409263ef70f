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
in memory as before. A cache directory that another user owns or others
may write to is not used (its code would run in this process).
``TB_DASH_CACHE_DIR=off`` turns the cache off.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import stat
import sys
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


def _trusted(directory: Path) -> bool:
    """Our own directory, writable by nobody else."""
    try:
        st = directory.stat()
    except OSError:
        return False
    if not stat.S_ISDIR(st.st_mode) or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return False
    return not hasattr(os, "getuid") or st.st_uid == os.getuid()


def key_of(schema: dict, name: str) -> str:
    import fastjsonschema

    text = json.dumps(schema, sort_keys=True, separators=(",", ":"))
    seed = f"{name}|{fastjsonschema.VERSION}|{sys.version}|{FORMAT!r}|".encode()
    return hashlib.sha256(seed + text.encode()).hexdigest()


def read_entry(directory: Path, path: Path, form: bytes) -> bytes | None:
    """The payload ``write_entry`` kept at ``path`` under the header
    ``form``; None when the directory is not trusted, or the file is
    missing, of another form, truncated or altered."""
    if not _trusted(directory):
        return None
    try:
        blob = path.read_bytes()
    except OSError:
        return None
    head, sep, rest = blob.partition(b"\n")
    if not sep or head + b"\n" != form or len(rest) < 32:
        return None
    digest, payload = rest[:32], rest[32:]
    return payload if hashlib.sha256(payload).digest() == digest else None


def write_entry(directory: Path, path: Path, form: bytes, payload: bytes) -> None:
    """Keep ``payload`` at ``path`` (whole or not at all), in a directory of
    this user's that nobody else may write; a failure only leaves it out."""
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _trusted(directory):
            return
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(form + hashlib.sha256(payload).digest() + payload)
        os.replace(tmp, path)
    except OSError:
        pass


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
