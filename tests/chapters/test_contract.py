"""Each chapter's companion module (geomem_utils.chapters) agrees with its notebook.

The notebook keeps only a literal ``parameters`` cell and ``P = CHAPTER.resolve(globals())``;
the specs, cross-field rules and title live in the module. These tests fail when the two
drift apart (a parameter added to one and not the other, a default that differs, a title
written twice), and when the executor would start a kernel for an override the chapter's
specs refuse.
"""

from __future__ import annotations

import re

import pytest

from geomem_utils import chapters
from geomem_utils.chapters import MODULES, chapter
from geomem_utils.files import import_graph
from geomem_utils.execute.inputs import NOTEBOOKS, NotebookFailed, check_overrides, parameters_cell, read_notebook
from geomem_utils.params import COMMON, ParameterError

STEMS = list(MODULES)


def _notebook(stem: str):
    return read_notebook(NOTEBOOKS / f"{stem}.md")


def test_every_notebook_has_a_companion_module() -> None:
    assert sorted(p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.md")) == sorted(STEMS)
    for stem in STEMS:
        ch = chapter(stem)
        assert ch is not None and ch.stem == stem


@pytest.mark.parametrize("stem", STEMS)
def test_specs_match_the_parameters_cell(stem: str) -> None:
    ch = chapter(stem)
    cell = parameters_cell(_notebook(stem))
    assert list(cell) == ch.parameter_names, "same names, in the same order"
    specs = {**COMMON, **ch.specs}
    profile = cell["PROFILE"]
    for name, value in cell.items():
        if value is not None:  # a literal in the cell must be the spec's default at the cell's profile
            assert value == specs[name].default_for(profile), name
    for p in ("smoke", "ci", "full"):  # every profile resolves from the cell as written
        ch.resolve({**cell, "PROFILE": p})


@pytest.mark.parametrize("stem", STEMS)
def test_the_notebook_resolves_through_its_chapter_and_states_its_title_once(stem: str) -> None:
    nb = _notebook(stem)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    module = MODULES[stem]
    assert re.search(rf"from geomem_utils\.chapters\.{module} import CHAPTER\b", code)
    assert "P = CHAPTER.resolve(globals())" in code
    assert "Spec(" not in code and "resolve(dict(" not in code, "specs live in the chapter module"
    assert "CHAPTER.finish(" in code and "results.finish(" not in code
    first_heading = re.search(r"^# (.+)$", text, flags=re.M).group(1).strip()
    assert first_heading == chapter(stem).title


def _family(module: str) -> str:
    """The chapter a module of ``chapters/`` belongs to: ``puzzle_checks`` -> ``puzzle``."""
    return next(c for c in sorted(MODULES.values(), key=len, reverse=True)
                if module == c or module.startswith(c + "_"))


def foreign_imports(graph: dict[str, set[str]]) -> list[str]:
    """Imports from one chapter's modules (``X``, ``X_checks``, ``X_figures``) into another's."""
    prefix = "geomem_utils.chapters."
    return sorted(f"{m} -> {t}" for m, ts in graph.items() if m.startswith(prefix)
                  for t in ts if t.startswith(prefix) and _family(t[len(prefix):]) != _family(m[len(prefix):]))


def test_chapter_modules_do_not_import_each_other() -> None:
    """A chapter's modules import the package's wings and each other, never another chapter's
    (every import, absolute or relative, at any depth: :func:`geomem_utils.files.import_graph`)."""
    graph = import_graph()
    assert not foreign_imports(graph)
    families = {_family(m.rsplit(".", 1)[1]) for m in graph if m.startswith("geomem_utils.chapters.")}
    assert families == set(MODULES.values())
    planted = {**graph, "geomem_utils.chapters.puzzle_checks": {"geomem_utils.chapters.geometry_checks"}}
    assert foreign_imports(planted) == ["geomem_utils.chapters.puzzle_checks -> geomem_utils.chapters.geometry_checks"]


#: The names a notebook gives its companion modules, the same in every chapter.
COMPANION_NAMES = {"": "chapter", "_checks": "verdict", "_figures": "figs"}


@pytest.mark.parametrize("stem", STEMS)
def test_every_notebook_imports_its_companions_under_the_same_names(stem: str) -> None:
    """``from geomem_utils.chapters import X as chapter`` / ``X_checks as verdict`` /
    ``X_figures as figs`` and ``from geomem_utils.chapters.X import CHAPTER``: nothing else
    of the chapters, and no other name for them."""
    module = MODULES[stem]
    lines = [ln for ln in (NOTEBOOKS / f"{stem}.md").read_text().splitlines()
             if ln.startswith("from geomem_utils.chapters")]
    allowed = {f"from geomem_utils.chapters.{module} import CHAPTER"}
    allowed |= {f"from geomem_utils.chapters import {module}{suffix} as {name}" for suffix, name in COMPANION_NAMES.items()}
    assert lines and set(lines) <= allowed, set(lines) - allowed
    assert f"from geomem_utils.chapters.{module} import CHAPTER" in lines


def test_resolve_needs_every_parameter_and_names_a_bad_one() -> None:
    ch = chapter("00_tasks")
    cell = parameters_cell(_notebook("00_tasks"))
    with pytest.raises(ParameterError, match="TINY_STEPS"):
        ch.resolve({k: v for k, v in cell.items() if k != "TINY_STEPS"})
    with pytest.raises(ParameterError, match="DEGREE"):
        ch.resolve({**cell, "DEGREE": 1})
    with pytest.raises(ParameterError, match="TEST_FRAC"):  # a cross-field rule: no held-out leaf
        ch.resolve({**cell, "DEGREE": 2, "TEST_FRAC": 0.1})


def test_the_executor_refuses_what_the_chapter_refuses_before_a_kernel() -> None:
    defaults = parameters_cell(_notebook("00_tasks"))
    check_overrides("00_tasks", defaults, {"DEGREE": 7})  # accepted
    for bad, name in (({"DEGREE": 1}, "DEGREE"), ({"DEGREE": 2, "TEST_FRAC": 0.1}, "TEST_FRAC"),
                      ({"PROFILE": "paper"}, "PROFILE")):
        with pytest.raises(NotebookFailed, match=name):
            check_overrides("00_tasks", defaults, bad)
    # a notebook under the same stem but with other parameters (a reader's copy) is left to its kernel
    assert chapters.validate_overrides("00_tasks", {"PROFILE": "ci", "X": 1}, {"X": 2}) is None


def test_titles_are_the_books_table_of_contents() -> None:
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("build_book", Path(NOTEBOOKS).parent / "book" / "build_book.py")
    build_book = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_book)
    assert build_book.CHAPTERS == [(c.stem, c.title) for c in chapters.all_chapters()]
