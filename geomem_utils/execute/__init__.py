"""The executor: the only thing that runs the book's notebooks.

``python -m geomem_utils.execute`` runs :func:`geomem_utils.execute.executor.main`; the
runner executes one notebook, the inputs module reads what a run depends on before any
kernel starts, and the report module records what happened; ``seed_runs`` runs a chapter
at more seeds into its committed seed table, and ``solutions`` runs the exercises' solutions.

Modules: ``executor``, ``runner``, ``inputs``, ``report``, ``seed_runs``, ``solutions``.
"""

from geomem_utils import lazy_modules

MODULES = ('executor', 'runner', 'inputs', 'report', 'seed_runs', 'solutions')
__getattr__ = lazy_modules(__name__, MODULES)
