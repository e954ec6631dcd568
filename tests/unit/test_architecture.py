"""The pipeline's shape: no import cycles, and lower stages never import higher ones."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import linkgress_async

PACKAGE = Path(linkgress_async.__file__).parent

# What each stage may import of the library's packages (besides itself and leaf helpers:
# errors, client, _gc, _locks, deadlines).
LEAVES = {"errors", "_gc", "_locks", "deadlines", "_clean_release"}
ALLOWED = {
    "catalog": set(),
    "ops": {"catalog"},
    "diff": {"catalog", "ops", "render"},
    "execute": {"boundary", "client", "watch"},
    "introspect": {"catalog", "render"},
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_imports(tree: ast.Module, module: str, is_package: bool) -> Iterator[str]:
    """Imports executed when the module is imported: top level, outside TYPE_CHECKING."""
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for child in [node] if not isinstance(node, ast.If | ast.Try) else ast.walk(node):
            if isinstance(child, ast.Import):
                yield from (alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = module.split(".")
                    base = base if is_package else base[:-1]
                    base = base[: len(base) - (child.level - 1)]
                    yield ".".join([*base, child.module] if child.module else base)
                elif child.module:
                    yield child.module
                    yield from (f"{child.module}.{alias.name}" for alias in child.names)


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text())
        found = _runtime_imports(tree, name, path.name == "__init__.py")
        graph[name] = {target for target in found if target in modules and target != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _is_package_import(importer: str, target: str) -> bool:
    """A package importing its own submodules (``__init__`` re-exports) is not a cycle."""
    return target.startswith(importer + ".") or importer.startswith(target + ".")


def test_no_module_imports_itself_back_at_import_time() -> None:
    graph = _graph()
    graph = {
        name: {t for t in targets if not _is_package_import(name, t)}
        for name, targets in graph.items()
    }
    assert len(graph) > 150
    assert _cycles(graph) == []


def test_lower_stages_import_only_what_is_below_them() -> None:
    graph = _graph()
    wrong = []
    for name, targets in graph.items():
        parts = name.split(".")
        if len(parts) < 2 or parts[1] not in ALLOWED:
            continue
        stage = parts[1]
        for target in targets:
            other = target.split(".")[1] if "." in target else ""
            if other and other != stage and other not in ALLOWED[stage] | LEAVES:
                wrong.append(f"{name} imports {target}")
    assert wrong == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]
