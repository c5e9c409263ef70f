"""Input files, read so that no input can hang tb-dash, exhaust its memory
or reach the user as a traceback.

``read_limited`` reads regular files only (a FIFO or a device is refused
before a byte is read: a FIFO nobody writes would block for ever, and
``/dev/zero`` never ends) and up to a size limit per kind of file.
``load_yaml`` composes YAML with bounded nesting and refuses aliases that
expand beyond a bound (a 400-byte "billion laughs" file expands to
gigabytes once anything walks it) or refer to themselves. ``load_json``
refuses ``NaN``, ``Infinity`` and numbers too large for a double, which are
not JSON. ``check_plain`` accepts only what JSON can hold: string keys,
finite numbers, strings, booleans, null, lists and mappings, nested to a
bound. Every refusal is an ``InputError`` (exit 2) of one line that quotes
no unbounded value.
"""

from __future__ import annotations

import json
import math
import os
import stat
from pathlib import Path
from typing import Any

from ..errors import UsageError, clip
from ..model import json_nodes, json_path

KIB = 1024
MIB = 1024 * KIB
SETTINGS_LIMIT = 1 * MIB  # a settings file is a few kilobytes
DASHBOARD_LIMIT = 16 * MIB  # the largest dashboards Grafana users keep are a few megabytes
TOKEN_LIMIT = 64 * KIB  # a token is a few dozen bytes
MAX_DEPTH = 64  # nesting of settings (they need 5 levels); dashboards may nest deeper
MAX_JSON_DEPTH = 128
MAX_YAML_NODES = 100_000  # values once aliases are expanded (the project's settings: about 300)


class InputError(UsageError):
    """An input file that tb-dash refuses to read or cannot use."""


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISDIR, "a directory")):
        if test(mode):
            return name
    return "not a regular file"


def special_file(path: Path) -> str | None:
    """What ``path`` is when it exists and is not a regular file (a FIFO, a
    device, a socket, a directory), else None. Symbolic links are followed."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    return None if stat.S_ISREG(mode) else _kind(mode)


def read_limited(path: Path, limit: int, what: str) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them.
    ``what`` names the kind of file in the messages ("settings file")."""
    try:
        # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise InputError(f"{path}: {what} not found") from None
    except OSError as e:
        raise InputError(f"{path}: cannot read {what} ({e.strerror or e.__class__.__name__})") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise InputError(f"{path}: is a directory, not a {what}")
        if not stat.S_ISREG(st.st_mode):
            raise InputError(f"{path}: is {_kind(st.st_mode)}, not a regular file; "
                             f"tb-dash reads a {what} only from a regular file")
        if st.st_size > limit:
            raise InputError(f"{path}: {st.st_size} bytes, more than the {limit} a {what} may have")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(limit + 1 - size, MIB))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:  # it grew while being read
            raise InputError(f"{path}: more than the {limit} bytes a {what} may have")
        return b"".join(chunks)
    except OSError as e:
        raise InputError(f"{path}: cannot read {what} ({e.strerror or e.__class__.__name__})") from None
    finally:
        os.close(fd)


def read_text(path: Path, limit: int, what: str) -> str:
    """``read_limited`` decoded as UTF-8."""
    try:
        return read_limited(path, limit, what).decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: {what} is not UTF-8 text (byte {e.start})") from None


# --- YAML -------------------------------------------------------------------------
def _yaml():
    import yaml

    return yaml


def _where(node) -> str:
    mark = getattr(node, "start_mark", None)
    return f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""


def _expanded(root) -> None:
    """Refuse a node graph that refers to itself or that expands (aliases
    counted as copies) beyond ``MAX_YAML_NODES`` values or ``MAX_DEPTH``
    levels. Linear in the graph: each node is sized once."""
    yaml = _yaml()
    size: dict[int, tuple[int, int]] = {}  # id(node) -> (values, depth) once expanded
    on_path: set[int] = set()
    stack = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        kids = ([n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode)
                else node.value if isinstance(node, yaml.SequenceNode) else [])
        if done:
            on_path.discard(key)
            total = 1 + sum(size[id(k)][0] for k in kids)
            depth = 1 + max((size[id(k)][1] for k in kids), default=0)
            if total > MAX_YAML_NODES:
                raise ValueError(f"aliases expand to more than {MAX_YAML_NODES} values{_where(node)} "
                                 "(an alias bomb?)")
            if depth > MAX_DEPTH:
                raise ValueError(f"nested deeper than {MAX_DEPTH} levels{_where(node)}")
            size[key] = (total, depth)
            continue
        if key in size:
            continue
        on_path.add(key)
        stack.append((node, True))
        for k in kids:
            if id(k) in on_path:
                raise ValueError(f"an alias refers to a value that contains it{_where(k)}")
            if id(k) not in size:
                stack.append((k, False))


def _loader_class():
    yaml = _yaml()

    class BoundedLoader(yaml.SafeLoader):
        """PyYAML's safe loader with nesting bounded while composing (its
        composer recurses) and the expanded size checked before anything is
        built from the document."""

        _depth = 0

        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                return super().compose_node(parent, index)
            self._depth += 1
            try:
                if self._depth > MAX_DEPTH:
                    raise ValueError(f"nested deeper than {MAX_DEPTH} levels{_where(self.peek_event())}")
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1

        def construct_document(self, node):
            _expanded(node)
            return super().construct_document(node)

    return BoundedLoader


_loader = None


# --- YAML parsed once per text -------------------------------------------------------
# Importing PyYAML takes longer than a no-op push's own work (a regular
# expression over all of Unicode is compiled at import), and the settings
# are YAML. So what a YAML text parses to is kept in the user's cache (see
# ``compiled``: a directory of this user's that nobody else may write, or
# none) as JSON, under a hash of the text, of the loader's kind and of the
# installed PyYAML. Only plain values are kept (``check_plain``: JSON holds
# them exactly); a text that does not parse, or parses to something else,
# goes through PyYAML every time and fails or is refused as before.
YAML_ENTRY = b"tb-dash parsed yaml 1\n"


def _yaml_stamp() -> str:
    """The installed PyYAML (where, size and time of its package file), found
    without importing it: an upgrade parses afresh."""
    import importlib.util

    spec = importlib.util.find_spec("yaml")
    origin = getattr(spec, "origin", None) or ""
    try:
        st = os.stat(origin)
    except OSError:
        return origin
    return f"{origin}:{st.st_size}:{st.st_mtime_ns}"


def _parsed_once(text: str, kind: str, source: str, parse) -> Any:
    """``parse(text)``, or the plain value it gave for the same text before."""
    import hashlib

    from .. import compiled

    directory = compiled.cache_dir("yaml")
    if directory is None:
        return parse(text)
    seed = f"{kind}|{YAML_ENTRY!r}|{_yaml_stamp()}|".encode()
    path = directory / f"{hashlib.sha256(seed + text.encode('utf-8', 'surrogatepass')).hexdigest()[:40]}.json"
    kept = compiled.read_entry(directory, path, YAML_ENTRY)
    if kept is not None:
        try:
            return json.loads(kept)
        except ValueError:
            pass  # parsed afresh
    value = parse(text)
    try:
        check_plain(value, source)
        payload = json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8", "surrogatepass")
    except (InputError, ValueError, TypeError):
        return value  # not plain: refused (or used) as PyYAML gave it, every time
    compiled.write_entry(directory, path, YAML_ENTRY, payload)
    return value


def load_packaged_yaml(path: Path) -> Any:
    """A YAML file that ships with tb-dash (its own defaults): trusted, so
    read by PyYAML's C loader when it has one, several times faster than
    the bounded loader that user input goes through."""
    def parse(text: str) -> Any:
        yaml = _yaml()
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))

    return _parsed_once(path.read_text(encoding="utf-8"), "packaged", str(path), parse)


def load_yaml(text: str, source: str) -> Any:
    """One YAML document, bounded (see the module); an ``InputError`` naming
    ``source`` and the line when it is not YAML or too large once expanded."""
    return _parsed_once(text, "bounded", source, lambda t: _load_yaml(t, source))


def _load_yaml(text: str, source: str) -> Any:
    global _loader
    yaml = _yaml()
    if _loader is None:
        _loader = _loader_class()
    try:
        return yaml.load(text, Loader=_loader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or "invalid YAML"
        raise InputError(f"{source}: invalid YAML{where}: {clip(problem)}") from None
    except (ValueError, RecursionError) as e:  # our bounds; an integer of thousands of digits
        raise InputError(f"{source}: invalid YAML: {clip(str(e) or 'too deeply nested')}") from None


# --- JSON -------------------------------------------------------------------------
def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{clip(text, 40)} is too large for a JSON number (a double)")
    return value


def load_json(data: bytes | str, source: str) -> Any:
    """A JSON document; ``NaN``, ``Infinity`` and numbers beyond a double are
    refused, as is nesting deeper than ``MAX_JSON_DEPTH``."""
    try:
        value = json.loads(data, parse_constant=_no_constant, parse_float=_finite)
    except RecursionError:
        raise InputError(f"{source}: not valid JSON (nested deeper than {MAX_JSON_DEPTH} levels)") from None
    except (ValueError, UnicodeDecodeError) as e:  # JSONDecodeError is a ValueError
        raise InputError(f"{source}: not valid JSON ({clip(str(e))})") from None
    # JSON decodes to plain values only (string keys; NaN and overflows refused
    # above): what is left to check is the depth, and only containers have one.
    if isinstance(value, (dict, list)) and _deeper_than(value, MAX_JSON_DEPTH):
        check_plain(value, source, MAX_JSON_DEPTH)  # names where
    return value


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether a container inside ``value`` is more than ``limit`` levels
    down. Recursive, but never more than ``limit`` + 1 calls deep; about
    four times faster than walking with a stack of tuples."""
    if limit < 0:
        return True
    for child in value.values() if type(value) is dict else value:
        kind = type(child)
        if (kind is dict or kind is list) and _deeper_than(child, limit - 1):
            return True
    return False


# --- plain data ---------------------------------------------------------------------
def check_plain(value: Any, source: str, max_depth: int = MAX_DEPTH) -> None:
    """Refuse what JSON cannot hold (a date or a set from YAML, a non-string
    key, NaN or an infinite number) and nesting deeper than ``max_depth``,
    naming the key. Iterative: a deep value cannot exhaust the stack."""
    for v, link, depth in json_nodes(value):
        problem = None
        if depth > max_depth:
            problem = f"nested deeper than {max_depth} levels"
        elif isinstance(v, dict):
            bad = next((k for k in v if not isinstance(k, str)), None)
            if bad is not None:
                problem = f"key {clip(repr(bad), 60)} is not a string (quote it)"
        elif isinstance(v, float) and not math.isfinite(v):
            problem = f"{v} is not a finite number"
        elif not (v is None or isinstance(v, (str, int, float, bool, list))):
            problem = f"a {type(v).__name__} is not a plain value (quote it to make it a string)"
        if problem is not None:
            where = f"key '{json_path(link)}'" if link is not None else "top level"
            raise InputError(f"{source}: {where}: {problem}")
