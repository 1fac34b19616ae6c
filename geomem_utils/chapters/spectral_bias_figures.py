"""The measurement figures of ``02_spectral_bias``: C(0) against -L, the update residual,
matched eigenvectors, spectral alignment by model, alignment over training, and embeddings
coloured by a two-colouring.

Introduced in ``02_spectral_bias`` (the graph, profile and Node2Vec-run figures of that
chapter are in :mod:`geomem_utils.figures.spectral`). Each function takes numbers the
chapter computed and returns a plotly figure; none trains or measures anything.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from geomem_utils.science.graphs import Graph
from geomem_utils.figures.plots import PALETTE, pca_2d

Curve = tuple[Sequence[float], Sequence[float]]  # (steps, values)


def c0_heatmaps(c0: np.ndarray, neg_l: np.ndarray, name: str = "star") -> go.Figure:
    """``C(0)`` and ``-L`` of one graph side by side, on one red/blue scale in [-2, 2]."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=[f"C(0) on the {name}", f"-L of the {name}"],
                        horizontal_spacing=0.08)
    for c, mat in enumerate((c0, neg_l), start=1):
        fig.add_trace(go.Heatmap(z=mat, colorscale="RdBu", zmid=0, zmin=-2, zmax=2, showscale=c == 2), 1, c)
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(height=380, margin=dict(l=40, r=20, t=50, b=30))
    return fig


def residual_curves(steps: Mapping[str, np.ndarray], residual: Mapping[str, np.ndarray]) -> go.Figure:
    """The relative update ``||C V|| / (||C|| ||V||)`` of each graph's run over training (log-log)."""
    fig = go.Figure([go.Scatter(x=np.maximum(steps[name], 0.5), y=residual[name], mode="lines", name=name)
                     for name in residual])
    fig.update_layout(title="Node2Vec: what is left of the update, ||C V|| / (||C|| ||V||)", xaxis_type="log",
                      yaxis_type="log", xaxis_title="step", height=360, margin=dict(l=50, r=20, t=50, b=40))
    return fig


def eigenvector_match(a: np.ndarray, b: np.ndarray, name: str = "star") -> go.Figure:
    """``|cos|`` between the columns of ``a`` (top eigenvectors of V Vᵀ) and of ``b`` (of P + Pᵀ)."""
    k = a.shape[1]
    fig = go.Figure(go.Heatmap(z=np.abs(a.T @ b), zmin=0, zmax=1, colorscale="Viridis",
                               x=[f"P+Pᵀ #{j + 1}" for j in range(k)], y=[f"VVᵀ #{j + 1}" for j in range(k)]))
    fig.update_layout(title=f"{name}: |cos| between the top eigenvectors of V Vᵀ and of P + Pᵀ", height=360,
                      margin=dict(l=80, r=20, t=50, b=40))
    fig.update_yaxes(autorange="reversed")
    return fig


def alignment_bars(table) -> go.Figure:
    """Grouped bars of a graphs x models table of spectral alignment (a pandas DataFrame)."""
    fig = go.Figure([go.Bar(x=list(table.index), y=table[col], name=col) for col in table.columns])
    fig.update_layout(title="Spectral alignment: share of the centred embedding's energy on the smooth eigenvectors",
                      barmode="group", height=400, yaxis_range=[0, 1.02], margin=dict(l=50, r=20, t=50, b=40))
    return fig


def alignment_over_training(curves: Mapping[str, Mapping[str, Curve]], random_level: Mapping[str, float]) -> go.Figure:
    """One panel per graph: each model's alignment over its snapshots (log steps), with the
    random level dashed. ``curves[graph][label] = (steps, alignment)``; a label ending in
    ``(edges)`` is drawn dotted."""
    names = list(curves)
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=names, shared_yaxes=True,
                        horizontal_spacing=0.03)
    for c, name in enumerate(names, start=1):
        for j, (label, (steps, values)) in enumerate(curves[name].items()):
            fig.add_trace(go.Scatter(x=np.maximum(steps, 0.5), y=list(values), mode="lines", name=label,
                                     legendgroup=label, showlegend=c == 1,
                                     line=dict(color=PALETTE[j], dash="dot" if label.endswith("(edges)") else "solid")),
                          1, c)
        fig.add_hline(y=random_level[name], line=dict(color="#999", dash="dash"), row=1, col=c)
    fig.update_xaxes(type="log", title_text="step")
    fig.update_yaxes(range=[0, 1.02])
    fig.update_layout(title="Alignment of the deep models over training (dashed grey: random)", height=380,
                      margin=dict(l=50, r=20, t=70, b=40), legend=dict(orientation="h", y=-0.25))
    return fig


def two_colour_embeddings(g: Graph, embeddings: Mapping[str, np.ndarray], colour_class: np.ndarray,
                          title: str) -> go.Figure:
    """Each embedding of ``g``'s nodes on its top-2 principal axes, edges grey, nodes red
    (``colour_class == 1``) or blue; one panel per embedding."""
    fig = make_subplots(rows=1, cols=len(embeddings), subplot_titles=list(embeddings))
    for c, emb in enumerate(embeddings.values(), start=1):
        xy = pca_2d(emb)
        xs: list[float | None] = []
        ys: list[float | None] = []
        for u, v in g.edges.tolist():
            xs += [float(xy[u, 0]), float(xy[v, 0]), None]
            ys += [float(xy[u, 1]), float(xy[v, 1]), None]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line=dict(color="#ccc", width=1), hoverinfo="skip",
                                 showlegend=False), 1, c)
        fig.add_trace(go.Scatter(x=xy[:, 0], y=xy[:, 1], mode="markers", showlegend=False,
                                 marker=dict(size=10, color=np.where(colour_class == 1, "#c44e52", "#4c72b0")),
                                 hovertext=[f"node {i}" for i in range(g.n_nodes)], hoverinfo="text"), 1, c)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(height=340, margin=dict(l=10, r=10, t=60, b=10), title=title)
    return fig
