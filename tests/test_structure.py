"""The package's import graph follows the data's journey: no circles, no import upwards.

The layers, lowest first, are the folders of ``carbonspot/`` (docs/architecture.md). A module may
import its own layer and the layers below it, never one above. Imports inside functions count
too: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import carbonspot

PACKAGE = Path(carbonspot.__file__).resolve().parent

# Lowest first. A top-level module or a sub-package of carbonspot belongs to exactly one layer.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "paths", "formatting", "yaml_file", "presets"),
    ("workload",),
    ("hardware",),
    ("mapping",),
    ("cost",),
    ("mapper",),
    ("carbon",),
    ("evaluate", "design", "serving"),
    ("search",),
    ("report",),
    ("cli", "__main__", "__init__"),
)
LAYER_OF = {name: i for i, names in enumerate(LAYERS) for name in names}


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def import_graph() -> dict[str, set[str]]:
    """``module -> carbonspot modules it imports`` (module level and inside functions)."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                targets = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            for target in targets:
                # the longest prefix that is a module of the package
                parts = target.split(".")
                for k in range(len(parts), 0, -1):
                    cand = ".".join(parts[:k])
                    if cand in modules:
                        if cand != name and cand != "carbonspot":
                            deps.add(cand)
                        break
        graph[name] = deps
    return graph


def layer(module: str) -> int:
    """Layer index of a carbonspot module (its first component below the package)."""
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else "__init__"
    assert top in LAYER_OF, f"{module}: not in any layer of tests/test_structure.py LAYERS"
    return LAYER_OF[top]


def test_every_module_has_a_layer():
    for module in import_graph():
        layer(module)


def test_no_import_from_a_lower_layer_to_a_higher_one():
    upward = [
        f"{m} (layer {layer(m)}) imports {d} (layer {layer(d)})"
        for m, deps in import_graph().items()
        for d in sorted(deps)
        if layer(d) > layer(m)
    ]
    assert not upward, "\n".join(upward)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_circles():
    assert _cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_an_upward_import_is_seen():
    graph = import_graph()
    assert "carbonspot.workload.model" in graph["carbonspot.cost.model"]
    assert (
        layer("carbonspot.cli.study")
        > layer("carbonspot.search.runner")
        > layer("carbonspot.mapper.fast")
    )
