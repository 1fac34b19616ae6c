"""The executor: the only thing that runs the book's notebooks.

``python -m geomem_utils.execute`` runs :func:`geomem_utils.execute.executor.main`; the
runner executes one notebook, the inputs module reads what a run depends on before any
kernel starts, and the report module records what happened.

Modules: ``executor``, ``runner``, ``inputs``, ``report``.
"""

from geomem_utils import lazy_modules

MODULES = ('executor', 'runner', 'inputs', 'report', 'seed_runs')
__getattr__ = lazy_modules(__name__, MODULES)
