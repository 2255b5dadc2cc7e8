"""Domain packages are pure: no web framework, database, HTTP client or broker, directly or through
the shared modules they import (walked with ast, module by module, without importing anything)."""

from __future__ import annotations

import ast
from importlib.util import find_spec
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = (
    "fastapi",
    "starlette",
    "sqlalchemy",
    "alembic",
    "httpx",
    "httpcore",
    "aiokafka",
    "asyncpg",
    "aiosqlite",
    "uvicorn",
)
OURS = ("shared", "services")
DOMAINS = sorted(p.relative_to(ROOT) for p in (ROOT / "services").glob("*/domain") if p.is_dir())


def module_of(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(module: str) -> set[str]:
    """The modules `module` imports at import time (not under TYPE_CHECKING), absolute names."""
    spec = find_spec(module)
    assert spec is not None and spec.origin, module
    tree = ast.parse(Path(spec.origin).read_text(), spec.origin)
    package = module if spec.submodule_search_locations else module.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if isinstance(child, ast.Import):
                found.update(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    base = ".".join([*package.split(".")[: len(package.split(".")) - child.level + 1], base]).strip(".")
                found.add(base)
                # `from shared import db`: the submodule is imported too.
                found.update(f"{base}.{alias.name}" for alias in child.names if find_spec_safe(f"{base}.{alias.name}"))
            visit(child)

    visit(tree)
    return found


def find_spec_safe(name: str) -> bool:
    if not name.startswith(OURS):
        return False
    try:
        return find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def forbidden_reach(start: str) -> dict[str, list[str]]:
    """Each forbidden library reachable from `start`, with the chain of our modules that leads to it."""
    chains: dict[str, list[str]] = {start: [start]}
    todo, found = [start], {}
    while todo:
        module = todo.pop()
        for name in imports_of(module):
            top = name.split(".")[0]
            if top in FORBIDDEN:
                found.setdefault(top, chains[module] + [name])
            elif top in OURS and name not in chains and find_spec_safe(name):
                # Importing a.b.c runs a/__init__ and a/b/__init__ first.
                parents = [".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)]
                for mod in [*parents, name]:
                    if mod not in chains:
                        chains[mod] = chains[module] + [mod]
                        todo.append(mod)
    return found


@pytest.mark.parametrize("domain", DOMAINS, ids=str)
def test_a_domain_package_reaches_no_framework_database_client_or_broker(domain):
    modules = [module_of(p) for p in sorted((ROOT / domain).rglob("*.py"))]
    reached = {m: chain for module in modules for m, chain in forbidden_reach(module).items()}
    assert reached == {}, "\n".join(f"{lib}: {' -> '.join(chain)}" for lib, chain in reached.items())


def test_the_walk_sees_an_indirect_import():
    # shared.http.deps imports fastapi and sqlalchemy (directly), shared.runtime reaches them through shared.db.
    assert {"fastapi", "sqlalchemy"} <= set(forbidden_reach("shared.http.deps"))
    assert "sqlalchemy" in forbidden_reach("shared.runtime")
