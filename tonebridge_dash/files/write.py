"""File output, in one place: the bytes of a JSON or YAML file, and writes
that readers never see half done and a crash does not undo.

``encode_json`` and ``dump_yaml`` are deterministic (the same data always
gives the same bytes; JSON never holds NaN or Infinity); ``write_atomic``
writes through a temporary file, synced to disk, and a rename, then syncs
the directory; ``write_all`` does that for a set of files, all or nothing
(every temporary file first, then the renames), leaves unchanged files
alone, so a second run touches nothing, and removes the temporaries of a
killed run. A FIFO, a device or a directory where a file should go is
refused, never opened.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import stat
from pathlib import Path
from typing import Iterable

import yaml

from ..errors import TbDashError, UsageError
from .read import InputError, read_limited, special_file
from ..model import non_finite

_tmp_names = itertools.count()  # unique temporary names within this process
_TMP_NAME = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.(?P<n>\d+)\.tmp\Z")  # what _temporary names


class OutputError(TbDashError):
    """A file could not be written (a read-only or missing location)."""


def report_text(data: dict, what: str = "the report") -> str:
    """A report as JSON for people and for jq alike: its keys one per line
    and each item of a list of objects (findings) on a line of its own.
    json's C encoder writes each line; an ``indent`` would have the pure
    Python one write everything, ten times slower for thousands of findings."""
    encoder = json.JSONEncoder(ensure_ascii=False, allow_nan=False)  # one for every line

    def one(value: object) -> str:
        try:
            return encoder.encode(value)
        except ValueError:
            return json_text(value, what, ensure_ascii=False)  # says where the number is

    lines = []
    for key, value in data.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            body = ",\n".join(f"    {one(v)}" for v in value)
            text = f"[\n{body}\n  ]"
        else:
            text = json_text(value, what, indent=2, ensure_ascii=False).replace("\n", "\n  ")
        lines.append(f"  {one(str(key))}: {text}")
    return "{\n" + ",\n".join(lines) + "\n}" if lines else "{}"


def json_text(data: object, what: str = "the output", **options) -> str:
    """``json.dumps(data, **options)``, never with ``NaN`` or ``Infinity`` in
    it (they are not JSON: Grafana and every JSON parser refuse them): an
    ``OutputError`` naming ``what`` and where the number is instead."""
    try:
        return json.dumps(data, allow_nan=False, **options)
    except ValueError:
        found = next(non_finite(data), None)
        if found is None:
            raise
        raise OutputError(f"{what}: {found[0]} is {found[1]}, which JSON cannot hold "
                          "(a number must be finite)") from None


def encode_json(data: object, what: str = "the output") -> bytes:
    """Sorted keys, 2-space indent, UTF-8, trailing newline; finite numbers only.
    The bytes of ``json.dumps(data, sort_keys=True, indent=2,
    ensure_ascii=False)``, written twice as fast by ``_indented``; anything
    it does not take (a key that is not a string, NaN, a type JSON has not)
    goes to json itself, which says what is wrong."""
    try:
        text = _indented(data)
    except Exception:  # json decides, and words the error
        text = json_text(data, what, sort_keys=True, indent=2, ensure_ascii=False)
    return (text + "\n").encode("utf-8")


_INDENTS = ["\n" + "  " * level for level in range(128)]
_CONSTANTS = {True: "true", False: "false", None: "null"}


class _NotPlain(Exception):
    """A value ``_indented`` leaves to json."""


def _indented(data: object) -> str:
    """What json's pure-Python encoder writes with an ``indent`` (its C one
    ignores it), for plain JSON values only: exact dicts with string keys,
    lists, strings, ints, finite floats, booleans and None. A list of the
    pieces instead of json's chain of generators, one per level."""
    parts: list[str] = []
    append = parts.append
    string = json.encoder.encode_basestring  # json's own (C), as with ensure_ascii=False
    integer, real, inf = int.__repr__, float.__repr__, float("inf")

    def value(v: object, level: int) -> None:
        kind = type(v)
        if kind is dict:
            if not v:
                append("{}")
                return
            separator = "{" + _INDENTS[level + 1]
            for key in sorted(v):
                item = v[key]
                if type(item) is str:
                    append(separator + string(key) + ": " + string(item))
                else:
                    append(separator + string(key) + ": ")
                    value(item, level + 1)
                separator = "," + _INDENTS[level + 1]
            append(_INDENTS[level] + "}")
        elif kind is list:
            if not v:
                append("[]")
                return
            separator = "[" + _INDENTS[level + 1]
            for item in v:
                if type(item) is str:
                    append(separator + string(item))
                else:
                    append(separator)
                    value(item, level + 1)
                separator = "," + _INDENTS[level + 1]
            append(_INDENTS[level] + "]")
        elif kind is str:
            append(string(v))
        elif kind is bool or v is None:
            append(_CONSTANTS[v])
        elif kind is int:
            append(integer(v))
        elif kind is float and v == v and v != inf and v != -inf:
            append(real(v))
        else:
            raise _NotPlain
    value(data, 0)
    return "".join(parts)


class _Dumper(yaml.SafeDumper):
    """Block scalars for multi-line strings, so a PromQL expression reads as
    written; no anchors and aliases (an object used twice is written twice,
    as its consumer reads it); kept off PyYAML's global dumper."""

    def ignore_aliases(self, data) -> bool:
        return True


def _str(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump_yaml(data: object, header: str = "") -> bytes:
    """Deterministic YAML: insertion order, 2-space indent, no line folding."""
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=False, width=10_000, indent=2)
    return (header + body).encode("utf-8")


def _cannot(path: Path, e: OSError) -> OutputError:
    return OutputError(f"{path}: cannot write ({e.strerror or e.__class__.__name__})")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # someone else's process: alive
        pass
    return True


def remove_stale_temporaries(directory: Path) -> None:
    """Remove the temporary files a killed run left in ``directory`` (named
    by ``_temporary``; the process that wrote them is gone), so that they do
    not pile up."""
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    for entry in entries:
        m = _TMP_NAME.match(entry.name)
        if m and not _alive(int(m["pid"])) and entry.is_file(follow_symlinks=False):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)


def _refuse_special(path: Path) -> None:
    kind = special_file(path)
    if kind is not None:  # a FIFO would block the comparison, a device swallow the file
        raise OutputError(f"{path}: is {kind}, not a regular file; tb-dash does not write over it")


def _make_dir(directory: Path) -> None:
    if directory.is_dir():
        return
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"{directory}/: cannot write into it ({e.strerror or e.__class__.__name__})") from None
    _sync_dir(directory.parent)  # the new directory's own entry


def _sync_dir(directory: Path) -> None:
    """Make the renames in ``directory`` durable (a crash after the rename
    must not bring the old file back)."""
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some file systems cannot sync a directory
        pass
    finally:
        os.close(fd)


def _temporary(path: Path, content: bytes, mode: int) -> Path:
    """``content`` in a new temporary file beside ``path``, on disk (fsync)
    before it is renamed. Created with ``mode`` (less the umask): 0o600 for
    a file holding secrets is never readable by others, not even for a
    moment."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{next(_tmp_names)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), mode)
    except OSError as e:
        raise _cannot(path, e) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
    except BaseException as e:
        tmp.unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise _cannot(path, e) from None
        raise
    return tmp


def _unchanged(path: Path, content: bytes, mode: int) -> bool:
    """Whether ``path`` already holds ``content`` with ``mode``; read only
    when its size says it may."""
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode) or st.st_size != len(content) or (st.st_mode & 0o777) != mode:
            return False
        return read_limited(path, len(content), "file") == content
    except (OSError, InputError):
        return False


def write_all(out_dir: Path, files: Iterable[tuple[str, bytes, int]]) -> list[Path]:
    """Write each ``(name, content, mode)`` into ``out_dir``, all or nothing:
    every changed file goes to a temporary file on disk first, and only when
    all of them are there are they renamed over the old ones (then the
    directory is synced). A failure on the way (an encoding error, a full
    disk, a FIFO where a file should be) leaves every old file as it was and
    no temporary file; temporaries of an earlier run that was killed are
    removed. Unchanged files are not rewritten. Returns the paths, in order."""
    output_dir(out_dir)
    _make_dir(out_dir)
    remove_stale_temporaries(out_dir)
    paths: list[Path] = []
    pending: list[tuple[Path, Path]] = []  # (temporary, final), not yet renamed
    renamed = False
    try:
        for name, content, mode in files:
            path = out_dir / name
            _refuse_special(path)
            paths.append(path)
            if not _unchanged(path, content, mode):
                pending.append((_temporary(path, content, mode), path))
        while pending:
            tmp, path = pending[0]
            try:
                os.replace(tmp, path)
            except OSError as e:
                raise _cannot(path, e) from None
            pending.pop(0)
            renamed = True
    finally:
        for tmp, _ in pending:
            tmp.unlink(missing_ok=True)
        if renamed:
            _sync_dir(out_dir)
    return paths


def write_atomic(path: Path, content: bytes, mode: int = 0o644) -> None:
    """Write ``content`` to ``path`` so that readers see the old file or the
    new one, never half of it, and a crash right after keeps the new one."""
    _make_dir(path.parent)
    _refuse_special(path)
    tmp = _temporary(path, content, mode)
    try:
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise _cannot(path, e) from None
    _sync_dir(path.parent)


def write_if_changed(path: Path, content: bytes, mode: int = 0o644) -> Path:
    """Write ``content`` atomically unless the file already holds it with ``mode``."""
    return write_all(path.parent, [(path.name, content, mode)])[0]


def output_dir(path: Path) -> Path:
    """``path`` as a directory to write into: refused when it is a file."""
    if path.exists() and not path.is_dir():
        raise UsageError(f"{path}: exists and is not a directory")
    return path


def write_files(out_dir: Path, files: Iterable[tuple[str, bytes]], mode: int = 0o644) -> list[Path]:
    """``write_all`` with one ``mode`` for every ``(name, content)``."""
    return write_all(out_dir, ((name, content, mode) for name, content in files))
