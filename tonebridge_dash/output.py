"""File output, in one place: the bytes of a JSON or YAML file, and writes
that readers never see half done.

``encode_json`` and ``dump_yaml`` are deterministic (the same data always
gives the same bytes); ``write_atomic`` writes through a temporary file and
a rename; ``write_if_changed`` leaves a file alone when it already holds the
bytes (and mode), so a second run touches nothing; ``write_files`` does that
for a directory of files.
"""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path
from typing import Iterable

import yaml

from .errors import TbDashError, UsageError
from .model import non_finite

_tmp_names = itertools.count()  # unique temporary names within this process


class OutputError(TbDashError):
    """A file could not be written (a read-only or missing location)."""


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
    """Sorted keys, 2-space indent, UTF-8, trailing newline; finite numbers only."""
    return (json_text(data, what, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


class _Dumper(yaml.SafeDumper):
    """Block scalars for multi-line strings, so a PromQL expression reads as
    written; kept off PyYAML's global dumper."""


def _str(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump_yaml(data: object, header: str = "") -> bytes:
    """Deterministic YAML: insertion order, 2-space indent, no line folding."""
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=False, width=10_000, indent=2)
    return (header + body).encode("utf-8")


def write_atomic(path: Path, content: bytes, mode: int = 0o644) -> None:
    """Write ``content`` to ``path`` so that readers see the old file or the
    new one, never half of it. The file is created with ``mode`` (less the
    umask): 0o600 for a file holding secrets is never readable by others,
    not even for a moment."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{next(_tmp_names)}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except OSError as e:
        raise OutputError(f"{path}: cannot write ({e.strerror or e.__class__.__name__})") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_if_changed(path: Path, content: bytes, mode: int = 0o644) -> Path:
    """Write ``content`` atomically unless the file already holds it with ``mode``."""
    try:
        same = path.read_bytes() == content and (path.stat().st_mode & 0o777) == mode
    except OSError:
        same = False
    if not same:
        write_atomic(path, content, mode)
    return path


def output_dir(path: Path) -> Path:
    """``path`` as a directory to write into: refused when it is a file."""
    if path.exists() and not path.is_dir():
        raise UsageError(f"{path}: exists and is not a directory")
    return path


def write_files(out_dir: Path, files: Iterable[tuple[str, bytes]], mode: int = 0o644) -> list[Path]:
    """Write each ``(name, content)`` into ``out_dir``; unchanged files are
    not rewritten. Returns the paths written or confirmed, in order."""
    output_dir(out_dir)
    return [write_if_changed(out_dir / name, content, mode) for name, content in files]
