"""The figures of ``02_spectral_bias``: graphs coloured by eigenvectors, spectrum-vs-projection
bars, and a Node2Vec run's spectral story (the live figure).

Introduced in ``02_spectral_bias``. :func:`eigenvector_figure` draws each graph once per
eigenvector; :func:`profile_bars` / :func:`profile_bars_grid` put the normalised spectrum
next to normalised projections ``||V^T e_i||`` (the paper's §4); :func:`node2vec_spectral_figure`
draws one run of :func:`~geomem_utils.science.spectral.node2vec_spectral_run` in four panels and
:func:`dynamics_frames_figure` steps through its snapshots. Colours by eigenvector:
:func:`eigen_colors` (blue smooth, red zig-zag).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.colors import sample_colorscale
from plotly.subplots import make_subplots

from geomem_utils.science import graphs as _graphs
from geomem_utils.figures.plots import graph_layout, graph_traces, pca_2d
from geomem_utils.science.spectral import (
    SpectralRun, Spectrum, graph_spectrum, node2vec_spectral_run, normalised_profile,
)


def eigen_colors(spectrum: Spectrum) -> list[str]:
    """One colour per eigenvector: blue for smooth (eigenvalue near the top), red for zig-zag."""
    lam = np.concatenate([[1.0], np.clip(spectrum.normalised, -1.0, 1.0)])
    return sample_colorscale("RdBu", list((lam + 1) / 2))


def _value_traces(g: _graphs.Graph, pos: np.ndarray, values: np.ndarray | None, cmax: float | None,
                  showscale: bool = False) -> list[go.Scatter]:
    """The graph at ``pos``, each node coloured by its entry of ``values`` (red/blue), or plain."""
    if values is None:
        return graph_traces(g, pos, "#4c72b0", size=11, labels=False, outline="#333")
    return graph_traces(g, pos, list(map(float, values)), size=11, labels=False, outline="#333",
                        hovertext=[f"node {i}: {values[i]:+.3f}" for i in range(g.n_nodes)],
                        colorscale="RdBu", cmin=-cmax, cmax=cmax, showscale=showscale)


def eigenvector_figure(graphs_: Mapping[str, _graphs.Graph], indices: Sequence[int] = (1, 2, -1),
                       height_per_row: int = 230) -> go.Figure:
    """Each graph (rows) drawn once per eigenvector (columns), node colour = ``e_i`` entry.

    Negative indices count from the bottom of the spectrum (-1: the most zig-zag vector).
    """
    names = list(graphs_)
    specs = {k: graph_spectrum(g) for k, g in graphs_.items()}
    titles = []
    for k in names:
        s = specs[k]
        for i in indices:
            j = i % s.n
            lam = "dropped (top)" if j == 0 else f"{s.normalised[j - 1]:+.3f}"
            titles.append(f"{k}: e{j} (λ/λ1 = {lam})")
    fig = make_subplots(rows=len(names), cols=len(indices), subplot_titles=titles,
                        horizontal_spacing=0.03, vertical_spacing=0.08)
    for r, k in enumerate(names, start=1):
        g, s = graphs_[k], specs[k]
        pos = graph_layout(g)
        for c, i in enumerate(indices, start=1):
            vec = s.vectors[:, i % s.n]
            vec = vec * (np.sign(vec[np.argmax(np.abs(vec))]) or 1.0)  # a fixed sign for the picture
            for tr in _value_traces(g, pos, vec, float(np.abs(vec).max()), showscale=(r == 1 and c == len(indices))):
                fig.add_trace(tr, row=r, col=c)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_annotations(font_size=11)
    fig.update_layout(height=height_per_row * len(names) + 40, margin=dict(l=10, r=10, t=40, b=10))
    return fig


def profile_bars(spectrum: Spectrum, profiles: Mapping[str, np.ndarray], title: str = "",
                 height: int = 360) -> go.Figure:
    """The paper's §4 bars: the normalised spectrum next to normalised projections ``||V^T e_i||``."""
    fig = go.Figure()
    x = list(range(1, spectrum.n))
    fig.add_trace(go.Bar(x=x, y=list(spectrum.normalised), name="graph spectrum λi/λ1", marker_color="#009E73"))
    palette = ("#D55E00", "#4c72b0", "#8172b3", "#937860", "#da8bc3")
    for k, (name, prof) in enumerate(profiles.items()):
        fig.add_trace(go.Bar(x=x, y=list(normalised_profile(prof)), name=f"{name}: ||Vᵀeᵢ|| (normalised)",
                             marker_color=palette[k % len(palette)]))
    fig.update_layout(title=title, barmode="group", height=height, xaxis_title="eigen-index i (descending eigenvalue)",
                      yaxis_title="normalised magnitude", margin=dict(l=50, r=20, t=50, b=40),
                      legend=dict(orientation="h", y=-0.25))
    return fig


def profile_bars_grid(spectra: Mapping[str, Spectrum], profiles: Mapping[str, Mapping[str, np.ndarray]],
                      title: str = "", height_per_row: int = 250) -> go.Figure:
    """:func:`profile_bars` for several graphs, one row each (``profiles[graph][model]``)."""
    names = list(spectra)
    fig = make_subplots(rows=len(names), cols=1, subplot_titles=names, vertical_spacing=0.5 / max(4, len(names) * 2))
    palette = ("#D55E00", "#4c72b0", "#8172b3", "#937860", "#da8bc3")
    for r, gname in enumerate(names, start=1):
        spec = spectra[gname]
        x = list(range(1, spec.n))
        fig.add_trace(go.Bar(x=x, y=list(spec.normalised), name="graph spectrum λi/λ1", marker_color="#009E73",
                             legendgroup="spectrum", showlegend=r == 1), r, 1)
        for k, (model, prof) in enumerate(profiles[gname].items()):
            fig.add_trace(go.Bar(x=x, y=list(normalised_profile(prof)), name=f"{model}: ||Vᵀeᵢ|| normalised",
                                 marker_color=palette[k % len(palette)], legendgroup=model, showlegend=r == 1), r, 1)
    fig.update_layout(title=title, barmode="group", height=height_per_row * len(names) + 80,
                      margin=dict(l=50, r=20, t=60, b=40), legend=dict(orientation="h", y=1.0, yanchor="bottom", x=0))
    fig.update_xaxes(dtick=1)
    return fig


def node2vec_spectral_figure(
    graph_name: str | _graphs.Graph = "star",
    width: int = 100,
    lr: float = 0.01,
    steps: int = 10_000,
    init_std: float = 1.0,
    self_edges: bool = False,
    seed: int = 0,
    tied: bool = True,
    run: SpectralRun | None = None,
) -> go.Figure:
    """Train Node2Vec and draw its spectral story in four panels (the live figure).

    (a) normalised spectrum vs normalised final projections; (b) the final embedding,
    centred and projected on its top-2 principal axes, with the graph's edges; (c)
    ``||V(t)^T e_i||`` over training; (d) ``||C(t) e_i||`` over training (tied) or, for an
    untied model, nothing to show but the loss. Pass ``run`` to draw an existing run.
    """
    if run is None:
        run = node2vec_spectral_run(graph_name, width, lr, steps, init_std, self_edges, seed, tied)
    g, spec = run.graph, run.spectrum
    colors = eigen_colors(spec)
    d_title = "(d) ||C(t) eᵢ|| over training" if tied else "(d) loss per node (no C for an untied model)"
    fig = make_subplots(rows=2, cols=2, horizontal_spacing=0.1, vertical_spacing=0.16, subplot_titles=[
        "(a) spectrum (green) vs final projections (orange)", "(b) final embedding, top-2 principal axes",
        "(c) ||V(t)ᵀ eᵢ|| over training", d_title])
    x = list(range(1, spec.n))
    fig.add_trace(go.Bar(x=x, y=_sig(spec.normalised), marker_color="#009E73", name="λi/λ1", showlegend=False), 1, 1)
    fig.add_trace(go.Bar(x=x, y=_sig(normalised_profile(run.profiles[-1])), marker_color="#D55E00",
                         name="||Vᵀeᵢ|| normalised", showlegend=False), 1, 1)
    xy = pca_2d(run.V)
    for tr in _value_traces(g, xy, None, None):
        fig.add_trace(tr, 1, 2)
    steps_x = _sig(np.maximum(run.steps, 0.5))  # step 0 shown at 0.5 on the log axis
    for i in range(spec.n):
        lam = "top" if i == 0 else f"{spec.normalised[i - 1]:+.2f}"
        fig.add_trace(go.Scatter(x=steps_x, y=_sig(run.profiles[:, i]), mode="lines", line=dict(color=colors[i], width=1.5),
                                 name=f"e{i} (λ/λ1 {lam})", legendgroup=f"e{i}", showlegend=False,
                                 hovertemplate=f"e{i} (λ/λ1 {lam})<br>step %{{x}}<br>%{{y:.3g}}<extra></extra>"), 2, 1)
        if tied:
            fig.add_trace(go.Scatter(x=steps_x, y=_sig(np.maximum(run.cnorms[:, i], 1e-12)), mode="lines",
                                     line=dict(color=colors[i], width=1.5), legendgroup=f"e{i}", showlegend=False,
                                     hovertemplate=f"e{i}<br>step %{{x}}<br>%{{y:.3g}}<extra></extra>"), 2, 2)
    if not tied:
        fig.add_trace(go.Scatter(x=list(range(1, len(run.loss) + 1, max(1, len(run.loss) // 500))),
                                 y=_sig(run.loss[:: max(1, len(run.loss) // 500)]), mode="lines",
                                 line=dict(color="#333"), showlegend=False), 2, 2)
    fig.update_xaxes(type="log", title_text="step", row=2, col=1)
    fig.update_xaxes(type="log", title_text="step", row=2, col=2)
    fig.update_yaxes(type="log", row=2, col=2)
    fig.update_xaxes(title_text="eigen-index i", row=1, col=1)
    fig.update_xaxes(visible=False, row=1, col=2)
    fig.update_yaxes(visible=False, row=1, col=2)
    sh = run.shares
    s = run.settings
    fig.update_layout(
        height=640, barmode="group", margin=dict(l=50, r=20, t=80, b=40),
        title=dict(font_size=14, text=(
            f"Node2Vec ({'tied' if tied else 'untied'}) on {g.name}: m={s['width']}, lr={s['lr']:g}, {s['steps']} steps, "
            f"init N(0, {s['init_std']:g}²){', self-edges' if s['self_edges'] else ''}, seed {s['seed']}<br>"
            f"alignment {sh['smooth']:.3f} · zig-zag share {sh['zigzag']:.3f} · final loss {run.loss[-1]:.3f}"
            f" · trained in {run.wall_s:.2f} s")))
    return fig


def _sig(x: Any, digits: int = 4) -> list[float]:
    """Values rounded to ``digits`` significant digits (smaller figures in the book's pages)."""
    return [float(f"{v:.{digits}g}") for v in np.ravel(np.asarray(x, dtype=np.float64))]


def dynamics_frames_figure(run: SpectralRun, every: int = 1) -> go.Figure:
    """A slider over the snapshots of a tied run: ``||V(t)^T e_i||`` and ``||C(t) e_i||`` as bars."""
    from geomem_utils.figures.plots import frames_figure

    spec = run.spectrum
    colors = eigen_colors(spec)
    x = [f"e{i}" for i in range(spec.n)]
    pmax = float(np.nanmax(run.profiles)) * 1.05
    cmax = float(np.nanmax(run.cnorms)) * 1.05
    frames, labels = [], []
    picks = sorted(set(range(0, len(run.steps), every)) | {len(run.steps) - 1})  # always the last step
    for j in picks:
        f = make_subplots(rows=1, cols=2, subplot_titles=["||V(t)ᵀ eᵢ||", "||C(t) eᵢ||"], horizontal_spacing=0.1)
        f.add_trace(go.Bar(x=x, y=_sig(run.profiles[j]), marker_color=colors, showlegend=False), 1, 1)
        f.add_trace(go.Bar(x=x, y=_sig(run.cnorms[j]), marker_color=colors, showlegend=False), 1, 2)
        f.update_yaxes(range=[0, pmax], row=1, col=1)
        f.update_yaxes(range=[0, cmax], row=1, col=2)
        f.update_layout(height=420, margin=dict(l=50, r=20, t=80, b=90))
        frames.append(f)
        labels.append(str(int(run.steps[j])))
    return frames_figure(frames, labels, f"Node2Vec on {run.graph.name}: projections and C(t) on each eigenvector "
                                         "(blue = smooth, red = zig-zag)")
