"""Kernel-free panels: controls that work in the published book, with no kernel.

Introduced in ``02_spectral_bias`` (Node2Vec retrained in the page) and used by
``04_memorization_puzzle`` (the knob panel: the one-layer network retrained in the page under
the knob table's recipe) and ``05_playground`` (the playground's grid, precomputed when the
book is executed, whose one-layer network, associative model and Transformer also retrain in the page). A cell
returns a :class:`LivePanel`; its HTML is one ``<div data-geomem-live="KIND">`` holding its
data as JSON. In the built book, ``book/_assets/geomem-live.js`` (served by the book, added
to the pages that hold such a div by ``book/_ext/geomem_book.py``) turns the div into
controls and a plotly figure. In JupyterLab the div shows a one-line note instead: there the
chapter's ipywidgets controls, which retrain in Python, do the same job.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from geomem_utils.files import repo_root
from geomem_utils.science import graphs as _graphs
from geomem_utils.validate import ConfigError, check_choice, check_int, check_number, show

#: The page's script (served as ``_static/geomem-live.js``); the tests run it in Node.js.
SCRIPT = repo_root() / "book" / "_assets" / "geomem-live.js"

KINDS = ("node2vec", "playground", "knobs")


def rounded(x: Any, digits: int = 4) -> Any:
    """Nested lists of floats rounded to ``digits`` significant digits (smaller pages)."""
    if isinstance(x, np.ndarray):
        x = x.tolist()
    if isinstance(x, (list, tuple)):
        return [rounded(v, digits) for v in x]
    if isinstance(x, (float, np.floating)):
        v = float(x)
        return v if not math.isfinite(v) or v == 0 else float(f"{v:.{digits}g}")
    return x


@dataclass(frozen=True)
class LivePanel:
    """One kernel-free panel: ``kind`` (one of :data:`KINDS`) and its JSON-able ``data``."""

    kind: str
    data: dict[str, Any]
    note: str = ("This panel runs in the published book (JavaScript, no kernel). With a kernel, "
                 "the controls of the next cell do the same in Python.")

    def __post_init__(self) -> None:
        check_choice("kind", self.kind, KINDS)

    def to_html(self) -> str:
        # "</" inside the JSON would end the <script> element early.
        blob = json.dumps(self.data, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
        return (f'<div class="geomem-live" data-geomem-live="{self.kind}">'
                f'<p class="geomem-live-note"><em>{html.escape(self.note)}</em></p>'
                f'<script type="application/json">{blob}</script></div>')

    def _repr_html_(self) -> str:
        return self.to_html()

    def __repr__(self) -> str:  # the text/plain form of the cell output: short, not the data
        return f"<geomem live panel {self.kind!r}: {self.size_bytes / 1e3:.0f} kB, runs in the built book>"

    @property
    def size_bytes(self) -> int:
        return len(self.to_html().encode())


def _centred(pos: np.ndarray) -> np.ndarray:
    pos = np.asarray(pos, dtype=np.float64)
    pos = pos - (pos.max(axis=0) + pos.min(axis=0)) / 2
    return pos / max(float(np.abs(pos).max()), 1e-300)


def graph_data(g: _graphs.Graph, label: str | None = None, with_spectrum: bool = False) -> dict[str, Any]:
    """What a panel needs of one graph: nodes, edges, drawing (centred, in [-1, 1]), colours;
    with ``with_spectrum`` the normalised spectrum and a random matrix's alignment."""
    from geomem_utils.science import spectral as _spectral
    from geomem_utils.figures.playground import node_colors
    from geomem_utils.figures.plots import graph_layout

    out: dict[str, Any] = {"label": label or g.name, "n": int(g.n_nodes), "edges": g.edges.tolist(),
                           "pos": rounded(_centred(graph_layout(g)), 4), "colors": list(node_colors(g))}
    if with_spectrum:
        spec = _spectral.graph_spectrum(g)
        out["spectrum"] = rounded(spec.normalised, 4)
        out["random_alignment"] = round(_spectral.random_shares(spec)["smooth"], 4)
    return out


def node2vec_panel(graph: str = "star", width: int = 100, lr: float = 0.01, steps: int = 2000,
                   init_std: float = 1.0, tied: bool = True, self_edges: bool = False, seed: int = 0,
                   degree: int = 4, path_length: int = 5, max_degree: int = 8,
                   max_path_length: int = 8) -> LivePanel:
    """Node2Vec retrained in the page: the four tiny graphs or a path-star G(d, l), learning
    rate, initial scale, width, steps, tied or untied, self-edges; the panel starts with these
    values. Its gradient descent is the one of ``models.train_node2vec`` (tied) and
    ``models.train_node2vec_untied``, in float32 (``tests/unit/test_live_js.py``)."""
    if graph not in (*_graphs.TINY_GRAPHS, "path_star"):
        raise ConfigError(f"graph must be one of {[*_graphs.TINY_GRAPHS, 'path_star']}, got {show(graph)}")
    checks = (("width", width, 2, 256), ("steps", steps, 100, 10_000), ("seed", seed, 0, 999_999),
              ("degree", degree, 1, max_degree), ("path_length", path_length, 2, max_path_length))
    for name, value, lo, hi in checks:
        check_int(name, value, lo, hi, numpy=False)
    for name, value, lo, hi in (("lr", lr, 1e-3, 0.3), ("init_std", init_std, 1e-3, 10.0)):
        check_number(name, value, lo, hi, numpy=False)
    graphs = {name: graph_data(_graphs.tiny_graph(name), f"tiny {name}") for name in _graphs.TINY_GRAPHS}
    for gd in graphs.values():
        del gd["pos"]  # the panel draws the embedding, not the layout
    return LivePanel("node2vec", {
        "graphs": graphs, "max_degree": max_degree, "max_path_length": max_path_length,
        "defaults": {"graph": graph, "width": width, "lr": lr, "steps": steps, "init_std": init_std, "tied": tied,
                     "self_edges": self_edges, "seed": seed, "degree": degree, "path_length": path_length},
    }, note="This panel retrains Node2Vec in the published book (JavaScript, no kernel). With a kernel, "
            "the controls of the next cell retrain it in Python.")


#: The families the page retrains (``OneLayerTrainer``, ``TransformerTrainer`` and ``MambaTrainer``
#: in the page's script, checked against PyTorch by ``tests/unit/test_live_net_js.py``,
#: ``tests/unit/test_live_tfm_js.py`` and ``tests/unit/test_live_mamba_js.py``), and where the
#: others retrain.
PAGE_MODELS = ("net", "assoc", "gpt", "mamba")
ELSEWHERE = {"node2vec": "Node2Vec retrains in chapter 02's panel; here it is precomputed."}


def playground_panel(grid: dict[str, Any]) -> LivePanel:
    """The playground's precomputed grid (``playground_grid.static_grid``) as a panel: the grid
    is the first view, and the families of :data:`PAGE_MODELS` retrain in the page under any
    width, learning rate, weight decay, steps and seed (chapter 05's recipe)."""
    missing = [k for k in ("graphs", "graph_order", "models", "model_labels", "scales", "runs", "defaults")
               if k not in grid]
    if missing:
        raise ValueError(f"playground_panel needs a grid from playground_grid.static_grid; missing {missing}")
    live = {"models": [m for m, _ in grid["models"] if m in PAGE_MODELS],
            "elsewhere": {m: ELSEWHERE[m] for m, _ in grid["models"] if m in ELSEWHERE}}
    return LivePanel("playground", {**grid, "live": live}, note="This panel steps through runs precomputed when "
                     "the book was built, and retrains the one-layer network, the associative model, the Transformer and "
                     "Mamba in the page "
                     "(JavaScript, no kernel). With a kernel, the controls of the next cell retrain any setting in Python.")


def knob_panel(graph: _graphs.Graph, label: str, rows: list[dict[str, Any]], evals: int, late_fraction: float,
               geometric_top1: float, width: int = 32, steps: int = 2000, lr: float = 1e-2,
               init_std: float = 0.02, weight_decay: float = 0.0, dropout: float = 0.0, seed: int = 0) -> LivePanel:
    """Chapter 04's knob panel: the one-layer network on ``graph`` retrained in the page under
    the knob table's recipe (constant rate, no clipping) with the reader's learning rate,
    initial scale, weight decay and dropout; its edge margins recorded ``evals`` times and its
    direction judged on the medians after ``late_fraction`` of training against
    ``geometric_top1`` (``margins.is_geometric``). ``rows``: the table's rows as presets
    (``label``, ``lr``, ``init_std``, ``weight_decay``, ``dropout``); the panel starts with the
    other arguments."""
    for name, value, lo, hi in (("width", width, 8, 128), ("steps", steps, 250, 5000), ("evals", evals, 1, 1000),
                                ("seed", seed, 0, 999_999)):
        check_int(name, value, lo, hi, numpy=False)
    for name, value, lo, hi in (("lr", lr, 1e-4, 0.1), ("init_std", init_std, 0.02, 3.0),
                                ("weight_decay", weight_decay, 0.0, 10.0), ("dropout", dropout, 0.0, 0.6),
                                ("late_fraction", late_fraction, 0.0, 1.0), ("geometric_top1", geometric_top1, 0.0, 100.0)):
        check_number(name, value, lo, hi, numpy=False)
    keys = ("label", "lr", "init_std", "weight_decay", "dropout")
    bad = [r for r in rows if set(r) != set(keys)]
    if bad:
        raise ConfigError(f"knob_panel rows need exactly {list(keys)}, got {show(bad[0])}")
    return LivePanel("knobs", {
        "graph": graph_data(graph, label), "rows": rows, "evals": evals, "late_fraction": late_fraction,
        "geometric_top1": geometric_top1,
        "defaults": {"width": width, "steps": steps, "lr": lr, "init_std": init_std, "weight_decay": weight_decay,
                     "dropout": dropout, "seed": seed},
    }, note="This panel retrains the one-layer network in the published book (JavaScript, no kernel).")
