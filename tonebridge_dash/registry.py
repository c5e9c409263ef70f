"""Finds the dashboards: every public module of the ``dashboards`` package
(or another package named by the caller) that defines ``build(cfg)``.
The engine never imports a dashboard by name."""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Callable

DEFAULT_PACKAGE = "dashboards"


@dataclass(frozen=True)
class DashboardModule:
    name: str  # the module's short name, e.g. "application"
    module: str  # its import path
    build: Callable


def discover(package: str = DEFAULT_PACKAGE) -> list[DashboardModule]:
    pkg = importlib.import_module(package)
    found = []
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"{package}.{info.name}")
        build = getattr(mod, "build", None)
        if callable(build):
            found.append(DashboardModule(info.name, mod.__name__, build))
    return found
