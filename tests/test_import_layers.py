"""The package's imports form layers: no cycles, and every import points down (or sideways).

The graph is built from the source with ``ast`` (nothing is imported). Module-level imports,
including those under ``if TYPE_CHECKING:``, must be acyclic; imports inside functions (lazy
imports of heavy or optional code) are allowed, but like every import they must not point to
a higher layer. ``emulator/`` is an application with its own layering test and is excluded.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import httpx_pingone_worker

PACKAGE = "httpx_pingone_worker"
ROOT = Path(httpx_pingone_worker.__file__).parent
EXCLUDED = ("emulator",)

#: Layers from the bottom up (ARCHITECTURE.md). A module's layer is its longest matching
#: prefix. Root modules not listed (``__init__``, ``hookspecs``) are the public surface: they
#: may import any layer and nothing may import them.
LAYERS: dict[str, int] = {
    "_version": 0,
    "_core": 0,
    "credentials": 1,
    "caches": 2,
    "oauth": 2,
    "_engine": 3,
    "tokens": 4,
    "_auth": 5,
    "httpx2": 5,
    "management": 6,
    "cli": 7,
    "__main__": 8,
}
#: Layers that may import the public package root (applications on top of the library).
USES_PUBLIC_ROOT = LAYERS["cli"]
SURFACE = {"", "hookspecs"}


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    lazy: bool  # inside a function or method
    line: int


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join((PACKAGE, *parts))


def modules() -> dict[str, Path]:
    found = {}
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT).parts
        if rel[0] in EXCLUDED:
            continue
        found[module_name(path)] = path
    return found


def _resolve(node: ast.ImportFrom, current: str, is_package: bool) -> str:
    if node.level == 0:
        return node.module or ""
    base = current.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _walk(body: list[ast.stmt], lazy: bool) -> Iterator[tuple[ast.stmt, bool]]:
    for stmt in body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            yield stmt, lazy
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield from _walk(stmt.body, True)
        elif isinstance(stmt, ast.ClassDef):
            yield from _walk(stmt.body, lazy)
        else:  # if / try / with / for blocks at this level run with the module
            for field in ("body", "orelse", "finalbody"):
                yield from _walk(getattr(stmt, field, []) or [], lazy)
            for handler in getattr(stmt, "handlers", []) or []:
                yield from _walk(handler.body, lazy)


def edges(known: dict[str, Path]) -> list[Edge]:
    out = []
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        is_package = path.name == "__init__.py"
        for stmt, lazy in _walk(tree.body, False):
            targets: list[str] = []
            if isinstance(stmt, ast.Import):
                targets = [a.name for a in stmt.names]
            else:
                base = _resolve(stmt, name, is_package)
                targets = [base]
                targets += [f"{base}.{a.name}" for a in stmt.names if f"{base}.{a.name}" in known]
            out.extend(
                Edge(name, target, lazy, stmt.lineno)
                for target in targets
                if target in known and target != name
            )
    return out


# Parsed once, at collection, in a fresh interpreter state: CPython 3.11.7's ast.parse can
# raise "AST constructor recursion depth mismatch" after unrelated tests in the same worker.
MODULES = modules()
EDGES = edges(MODULES)


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a path (first node repeated at the end), or None."""
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def layer_of(module: str) -> int | None:
    rel = module.removeprefix(PACKAGE).lstrip(".")
    if rel in SURFACE:
        return None
    parts = rel.split(".")
    for n in range(len(parts), 0, -1):
        if (key := ".".join(parts[:n])) in LAYERS:
            return LAYERS[key]
    raise AssertionError(f"{module} is in no layer: add its folder to LAYERS")


def test_graph_sees_the_package() -> None:
    """The parser finds the modules and their imports (so the tests below can fail)."""
    known, found = MODULES, EDGES
    assert f"{PACKAGE}._core._errors" in known
    assert f"{PACKAGE}.emulator" not in known
    assert any(e.target == f"{PACKAGE}._core._errors" and not e.lazy for e in found)
    assert any(e.lazy for e in found)


def test_cycle_finder_finds_a_cycle() -> None:
    """find_cycle reports a planted cycle and accepts a DAG."""
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_no_import_cycles() -> None:
    """Module-level imports (TYPE_CHECKING ones included) form no cycle."""
    graph: dict[str, set[str]] = {}
    for e in EDGES:
        if not e.lazy:
            graph.setdefault(e.source, set()).add(e.target)
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_every_module_is_in_a_layer() -> None:
    """Each module belongs to a layer or to the public surface."""
    for name in MODULES:
        layer_of(name)


@pytest.mark.parametrize("lazy", [False, True], ids=["module-level", "function-level"])
def test_imports_point_down(lazy: bool) -> None:
    """No module imports from a higher layer, nor from the surface (cli may use the root)."""
    wrong = []
    for e in EDGES:
        if e.lazy is not lazy:
            continue
        src, dst = layer_of(e.source), layer_of(e.target)
        if src is None:
            continue
        if dst is None and src >= USES_PUBLIC_ROOT and e.target == PACKAGE:
            continue
        if dst is None or dst > src:
            wrong.append(f"{e.source}:{e.line} imports {e.target}")
    assert wrong == []
