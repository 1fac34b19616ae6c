"""geomem_utils: the helpers of the geomem book.

The book reproduces *Deep sequence models tend to memorize geometrically; it is unclear
why* (Noroozizadeh, Nagarajan, Rosenfeld, Kumar; arXiv 2510.26745). Each module is small
and does one job; nothing happens at import time (no seeding, no downloads).
Notebooks import it as ``import geomem_utils as gm`` and use ``gm.graphs``, ``gm.tasks``, ...
"""

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_SUBMODULES = ("params", "graphs", "tasks", "models", "train", "measures", "plots", "results", "render",
               "experiments", "pathstar_config", "spectral", "spectral_figures", "playground",
               "playground_figures", "playground_grid", "widgets", "live", "succinctness", "margins",
               "in_context", "sweep", "sweep_rows", "sweep_cluster", "sweep_cli", "run_cache", "validate",
               "edge_run", "chapters")


def __getattr__(name: str) -> Any:
    # Submodules load lazily so that `import geomem_utils` stays cheap (no torch import).
    if name in _SUBMODULES:
        return import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
