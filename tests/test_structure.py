"""The package's layout: packages import only downward, no file-level circle, small modules and functions.

Read from the source with `ast` (every import, also those inside functions;
`if TYPE_CHECKING:` blocks are not imports at run time and are skipped).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
ROOT = "ganfleet"
# in ruff format's layout (a call past 120 columns takes one line per argument)
MAX_MODULE_LINES = 450
MAX_FUNCTION_LINES = 90


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted((SRC / ROOT).rglob("*.py"))}


def is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imported_names(tree: ast.AST) -> list[str]:
    """Dotted ganfleet modules (or module.name) that `tree` imports, at run time."""
    out: list[str] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            out.extend(a.name for a in node.names if a.name.split(".")[0] == ROOT)
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == ROOT and not node.level:
            out.extend(f"{node.module}.{a.name}" for a in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return out


def resolve(name: str) -> str:
    """The module a dotted import lands in: `ganfleet.pairs.Pair` -> `ganfleet.pairs`, a submodule -> itself."""
    while name not in MODULES:
        name = name.rpartition(".")[0]
    return name


def file_graph() -> dict[str, set[str]]:
    graph = {}
    for name, path in MODULES.items():
        targets = {resolve(n) for n in imported_names(ast.parse(path.read_text()))}
        graph[name] = targets - {name}
    return graph


def package_of(module: str) -> str:
    """`ganfleet.pairs.step` -> `pairs`; a top-level module is its own package; the root is `ganfleet`."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ROOT


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return found


def test_no_file_level_circle() -> None:
    assert cycles(file_graph()) == []


def test_packages_import_only_downward() -> None:
    packages: dict[str, set[str]] = {}
    for module, targets in file_graph().items():
        mine = package_of(module)
        packages.setdefault(mine, set()).update(package_of(t) for t in targets if package_of(t) != mine)
    assert cycles(packages) == []


def test_the_cycle_finder_finds_cycles() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_modules_and_functions_are_small(module: str) -> None:
    source = MODULES[module].read_text()
    assert len(source.splitlines()) <= MAX_MODULE_LINES
    long = [
        (node.name, node.end_lineno - node.lineno + 1)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert long == []
