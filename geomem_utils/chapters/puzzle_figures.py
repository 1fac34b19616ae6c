"""Figures of ``04_memorization_puzzle``: numbers in, ``plotly`` figures out.

Nothing here trains; each builder draws what the chapter's cells measured (skewed
low-rank logits, Proposition 1's costs, recall and alignment per step, the knob table's
margins during training).
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from geomem_utils.science import margins
from geomem_utils.science.graphs import Graph
from geomem_utils.figures.plots import PALETTE

_GREY = dict(color="#888", dash="dash")


def skewed_heatmaps(models: Mapping[str, object], g: Graph, name: str) -> go.Figure:
    """Side by side, the skewed low-rank logits ``E W' E^T`` of one-layer ``models``
    (label -> model) on ``g``, each scaled to [-1, 1], self left out (row u: scores after u)."""
    fig = make_subplots(rows=1, cols=len(models), subplot_titles=list(models))
    for col, model in enumerate(models.values(), start=1):
        form = margins.bilinear(model, g.n_nodes)
        z = margins.skewed_logits(form.E, form.W)
        np.fill_diagonal(z, np.nan)  # self is not a candidate
        fig.add_trace(go.Heatmap(z=z / np.nanmax(np.abs(z)), zmin=-1, zmax=1, colorscale="RdBu_r",
                                 showscale=col == len(models)), row=1, col=col)
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(title=f"Skewed low-rank logits on the {name}",
                      height=380, margin=dict(l=40, r=20, t=70, b=30))
    return fig


def prop1_ratios(prop1: pd.DataFrame) -> go.Figure:
    """Proposition 1's closed-form ratios (lookup / geometry, bits and norm) against size."""
    fig = go.Figure()
    lines = [("path-star", "bits_ratio", "path-star, bits"), ("path-star", "norm_ratio", "path-star, l2 norm"),
             ("cycle", "bits_ratio", "cycle, bits"), ("cycle", "norm_ratio", "cycle, l2 norm")]
    for k, (family, key, label) in enumerate(lines):
        rows = prop1[prop1.family == family].sort_values("nodes")
        dash = "solid" if key == "bits_ratio" else "dot"
        fig.add_trace(go.Scatter(x=rows.nodes, y=rows[key], mode="lines+markers", name=label,
                                 line=dict(color=PALETTE[k // 2], dash=dash)))
    for level in (1, 2):
        fig.add_hline(y=level, line=_GREY)
    fig.update_xaxes(type="log", title="nodes |V|")
    fig.update_layout(title="Proposition 1: cost of the lookup / cost of the geometry", yaxis_title="ratio",
                      yaxis_range=[0.8, 2.2], height=380)
    return fig


def trained_costs(trained: pd.DataFrame) -> go.Figure:
    """Proposition 1's bounds (lines) and the trained memories' costs (markers), in l2 norm at
    margin 1 (top) and in bits (bottom), per family; ``trained``: the chapter's priced pairs
    (columns ``pair``, ``family``, ``nodes``, ``bound ...``, ``l2/bits lookup/geometry``).
    Circles: free table and Node2Vec; diamonds: the frozen-embedding network and its twin's
    geometric part (tiny graphs, where priced)."""
    from geomem_utils.chapters.puzzle import FREE_PAIR

    families = ["path-star", "cycle"]
    fig = make_subplots(rows=2, cols=2, subplot_titles=["path-star G(d, 5)", "cycle"], shared_xaxes=True,
                        vertical_spacing=0.1, horizontal_spacing=0.08)
    colors = {"lookup": "#dd8452", "geometry": "#4c72b0"}
    for row, measure in enumerate(["l2", "bits"], start=1):
        for col, family in enumerate(families, start=1):
            rows = trained[trained.family == family]
            free = rows[rows.pair == FREE_PAIR].sort_values("nodes")
            first = row == 1 and col == 1
            for memory, color in colors.items():
                fig.add_trace(go.Scatter(x=free.nodes, y=free[f"bound {measure} {memory}"], mode="lines",
                                         name=f"Prop. 1: {memory}", line=dict(color=color, dash="dash"),
                                         legendgroup=f"bound {memory}", showlegend=first), row=row, col=col)
                for pair, symbol in ((FREE_PAIR, "circle"), (None, "diamond")):
                    pts = rows[rows.pair == pair] if pair else rows[rows.pair != FREE_PAIR]
                    label = f"trained {memory}" + ("" if pair else " (one-layer nets)")
                    fig.add_trace(go.Scatter(x=pts.nodes, y=pts[f"{measure} {memory}"], mode="markers", name=label,
                                             marker=dict(color=color, size=9, symbol=symbol), legendgroup=label,
                                             showlegend=first), row=row, col=col)
    fig.update_xaxes(type="log")
    fig.update_xaxes(title_text="nodes |V|", row=2)
    fig.update_yaxes(type="log")
    fig.update_yaxes(title_text="l2 norm at margin 1", row=1, col=1)
    fig.update_yaxes(title_text="bits", row=2, col=1)
    fig.update_layout(title="Cost of each memory: Prop. 1's bounds (lines), trained memories (markers)",
                      height=620, margin=dict(l=60, r=20, t=80, b=40))
    return fig


def cost_table(trained: pd.DataFrame) -> pd.DataFrame:
    """The priced pairs, compactly: per pair and graph, each memory's l2 cost at margin 1,
    levels Delta and bits, and the ratios lookup / geometry (rounded for the page)."""
    columns = ["nodes", "l2 lookup", "l2 geometry", "l2 ratio", "levels lookup", "levels geometry",
               "bits lookup", "bits geometry", "bits ratio"]
    out = trained.set_index(["pair", "graph"])[columns].astype(float).round(2)
    whole = ["nodes", "levels lookup", "levels geometry", "bits lookup", "bits geometry"]  # counts: no decimals
    return out.assign(**{c: out[c].round(0).astype("Int64") for c in whole})


def recall_and_alignment(runs: Mapping[str, tuple[Mapping[str, pd.DataFrame], str]],
                         chance: Mapping[str, float]) -> go.Figure:
    """Top-k recovery (top row) and top-4 energy share (bottom row) per step, one column per
    graph; ``runs``: label -> ({graph: history}, colour); ``chance``: graph -> random alignment."""
    names = list(chance)
    fig = make_subplots(rows=2, cols=len(names), subplot_titles=names, vertical_spacing=0.12)
    for col, name in enumerate(names, start=1):
        for label, (hists, color) in runs.items():
            h = hists[name]
            x = h.step.clip(lower=0.5)  # step 0 (the init) drawn at 0.5 on the log axis
            fig.add_trace(go.Scatter(x=x, y=h.top_k, name=label, line=dict(color=color),
                                     legendgroup=label, showlegend=col == 1), row=1, col=col)
            fig.add_trace(go.Scatter(x=x, y=h.alignment, name=label, line=dict(color=color, dash="dot"),
                                     legendgroup=label, showlegend=False), row=2, col=col)
        fig.add_hline(y=chance[name], line=_GREY, row=2, col=col)
    fig.update_xaxes(type="log", title_text="step")
    fig.update_yaxes(title_text="top-k recovery (%)", row=1, col=1)
    fig.update_yaxes(title_text="top-4 energy share", row=2, col=1)
    fig.update_layout(title="Recall (top) and top-4 energy share (bottom; grey: random) per step",
                      height=560, margin=dict(l=60, r=20, t=80, b=40))
    return fig


def twin_margins(hists: Mapping[str, pd.DataFrame]) -> go.Figure:
    """The trainable twin's skewed edge margin (solid) and recall / 100 (dotted) per step."""
    fig = go.Figure()
    for k, (name, h) in enumerate(hists.items()):
        x = h.step.clip(lower=0.5)
        fig.add_trace(go.Scatter(x=x, y=h.skewed_margin, name=f"{name}: skewed margin",
                                 line=dict(color=PALETTE[k])))
        fig.add_trace(go.Scatter(x=x, y=h.top_k / 100, name=f"{name}: top-k / 100",
                                 line=dict(color=PALETTE[k], dash="dot"), showlegend=k == 0))
    fig.add_hline(y=0, line=_GREY)
    fig.update_xaxes(type="log", title="step")
    fig.update_layout(title="Trainable twin (m=512): full recall first, geometry after",
                      yaxis_title="skewed edge margin", height=400)
    return fig


def knob_curves(hists: Mapping[str, pd.DataFrame], steps: int, late_fraction: float,
                top1_line: float) -> go.Figure:
    """Skewed top-1 (top) and skewed edge margin (bottom) of each knob row during training;
    the grey band is the window (after ``late_fraction`` of ``steps``) that decides a row."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08)
    for k, (row, h) in enumerate(hists.items()):
        line = dict(color=PALETTE[k])
        fig.add_trace(go.Scatter(x=h.step, y=h.skewed_top1, name=row, line=line, legendgroup=row),
                      row=1, col=1)
        fig.add_trace(go.Scatter(x=h.step, y=h.skewed_margin, name=row, line=line, legendgroup=row,
                                 showlegend=False), row=2, col=1)
    fig.add_hline(y=top1_line, line=_GREY, row=1, col=1)
    fig.add_hline(y=0, line=_GREY, row=2, col=1)
    fig.add_vrect(x0=late_fraction * steps, x1=steps, fillcolor="#888", opacity=0.1, line_width=0)
    fig.update_yaxes(title_text="skewed top-1 (%)", row=1, col=1)
    fig.update_yaxes(title_text="skewed edge margin", range=[-4, 16], row=2, col=1)
    fig.update_xaxes(title_text="step", row=2, col=1)
    fig.update_layout(title="Knob table on the 15-cycle (grey band: the window that decides)", height=560)
    return fig

#: The knob panel's network (retrained in the page): a width and a run length that retrain in
#: seconds, beside the table's precomputed rows (m = 512, ``KNOB_STEPS``). At width 64 and 1,000
#: steps the table's first row comes out geometric and its N(0, 1), lr 1e-4 row not, at each of
#: PyTorch's seeds 0-2 (at width 32 and 2,000 steps the first row is geometric at one seed of
#: three); 2,000 steps at width 64 would take the page past its 2 s goal.
KNOB_PANEL = {"width": 64, "steps": 1000}


def knob_panel() -> Any:
    """The knob panel of the chapter: the one-layer network on the 15-cycle retrained in the page
    under the knob table's recipe, each row of :data:`KNOBS` a preset, direction judged as the
    table's (:data:`LATE_FRACTION` of :data:`KNOB_EVALS` evaluations, ``margins.is_geometric``)."""
    from geomem_utils.chapters.puzzle import KNOB_EVALS, KNOBS, LATE_FRACTION
    from geomem_utils.live.panels import knob_panel as panel
    from geomem_utils.runs.playground import DEFAULTS
    from geomem_utils.science import graphs

    default_std = DEFAULTS["net"].init_std  # OneLayerNet's N(0, 0.02^2)
    rows = [{"label": row, "lr": opt_kw["lr"], "init_std": model_kw.get("emb_init_std", default_std),
             "weight_decay": opt_kw.get("weight_decay", 0.0), "dropout": model_kw.get("dropout", 0.0)}
            for row, model_kw, opt_kw, _ in KNOBS]
    return panel(graphs.tiny_graph("cycle"), "the tiny 15-cycle", rows, KNOB_EVALS, LATE_FRACTION,
                 margins.GEOMETRIC_TOP1, lr=rows[0]["lr"], init_std=rows[0]["init_std"], **KNOB_PANEL)
