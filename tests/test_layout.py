"""The library's house plan: one subpackage per stage, each importing only its own and earlier stages, no cycles."""

from __future__ import annotations

import ast

from conftest import REPO

from borgingsmonitor.core.codeversion import STAGES

PACKAGE = REPO / "src" / "borgingsmonitor"
LAYERS = list(STAGES)
ALLOWED = {stage: set(LAYERS[: i + 1]) for i, stage in enumerate(LAYERS)}
ALLOWED["synthetic"] = {"core", "synthetic"}  # the simulator stands apart: the tests and tools use it, the stages never


def module_name(path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def runtime_nodes(tree):
    """Every node except those under `if TYPE_CHECKING:` (imports for type hints only, never run)."""
    skip = {
        id(n)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for stmt in block.body
        for n in ast.walk(stmt)
    }
    return [n for n in ast.walk(tree) if id(n) not in skip]


def imports_of(module: str) -> set[str]:
    """The project modules a module imports, anywhere in it (a deferred import inside a function counts too)."""
    found = set()
    for node in runtime_nodes(ast.parse(MODULES[module].read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert not node.level, f"{module}: write imports absolute (borgingsmonitor.<stage>.<module>)"
            base = node.module
            found |= {f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names}
    return {name for name in found if name in MODULES and name != module}


GRAPH = {module: imports_of(module) for module in MODULES}


def stage_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def test_every_module_belongs_to_a_known_stage():
    assert {stage_of(m) for m in MODULES} - {None} == set(ALLOWED)


def test_no_module_imports_a_later_stage():
    wrong = [
        f"{m} imports {i}"
        for m, deps in GRAPH.items()
        for i in sorted(deps)
        if stage_of(m) and stage_of(i) and stage_of(i) not in ALLOWED[stage_of(m)]
    ]
    assert not wrong, "\n".join(wrong)


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    done, path = set(), []

    def visit(node):
        if node in path:
            return path[path.index(node) :] + [node]
        if node in done:
            return None
        path.append(node)
        for dep in sorted(graph[node]):
            cycle = visit(dep)
            if cycle:
                return cycle
        path.pop()
        done.add(node)
        return None

    for node in sorted(graph):
        cycle = visit(node)
        if cycle:
            return cycle
    return None


def test_no_import_cycles():
    cycle = find_cycle(GRAPH)
    assert cycle is None, " -> ".join(cycle)


def test_the_checks_see_cycles_and_upward_imports():
    """The checks above can fail: a cycle and an upward import in a made-up graph are found."""
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
    assert "borgingsmonitor.core.tables" in GRAPH["borgingsmonitor.measure.steps"]
    assert "report" not in ALLOWED["models"]
