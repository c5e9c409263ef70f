"""The engine's shape: layers you can see in the folder names, imports that
only point down, no module of the engine that knows the content, and no
module too large to read."""

from __future__ import annotations

import ast
import re
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]
ENGINE = ROOT / "tonebridge_dash"
CONTENT = ("panels", "dashboards", "alerts")
# The root's shared base, a kernel every layer may use and which uses no
# layer: a fixed list with a line budget, changed only on purpose.
BASE = ("errors", "findings", "model", "content", "durations", "progress", "threads", "compiled")
BASE_LINES = 760
ROOT_MODULES = 10  # at most, __init__ and __main__ aside
# Layers, lowest first: a module may import its own layer, the base and the
# layers below it, never one above. ``kit`` is what the content imports.
LAYERS = ("files", "settings", "elasticsearch", "alerting", "prometheus", "dashboard", "lint", "importing",
          "targets", "kit", "preview", "grafana", "cli")
MAX_LINES = 420


ALL_FILES: set[str] = set()  # every module name of the engine, filled below


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Absolute names of every module ``path`` imports (relative ones resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path).rpartition(".")[0]
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            # ``from pkg import mod`` needs pkg.mod; ``from mod import name`` needs mod.
            out.update(f"{base}.{a.name}" if f"{base}.{a.name}" in ALL_FILES else base for a in node.names)
    return out


MODULES = {_module_name(p): p for p in sorted(ENGINE.rglob("*.py"))}
ALL_FILES.update(MODULES)
GRAPH = {name: {i for i in _imports(path) if i in MODULES and i != name} for name, path in MODULES.items()}


def _layer(module: str) -> str:
    parts = module.split(".")
    if parts[1:] == ["__main__"]:
        return "cli"  # ``python -m tonebridge_dash``: the entry point
    if len(parts) == 1 or parts[1] in BASE:
        return "base"
    return parts[1]


def test_no_module_of_the_engine_imports_the_content():
    for name, path in MODULES.items():
        content = sorted(i for i in _imports(path) if i.split(".")[0] in CONTENT)
        assert not content, f"{name} imports {content}"


def test_the_engine_never_names_the_service():
    for path in ENGINE.rglob("*"):
        if path.is_file() and path.suffix in (".py", ".json", ".yaml", ".md", ".txt"):
            text = path.read_text(encoding="utf-8").replace("tonebridge_dash", "")
            assert not re.search(r"tonebridge", text, re.I), path.relative_to(ROOT)


def test_imports_only_point_down():
    order = {layer: i for i, layer in enumerate(LAYERS)}
    for name, imported in GRAPH.items():
        mine = _layer(name)
        for other in imported:
            theirs = _layer(other)
            if mine == "base":
                assert theirs == "base", f"{name} (the shared base) imports {other} ({theirs})"
            elif theirs != "base":
                assert order[theirs] <= order[mine], f"{name} ({mine}) imports {other} ({theirs}), a layer above"


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` (module -> modules it imports), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt, path + [nxt])
                if found:
                    return found
        state[node] = 2
        return None

    for module in sorted(graph):
        if module not in state:
            found = visit(module, [module])
            if found:
                return found
    return None


def test_no_import_cycle():
    cycle = find_cycle(GRAPH)
    assert cycle is None, f"import cycle: {' -> '.join(cycle)}"


def test_the_cycle_check_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_every_package_says_what_it_is_for():
    for init in ENGINE.rglob("__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and len(doc) > 40, f"{init.relative_to(ROOT)} has no docstring"


def test_no_module_is_too_large_to_read():
    for name, path in MODULES.items():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        assert lines <= MAX_LINES, f"{name}: {lines} lines"


def test_the_base_is_a_small_kernel():
    """Only what everything needs sits at the root: a fixed list of modules
    within a line budget; whatever else is a package of its own."""
    root = sorted(p.stem for p in ENGINE.glob("*.py") if p.stem not in ("__init__", "__main__"))
    assert len(root) <= ROOT_MODULES, root
    assert set(root) - set(BASE) <= {"kit"}, f"loose at the root: {sorted(set(root) - set(BASE) - {'kit'})}"
    lines = sum(len((ENGINE / f"{m}.py").read_text(encoding="utf-8").splitlines()) for m in BASE)
    assert lines <= BASE_LINES, f"the base holds {lines} lines (budget {BASE_LINES})"


def test_the_content_imports_only_the_public_module():
    """``panels/``, ``dashboards/`` and ``alerts/`` reach the engine through
    ``tonebridge_dash.kit`` alone, never its internals."""
    for package in CONTENT:
        for path in sorted((ROOT / package).rglob("*.py")):
            engine = {i for i in _imports(path) if i.split(".")[0] == "tonebridge_dash"}
            assert engine <= {"tonebridge_dash.kit"}, f"{path.relative_to(ROOT)} imports {sorted(engine)}"


def test_the_public_module_names_only_what_exists():
    import importlib

    kit = importlib.import_module("tonebridge_dash.kit")
    for name in kit.__all__:
        assert getattr(kit, name) is not None, name
