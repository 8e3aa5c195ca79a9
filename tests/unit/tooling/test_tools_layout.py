"""The layout of ``tools/``: no import goes round in a circle, and the packages depend on each other one way only.

Every ``tools.`` import counts, also those inside functions (a circle closed by a lazy import still means that
neither side can be read, or moved, without the other). The areas of ``chalicelib`` are checked the same way by
``test_area_contract.py`` (``test_the_areas_depend_on_each_other_without_a_circle``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
TOOLS = ROOT / "tools"
# The documented commands kept at the top of tools/ (``python -m tools.local_stack`` ...): entry points only, their
# code lives in the packages, so nothing imports them.
COMMANDS = ("tools.local_stack", "tools.run_job", "tools.package", "tools.redrive")
# Which package may use which (beyond ``tools.procs``, which any may use): the stack starts the emulation and the
# simulators; those know nothing of the stack nor of each other; deploy stands alone.
MAY_USE: dict[str, set[str]] = {
    "stack": {"lambda_emulation", "simulators"},
    "lambda_emulation": set(),
    "simulators": set(),
    "deploy": set(),
}


def _module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def tools_modules(root: Path = TOOLS) -> dict[str, Path]:
    """Module name -> file, for every module of ``tools/`` (not ``node_modules``)."""
    return {_module_name(p, root): p for p in sorted(root.rglob("*.py")) if "node_modules" not in p.parts}


def import_graph(root: Path = TOOLS) -> dict[str, set[str]]:
    """Module -> the ``tools`` modules it imports, anywhere in its body (a package's ``__init__`` when a name is
    not a module of its own)."""
    modules = tools_modules(root)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join([*anchor, *([base] if base else [])])
                targets.update(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                               for alias in node.names)
        graph[name] = {_owner(t, modules) for t in targets if _owner(t, modules)} - {name}
    return graph


def _owner(target: str, modules: dict[str, Path]) -> str:
    """The module of ``tools`` that ``target`` (a module or a name in one) is, or "" outside ``tools``."""
    while target and target not in modules:
        target = target.rpartition(".")[0]
    return target


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each strongly connected group of more than one module (Tarjan), as a sorted list."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and (TOOLS / parts[1]).is_dir()) else ""


def test_no_module_of_tools_imports_another_that_imports_it_back():
    graph = import_graph()
    assert graph.get("tools.stack.runner"), "the import graph found nothing"
    found = circles(graph)
    assert not found, f"tools modules importing each other in a circle: {found}"


def test_the_circle_finder_sees_a_circle_closed_inside_a_function(tmp_path: Path):
    """The check above would pass on anything if it missed lazy imports: the layout before the packages had
    ``local_stack -> seed -> local_stack`` with both imports inside functions."""
    tools = tmp_path / "tools"
    tools.mkdir()
    (tools / "__init__.py").write_text("")
    (tools / "local_stack.py").write_text("def start():\n    from tools import seed\n")
    (tools / "seed.py").write_text("def main():\n    from tools import local_stack\n")
    (tools / "procs.py").write_text("import os\n")
    assert circles(import_graph(tools)) == [["tools.local_stack", "tools.seed"]]


def test_the_packages_of_tools_depend_on_each_other_one_way():
    wrong = []
    for module, targets in import_graph().items():
        source = _package(module)
        if source not in MAY_USE:
            continue
        for target in targets:
            used = _package(target)
            if used and used != source and used not in MAY_USE[source]:
                wrong.append(f"{module} -> {target}")
    assert not wrong, f"imports against the layering of tools/ (see MAY_USE): {sorted(wrong)}"
    assert set(MAY_USE) == {p.name for p in TOOLS.iterdir() if (p / "__init__.py").exists()}, "a package not in MAY_USE"


@pytest.mark.slow
def test_the_command_entry_points_only_run_a_package_module():
    graph = import_graph()
    for command in COMMANDS:
        assert command in graph, f"{command}: the documented command is gone"
        assert len(graph[command]) == 1, f"{command} should only import the main of one package module"
    importers = sorted(m for m, targets in graph.items() if targets & set(COMMANDS))
    assert not importers, f"modules importing a command entry point instead of its package module: {importers}"
