"""Finds the content: every public module of a package that defines a given
function (``build`` for dashboards, ``rule_file`` for rule files).

The engine never imports content by name: the settings name the packages
(``content.dashboards``, ``content.rules``). Modules whose name starts with
``_`` hold shared helpers and are skipped.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator

from .errors import SettingsError, clip


@dataclass(frozen=True)
class Found:
    name: str  # the module's short name, e.g. "application"
    module: str  # its import path
    fn: Callable


def _missing(e: ModuleNotFoundError, name: str) -> bool:
    """Whether ``e`` says ``name`` itself (or its package) is missing, not
    something the content imports."""
    return bool(e.name) and (name == e.name or name.startswith(e.name + "."))


def import_content(name: str, what: str):
    """Import the content module or package ``name``: from the current
    directory first (a repository's root, as ``python -m`` would), else from
    the environment (an installed content package). A settings error, not a
    traceback, when it is in neither."""
    here = os.getcwd()
    if here not in sys.path:
        # First: in a repository whose packages share the installed content's
        # names (dashboards, alerts), the repository's own must win.
        sys.path.insert(0, here)
        importlib.invalidate_caches()
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as e:
        if not _missing(e, name):
            raise
    raise _no_module(what, name)


def _no_module(what: str, name: str) -> SettingsError:
    return SettingsError(f"{what}: no module named '{clip(name, 80)}' (run tb-dash from the root of the "
                         "repository that holds it, or install it)")


@contextmanager
def missing_content_is_a_settings_error(content) -> Iterator[None]:
    """Content code that imports another content package by the name the
    settings give (``content.dashboards``...) fails like ``import_content``
    when that name leads nowhere: a settings error naming the key, not a
    traceback. ``content`` is the settings' ``Content``."""
    try:
        yield
    except ModuleNotFoundError as e:
        for key in ("dashboards", "rules", "defaults", "traffic"):
            name = getattr(content, key, "")
            if name and _missing(e, name):
                raise _no_module(f"content.{key}", name) from None
        raise


def discover(package: str, attribute: str, what: str = "content") -> list[Found]:
    """Every public module of ``package`` with a callable ``attribute``, by name."""
    pkg = import_content(package, what)
    found = []
    for info in sorted(pkgutil.iter_modules(getattr(pkg, "__path__", [])), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"{package}.{info.name}")
        fn = getattr(mod, attribute, None)
        if callable(fn):
            found.append(Found(info.name, mod.__name__, fn))
    return found
