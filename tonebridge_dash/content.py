"""Finds the content: every public module of a package that defines a given
function (``build`` for dashboards, ``rule_file`` for rule files).

The engine never imports content by name: the settings name the packages
(``content.dashboards``, ``content.rules``). Modules whose name starts with
``_`` hold shared helpers and are skipped.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Callable

from .errors import SettingsError


@dataclass(frozen=True)
class Found:
    name: str  # the module's short name, e.g. "application"
    module: str  # its import path
    fn: Callable


def import_content(name: str, what: str):
    """Import the content module or package ``name``; a settings error, not a
    traceback, when it is missing."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as e:
        if e.name and (name == e.name or name.startswith(e.name + ".")):
            raise SettingsError(f"{what}: no module named '{name}' (is the content installed, "
                                "or the current directory the repository's root?)") from None
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
