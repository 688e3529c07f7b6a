"""The package's rooms: data flows inputs -> analysis -> privacy -> outputs, never back."""

from __future__ import annotations

import ast
import importlib
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GEO = ROOT / "geo"

# floor of each room; modules on the top floor may use everything below
SHARED = {"geo._errors", "geo._arrays", "geo._memory", "geo._progress", "geo._lazy",
          "geo._page", "geo.i18n", "geo._gpkg", "geo._text", "geo._csv", "geo._h3"}
ROOMS = {"inputs": 1, "analysis": 2, "privacy": 3, "outputs": 4}
TOP = 5


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def floor(module: str) -> int:
    if module in SHARED:
        return 0
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in ROOMS:
        return ROOMS[parts[1]]
    if module == "geo.data" or module.startswith("geo.data."):
        return 0
    return TOP


def geo_imports(path: Path) -> list[tuple[str, int]]:
    """Every ``geo`` module a file imports, at any depth (function-level imports too)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "geo":
                found += [(f"geo.{a.name}", node.lineno) for a in node.names]
            elif node.module.startswith("geo."):
                base = node.module
                for alias in node.names:  # `from geo.outputs import _charts` names a module
                    sub = f"{base}.{alias.name}"
                    is_module = (GEO.parent / Path(*sub.split("."))).with_suffix(".py").exists()
                    found.append((sub if is_module else base, node.lineno))
        elif isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names if a.name.startswith("geo.")]
    return found


MODULES = sorted(GEO.rglob("*.py"))


def test_every_module_sits_in_a_room_or_on_top():
    loose = [module_name(p) for p in MODULES
             if floor(module_name(p)) == TOP
             and module_name(p) not in {"geo", "geo.__main__", "geo.cli", "geo.pipeline",
                                        "geo.recipe", "geo._release", "geo.sample",
                                        "geo._sample_places", "geo._summary"}]
    assert loose == [], f"modules outside the four rooms: {loose}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p))
def test_no_module_imports_a_higher_room(path):
    me = module_name(path)
    mine = floor(me)
    upward = [f"{me}:{line} imports {target}" for target, line in geo_imports(path)
              if target != "geo" and floor(target) > mine]
    assert upward == []


@pytest.mark.parametrize("path", sorted((GEO / "outputs").glob("*.py")),
                         ids=lambda p: module_name(p))
def test_renderers_see_the_analysis_only_through_the_published_type(path):
    me = module_name(path)
    below = [f"{me}:{line} imports {target}" for target, line in geo_imports(path)
             if floor(target) in (ROOMS["inputs"], ROOMS["analysis"])]
    assert below == []


def test_module_level_imports_have_no_cycle():
    graph: dict[str, set[str]] = {}
    for path in MODULES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
        targets = set()
        for node in top:
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("geo"):
                targets.add(node.module)
        graph[module_name(path)] = {t for t in targets if t != module_name(path)}
    seen, stack = set(), []

    def visit(node: str) -> None:
        if node in stack:
            cycle = stack[stack.index(node):] + [node]
            pytest.fail(" -> ".join(cycle))
        if node in seen:
            return
        stack.append(node)
        for nxt in graph.get(node, ()):
            visit(nxt)
        stack.pop()
        seen.add(node)

    for name in graph:
        visit(name)


@pytest.mark.parametrize("package", ["geo", "geo.inputs", "geo.analysis", "geo.privacy",
                                     "geo.outputs"])
def test_each_package_names_what_it_exports(package):
    module = importlib.import_module(package)
    assert module.__all__
    for name in module.__all__:
        assert getattr(module, name) is not None, f"{package}.{name}"
    room = package.split(".")[1] if "." in package else None
    if room:  # a room exports only its own modules' names
        assert all(target.startswith(f"{package}.") for target in module._PUBLIC.values())
    with pytest.raises(AttributeError):
        module.nothing_here  # noqa: B018


def readme_python_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Python", 1)[1].split("\n## ", 1)[0]
    return [block.split("```", 1)[0] for block in section.split("```python\n")[1:]]


def test_the_readme_python_example_runs_on_the_sample(tmp_path, monkeypatch):
    from geo.sample import write_sample

    write_sample(tmp_path, days=14)
    monkeypatch.chdir(tmp_path)
    os.makedirs("maps", exist_ok=True)
    blocks = readme_python_blocks()
    assert len(blocks) == 2
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102
    assert (tmp_path / "cells.gpkg").exists()
    assert (tmp_path / "maps" / "october.html").stat().st_size > 10_000
    assert (tmp_path / "maps" / "october_report.html").exists()
    assert namespace["published"].audience == "community"
