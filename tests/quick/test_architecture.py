"""The layout's rules, read from the code (docs/decisions/architecture.md): dependencies point one way, no
import cycle (function-local imports included), no web framework under the engine, small modules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("core", "ingest", "app")
LAYERS = ["core", "ingest", "app.engine", "app.web", "app.cli"]  # each may import only those before it
WEB_FRAMEWORKS = ("gradio", "fastapi", "uvicorn", "starlette", "gradio_client")
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def product_modules() -> dict[str, Path]:
    return {module_name(p): p for top in PRODUCT for p in sorted((ROOT / top).rglob("*.py"))}


def imports_of(path: Path, modules: dict[str, Path]) -> set[str]:
    """Every module imported anywhere in the file (top level, functions, TYPE_CHECKING blocks), resolved to
    product modules where it is one, else its top-level package."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        for name in names:
            while name and name not in modules and "." in name:
                name = name.rsplit(".", 1)[0]
            if name in modules or not name.startswith(PRODUCT):
                found.add(name)
    return found


def graph() -> dict[str, set[str]]:
    modules = product_modules()
    return {
        name: {i for i in imports_of(path, modules) if i in modules and i != name} for name, path in modules.items()
    }


def layer(module: str) -> int:
    matches = [i for i, prefix in enumerate(LAYERS) if module == prefix or module.startswith(prefix + ".")]
    return matches[-1] if matches else -1


def test_every_product_module_belongs_to_a_layer():
    assert [m for m in product_modules() if layer(m) < 0 and m != "app" and m != "app.__main__"] == []


def test_dependencies_point_one_way():
    wrong = [
        f"{module} -> {imported}"
        for module, imported_set in graph().items()
        for imported in imported_set
        if layer(imported) > layer(module) and not (module == "app.__main__" and imported == "app.cli")
    ]
    assert wrong == []


def test_no_import_cycles():
    edges = graph()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for start in sorted(edges):
        if start not in state:
            visit(start, [start])
    assert cycles == []


def test_nothing_under_the_engine_imports_a_web_framework():
    modules = product_modules()
    engine = {name: path for name, path in modules.items() if layer(name) <= LAYERS.index("app.engine")}
    offenders = {
        name: sorted(i for i in imports_of(path, modules) if i.split(".")[0] in WEB_FRAMEWORKS)
        for name, path in engine.items()
    }
    assert {name: found for name, found in offenders.items() if found} == {}


@pytest.mark.parametrize("top", PRODUCT)
def test_no_product_module_is_over_400_lines(top: str):
    lines = {str(p.relative_to(ROOT)): len(p.read_text().splitlines()) for p in (ROOT / top).rglob("*.py")}
    assert {path: n for path, n in lines.items() if n > MAX_LINES} == {}
