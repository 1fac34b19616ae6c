"""Sphinx extension of the geomem book: load plotly.js only on pages that draw a figure,
and the kernel-free panels' script only on the pages that hold one.

Figures in the executed notebooks are ``text/html`` outputs made by
``geomem_utils.figures.render`` (a div plus ``Plotly.newPlot(...)``, no library). The vendored
``plotly.min.js`` (about 4.6 MB) is added to exactly the pages whose body calls Plotly,
before any other script (priority 100): with require.js on the page first (widget pages),
plotly would register itself as an AMD module and leave ``window.Plotly`` unset.
"""

from __future__ import annotations

from typing import Any

PLOTLY_JS = "plotly.min.js"
#: book/_assets/geomem-live.js: builds the ``<div data-geomem-live>`` panels that
#: ``geomem_utils.live.panels`` writes (controls that work with no kernel); it draws with plotly.
LIVE_JS = "geomem-live.js"
LIVE_MARK = "data-geomem-live="


def _add_plotly(app, pagename: str, templatename: str, context: dict[str, Any], doctree) -> None:
    body = context.get("body", "")
    if "Plotly.newPlot(" in body or LIVE_MARK in body:
        app.add_js_file(PLOTLY_JS, priority=100)


def _add_live(app, pagename: str, templatename: str, context: dict[str, Any], doctree) -> None:
    if LIVE_MARK in context.get("body", ""):
        app.add_js_file(LIVE_JS, priority=150)  # after plotly.min.js; runs on DOMContentLoaded


#: book/_assets/geomem.css: tables that wrap inside the content column.
CSS = "geomem.css"


def setup(app) -> dict[str, Any]:
    app.add_css_file(CSS)
    app.connect("html-page-context", _add_plotly)
    app.connect("html-page-context", _add_live)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
