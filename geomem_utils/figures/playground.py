"""The playground's figures: one run in four panels, and a slider over several runs.

Introduced in ``05_playground``. :func:`playground_figure` draws a
:class:`~geomem_utils.runs.playground.PlaygroundRun`: (a) the graph, (b) the embedding's top-2
principal components with the graph's edges (:func:`~geomem_utils.figures.plots.pca_2d_unit`, same node colours:
:func:`node_colors`), (c) the normalised spectrum of ``M`` next to the normalised
projections ``||V^T e_i||``, (d) top-k edge recovery and loss over training.
:func:`sweep_figure` puts several runs behind a slider that works in the static book.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from geomem_utils.science import spectral as _spectral
from geomem_utils.science.graphs import Graph
from geomem_utils.runs.playground import MODEL_LABELS, PlaygroundRun
from geomem_utils.figures.plots import (
    PALETTE, branch_colors, graph_layout, graph_traces, pca_2d_unit,
)


def node_colors(g: Graph) -> list[str]:
    """One colour per node, the same in every panel: by arm for rooted graphs, else by
    position around the drawing (so that a reader can match nodes across panels)."""
    if g.root is not None:
        return branch_colors(g)
    from plotly.colors import sample_colorscale

    pos = graph_layout(g)
    pos = pos - pos.mean(axis=0)
    angle = (np.arctan2(pos[:, 1], pos[:, 0]) + np.pi) / (2 * np.pi)  # in [0, 1]
    return sample_colorscale("Phase", list(np.clip(angle, 0.0, 1.0)))


def playground_figure(run: PlaygroundRun, graph: Graph | None = None, title: str | None = None,
                      height: int = 620, bottom: int = 40) -> go.Figure:
    """The playground's figure of one run, four panels.

    (a) the graph as drawn; (b) the embedding's top-2 principal components with the
    graph's edges (same node colours); (c) the normalised spectrum of M next to the
    normalised projections ``||V^T e_i||``; (d) top-k edge recovery and loss over training.
    ``graph`` defaults to the run's graph; ``bottom`` is the bottom margin in pixels
    (room for a slider).
    """
    g = run.graph if graph is None else graph
    if g.n_nodes != run.embedding.shape[0]:
        raise ValueError(f"the run has {run.embedding.shape[0]} node embeddings "
                         f"but graph {g.name} has {g.n_nodes} nodes")
    colors = node_colors(g)
    fig = make_subplots(rows=2, cols=2, horizontal_spacing=0.08, vertical_spacing=0.16,
                        specs=[[{}, {}], [{}, {"secondary_y": True}]], subplot_titles=[
                            "(a) the graph", "(b) embedding: top-2 principal components",
                            f"(c) spectrum vs projections: alignment {run.alignment:.2f} "
                            f"(random {run.random_alignment:.2f})",
                            f"(d) top-k edge recovery {run.top_k:.0f}% and loss"])
    for tr in graph_traces(g, graph_layout(g), colors, size=9, labels=g.n_nodes <= 40, font_size=9):
        fig.add_trace(tr, 1, 1)
    for tr in graph_traces(g, pca_2d_unit(run.embedding), colors, size=9, labels=g.n_nodes <= 40, font_size=9):
        fig.add_trace(tr, 1, 2)
    spec = run.spectrum
    x = list(range(1, spec.n))
    fig.add_trace(go.Bar(x=x, y=list(spec.normalised), name="spectrum λᵢ/λ₁", marker_color="#009E73"), 2, 1)
    fig.add_trace(go.Bar(x=x, y=list(_spectral.normalised_profile(run.profile)), name="||Vᵀeᵢ|| (normalised)",
                         marker_color="#D55E00"), 2, 1)
    steps, topk = run.curve
    fig.add_trace(go.Scatter(x=list(steps), y=list(topk), mode="lines+markers", name="top-k recovery (%)",
                             line=dict(color=PALETTE[0]), marker=dict(size=4)), 2, 2, secondary_y=False)
    # A few hundred log-spaced steps are enough for a curve on a log axis.
    loss_x = np.unique(np.round(np.geomspace(1, max(1, len(run.losses)), 300)).astype(int))
    fig.add_trace(go.Scatter(x=loss_x, y=run.losses[loss_x - 1], mode="lines", name="loss",
                             line=dict(color="#888888", width=1)), 2, 2, secondary_y=True)
    for c in (1, 2):
        fig.update_xaxes(visible=False, row=1, col=c)
        fig.update_yaxes(visible=False, row=1, col=c)
    fig.update_yaxes(scaleanchor="x", scaleratio=1, row=1, col=1)
    # Fixed ranges: a slider's frames share axes, and plotly does not re-autorange on animate.
    fig.update_xaxes(range=[-1.2, 1.2], row=1, col=2)
    fig.update_yaxes(range=[-1.2, 1.2], scaleanchor="x2", scaleratio=1, row=1, col=2)
    fig.update_yaxes(range=[min(-0.1, float(spec.normalised.min()) - 0.1), 1.1], row=2, col=1)
    fig.update_xaxes(range=[-0.1, math.log10(max(2, len(run.losses))) + 0.1], row=2, col=2)
    fig.update_yaxes(range=[0, 1.05 * float(np.nanmax(run.losses))], row=2, col=2, secondary_y=True)
    fig.update_xaxes(title_text="eigen-index i (descending eigenvalue)", row=2, col=1)
    fig.update_xaxes(title_text="step", type="log", row=2, col=2)
    fig.update_yaxes(title_text="top-k %", range=[0, 105], row=2, col=2, secondary_y=False)
    fig.update_yaxes(title_text="loss", tickmode="auto", row=2, col=2, secondary_y=True, showgrid=False)
    s = run.settings
    if title is None:
        title = (f"{MODEL_LABELS[run.model]} on {g.name}: {'tied' if s['tied'] else 'untied'}"
                 f"{', self-edges' if s['self_edges'] else ''}, m={s['width']}, lr={s['lr']:g}, "
                 f"init N(0, {s['init_std']:g}²), {s['steps']} steps, seed {s['seed']}")
    fig.update_layout(title=dict(text=title, font_size=14), height=height, barmode="group",
                      margin=dict(l=50, r=50, t=80, b=bottom),
                      legend=dict(orientation="h", x=0, y=-0.1, yanchor="top"))
    fig.update_annotations(font_size=12)
    return fig


def sweep_figure(runs: list[PlaygroundRun], labels: list[str], title: str, prefix: str = "") -> go.Figure:
    """A slider over several runs of the same graph (works in the static book, no kernel)."""
    from geomem_utils.figures.plots import frames_figure

    if not runs or len(runs) != len(labels):
        raise ValueError(f"sweep_figure needs one label per run, got {len(runs)} runs and {len(labels)} labels")
    frames = [playground_figure(r, title=f"{title}: {prefix}{lab}", height=760, bottom=190)
              for r, lab in zip(runs, labels)]
    fig = frames_figure(frames, labels, title, slider_prefix=prefix)
    fig.update_layout(title=frames[0].layout.title)
    fig.layout.sliders[0].update(y=-0.2, yanchor="top", pad=dict(t=10))
    fig.layout.updatemenus[0].update(y=-0.2, yanchor="top", pad=dict(t=10))
    return fig
