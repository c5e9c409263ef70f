"""What the Lucene bridge costs, kept between runs: its compiled classes and
the verdicts of the queries it parsed.

Both live in the user's cache directory (``compiled.cache_dir("lucene")``)
through ``compiled``'s trusted entries: the directory and every one above
it must be this user's (or root's) and writable by nobody else, each entry
is whole and checksummed, anything else and the cache is neither read nor
written; ``TB_DASH_CACHE_DIR=off`` turns it off.

- The classes ``javac`` made of ``java/`` are kept as one entry under a key
  covering the bridge's source, the Lucene jars (names, sizes, times) and
  the ``javac`` and ``java`` files (real path, size, time). A session copies
  them out of a checked entry into its own private temporary directory and
  loads them from there: no class file is ever loaded from a place anyone
  else could write, and a miss compiles as before.
- A verdict (parsed, or Lucene's error text) is kept per exact query text
  under the same source and jars key plus what the caller asked (``how``),
  so a run whose every query is known starts no ``javac`` and no JVM.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from .. import compiled

CLASSES_FORM = b"tb-dash lucene classes 1\n"
VERDICT_FORM = b"tb-dash lucene verdict 1\n"
_CLASS_NAME = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*\.class")


def _identity(path: Path | str) -> str:
    """A file's real path, size and modification time (no process started)."""
    real = os.path.realpath(path)
    try:
        st = os.stat(real)
    except OSError:
        return f"{real}|missing"
    return f"{real}|{st.st_size}|{st.st_mtime_ns}"


@lru_cache(maxsize=8)
def _source_hash(sources: Path) -> str:
    digest = hashlib.sha256()
    for p in sorted(sources.glob("*.java")):
        digest.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    return digest.hexdigest()


def bridge_key(sources: Path, jars: Iterable[Path]) -> str:
    """The bridge's identity: its Java source and the Lucene jars it runs on."""
    seed = "|".join([_source_hash(sources), *(_identity(j) for j in jars)])
    return hashlib.sha256(seed.encode()).hexdigest()


def _directory() -> Path | None:
    return compiled.cache_dir("lucene")


def classes_key(bridge: str, javac: str, java: str) -> str:
    return hashlib.sha256(f"{bridge}|{_identity(javac)}|{_identity(java)}".encode()).hexdigest()


def restore_classes(key: str, into: str) -> bool:
    """Copy the cached classes of ``key`` into the private directory
    ``into``; False (nothing copied) on a miss or an entry not trusted."""
    directory = _directory()
    if directory is None:
        return False
    payload = compiled.read_entry(directory, directory / f"classes-{key[:40]}.json", CLASSES_FORM)
    if payload is None:
        return False
    try:
        files = json.loads(payload)
        blobs = {name: base64.b64decode(data, validate=True) for name, data in files.items()}
    except (ValueError, TypeError, AttributeError):
        return False
    if not blobs or not all(isinstance(n, str) and _CLASS_NAME.fullmatch(n) for n in blobs):
        return False
    try:
        for name, blob in blobs.items():
            fd = os.open(os.path.join(into, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(blob)
    except OSError:
        return False  # javac writes over what was copied
    return True


def keep_classes(key: str, compiled_in: str) -> None:
    """Keep the class files ``javac`` wrote into ``compiled_in``."""
    directory = _directory()
    if directory is None:
        return
    try:
        files = {p.name: base64.b64encode(p.read_bytes()).decode("ascii")
                 for p in sorted(Path(compiled_in).glob("*.class")) if _CLASS_NAME.fullmatch(p.name)}
    except OSError:
        return
    if files:
        payload = json.dumps(files, sort_keys=True).encode()
        compiled.write_entry(directory, directory / f"classes-{key[:40]}.json", CLASSES_FORM, payload)


def _verdict_path(directory: Path, bridge: str, how: str, query: str) -> Path:
    name = hashlib.sha256(f"{bridge}\0{how}\0{query}".encode()).hexdigest()[:40]
    return directory / f"verdict-{name}.json"


def verdict(bridge: str, how: str, query: str) -> tuple[bool, str | None]:
    """(known, error): whether the cache holds ``query``'s verdict, and
    Lucene's error text when it was refused (None when it parsed)."""
    directory = _directory()
    if directory is None:
        return False, None
    payload = compiled.read_entry(directory, _verdict_path(directory, bridge, how, query), VERDICT_FORM)
    if payload is None:
        return False, None
    try:
        entry = json.loads(payload)
    except ValueError:
        return False, None
    if not isinstance(entry, dict) or entry.get("query") != query:
        return False, None
    ok, error = entry.get("ok"), entry.get("error")
    if ok is True and error is None:
        return True, None
    if ok is False and isinstance(error, str):
        return True, error
    return False, None

def keep_verdict(bridge: str, how: str, query: str, error: str | None) -> None:
    directory = _directory()
    if directory is None:
        return
    payload = json.dumps({"query": query, "ok": error is None, "error": error}).encode()
    compiled.write_entry(directory, _verdict_path(directory, bridge, how, query), VERDICT_FORM, payload)
