"""Figures: plotly builders shared by chapters and live controls, and the renderer hook.

Figures are drawn from measures and runs; nothing here trains.

Modules: ``plots``, ``spectral``, ``playground``, ``render``.
"""

from geomem_utils import lazy_modules

MODULES = ('plots', 'spectral', 'playground', 'render')
__getattr__ = lazy_modules(__name__, MODULES)
