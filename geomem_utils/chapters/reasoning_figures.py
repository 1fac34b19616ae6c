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
from geomem_utils.sweep.tables import span

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


def knob_figure(knob: pd.DataFrame, generalises: float, outsiders: Mapping[str, Sequence[tuple[float, float]]],
                rho: float) -> go.Figure:
    """The init-scale knob: held-out first hop against 1-step navigation, one point per run,
    coloured by the init scale; the runs at or above ``generalises`` are those the
    correlation ``rho`` is computed over (dashed line). ``outsiders``: label -> (navigation,
    first hop) points of other runs, drawn and not counted (the Mamba, the long paths)."""
    fig = go.Figure()
    scales = sorted(knob["model.emb_init_std"].unique())
    for i, s in enumerate(scales):
        t = knob[knob["model.emb_init_std"] == s].sort_values("seed")
        fig.add_trace(go.Scatter(
            x=t.navigation, y=t.first_hop, mode="markers", name=f"init std {s:g}",
            marker=dict(size=11, color=PALETTE[i % len(PALETTE)]), text=[f"seed {int(x)}" for x in t.seed],
            hovertemplate="navigation %{x:.2f}, first hop %{y:.2f}, %{text}<extra>init std " + f"{s:g}</extra>"))
    symbols = ("diamond", "x", "triangle-up", "square")
    for i, (label, pts) in enumerate(outsiders.items()):
        fig.add_trace(go.Scatter(x=[p[0] for p in pts], y=[p[1] for p in pts], mode="markers", name=label,
                                 marker=dict(size=12, symbol=symbols[i % len(symbols)], color="#444",
                                             line=dict(width=1, color="#444"))))
    fig.add_hline(y=generalises, line_dash="dash", line_color="#888",
                  annotation_text=f"generalises (first hop >= {generalises:g}): ρ = {rho:.2f} above the line",
                  annotation_position="top left")
    fig.update_layout(title="Init-scale knob: held-out first hop vs 1-step navigation, every run and seed",
                      xaxis_title="1-step navigation accuracy (held-out leaves)", yaxis_title="held-out first hop",
                      height=480, xaxis_range=[-0.05, 1.1], yaxis_range=[-0.05, 1.1])
    return fig


def knob_table(knob: pd.DataFrame) -> pd.DataFrame:
    """Held-out first hop and navigation per init scale (rows) and seed (columns)."""
    t = knob.pivot_table(index="model.emb_init_std", columns="seed", values=["first_hop", "navigation"])
    t.index.name = "init std"
    return t.round(2)


ABLATION_ROWS = (("intact", "intact"), ("top eigenvector removed", ("top_k", "1", "ablated")),
                 ("random, same energy", ("top_k", "1", "random")),
                 ("top 10 eigenvectors removed", ("top_k", "10", "ablated")),
                 ("random, same energy (10)", ("top_k", "10", "random")))


def _at(d: Mapping[str, Any], key: Any) -> Any:
    for k in (key,) if isinstance(key, str) else key:
        d = d[k]
    return d


def ablation_table(ablations: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """One row per model and ablation: the energy removed, the held-out first hop, the
    training paths' exact match and the edge recall (top-k, %)."""
    rows = []
    for model, abl in ablations.items():
        for label, key in ABLATION_ROWS:
            m = _at(abl, key)
            energy = 0.0 if key == "intact" else abl["top_k"][key[1]]["energy"]
            rows.append({"model": model, "embedding": label, "energy removed": energy,
                         "held-out first hop": m["first_hop"], "training paths": m["train_exact"],
                         "edge recall %": m["edges_top_k"]})
    return pd.DataFrame(rows).set_index(["model", "embedding"]).round(
        {"energy removed": 3, "held-out first hop": 2, "training paths": 2, "edge recall %": 1})


def ablation_figure(ablations: Mapping[str, Mapping[str, Any]]) -> go.Figure:
    """Held-out first hop (left), training paths (middle) and edge recall (right) of each model,
    intact, with the graph's top eigenvector removed, and with random subspaces of the same
    energy removed; the first panel adds the per-arm ablation (the held-out leaf's own arm
    direction removed; random: the same energy) where it was measured."""
    fig = make_subplots(rows=1, cols=3, subplot_titles=("held-out first hop", "training paths, exact",
                                                        "edge recall (top-k, %)"), horizontal_spacing=0.08)
    short = [m.split(" (")[0].split(",")[0] for m in ablations]  # "GPT (main run)" -> "GPT"
    for i, (label, key) in enumerate(ABLATION_ROWS[:3]):
        for col, metric in enumerate(("first_hop", "train_exact", "edges_top_k"), start=1):
            fig.add_trace(go.Bar(x=short, y=[_at(a, key)[metric] for a in ablations.values()],
                                 name=label, legendgroup=label, showlegend=col == 1,
                                 marker_color=PALETTE[i]), row=1, col=col)
    arms = {x: a["arm"] for x, a in zip(short, ablations.values()) if "arm" in a}
    for j, (label, metric) in enumerate((("own arm removed: that leaf", "own"),
                                         ("random, same energy: that leaf", "own_random"))):
        fig.add_trace(go.Bar(x=list(arms), y=[a[metric] for a in arms.values()], name=label,
                             marker_color=PALETTE[3 + j], marker_pattern_shape="/"), row=1, col=1)
    fig.update_layout(barmode="group", height=420, title="Removing the graph's directions from the token embedding",
                      legend=dict(orientation="h", y=-0.2))
    return fig


def knob_text(knob: pd.DataFrame, generalises: float) -> str:
    """What the init-scale knob shows, in words, from its table."""
    std = knob["model.emb_init_std"]
    works = knob[knob.first_hop >= generalises]
    text = f"Over {len(knob)} runs ({knob.seed.nunique()} seeds), {len(works)} generalise"
    if len(works):
        text += (f", at init std {', '.join(f'{s:g}' for s in sorted(works['model.emb_init_std'].unique()))}; "
                 f"their first hop spans {span(works.first_hop)} and their navigation {span(works.navigation)}")
    # the smallest scale from which up no run generalises (none when the largest one still does)
    fails = [s for s in sorted(std.unique()) if (knob[std >= s].first_hop < generalises).all()]
    if fails:
        above = knob[std >= fails[0]]
        text += (f". From init std {fails[0]:g} up no seed generalises: first hop at most "
                 f"{above.first_hop.max():.2f}, navigation at most {above.navigation.max():.2f}")
    return text + f", while every run fits its training paths (exact match at least {knob.train_exact.min():.2f})."


def outsiders_text(mamba: Mapping[str, Any], longer: pd.DataFrame | None) -> str:
    """What the runs drawn beside the knob show: the Mamba and the longer paths."""
    m = mamba["final"]
    out = (f"The Mamba answers {m['test_first_hop']:.2f} of its held-out first hops with navigation "
           f"{m['navigation']:.2f}: navigation by cosine similarity in the input embedding is not needed for a "
           "model to generalise.")
    if longer is not None:
        t = longer[longer.path_length == longer.path_length.max()]
        out += (f" The longer paths, G({int(t.degree.iloc[0])}, {int(t.path_length.iloc[0])}), navigate at "
                f"{span(t.navigation)} and answer {t.first_hop.max():.2f} at most: "
                "navigation is not enough either. Both sit outside the knob's family and outside its statistic.")
    return out


def ablation_text(ablations: Mapping[str, Mapping[str, Any]], contrast: float) -> str:
    """What the projection ablation shows, in words, from its numbers; an ablation "is needed"
    when it takes at least ``contrast`` more first hops than its random control."""
    parts = []
    for model, a in ablations.items():
        t1 = a["top_k"]["1"]
        parts.append(
            f"{model}: removing the top eigenvector ({t1['energy']:.0%} of E's energy) takes the held-out first "
            f"hop from {a['intact']['first_hop']:.2f} to {t1['ablated']['first_hop']:.2f} (random subspaces of the "
            f"same energy: {t1['random']['first_hop']:.2f}), with the training paths at "
            f"{t1['ablated']['train_exact']:.2f} and edge recall at {t1['ablated']['edges_top_k']:.0f}%.")
        if "arm" in a:
            r = a["arm"]
            parts.append(
                f"Removing one held-out leaf's own arm direction ({r['energy']:.1%} of the energy on average) leaves "
                f"that leaf's first hop right in {r['own']:.0%} of the leaves (random, same energy: "
                f"{r['own_random']:.0%}), and the other held-out leaves at {r['others']:.2f} "
                f"(random: {r['others_random']:.2f}).")
    reading = []
    for model, a in ablations.items():
        t1 = a["top_k"]["1"]
        top = t1["random"]["first_hop"] - t1["ablated"]["first_hop"] >= contrast
        arm = "arm" in a and a["arm"]["own_random"] - a["arm"]["own"] >= contrast
        reading.append(f"for the {model}, the held-out answers {'need' if top else 'do not need'} the top "
                       "eigenvector" + (f" and {'need' if arm else 'do not need'} the leaf's own arm direction"
                                        if "arm" in a else ""))
    return " ".join(parts) + " Read against a control of the same energy (a gap of at least " \
        f"{contrast:g} counts): " + "; ".join(reading) + "."
