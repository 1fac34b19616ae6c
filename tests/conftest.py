"""Test-suite order and shared settings.

The tests are shaped like their stages, one folder each: ``unit/`` (the package, module by
module), ``chapters/`` (each chapter's companion modules, fed numbers with and without the
phenomenon), ``book/`` (the notebooks, their findings, the built site, the browser) and
``support/`` (no tests: the network guard, the throwaway chapter, the determinism worker).
`make test` runs one pytest session in that order, and inside ``book/`` by stage marker:
every notebook at the ci profile with its claim check enforced (``notebooks``), then their
recorded findings against the register (``results``), then the book built from those
executed notebooks (``site``), then the built pages in headless Chromium (``browser``).
GEOMEM_PROFILE=smoke (`make quick`) runs the notebooks at a smoke size.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# The support modules (the network guard, the throwaway chapter) import by name.
sys.path.insert(0, str(Path(__file__).resolve().parent / "support"))

# No test may reach the network (GEOMEM_ALLOW_NETWORK=1 switches the guard off).
pytest_plugins = ["no_network"]

#: The folders in the order they run, then the stages of the book in theirs (by marker).
FOLDERS = ("unit", "chapters", "book")
STAGES = ("notebooks", "results", "site", "browser")


def _order(item: pytest.Item) -> tuple[int, int]:
    folder = Path(str(item.fspath)).parent.name
    marks = {m.name for m in item.iter_markers()}
    stage = max((STAGES.index(m) + 1 for m in marks if m in STAGES), default=0)
    return (FOLDERS.index(folder) if folder in FOLDERS else len(FOLDERS), stage)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=_order)


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
