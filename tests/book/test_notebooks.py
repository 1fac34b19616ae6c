"""Every notebook, executed by papermill at the ci profile with its claim check enforced.

A claim that stops reproducing fails here, like a broken function does. The executed
notebooks and results files stay in build/ for the book build and the browser test.
A notebook whose inputs are unchanged since `make book` executed it is reused, not run
again (its executed copy and results file are checked); FORCE=1 / GEOMEM_FORCE=1 re-runs.
The selected notebooks run once, side by side as `make book` runs them (the executor's
lanes, one thread per kernel), and each test reads its notebook's outcome.
"""

from __future__ import annotations

import json

import pytest

from geomem_utils.execute.executor import default_jobs, run_many
from geomem_utils.execute.inputs import ROOT, NotebookFailed, notebook_paths

NOTEBOOKS = notebook_paths()


def test_every_chapter_is_collected() -> None:
    stems = [p.stem for p in NOTEBOOKS]
    assert "00_tasks" in stems
    assert stems == sorted(stems)


@pytest.fixture(scope="session")
def book_run(request, profile, build_dirs) -> dict:
    """Every notebook this session selected, executed once through the executor's lanes."""
    selected = {item.callspec.params["path"].stem for item in request.session.items
                if getattr(item, "originalname", "") == "test_notebook_reproduces_its_claim"}
    params = {"PROFILE": profile, "RESULTS_DIR": str(build_dirs["results"])}
    return run_many([p for p in NOTEBOOKS if p.stem in selected], params, build_dirs["executed"],
                    jobs=default_jobs(), timeout=1200)


@pytest.mark.notebooks
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_reproduces_its_claim(path, profile, build_dirs, book_run) -> None:
    record = book_run[path.stem]
    if isinstance(record, NotebookFailed):
        pytest.fail(str(record), pytrace=False)
    stored = json.loads((build_dirs["results"] / f"{path.stem}.json").read_text())
    executed = (build_dirs["executed"] / f"{path.stem}.ipynb").read_text()
    assert str(ROOT) not in executed, f"the checkout's path {ROOT} is in the executed {path.stem}.ipynb"
    assert str(ROOT) not in json.dumps(stored), f"the checkout's path {ROOT} is in {path.stem}.json"
    assert stored["notebook"] == path.stem
    assert stored["checks"], "a results file without checks proves nothing"
    if profile != "smoke":
        assert record["passed"] and stored["passed"], [c for c in stored["checks"] if not c["passed"]]
