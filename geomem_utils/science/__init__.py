"""The science: graphs, tasks, models, the one training loop, measures and the spectral lens.

Knows no run, no figure, no chapter: each module computes from arrays, graphs and models.
Imports only the ground (:mod:`geomem_utils.validate`).

Modules: ``graphs``, ``tasks``, ``models``, ``train``, ``measures``, ``spectral``, ``margins``, ``succinctness``.
"""

from geomem_utils import lazy_modules

MODULES = ('graphs', 'tasks', 'models', 'train', 'measures', 'spectral', 'margins', 'succinctness')
__getattr__ = lazy_modules(__name__, MODULES)
