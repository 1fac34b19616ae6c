"""Build the book from the notebooks this test session executed (stage 2 of `make test`).

The browser test that follows loads the pages built here, so CI checks the rendered
site and not only the code.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import ROOT


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
