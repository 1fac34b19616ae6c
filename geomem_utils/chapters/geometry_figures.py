"""The figures of ``01_geometry_emerges``: embeddings drawn as graphs, leaf / first-hop
heatmaps, the diagonal-versus-rest boxes, navigation over training, a UMAP row and the
slider over training snapshots.

Introduced in ``01_geometry_emerges``. Each builder takes numbers the chapter measured and
returns a ``plotly.graph_objects.Figure``; nothing here trains or measures, so the chapter's
numbers do not depend on it. Subplot titles are kept short (and at a smaller font) so that
neighbouring titles do not overlap at the book's content width.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from geomem_utils.science.graphs import Graph
from geomem_utils.figures.plots import PALETTE, frames_figure, graph_layout, graphs_grid, pca_2d

TITLE_FONT = 12  # subplot titles: plotly's default 16 px runs into the next column
#: Shorter subplot titles for long row names of :func:`embedding_grid`.
SHORT_TITLES = {"tied, both directions": "tied"}


def region_coloured(g: Graph) -> Graph:
    """A copy of a tiny graph whose ``branch`` encodes a region (arm, grid row, stretch of
    the cycle, component), so that its plots colour nodes by region."""
    if g.paths:
        return g
    idx = np.arange(g.n_nodes)
    region = {"grid": idx // 4, "cycle": idx * 5 // 15,
              "irregular": np.where(idx < 12, idx // 4, 3)}[g.name]
    return replace(g, branch=region.astype(np.int64))


def embedding_grid(tiny: Mapping[str, Graph], runs_by_graph: Mapping[str, Mapping[str, Any]],
                   rows: Sequence[str], title: str,
                   short: Mapping[str, str] | None = None) -> go.Figure:
    """One column per tiny graph; the first row draws the graph, each next row one model's
    embedding (top-2 principal components, ``run["emb"]``) with the graph's edges.

    Titles read ``<row> r=<run["corr"]>``; ``short`` maps a row name to a shorter title."""
    short = {**SHORT_TITLES, **(short or {})}
    rows = ("graph",) + tuple(rows)
    fig = graphs_grid(
        [region_coloured(g) for _ in rows for g in tiny.values()],
        positions=[graph_layout(g) if r == "graph" else pca_2d(runs_by_graph[name][r]["emb"])
                   for r in rows for name, g in tiny.items()],
        titles=[name if r == "graph" else
                f"{short.get(r, r)} r={runs_by_graph[name][r]['corr']:.2f}"
                for r in rows for name in tiny],
        cols=len(tiny), height=260)
    fig.update_annotations(font_size=TITLE_FONT)
    fig.update_layout(title=title, margin=dict(t=80))
    return fig


def heatmap_row(mats: Mapping[str, np.ndarray], title: str, height: int = 380,
                colorbar: str | None = None, axis_titles: bool = False) -> go.Figure:
    """Matrices side by side on one colour scale (1st-99th percentile of all of them),
    rows read top-down (row ``i`` is held-out path ``i``)."""
    zmin, zmax = np.percentile(np.concatenate([m.ravel() for m in mats.values()]), [1, 99])
    fig = make_subplots(rows=1, cols=len(mats), subplot_titles=list(mats),
                        horizontal_spacing=0.06)
    for k, m in enumerate(mats.values()):
        bar = dict(colorbar=dict(title=colorbar)) if colorbar else {}
        fig.add_trace(go.Heatmap(z=m, zmin=zmin, zmax=zmax, colorscale="Viridis",
                                 showscale=k == 0, **bar), row=1, col=k + 1)
    fig.update_yaxes(autorange="reversed")
    if axis_titles:
        fig.update_yaxes(title_text="leaf of held-out path i", title_font_size=TITLE_FONT,
                         col=1)
        fig.update_xaxes(title_text="first hop of path j", title_font_size=TITLE_FONT)
    fig.update_annotations(font_size=TITLE_FONT)
    fig.update_layout(title=title, height=height)
    return fig


def diagonal_boxes(heat: Mapping[str, np.ndarray], title: str) -> go.Figure:
    """Per run, two boxes: the diagonal of a leaf / first-hop matrix against the rest."""
    fig = go.Figure()
    for k, (label, h) in enumerate(heat.items()):
        off = h[~np.eye(len(h), dtype=bool)]
        fig.add_trace(go.Box(y=off, x=[label] * off.size, name="other pairs", legendgroup="off",
                             showlegend=k == 0, marker_color="#8c8c8c", boxpoints=False))
        fig.add_trace(go.Box(y=np.diag(h), x=[label] * len(h), name="leaf and its own first hop",
                             legendgroup="diag", showlegend=k == 0, marker_color=PALETTE[0],
                             boxpoints="all", jitter=0.4))
    fig.update_layout(boxmode="group", title=title, yaxis_title="cosine distance", height=380)
    return fig


def grouped_bars(table: "Any", title: str, yaxis: str, height: int = 380) -> go.Figure:
    """One bar group per row of a DataFrame, one bar per column."""
    fig = go.Figure([go.Bar(x=list(table.index), y=table[c], name=c, marker_color=PALETTE[k])
                     for k, c in enumerate(table.columns)])
    fig.update_layout(barmode="group", title=title, yaxis_title=yaxis, height=height)
    return fig


def navigation_curves(histories: Mapping[str, Sequence[Mapping[str, float]]],
                      chance: float) -> go.Figure:
    """Held-out 1-step navigation (left) and first-hop accuracy (right) over training."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("1-step navigation (held-out)",
                                                        "first-hop accuracy (held-out)"))
    for k, (label, hist) in enumerate(histories.items()):
        steps = [h["step"] for h in hist]
        for col, key in ((1, "navigation"), (2, "test_first_hop")):
            fig.add_trace(go.Scatter(x=steps, y=[h[key] for h in hist], mode="lines+markers",
                                     name=label, legendgroup=label, showlegend=col == 1,
                                     line=dict(color=PALETTE[k])), row=1, col=col)
    fig.add_hline(y=chance, line=dict(dash="dot", color="#666"), annotation_text="chance 1/d",
                  row=1, col=1)
    fig.update_xaxes(title_text="step")
    fig.update_annotations(font_size=TITLE_FONT)
    fig.update_layout(height=400, title="Geometry and generalisation over training")
    return fig


def arm_colours(arm: np.ndarray, shown: Sequence[int]) -> tuple[list[str], np.ndarray]:
    """Colours of nodes by arm (``shown`` arms in the palette, the rest grey) and an order
    that draws grey first."""
    colour = np.array(["#d9d9d9"] * len(arm), dtype=object)
    for k, a in enumerate(shown):
        colour[arm == a] = PALETTE[k]
    order = np.argsort(np.isin(arm, shown), kind="stable")
    return list(colour), order


def scatter_row(xys: Mapping[str, np.ndarray], nodes: np.ndarray, arm: np.ndarray,
                shown: Sequence[int], title: str) -> go.Figure:
    """2-D layouts (UMAP) of the same nodes side by side, ``shown`` arms in colour."""
    colour, order = arm_colours(arm, shown)
    colour = np.array(colour, dtype=object)
    big = np.where(np.isin(arm[order], shown), 8, 4)
    fig = make_subplots(rows=1, cols=len(xys), subplot_titles=list(xys),
                        horizontal_spacing=0.03)
    for k, xy in enumerate(xys.values()):
        fig.add_trace(go.Scatter(
            x=xy[order, 0], y=xy[order, 1], mode="markers",
            marker=dict(size=big, color=list(colour[order])),
            hovertext=[f"node {u}, arm {a}" for u, a in zip(nodes[order], arm[order])],
            hoverinfo="text", showlegend=False), row=1, col=k + 1)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_annotations(font_size=TITLE_FONT)
    fig.update_layout(title=title, height=380)
    return fig


def _snapshot_frame(emb: np.ndarray, heat: np.ndarray, sub_nodes: np.ndarray,
                    sub_edges: Sequence[tuple[int, int]], colours: Sequence[str],
                    zrange: tuple[float, float]) -> go.Figure:
    xy = pca_2d(emb[sub_nodes])  # (k, 2)
    pad = 0.08 * (xy.max(0) - xy.min(0)) + 1e-9
    ex, ey = [], []
    for a, b in sub_edges:
        ex += [xy[a, 0], xy[b, 0], None]
        ey += [xy[a, 1], xy[b, 1], None]
    f = make_subplots(rows=1, cols=2, subplot_titles=("PCA of held-out arms",
                                                      "leaf / first-hop distance"))
    f.add_trace(go.Scatter(x=ex, y=ey, mode="lines", line=dict(color="#bbb", width=1),
                           hoverinfo="skip", showlegend=False), row=1, col=1)
    f.add_trace(go.Scatter(x=xy[:, 0], y=xy[:, 1], mode="markers", showlegend=False,
                           marker=dict(size=9, color=list(colours)),
                           hovertext=[f"node {u}" for u in sub_nodes], hoverinfo="text"),
                row=1, col=1)
    f.add_trace(go.Heatmap(z=heat, zmin=zrange[0], zmax=zrange[1], colorscale="Viridis"),
                row=1, col=2)
    f.update_yaxes(autorange="reversed", row=1, col=2)
    # explicit ranges: a slider frame keeps the first frame's axes unless it brings its own
    f.update_xaxes(visible=False, range=[xy[:, 0].min() - pad[0], xy[:, 0].max() + pad[0]],
                   row=1, col=1)
    f.update_yaxes(visible=False, range=[xy[:, 1].min() - pad[1], xy[:, 1].max() + pad[1]],
                   row=1, col=1)
    f.update_annotations(font_size=TITLE_FONT)
    return f


def snapshot_slider(snaps: Mapping[int, np.ndarray], heats: Mapping[int, np.ndarray],
                    g: Graph, shown_paths: Sequence[int], title: str) -> go.Figure:
    """A slider over training snapshots of a path-star embedding: left, the top-2 principal
    components of the nodes of ``shown_paths`` (root black, one colour per arm) with their
    edges; right, the leaf / first-hop heatmap ``heats[step]`` of that step."""
    sub_nodes = np.array(sorted({u for i in shown_paths for u in g.paths[i]}))
    where = {u: k for k, u in enumerate(sub_nodes)}
    sub_edges = [(where[a], where[b]) for i in shown_paths
                 for a, b in zip(g.paths[i][:-1], g.paths[i][1:])]
    arm_colour = {int(g.branch[g.paths[i][1]]): PALETTE[k] for k, i in enumerate(shown_paths)}
    colours = ["#222222" if u == g.root else arm_colour[int(g.branch[u])] for u in sub_nodes]
    zrange = tuple(np.percentile(np.concatenate([h.ravel() for h in heats.values()]), [1, 99]))
    steps = sorted(snaps)
    frames = [_snapshot_frame(np.asarray(snaps[s]), heats[s], sub_nodes, sub_edges, colours,
                              zrange) for s in steps]
    fig = frames_figure(frames, steps, title)
    fig.update_layout(height=460)
    return fig


#: The two runs of the book's landing figure (results ``extra["path_heat"]``): trained
#: embeddings (edges and paths) against the frozen control, an associative memory.
LANDING_RUNS = {"edges_and_paths": "trained embeddings", "frozen": "frozen embeddings"}


def landing_heat(pdist: Mapping[str, np.ndarray]) -> dict[str, list[list[float]]]:
    """The path-by-path distance matrices of :data:`LANDING_RUNS`, rounded for the results
    file (``extra["path_heat"]``), from which ``book/build_book.py`` draws
    :func:`landing_figure`."""
    return {run: np.round(np.asarray(pdist[run], dtype=float), 4).tolist() for run in LANDING_RUNS}


def landing_figure(extra: Mapping[str, Any]) -> go.Figure:
    """The book's opening picture, from chapter 01's results ``extra``: the path-by-path
    distance matrices of :data:`LANDING_RUNS` (:func:`heatmap_row`), each titled with its
    held-out path accuracy."""
    mats = {f"{name}: {extra['final']['test_exact'][run]:.0%} of held-out paths right":
            np.asarray(extra["path_heat"][run]) for run, name in LANDING_RUNS.items()}
    n = len(next(iter(mats.values())))
    title = f"Mean cosine distance between the nodes of two arms, {extra['graph']}, {n} held-out arms"
    fig = heatmap_row(mats, title, height=400, colorbar="cos dist")
    fig.update_yaxes(title_text="held-out arm i", title_font_size=TITLE_FONT, col=1)
    fig.update_xaxes(title_text="held-out arm j", title_font_size=TITLE_FONT)
    fig.update_layout(margin=dict(l=60, r=20, t=80, b=60))
    return fig
