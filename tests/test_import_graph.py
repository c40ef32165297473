"""The package's modules import one another without circles (imports flow downward, see
docs/architecture.md). Every import counts, also one inside a function: a lazy import hides a
circle, it does not remove it."""

from __future__ import annotations

import ast
from pathlib import Path

import inception_course

PACKAGE = Path(inception_course.__file__).parent


def _module_name(path: Path) -> str:
    parts = ["inception_course", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """The package's modules that ``path`` imports (``from .x import y`` names module ``.x.y`` when
    that is a module, else ``.x``); imports of a package's ``__init__`` are left out, since a
    package imports its own children by design."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                target = f"{base}.{alias.name}"
                found.add(target if target in modules else base)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    packages = {_module_name(p) for p in PACKAGE.rglob("__init__.py")}
    return {m for m in found if m in modules and m not in packages and m != name}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = "done"
        path.pop()
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def _graph() -> dict[str, set[str]]:
    files = sorted(PACKAGE.rglob("*.py"))
    modules = {_module_name(p) for p in files}
    return {_module_name(p): _imports(p, modules) for p in files}


def test_the_package_has_no_import_circle():
    cycle = _cycle(_graph())
    assert cycle is None, "import circle: " + " -> ".join(cycle)


def test_the_circle_finder_finds_one():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_the_registry_imports_neither_pretrained_nor_the_factory():
    graph = _graph()
    assert "inception_course.models.pretrained" in graph["inception_course.models.factory"]
    assert not graph["inception_course.models.registry"] & {
        "inception_course.models.pretrained", "inception_course.models.factory"}
