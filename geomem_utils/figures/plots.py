"""Plotly figure builders shared by the chapters.

Introduced in ``00_tasks``. Each builder takes numbers (a graph, an embedding, a curve)
and returns a ``plotly.graph_objects.Figure``; nothing here trains or measures. Figures
render offline in the book through :func:`geomem_utils.figures.render.setup_book_rendering`.
"""

from __future__ import annotations

import math
from typing import Sequence

import networkx as nx
import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from geomem_utils.science.graphs import Graph

PALETTE = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c",
           "#ccb974", "#64b5cd")


def branch_colors(g: Graph) -> list[str]:
    """One colour per arm of a rooted graph (root black); grey for graphs without arms."""
    return ["#222222" if b < 0 and g.root is not None else ("#8c8c8c" if b < 0 else PALETTE[b % len(PALETTE)])
            for b in g.branch.tolist()] if g.branch.size else ["#8c8c8c"] * g.n_nodes


def graph_layout(g: Graph) -> np.ndarray:
    """2-D positions (n, 2): radial for rooted graphs, the lattice for the grid, a circle
    for the cycle, Kamada-Kawai otherwise."""
    if g.paths:
        pos = np.zeros((g.n_nodes, 2))
        arms: dict[int, list[tuple[int, ...]]] = {}
        for p in g.paths:
            arms.setdefault(int(g.branch[p[1]]), []).append(p)
        d = len(arms)
        for a, plist in arms.items():
            for k, p in enumerate(plist):
                spread = (k - (len(plist) - 1) / 2) / max(1, len(plist)) * (2 * np.pi / d) * 0.8
                for depth, node in enumerate(p[1:], start=1):
                    angle = 2 * np.pi * a / d + spread * (depth - 1) / max(1, len(p) - 2)
                    pos[node] = depth * np.array([np.cos(angle), np.sin(angle)])
        return pos
    kind = g.params.get("name") if g.params.get("family") == "tiny" else g.params.get("family")
    if kind == "grid":  # row-major ids on a side x side lattice (the tiny grid: side 4)
        side = math.isqrt(g.n_nodes)
        return np.array([[i % side, -(i // side)] for i in range(g.n_nodes)], dtype=float)
    if kind == "cycle":
        t = 2 * np.pi * np.arange(g.n_nodes) / g.n_nodes
        return np.stack([np.cos(t), np.sin(t)], axis=1)
    layout = nx.kamada_kawai_layout(g.to_networkx())
    return np.array([layout[i] for i in range(g.n_nodes)])


def graph_traces(g: Graph, pos: np.ndarray, colors: str | Sequence[str | float] | None = None, size: int = 10,
                 labels: bool = True, outline: str = "white", font_size: int | None = None,
                 hovertext: Sequence[str] | None = None, **marker: object) -> list[go.Scatter]:
    """A graph drawn at positions ``pos`` (n, 2): its edges as grey lines, then its nodes.

    ``colors``: one colour (or number, with a ``colorscale`` in ``marker``) per node, or
    one for all; by arm by default (:func:`branch_colors`). ``labels``: node ids as text.
    ``marker``: further marker settings (``colorscale``, ``cmin``, ``showscale``, ...).
    """
    xs: list[float | None] = []
    ys: list[float | None] = []
    for u, v in g.edges.tolist():
        xs += [float(pos[u, 0]), float(pos[v, 0]), None]
        ys += [float(pos[u, 1]), float(pos[v, 1]), None]
    edges = go.Scatter(x=xs, y=ys, mode="lines", line=dict(color="#bbbbbb", width=1), hoverinfo="skip",
                       showlegend=False)
    color = colors if isinstance(colors, str) else list(branch_colors(g) if colors is None else colors)
    nodes = go.Scatter(
        x=pos[:, 0], y=pos[:, 1], mode="markers+text" if labels else "markers",
        text=[str(i) for i in range(g.n_nodes)] if labels else None, textposition="top center",
        textfont=dict(size=font_size) if font_size else None,
        marker=dict(size=size, color=color, line=dict(width=0.5, color=outline), **marker),
        hovertext=list(hovertext or [f"node {i}" for i in range(g.n_nodes)]), hoverinfo="text", showlegend=False,
    )
    return [edges, nodes]


def graph_figure(g: Graph, pos: np.ndarray | None = None, title: str | None = None, labels: bool = True,
                 colors: Sequence[str] | None = None, height: int = 420) -> go.Figure:
    """Draw a graph: edges as grey lines, nodes coloured by arm."""
    pos = graph_layout(g) if pos is None else pos
    fig = go.Figure(graph_traces(g, pos, colors, labels=labels and g.n_nodes <= 60))
    fig.update_layout(title=title or g.name, height=height, margin=dict(l=10, r=10, t=40, b=10))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x", scaleratio=1)
    return fig


def graphs_grid(graphs: Sequence[Graph], positions: Sequence[np.ndarray] | None = None,
                titles: Sequence[str] | None = None, cols: int = 4, height: int = 320) -> go.Figure:
    """Several graphs (or several embeddings drawn as graphs) side by side."""
    rows = int(np.ceil(len(graphs) / cols))
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=list(titles or [g.name for g in graphs]))
    for k, g in enumerate(graphs):
        pos = graph_layout(g) if positions is None else positions[k]
        r, c = k // cols + 1, k % cols + 1
        for tr in graph_traces(g, pos, labels=g.n_nodes <= 20, size=8):
            fig.add_trace(tr, row=r, col=c)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(height=height * rows, margin=dict(l=10, r=10, t=40, b=10))
    return fig


def curves(x: Sequence[float], ys: dict[str, Sequence[float]], title: str, xaxis: str = "step",
           yaxis: str = "", hlines: dict[str, float] | None = None, height: int = 380) -> go.Figure:
    """Line plot of several named curves over a shared x, with labelled reference lines."""
    fig = go.Figure()
    for k, (name, y) in enumerate(ys.items()):
        fig.add_trace(go.Scatter(x=list(x), y=list(y), mode="lines+markers", name=name,
                                 line=dict(color=PALETTE[k % len(PALETTE)])))
    for name, level in (hlines or {}).items():
        fig.add_hline(y=level, line=dict(dash="dot", color="#666"), annotation_text=name,
                      annotation_position="bottom right")
    fig.update_layout(title=title, xaxis_title=xaxis, yaxis_title=yaxis, height=height,
                      margin=dict(l=50, r=20, t=50, b=40))
    return fig


def spectrum_bars(values: dict[str, Sequence[float]], title: str, height: int = 360) -> go.Figure:
    """Grouped bars of one or more spectra (or embedding projections) by eigen-index."""
    fig = go.Figure()
    for k, (name, v) in enumerate(values.items()):
        fig.add_trace(go.Bar(x=list(range(1, len(v) + 1)), y=list(v), name=name,
                             marker_color=PALETTE[k % len(PALETTE)]))
    fig.update_layout(title=title, barmode="group", xaxis_title="eigen-index (descending eigenvalue)",
                      height=height, margin=dict(l=50, r=20, t=50, b=40))
    return fig


def heatmap(matrix: np.ndarray, title: str, x_title: str = "", y_title: str = "",
            colorscale: str = "Viridis", zmin: float | None = None, zmax: float | None = None,
            height: int = 420) -> go.Figure:
    fig = go.Figure(go.Heatmap(z=np.asarray(matrix), colorscale=colorscale, zmin=zmin, zmax=zmax))
    fig.update_layout(title=title, xaxis_title=x_title, yaxis_title=y_title, height=height,
                      margin=dict(l=50, r=20, t=50, b=40))
    fig.update_yaxes(autorange="reversed")
    return fig


def pca_2d(emb: np.ndarray) -> np.ndarray:
    """Project rows of ``emb`` onto their top-2 principal components: (n, 2)."""
    x = np.asarray(emb, dtype=np.float64)
    x = x - x.mean(axis=0, keepdims=True)
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    return x @ vt[:2].T


def pca_2d_unit(emb: np.ndarray) -> np.ndarray:
    """:func:`pca_2d`, scaled to a largest |coordinate| of 1 and with a fixed sign per axis
    (its largest |entry| positive): (n, 2); a width-1 embedding gives a line.

    The scale and the sign of a principal axis carry no information here; fixing them
    keeps a slider's frames on the same axes, unflipped.
    """
    xy = pca_2d(emb)
    if xy.shape[1] < 2:  # width-1 embeddings: a line
        xy = np.concatenate([xy, np.zeros((xy.shape[0], 2 - xy.shape[1]))], axis=1)
    idx = np.argmax(np.abs(xy), axis=0)
    xy = xy * np.where(xy[idx, [0, 1]] < 0, -1.0, 1.0)
    return xy / max(float(np.abs(xy).max()), 1e-300)


def frames_figure(frames: Sequence[go.Figure], labels: Sequence[str], title: str,
                  slider_prefix: str = "step ") -> go.Figure:
    """Combine same-shaped figures into one figure with a slider over them (works with no kernel)."""
    if not frames:
        raise ValueError("frames_figure needs at least one frame")
    base = go.Figure(frames[0])
    base.frames = [go.Frame(data=f.data, layout=f.layout, name=str(lab)) for f, lab in zip(frames, labels)]
    steps = [dict(method="animate", label=str(lab),
                  args=[[str(lab)], dict(mode="immediate", frame=dict(duration=0, redraw=True),
                                         transition=dict(duration=0))]) for lab in labels]
    base.update_layout(
        title=title,
        sliders=[dict(active=0, steps=steps, currentvalue=dict(prefix=slider_prefix), pad=dict(t=30))],
        updatemenus=[dict(type="buttons", showactive=False, x=0, y=-0.08, xanchor="left", buttons=[
            dict(label="play", method="animate",
                 args=[None, dict(frame=dict(duration=400, redraw=True), fromcurrent=True)])])],
    )
    return base


def seed_spread(df: "pd.DataFrame", x: str, y: str, title: str, by: str | None = None, yaxis: str = "",
                xaxis: str = "", chance: str | None = None, log_x: bool = False, height: int = 380) -> go.Figure:
    """Every seed as a dot and the mean over seeds as a line, against ``x`` (one colour per ``by``).

    ``chance``: a column holding each row's chance level, drawn as a dotted line.
    Introduced in ``06_how_far_it_holds`` for sweep tables (one row per run).
    """
    fig = go.Figure()
    groups = [(None, df)] if by is None else list(df.groupby(by, sort=False))
    for k, (name, part) in enumerate(groups):
        color = PALETTE[k % len(PALETTE)]
        label = y if name is None else f"{by}={name}"
        mean = part.groupby(x, sort=True)[y].agg(["mean", "min", "max"]).reset_index()
        fig.add_trace(go.Scatter(x=part[x], y=part[y], mode="markers", name=f"{label}: each seed", legendgroup=label,
                                 marker=dict(color=color, size=8, opacity=0.6), text=[f"seed {s}" for s in part["seed"]],
                                 hovertemplate="%{text}: %{y:.3f}<extra></extra>"))
        fig.add_trace(go.Scatter(x=mean[x], y=mean["mean"], mode="lines", name=f"{label}: mean", legendgroup=label,
                                 line=dict(color=color)))
    if chance is not None:
        ch = df.groupby(x, sort=True)[chance].first()
        fig.add_trace(go.Scatter(x=ch.index, y=ch.values, mode="lines", name="chance 1/d",
                                 line=dict(dash="dot", color="#666")))
    fig.update_layout(title=title, xaxis_title=xaxis or x, yaxis_title=yaxis or y, height=height,
                      margin=dict(l=50, r=20, t=50, b=40))
    if log_x:
        fig.update_xaxes(type="log")
    return fig


def evidence_by_seed(findings: Sequence[dict], checks: Sequence[dict], title: str = "Evidence by seed") -> go.Figure:
    """One strip per evidence check of the chapter's verdicts: a dot per seed at its value
    (filled: passes, open: fails) and the check's threshold as a line, so a verdict is seen
    to rest on every seed, not one run. ``findings``: the results file's verdicts (with
    ``holds``); ``checks``: its checks (for ``op`` and ``threshold``)."""
    rule = {c["name"]: (c["op"], c["threshold"]) for c in checks}
    rows = [(f["id"], name, h) for f in findings for name, h in (f.get("holds") or {}).items() if name in rule]
    if not rows:
        return go.Figure(layout=dict(title=f"{title}: no verdict rests on seeds here", height=120))
    fig = make_subplots(rows=len(rows), cols=1, vertical_spacing=min(0.04, 0.5 / len(rows)),
                        subplot_titles=[f"{fid}: {name if len(name) < 80 else name[:77] + '...'}"
                                        for fid, name, _ in rows])
    for i, (fid, name, h) in enumerate(rows, start=1):
        op, threshold = rule[name]
        seeds = list(h["values"])
        values = [float(h["values"][s]) for s in seeds]
        ok = [math.isfinite(v) and {">=": v >= threshold, ">": v > threshold, "<=": v <= threshold,
                                    "<": v < threshold, "==": v == threshold}[op] for v in values]
        fig.add_trace(go.Scatter(x=values, y=[0] * len(values), mode="markers+text", text=seeds,
                                 textposition="top center", showlegend=False,
                                 marker=dict(size=11, symbol=["circle" if p else "circle-open" for p in ok],
                                             color=["#2a7" if p else "#c33" for p in ok]),
                                 hovertemplate="seed %{text}: %{x:.4g}<extra>" + f"needs {op} {threshold:g}</extra>"),
                      row=i, col=1)
        fig.add_vline(x=threshold, line=dict(color="#888", dash="dash"), row=i, col=1)
        fig.update_yaxes(visible=False, range=[-1, 1.5], row=i, col=1)
    fig.update_annotations(font_size=11)
    fig.update_layout(title=title, height=90 * len(rows) + 80, margin=dict(l=20, r=20, t=70, b=20))
    return fig
