"""The emulator package's modules import one way (no cycles), stay small, and the adapters
know only the HTTP primitives, not the emulator facade."""

from __future__ import annotations

import ast
from pathlib import Path

import httpx_pingone_worker.emulator as pkg

ROOT = Path(pkg.__file__).parent


def _imports() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in ROOT.glob("*.py"):
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                if node.module:
                    deps.add(node.module)
                else:
                    deps.update(alias.name for alias in node.names)
        graph[path.stem] = deps
    return graph


def test_no_import_cycles() -> None:
    """Every relative import (TYPE_CHECKING ones included) points one way."""
    graph = _imports()
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(node: str, trail: list[str]) -> bool:
        if state.get(node) == 1:
            cycle.extend([*trail, node])
            return True
        if state.get(node) == 2:
            return False
        state[node] = 1
        if any(visit(dep, [*trail, node]) for dep in sorted(graph.get(node, ()))):
            return True
        state[node] = 2
        return False

    assert not any(visit(name, []) for name in sorted(graph)), " -> ".join(cycle)


def test_adapters_do_not_import_the_facade() -> None:
    """Transport and server depend on the Responder protocol only."""
    graph = _imports()
    for adapter in ("_transport", "_server"):
        assert "_emulator" not in graph[adapter]
        assert graph[adapter] <= {"_http"}


def test_modules_stay_small() -> None:
    """No module is over ~400 lines: each has one job."""
    sizes = {p.name: len(p.read_text().splitlines()) for p in ROOT.glob("*.py")}
    assert max(sizes.values()) <= 420, sizes


def test_errors_are_raised_and_answered_in_one_place() -> None:
    """Handlers and helpers raise ``Abort`` with an error answer instead of returning it
    beside their value (no ``isinstance(x, EmulatorResponse)`` check after a call), and
    only the dispatcher turns it back into the answer, so it cannot escape a handler."""
    checks: list[str] = []
    catchers: list[str] = []
    for path in sorted(ROOT.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "isinstance"
                and ast.unparse(node.args[1]) == "EmulatorResponse"
            ):
                checks.append(f"{path.name}:{node.lineno}")
            if (
                isinstance(node, ast.ExceptHandler)
                and node.type is not None
                and "Abort" in ast.unparse(node.type)
            ):
                catchers.append(path.name)
    assert checks == []
    assert catchers == ["_dispatch.py"]
