"""The figures and tables of ``03_implicit_reasoning`` that need more than :func:`plots.curves`.

Introduced in ``03_implicit_reasoning``. Each builder takes the records the chapter's runs
return (``history`` and ``final`` of a path-star run, ``teacher_forced`` of an in-context
run) and returns a ``plotly.graph_objects.Figure`` or a table; nothing here trains or
measures.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from geomem_utils.figures.plots import PALETTE, heatmap

CHANCE_LINE = dict(dash="dot", color="#666")


def path_names(path_length: int, first: str = "root", last: str = "leaf") -> list[str]:
    """Names of the positions of a path: ``root v1 ... leaf``."""
    return [first] + [f"v{i}" for i in range(1, path_length - 1)] + [last]


def in_context_table(ic: Mapping[str, dict], path_length: int) -> pd.DataFrame:
    """Teacher-forced and greedy accuracy by target position of each in-context variant."""
    table = pd.DataFrame({f"{v}: {kind}": ic[v][key] for v in ic
                          for kind, key in (("teacher-forced", "teacher_forced"), ("greedy", "greedy_per_position"))},
                         index=[f"position {i}" for i in range(path_length)]).T
    return table.assign(steps_trained=[ic[v]["steps_run"] for v in ic for _ in range(2)],
                        greedy_exact=[np.nan if k % 2 == 0 else ic[v]["greedy_exact"] for v in ic for k in range(2)])


def in_context_figure(ic: Mapping[str, dict], degree: int, path_length: int, n_labels: int) -> go.Figure:
    """Left: the forward target's teacher-forced accuracy per position over training; right:
    the final teacher-forced accuracy of each variant by position; dotted: chance 1/d."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("forward target, over training", "final, by position"))
    fwd_steps = [r["step"] for r in ic["forward"]["history"]]
    fwd_tf = np.array([r["teacher_forced"] for r in ic["forward"]["history"]])  # (evaluations, l)
    for i, n in enumerate(path_names(path_length, "start", "goal")):
        fig.add_trace(go.Scatter(x=fwd_steps, y=fwd_tf[:, i], mode="lines+markers", name=f"{i}: {n}",
                                 line=dict(color=PALETTE[i % len(PALETTE)])), row=1, col=1)
    for k, v in enumerate(ic):
        fig.add_trace(go.Bar(x=[f"position {i}" for i in range(path_length)], y=ic[v]["teacher_forced"],
                             name=f"{v} target", marker_color=PALETTE[7 + k]), row=1, col=2)
    fig.add_hline(y=1 / degree, line=CHANCE_LINE, annotation_text="chance 1/d")
    fig.update_layout(height=420, title=f"In context on G({degree}, {path_length}), "
                      f"{n_labels} labels: the Clever-Hans cheat", yaxis_title="teacher-forced accuracy")
    return fig


def teacher_forced_heatmap(table: pd.DataFrame, title: str) -> go.Figure:
    """Rows: runs; columns: target positions; cells: held-out teacher-forced accuracy."""
    fig = heatmap(table.values, title, x_title="target position", colorscale="Blues", zmin=0, zmax=1, height=380)
    fig.update_traces(x=list(table.columns), y=list(table.index), text=np.round(table.values, 2),
                      texttemplate="%{text}")
    return fig


def tree_table(trees: Mapping[str, dict]) -> pd.DataFrame:
    """Held-out leaves and accuracies of the tree-star runs, one column per split."""
    return pd.DataFrame({f"split by {s}": {"held-out leaves": len(r["test_ids"]), "train exact": r["final"]["train_exact"],
                                           "held-out exact": r["final"]["test_exact"],
                                           "held-out first hop": r["final"]["test_first_hop"]}
                         for s, r in trees.items()})


def tree_figure(trees: Mapping[str, dict], graph: Any, degree: int) -> go.Figure:
    """Grouped bars: train exact, held-out exact and held-out first hop of each split."""
    keys = ("train_exact", "test_exact", "test_first_hop")
    fig = go.Figure([go.Bar(x=["train exact", "held-out exact", "held-out first hop"],
                            y=[trees[s]["final"][k] for k in keys], name=f"split by {s}", marker_color=PALETTE[i])
                     for i, s in enumerate(trees)])
    fig.add_hline(y=1 / degree, line=CHANCE_LINE, annotation_text="chance 1/d")
    fig.update_layout(title=f"{graph.name} ({graph.n_nodes} nodes, {len(graph.paths)} leaves)", barmode="group",
                      yaxis_title="accuracy", height=360)
    return fig


def runs_side_by_side(recs: Mapping[str, dict], titles: Sequence[str], degree: int, title: str) -> go.Figure:
    """One panel per run (shared y, short ``titles``): train exact, held-out exact and held-out
    first hop over training; dotted: chance 1/d."""
    fig = make_subplots(rows=1, cols=len(recs), shared_yaxes=True, horizontal_spacing=0.05,
                        subplot_titles=tuple(titles))
    series = (("train_exact", "train exact"), ("test_exact", "held-out exact"), ("test_first_hop", "held-out first hop"))
    for col, rec in enumerate(recs.values(), start=1):
        steps = [r["step"] for r in rec["history"]]
        for k, (key, label) in enumerate(series):
            fig.add_trace(go.Scatter(x=steps, y=[r[key] for r in rec["history"]], mode="lines+markers", name=label,
                                     legendgroup=label, showlegend=col == 1, line=dict(color=PALETTE[k])),
                          row=1, col=col)
        fig.add_hline(y=1 / degree, line=CHANCE_LINE, row=1, col=col)
    fig.update_layout(height=380, title=title, yaxis_title="accuracy")
    fig.update_annotations(font_size=13)  # the panel titles fit a third of the page each
    fig.update_xaxes(title_text="step")
    return fig


def geometry_scatter(geo: pd.DataFrame, null: Mapping[str, float], rho: float) -> go.Figure:
    """Held-out first hop against 1-step navigation, one labelled point per run; ``null``
    (the frozen run's ``final``) drawn apart, not counted in ``rho``."""
    fig = go.Figure(go.Scatter(x=geo["1-step navigation"], y=geo["held-out first hop"], mode="markers+text",
                               text=list(geo.index), textposition="top center", name="runs",
                               marker=dict(size=10, color=PALETTE[0])))
    fig.add_trace(go.Scatter(x=[null["navigation"]], y=[null["test_first_hop"]], mode="markers+text",
                             text=["frozen (null)"], textposition="bottom right", name="frozen (null, not counted)",
                             marker=dict(size=10, symbol="x", color="#999")))
    fig.update_layout(title=f"Held-out first hop vs 1-step navigation, {len(geo)} runs: Spearman ρ = {rho:.2f}",
                      xaxis_title="1-step navigation accuracy (held-out leaves)",
                      yaxis_title="held-out first-hop accuracy", height=460, xaxis_range=[-0.05, 1.1],
                      yaxis_range=[-0.05, 1.1])
    return fig


def token_order_figure(order: pd.DataFrame, control: pd.DataFrame) -> go.Figure:
    """When each inner token is learnt (the step from which it stays halfway from chance to
    1, teacher-forced): one line per seed, in weights (left) and, as the positive control,
    in context with the teacherless objective (right). A leaf-to-root cascade slopes down
    from v1 to the leaf's parent; "never" is drawn at the end of training."""
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.12, subplot_titles=(
        f"in weights, G({int(order.degree.iloc[0])}, {int(order.path_length.iloc[0])})",
        f"control: in context, G({int(control.degree.iloc[0])}, {int(control.path_length.iloc[0])})"))
    for col, t in enumerate((order, control), start=1):
        l, end = int(t.path_length.iloc[0]), float(t.steps.max())
        names = [f"v{j}" for j in range(1, l - 1)]
        for i, r in enumerate(t.sort_values("seed").itertuples()):
            ys = [getattr(r, f"cross_{j}") for j in range(1, l - 1)]
            fig.add_trace(go.Scatter(
                x=names, y=[end if np.isnan(y) else y for y in ys], mode="lines+markers",
                name=f"seed {int(r.seed)}", legendgroup=f"seed {int(r.seed)}", showlegend=col == 1,
                line=dict(color=PALETTE[i % len(PALETTE)]),
                text=["never" if np.isnan(y) else f"{y:.0f}" for y in ys],
                hovertemplate="%{x}: learnt at step %{text}<extra>seed " + str(int(r.seed)) + "</extra>"),
                row=1, col=col)
        crossings = t[[f"cross_{j}" for j in range(1, l - 1)]]
        top = end if crossings.isna().any().any() else float(crossings.max().max())
        if crossings.isna().any().any():
            fig.add_hline(y=end, line_dash="dot", line_color="grey", row=1, col=col,
                          annotation_text="end of training: never learnt", annotation_position="bottom right")
        fig.update_yaxes(title_text="step at which it is learnt", range=[0, 1.12 * top], row=1, col=col)
    fig.update_layout(title="Which inner token is learnt first: one line per seed", height=380)
    return fig


def crossing_text(t: pd.DataFrame) -> str:
    """The steps at which each inner token is learnt, as a range over the seeds of a table of
    crossing steps ("v1 at steps 140-190, v2 at 50-70, ..."), for the page's prose."""
    l = int(t.path_length.iloc[0])
    parts = []
    for j in range(1, l - 1):
        col = t[f"cross_{j}"]
        never = int(col.isna().sum())
        seen = col.dropna()
        span = "never" if seen.empty else (f"{seen.min():.0f}" if seen.min() == seen.max()
                                          else f"{seen.min():.0f}-{seen.max():.0f}")
        parts.append(f"v{j} never" if seen.empty else
                     f"v{j} at {span}" + (f" ({never} of {len(col)} seeds never)" if never else ""))
    return ", ".join(parts) + f" over seeds {int(t.seed.min())}-{int(t.seed.max())}"
