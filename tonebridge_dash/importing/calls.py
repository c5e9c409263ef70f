"""The content's query functions as calls: which call gives which PromQL, so
that ``tb-dash import`` writes ``queries.error_ratio(cfg, queries.SERVICE)``
where an imported query is exactly one the content already has.

The engine never names the content's catalog. It builds the content's own
dashboards (``content.dashboards``) with the settings in effect and records
each call of a public function of the content's measures (a public module
of the packages ``content.*`` name, outside the dashboards and rules
packages) that returns a string: the function, its arguments, the text.
A call is used for an imported query only when its text is byte for byte
the query's, when its arguments can be written back as Python (the settings
as ``cfg``, literals, public names of the content's modules) and when that
Python, evaluated again with the same settings, gives the same text.
"""

from __future__ import annotations

import importlib
import inspect
import keyword
import math
import sys
import types
from dataclasses import dataclass, field
from typing import Any, Callable

_MAX_PER_TEXT = 8  # calls kept for one text, outermost first


@dataclass(frozen=True)
class Call:
    code: str  # e.g. "queries.request_rate(cfg, queries.ENDPOINT, ('endpoint',))"
    function: str  # "panels.queries.request_rate"
    modules: tuple[str, ...]  # the modules ``code`` names, by import path


@dataclass
class _Record:
    depth: int  # how many catalog calls were under way when it was made (0: outermost)
    fn: Callable
    values: dict[str, Any]


@dataclass
class Catalog:
    """The content's query calls made while building its dashboards, by text."""

    cfg: Any
    records: dict[str, list[_Record]] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)  # module path -> name in the generated module
    reserved: frozenset[str] = frozenset()
    _found: dict[str, Call | None] = field(default_factory=dict)

    def call_for(self, expr: str) -> Call | None:
        """The call that gives exactly ``expr`` with these settings, or None."""
        if expr not in self._found:
            self._found[expr] = None
            for record in sorted(self.records.get(expr, ()), key=lambda r: r.depth):
                call = self._written(record)
                if call is not None and self._evaluates_to(call, expr):
                    self._found[expr] = call
                    break
        return self._found[expr]

    def imports(self, modules: set[str]) -> list[str]:
        """``from panels import queries`` lines for the modules calls name."""
        out = []
        for module in sorted(modules):
            alias = self._alias(module)
            parent, _, last = module.rpartition(".")
            if parent:
                out.append(f"from {parent} import {last}" + (f" as {alias}" if alias != last else ""))
            else:
                out.append(f"import {module}" + (f" as {alias}" if alias != module else ""))
        return out

    def _alias(self, module: str) -> str:
        if module not in self.aliases:
            taken = set(self.aliases.values()) | self.reserved
            alias = module.rpartition(".")[2]
            if alias in taken or keyword.iskeyword(alias):
                alias = module.replace(".", "_")
            while alias in taken or keyword.iskeyword(alias):
                alias += "_"
            self.aliases[module] = alias
        return self.aliases[module]

    def _evaluates_to(self, call: Call, expr: str) -> bool:
        namespace: dict[str, Any] = {"cfg": self.cfg}
        try:
            for module in call.modules:
                namespace[self._alias(module)] = importlib.import_module(module)
            got = eval(call.code, namespace)  # noqa: S307 (a call we just wrote from names we found)
        except Exception:
            return False
        return isinstance(got, str) and got == expr

    def _written(self, record: _Record) -> Call | None:
        """The record as Python: positional arguments until one is left at
        its default, keywords after; None when an argument cannot be written."""
        fn = record.fn
        home = sys.modules.get(fn.__module__)
        if home is None:
            return None
        modules = {fn.__module__}
        args: list[str] = []
        skipped = False
        try:
            parameters = inspect.signature(fn).parameters.values()
        except (TypeError, ValueError):
            return None
        for p in parameters:
            if p.name not in record.values:
                return None
            value = record.values[p.name]
            if p.kind is p.VAR_POSITIONAL:
                if value and skipped:
                    return None
                codes = [self._value(v, home, modules) for v in value]
                if None in codes:
                    return None
                args += codes  # type: ignore[arg-type]
                continue
            if p.kind is p.VAR_KEYWORD:
                for k, v in value.items():
                    code = self._value(v, home, modules)
                    if code is None or not k.isidentifier():
                        return None
                    args.append(f"{k}={code}")
                continue
            if p.default is not p.empty and _same(value, p.default):
                skipped = True
                continue
            code = self._value(value, home, modules)
            if code is None:
                return None
            if p.kind is p.KEYWORD_ONLY or skipped:
                if p.kind is p.POSITIONAL_ONLY:
                    return None
                args.append(f"{p.name}={code}")
            else:
                args.append(code)
        code = f"{self._alias(fn.__module__)}.{fn.__name__}({', '.join(args)})"
        return Call(code, f"{fn.__module__}.{fn.__name__}", tuple(sorted(modules)))

    def _value(self, value: Any, home: types.ModuleType, modules: set[str], depth: int = 0) -> str | None:
        """``value`` as Python, or None."""
        if value is self.cfg:
            return "cfg"
        if value is None or isinstance(value, (bool, int, str)):
            return repr(value)
        if isinstance(value, float):
            return repr(value) if math.isfinite(value) else None
        if isinstance(value, (tuple, list)) and type(value) in (tuple, list) and depth < 8:
            items = [self._value(v, home, modules, depth + 1) for v in value]
            if None in items:
                return None
            inner = ", ".join(items)  # type: ignore[arg-type]
            if isinstance(value, list):
                return f"[{inner}]"
            return f"({inner},)" if len(items) == 1 else f"({inner})"
        return self._named(value, home, modules)

    def _named(self, value: Any, home: types.ModuleType, modules: set[str]) -> str | None:
        """A public name of the function's module (or of a content module it
        imports) that holds ``value``; else its dataclass repr through the
        module's name for its type, when that gives an equal value."""
        places = [home] + [v for k, v in vars(home).items() if isinstance(v, types.ModuleType)
                           and not k.startswith("_") and self._content(v.__name__)]
        for match in (lambda a, b: a is b, _same):
            for place in places:
                for name, held in list(vars(place).items()):
                    if not name.startswith("_") and not isinstance(held, types.ModuleType) and match(held, value):
                        modules.add(place.__name__)
                        return f"{self._alias(place.__name__)}.{name}"
        kind = type(value)
        if getattr(kind, "__dataclass_fields__", None) and vars(home).get(kind.__name__) is kind:
            code = f"{self._alias(home.__name__)}.{repr(value)}"
            try:
                if eval(code, {self._alias(home.__name__): home}) == value:  # noqa: S307
                    modules.add(home.__name__)
                    return code
            except Exception:
                return None
        return None

    def _content(self, module: str) -> bool:
        return _is_catalog_module(module, self.cfg)


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:
        return False


def _is_catalog_module(module: str, cfg: Any) -> bool:
    content = cfg.content
    tops = {n.split(".")[0] for n in (content.defaults, content.traffic, content.dashboards, content.rules) if n}
    if module.split(".")[0] not in tops or any(part.startswith("_") for part in module.split(".")):
        return False
    return not any(module == pkg or module.startswith(pkg + ".") for pkg in (content.dashboards, content.rules) if pkg)


_last: Catalog | None = None


def catalog(cfg: Any, reserved: frozenset[str] = frozenset()) -> Catalog:
    """The content's query calls with the settings ``cfg`` (built once per
    settings object); empty when the content's dashboards do not build."""
    global _last
    if _last is not None and _last.cfg is cfg and _last.reserved == reserved:
        return _last
    from ..content import discover

    found = Catalog(cfg, reserved=reserved)
    try:
        builds = discover(cfg.content.dashboards, "build", "content.dashboards")
    except Exception:  # no content to learn from: every query stays PromQL
        builds = []
    for b in builds:
        _trace(found, b.fn)
    _last = found
    return found


def _trace(found: Catalog, build: Callable) -> None:
    """Build one dashboard, recording each call of a catalog function that returns a string."""
    cfg = found.cfg
    ours: dict[str, bool] = {}
    stack: list[Any] = []  # the frames of catalog calls under way
    pending: dict[int, _Record] = {}

    def profile(frame, event, arg):
        if event == "call":
            module = frame.f_globals.get("__name__", "")
            if module not in ours:
                ours[module] = _is_catalog_module(module, cfg)
            code = frame.f_code
            if not ours[module] or code.co_name.startswith("_"):
                return
            fn = frame.f_globals.get(code.co_name)
            if getattr(fn, "__code__", None) is not code:
                return  # a nested function or a method, not the module's own
            names = code.co_varnames[:code.co_argcount + code.co_kwonlyargcount
                                     + bool(code.co_flags & inspect.CO_VARARGS)
                                     + bool(code.co_flags & inspect.CO_VARKEYWORDS)]
            local = frame.f_locals
            pending[id(frame)] = _Record(len(stack), fn, {n: local[n] for n in names if n in local})
            stack.append(frame)
        elif event == "return" and stack and stack[-1] is frame:
            stack.pop()
            record = pending.pop(id(frame), None)
            if record is not None and isinstance(arg, str) and arg:
                kept = found.records.setdefault(arg, [])
                if len(kept) < _MAX_PER_TEXT:
                    kept.append(record)

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        build(cfg)
    except Exception:  # a dashboard that does not build teaches nothing
        pass
    finally:
        sys.setprofile(previous)
