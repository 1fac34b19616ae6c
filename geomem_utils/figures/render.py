"""One rendering path for plotly figures: in JupyterLab *and* in the offline book.

Plotly's default renderer in a kernel emits only the ``application/vnd.plotly.v1+json``
mimetype, which Jupyter Book 1 drops (no plot); ``notebook_connected`` loads plotly.js
from a CDN (blank offline); ``notebook`` inlines 4.6 MB of JavaScript per figure.
:func:`setup_book_rendering` registers a renderer that emits both

- ``application/vnd.plotly.v1+json``: JupyterLab, VS Code and nteract draw it natively;
- ``text/html``: a ``<div>`` plus an inline ``<script>`` calling ``Plotly.newPlot``, made
  with ``to_html(full_html=False, include_plotlyjs=False, include_mathjax=False)``;
  the book serves one ``plotly.min.js`` (vendored by ``book/build_book.py``) on every
  page, so the figure draws with no network.

Figures with sliders and animation frames keep them (``auto_play=False``: the figure
opens on its first frame and waits for the reader).

Called once near the top of every notebook (introduced in ``00_tasks``)::

    from geomem_utils.figures.render import setup_book_rendering
    setup_book_rendering()

Nothing happens at import time.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from typing import Any

RENDERER_NAME = "geomem"
TEMPLATE = "plotly_white"
PLOTLY_MIME = "application/vnd.plotly.v1+json"
#: plotly's config of every figure in the book.
CONFIG = {"displaylogo": False, "responsive": True}

# Per-process counter: makes the div ids unique on a page even when the same figure is
# shown twice, while staying deterministic for a given notebook run.
_counter = itertools.count()


def figure_html(fig: Any, config: dict[str, Any] | None = None, default_height: int | str = 480,
                animation_opts: dict[str, Any] | None = None) -> str:
    """A figure (``go.Figure`` or its dict) as the book draws it: a ``<div>`` with a unique,
    deterministic id and an inline ``Plotly.newPlot`` script, no library (the page loads the
    vendored ``plotly.min.js``); the notebooks' renderer and ``book/build_book.py``'s landing
    figure both use it."""
    from plotly.io import to_html, to_json

    fig_json = json.loads(to_json(fig, validate=False, remove_uids=False))
    digest = hashlib.sha1(json.dumps(fig_json, sort_keys=True).encode()).hexdigest()[:12]
    return to_html(
        fig,
        config=config if config is not None else dict(CONFIG),
        auto_play=False,
        include_plotlyjs=False,
        include_mathjax=False,
        full_html=False,
        animation_opts=animation_opts,
        default_width="100%",
        default_height=default_height,
        validate=False,
        div_id=f"geomem-fig-{digest}-{next(_counter)}",
    )


def _make_renderer_class() -> type:
    """Build the renderer class lazily, so importing this module does not import plotly."""
    from plotly.io import to_json
    from plotly.io._base_renderers import MimetypeRenderer

    class GeomemRenderer(MimetypeRenderer):
        """Emit plotly's JSON mimetype and a library-free ``text/html`` form together."""

        def __init__(
            self,
            config: dict[str, Any] | None = None,
            default_height: int | str = 480,
            animation_opts: dict[str, Any] | None = None,
        ) -> None:
            self.config = dict(config) if config else {}
            self.default_height = default_height
            self.animation_opts = animation_opts

        def to_mimebundle(self, fig_dict: dict[str, Any]) -> dict[str, Any]:
            # JSON-compatible copy (numpy arrays -> lists); uids kept for JupyterLab.
            fig_json = json.loads(to_json(fig_dict, validate=False, remove_uids=False))
            html = figure_html(fig_dict, config=self.config, default_height=self.default_height,
                               animation_opts=self.animation_opts)
            mime_fig = dict(fig_json)
            if self.config:
                mime_fig["config"] = self.config
            return {PLOTLY_MIME: mime_fig, "text/html": html}

    return GeomemRenderer


def setup_book_rendering() -> None:
    """Register the ``geomem`` plotly renderer, make it the default, use a clean template.

    Idempotent: calling it again re-selects the same renderer and template.
    """
    import plotly.io as pio

    if RENDERER_NAME not in pio.renderers:
        cls = _make_renderer_class()
        pio.renderers[RENDERER_NAME] = cls(config=dict(CONFIG))
    pio.renderers.default = RENDERER_NAME
    pio.templates.default = TEMPLATE
