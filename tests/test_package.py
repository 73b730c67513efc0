"""The package as an operator installs it: every third-party import is a declared
dependency, nothing under ``chatbot/`` reaches into ``tests/``, and its modules import each
other in one direction only."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from functools import cache
from importlib.metadata import distribution, packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "chatbot"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
TREES = {name: ast.parse(path.read_text(encoding="utf-8")) for name, path in MODULES.items()}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared_dependencies() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = (re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", req) for req in project["dependencies"])
    return {canonical(match.group()) for match in names if match}


IMPORT_ERRORS = ("ImportError", "ModuleNotFoundError")


def catches_import_error(node: ast.Try) -> bool:
    for handler in node.handlers:
        caught = handler.type
        names = caught.elts if isinstance(caught, ast.Tuple) else [caught]
        if any(
            isinstance(n, ast.Name) and n.id in ("ImportError", "ModuleNotFoundError")
            for n in names
        ):
            return True
    return False


def imports(tree: ast.Module, *, module_level: bool, optional: bool = True) -> list[ast.stmt]:
    """Import statements of a module: at module level (inside ``if`` and ``try`` blocks too,
    ``if TYPE_CHECKING`` included) or anywhere; ``optional=False`` leaves out those guarded by
    ``except ImportError``, which the code does without."""
    found: list[ast.stmt] = []

    def visit(statements: list[ast.stmt]) -> None:
        for node in statements:
            if isinstance(node, ast.Import | ast.ImportFrom):
                found.append(node)
            elif isinstance(node, ast.Try) and not optional and catches_import_error(node):
                visit(node.orelse + node.finalbody)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                if not module_level:
                    visit(node.body)
            else:
                for field in ("body", "orelse", "finalbody", "handlers"):
                    children = getattr(node, field, None)
                    if isinstance(children, list):
                        visit([c for c in children if isinstance(c, ast.AST)])

    visit(tree.body)
    return found


def absolute_names(module: str, node: ast.stmt) -> list[str]:
    """The modules a statement imports, dotted; ``from pkg import sub`` names ``pkg.sub``
    when ``sub`` is one of our modules (importing it does not need ``pkg``'s own names)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    assert isinstance(node, ast.ImportFrom)
    base = node.module or ""
    if node.level:
        package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
        parent = package.split(".")[: len(package.split(".")) - (node.level - 1)]
        base = ".".join([*parent, base] if base else parent)
    submodules = [f"{base}.{alias.name}" for alias in node.names]
    ours = [name for name in submodules if name in MODULES]
    return ours + ([base] if len(ours) < len(submodules) else [])


installed = cache(packages_distributions)


@cache
def files_of(dist: str) -> list[str]:
    return [str(f) for f in distribution(dist).files or []]


def distributions_of(module: str) -> list[str]:
    """The installed distributions that provide ``module``; for a namespace shared by several
    (``langgraph.checkpoint.sqlite``), the one that holds its files."""
    top = module.split(".")[0]
    candidates = installed().get(top, [])
    if len(candidates) < 2:
        return candidates
    parts = module.split(".")
    for size in range(len(parts), 0, -1):
        prefix = "/".join(parts[:size])
        holders = [
            dist
            for dist in candidates
            if any(f.startswith(prefix + "/") or f == prefix + ".py" for f in files_of(dist))
        ]
        if holders:
            return holders
    return candidates


def third_party_imports() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for name, tree in TREES.items():
        for node in imports(tree, module_level=False, optional=False):
            if isinstance(node, ast.ImportFrom) and node.level:
                continue
            for imported in absolute_names(name, node):
                top = imported.split(".")[0]
                if top in sys.stdlib_module_names or top in ("chatbot", "__future__"):
                    continue
                found.setdefault(imported, set()).add(name)
    return found


def test_every_third_party_import_is_a_declared_dependency() -> None:
    declared = declared_dependencies()
    imported = third_party_imports()
    assert "jwt" in imported and "starlette.requests" in imported, "the walk found the imports"
    undeclared = {}
    for module, users in sorted(imported.items()):
        dists = distributions_of(module)
        if not any(canonical(dist) in declared for dist in dists):
            undeclared[module] = (dists or ["not installed"], sorted(users))
    assert undeclared == {}, "add these to [project] dependencies in pyproject.toml"


def test_no_module_imports_the_tests() -> None:
    offenders = sorted(
        name
        for name, tree in TREES.items()
        for node in imports(tree, module_level=False)
        if not (isinstance(node, ast.ImportFrom) and node.level)
        for imported in absolute_names(name, node)
        if imported.split(".")[0] == "tests"
    )
    assert offenders == [], "an installed package has no tests/ to import"


def import_graph(*, module_level: bool) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for name, tree in TREES.items():
        edges = graph.setdefault(name, set())
        for node in imports(tree, module_level=module_level):
            for imported in absolute_names(name, node):
                while imported and imported not in MODULES:
                    imported = imported.rpartition(".")[0]
                if imported and imported != name:
                    edges.add(imported)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(graph[node]):
            if other not in index:
                connect(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return sorted(found)


# Cycles tolerated for now, each with the reason. Imports inside functions are checked too: a
# lazy import that closes a circle still couples two modules both ways.
# - backend.client <-> backend.streaming: the stream names the client it drives for its type
#   only (``if TYPE_CHECKING``); at run time only the client imports the stream.
_TYPE_ONLY = [["chatbot.backend.client", "chatbot.backend.streaming"]]
KNOWN_CYCLES: dict[bool, list[list[str]]] = {True: _TYPE_ONLY, False: _TYPE_ONLY}


@pytest.mark.parametrize("module_level", [True, False], ids=["module-level", "all-imports"])
def test_modules_import_each_other_in_one_direction(module_level: bool) -> None:
    graph = import_graph(module_level=module_level)
    assert "chatbot.knowledge.watch" in graph["chatbot.knowledge.base"], "the graph has edges"
    assert cycles(graph) == KNOWN_CYCLES[module_level]
