"""Sweeps on Dask: named grids, one run per row, tables, the cluster and the command line.

``python -m geomem_utils.sweep NAME`` runs :mod:`geomem_utils.sweep.cli`.

Modules: ``grids``, ``rows``, ``tables``, ``cluster``, ``cli``.
"""

from geomem_utils import lazy_modules

MODULES = ('grids', 'rows', 'tables', 'cluster', 'cli')
__getattr__ = lazy_modules(__name__, MODULES)
