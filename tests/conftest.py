"""Test-suite order and shared settings.

`make test` runs one pytest session in this order: the unit tests, then every notebook at
the ci profile with its claim check enforced (tests/test_notebooks.py), then their recorded
findings against the register (tests/test_findings_results.py), then the book
built from those executed notebooks (tests/test_book_build.py), then the browser test of
the built pages. GEOMEM_PROFILE=smoke (`make quick`) runs the notebooks at a smoke size.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# No test may reach the network (GEOMEM_ALLOW_NETWORK=1 switches the guard off).
pytest_plugins = ["_no_network"]

# Stages, in the order they must run; everything else is a unit test and goes first.
_STAGES = {"test_notebooks.py": 1, "test_findings_results.py": 2, "test_book_build.py": 3, "test_browser.py": 4}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: _STAGES.get(Path(str(item.fspath)).name, 0))


@pytest.fixture(scope="session")
def profile() -> str:
    return os.environ.get("GEOMEM_PROFILE", "ci")


@pytest.fixture(scope="session")
def build_dirs() -> dict[str, Path]:
    """Where `make test` leaves executed notebooks and results (the book is built from them)."""
    return {"executed": ROOT / "build" / "executed", "results": ROOT / "build" / "results"}


@pytest.fixture
def one_thread():
    """Run a test on one torch thread (small models; restores the count afterwards)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
