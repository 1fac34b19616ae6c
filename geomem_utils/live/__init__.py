"""Live controls: ipywidgets in a kernel, kernel-free panels in the page, precomputed grids.

Below the chapters, above the figures they redraw.

Modules: ``controls``, ``panels``, ``grid``.
"""

from geomem_utils import lazy_modules

MODULES = ('controls', 'panels', 'grid')
__getattr__ = lazy_modules(__name__, MODULES)
