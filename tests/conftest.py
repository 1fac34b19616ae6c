"""Test-suite order and shared settings.

The tests are shaped like their stages, one folder each: ``unit/`` (the package, module by
module), ``chapters/`` (each chapter's companion modules, fed numbers with and without the
phenomenon), ``book/`` (the notebooks, their findings, the built site, the browser) and
``support/`` (no tests: the network guard, the throwaway chapter, the determinism worker).
`make test` runs one pytest session in that order, and inside ``book/`` by stage marker:
every notebook at the ci profile with its claim check enforced (``notebooks``), then their
recorded findings against the register (``results``), then the book built from those
executed notebooks (``site``), then the built pages in headless Chromium (``browser``).
GEOMEM_PROFILE=smoke (`make quick`) runs the notebooks at a smoke size, into ``build/quick/``
(never over the book's ``build/executed`` and ``build/results``). The profile is read once,
here, for the book's tests (the ``profile`` fixture); every test runs with GEOMEM_PROFILE
cleared, so that no other test (a sweep's default ``--profile``) runs at the caller's profile
unless it asks for it.
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


#: The profile the book's tests run the notebooks at: `make test` ci, `make quick` smoke.
PROFILE = os.environ.get("GEOMEM_PROFILE", "ci")


@pytest.fixture(autouse=True)
def no_profile_from_the_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    """GEOMEM_PROFILE is the book tests' (read into :data:`PROFILE`), not every command's:
    `make quick` exports smoke, which the sweep command would take as its default profile."""
    monkeypatch.delenv("GEOMEM_PROFILE", raising=False)


@pytest.fixture(scope="session")
def profile() -> str:
    return PROFILE


def build_dirs_for(profile: str) -> dict[str, Path]:
    """Where the book's tests leave executed notebooks and results at ``profile``: the book's
    ``build/executed`` and ``build/results`` at ci (`make test`; the book is built from them),
    ``build/quick/`` at smoke (`make quick`), ``build/runs/tests-<profile>/`` otherwise."""
    base = {"ci": ROOT / "build", "smoke": ROOT / "build" / "quick"}.get(
        profile, ROOT / "build" / "runs" / f"tests-{profile}")
    return {"executed": base / "executed", "results": base / "results"}


@pytest.fixture(scope="session")
def build_dirs(profile: str) -> dict[str, Path]:
    return build_dirs_for(profile)


@pytest.fixture
def one_thread():
    """Run a test on one torch thread (small models; restores the count afterwards)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
