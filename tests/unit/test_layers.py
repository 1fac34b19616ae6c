"""The package's shape: the ground, then wings that import only what lies below them.

``geomem_utils`` is a ground (validation, files, parameters, results, findings) under seven
wings, bottom up: science, runs, figures, live, sweep, chapters, execute. A module may import
the ground, its own wing and the wings below; never a wing above, and no chain of imports
may come back to where it started. Every import counts, at any depth of the file (a lazy
import inside a function, one under ``TYPE_CHECKING``): each is an arrow a reader follows
(:func:`geomem_utils.files.import_graph`, which the run cache's fingerprint reads too).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import geomem_utils
from geomem_utils.files import import_graph as graph

PACKAGE = Path(geomem_utils.__file__).parent
#: The wings, bottom up; the ground (the package's top-level modules) is below them all.
WINGS = ("science", "runs", "figures", "live", "sweep", "chapters", "execute")


def rank(module: str) -> int:
    """0 for the ground, 1 + the wing's place in :data:`WINGS` otherwise."""
    parts = module.split(".")
    return WINGS.index(parts[1]) + 1 if len(parts) > 1 and parts[1] in WINGS else 0


def upward(g: dict[str, set[str]]) -> list[str]:
    return sorted(f"{m} -> {t}" for m, ts in g.items() for t in ts
                  if t != PACKAGE.name and rank(t) > rank(m))


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """Every import circle, as the strongly connected components with more than one module
    (or a module importing itself): Tarjan's algorithm."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in g.get(v, ()):
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
            if len(comp) > 1 or v in g.get(v, ()):
                out.append(sorted(comp))

    for v in sorted(g):
        if v not in index:
            visit(v)
    return out


def test_every_module_lies_in_the_ground_or_a_wing() -> None:
    for m in graph():
        parts = m.split(".")
        assert len(parts) <= 2 or parts[1] in WINGS, f"{m}: a folder that is not a wing"


def test_no_wing_imports_a_wing_above_it() -> None:
    assert not upward(graph())


def test_no_import_circle() -> None:
    assert not cycles(graph())


def test_the_package_lists_every_wing_and_ground_module() -> None:
    ground = {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    assert set(geomem_utils._SUBMODULES) == ground | set(WINGS)
    for wing in WINGS:
        pkg = getattr(geomem_utils, wing)
        if wing == "chapters":
            continue
        have = {p.stem for p in (PACKAGE / wing).glob("*.py")} | {p.name for p in (PACKAGE / wing).iterdir()
                                                                  if (p / "__init__.py").exists()}
        assert set(pkg.MODULES) == have - {"__init__", "__main__"}, wing


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    pkg = tmp_path / PACKAGE.name
    for rel, text in {"__init__.py": "", **files}.items():
        (pkg / rel).parent.mkdir(parents=True, exist_ok=True)
        (pkg / rel).write_text(text)
    return pkg


@pytest.mark.parametrize("files, what", [
    ({"science/__init__.py": "", "science/graphs.py": "from geomem_utils.runs import cache\n",
      "runs/__init__.py": "", "runs/cache.py": ""}, "upward"),
    ({"science/__init__.py": "", "science/a.py": "from . import b\n", "science/b.py": "def f():\n    from . import a\n"},
     "circle"),
    ({"sweep/__init__.py": "", "sweep/rows.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
      "    from geomem_utils.sweep.grids import Sweep\n", "sweep/grids.py": "from .rows import x\n"}, "circle"),
])
def test_the_checks_see_a_planted_upward_import_and_circle(tmp_path: Path, files: dict[str, str], what: str) -> None:
    g = graph(_tree(tmp_path, files))
    assert (upward(g) if what == "upward" else cycles(g))
