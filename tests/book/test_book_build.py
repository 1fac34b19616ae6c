"""Build the book from the notebooks this test session executed (stage 2 of `make test`).

The browser test that follows loads the pages built here, so CI checks the rendered
site and not only the code.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys

import pytest

from conftest import ROOT

pytestmark = pytest.mark.site


@pytest.mark.browser
def test_book_builds_from_the_executed_notebooks(build_dirs) -> None:
    executed = sorted(p.stem for p in build_dirs["executed"].glob("[0-9][0-9]_*.ipynb"))
    if not executed:
        pytest.fail("no executed notebooks in build/executed: run the notebook tests first (make test)", pytrace=False)
    proc = subprocess.run(
        [sys.executable, str(ROOT / "book" / "build_book.py"), "--executed", str(build_dirs["executed"]),
         "--results", str(build_dirs["results"]), "-W"],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    html = ROOT / "book" / "_build" / "html"
    for stem in executed:
        assert (html / f"_generated/{stem}.html").exists() or list(html.rglob(f"{stem}.html")), stem
    assert list(html.rglob("scorecard.html"))


@pytest.mark.browser
def test_the_built_site_has_no_machine_path_and_is_readable_by_others(build_dirs) -> None:
    """No file of the site holds the checkout's absolute path (a reader's download would
    point there), and every file and folder is readable by others (a web server, another user)."""
    html = ROOT / "book" / "_build" / "html"
    if not (html / "index.html").is_file():
        pytest.fail("the book is not built: run the book build test first (make test)", pytrace=False)
    needle = str(ROOT).encode()
    leaks = [p.relative_to(html) for p in html.rglob("*") if p.is_file() and needle in p.read_bytes()]
    assert not leaks, f"{ROOT} appears in {leaks[:10]}"
    mask = os.umask(0)
    os.umask(mask)
    if mask & 0o055:
        pytest.skip(f"umask {mask:03o} keeps files from others on purpose")
    private = [p.relative_to(html) for p in [html, *html.rglob("*")]
               if not stat.S_IMODE(p.stat().st_mode) & (0o005 if p.is_dir() else 0o004)]
    assert not private, f"not readable by others: {private[:10]}"


#: What sphinx-exercise puts on a page for a solution and for an exercise (the first class
#: alone: a solution's code blocks carry ``solution-code``).
SOLUTION_MARK, EXERCISE_MARK = re.compile(r'class="solution[ "]'), re.compile(r'class="exercise[ "]')


def solution_pages(html) -> dict[str, tuple[int, int]]:
    """(exercises, solutions) on each chapter page of a built site that has exercises."""
    found = {}
    for page in sorted((html / "_generated").glob("0*.html")):
        text = page.read_text()
        if EXERCISE_MARK.search(text):
            found[page.stem] = (len(EXERCISE_MARK.findall(text)), len(SOLUTION_MARK.findall(text)))
    return found


@pytest.mark.browser
def test_the_handout_has_every_exercise_and_no_solution_and_the_book_has_both(build_dirs) -> None:
    """`make handout` (build_book.py --handout) builds the book without solutions into its own
    folder; the main site, built by the test above, keeps them."""
    html = ROOT / "book" / "_build" / "html"
    if not (html / "index.html").is_file():
        pytest.fail("the book is not built: run the book build test first (make test)", pytrace=False)
    before = (html / "index.html").stat().st_mtime_ns
    proc = subprocess.run(
        [sys.executable, str(ROOT / "book" / "build_book.py"), "--handout", "--executed", str(build_dirs["executed"]),
         "--results", str(build_dirs["results"])],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    book, handout = solution_pages(html), solution_pages(ROOT / "book" / "_build" / "handout")
    assert book and set(handout) == set(book), (book, handout)
    for stem, (exercises, solutions) in book.items():
        assert solutions == exercises, f"{stem}: {exercises} exercises, {solutions} solutions in the book"
        assert handout[stem] == (exercises, 0), f"{stem}: the handout has {handout[stem]} (exercises, solutions)"
    assert (html / "index.html").stat().st_mtime_ns == before, "the handout build touched book/_build/html"
