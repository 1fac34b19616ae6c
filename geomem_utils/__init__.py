"""geomem_utils: the helpers of the geomem book.

The book reproduces *Deep sequence models tend to memorize geometrically; it is unclear
why* (Noroozizadeh, Nagarajan, Rosenfeld, Kumar; arXiv 2510.26745). Each module is small
and does one job; nothing happens at import time (no seeding, no downloads).
Notebooks import the modules they use from its wings (``from geomem_utils.science import
graphs``); ``import geomem_utils as gm`` reaches the same modules as ``gm.science.graphs``.
"""

from importlib import import_module
from typing import Any, Callable

__version__ = "0.1.0"

#: The ground (validation, files, parameters, results, findings, seed tables), then the wings from the
#: bottom up: science, runs, figures, live, sweep, chapters, execute. Each wing imports
#: only the ground and the wings below it (``tests/unit/test_layers.py``).
_SUBMODULES = ("validate", "files", "params", "results", "findings", "seeds",
               "science", "runs", "figures", "live", "sweep", "chapters", "execute")


def lazy_modules(package: str, names: tuple[str, ...]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``package.NAME`` on first use, for NAME in ``names``.

    Submodules load lazily so that ``import geomem_utils`` stays cheap (no torch import) while
    ``gm.science.graphs`` still works in a notebook or a shell.
    """
    def __getattr__(name: str) -> Any:
        if name in names:
            return import_module(f"{package}.{name}")
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    return __getattr__


__getattr__ = lazy_modules(__name__, _SUBMODULES)
