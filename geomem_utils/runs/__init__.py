"""The cached runs the chapters share, and the run cache they go through.

A run here trains with :mod:`geomem_utils.science` and is stored by
:func:`geomem_utils.runs.cache.cached`, keyed by its configuration, device, library
versions and the source of the wings that compute (the ground, science and runs).

Modules: ``cache``, ``pathstar_config``, ``pathstar``, ``in_context``, ``edge``, ``playground``,
``kinds`` (the kinds of run a sweep holds).
"""

from geomem_utils import lazy_modules

MODULES = ('cache', 'pathstar_config', 'pathstar', 'in_context', 'edge', 'playground', 'kinds')
__getattr__ = lazy_modules(__name__, MODULES)
