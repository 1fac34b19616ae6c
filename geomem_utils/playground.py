"""The live playground: one small model on one small graph, seen three ways.

Introduced in ``05_playground``. :func:`train_embedding` trains one of five model
families on the edges of a small graph and measures what the book's chapters measure:

- the *embedding*: node rows of the token embedding (``V`` for Node2Vec), drawn as its
  top-2 principal components with the graph's edges (:func:`playground_figure`, panel b);
- the *spectral alignment*: the share of the (centred) embedding's energy on the smooth
  eigenvectors of ``M = D^-1 A + (D^-1 A)^T`` (the top of ``-L``), from
  :mod:`geomem_utils.spectral`, and the normalised projections ``||V^T e_i||`` next to the
  normalised spectrum (panel c);
- *top-k edge recovery* (spec §7) from the model's edge logits (``[EDGE] u``), or, for
  Node2Vec, which has no edge head, from its own logits ``V V^T`` (``U W^T`` untied) with
  the self logit left out unless self-edges are trained (panel d).

:func:`build_widgets` wraps the same two functions in ipywidgets controls: moving a
control retrains and draws a fresh figure into an ``Output`` widget (plotly's
``FigureWidget`` needs ``anywidget``, which the book does not install). Nothing trains
until a control moves, so a headless run never waits.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import plotly.graph_objects as go
import torch
from plotly.subplots import make_subplots

from . import graphs as _graphs
from . import spectral as _spectral
from .graphs import Graph
from .measures import edge_logits, top_k_recovery
from .validate import ConfigError, ConfigTypeError, check_bool, check_int, check_number, show
from .plots import PALETTE, branch_colors, graph_layout

#: The graphs the playground offers: the four tiny graphs of the paper, then three
#: families with a size (path-star G(d, l), a cycle of n nodes, an n x n grid).
GRAPHS = ("star", "grid", "cycle", "irregular", "path_star", "cycle_n", "grid_n")
GRAPH_LABELS = {
    "star": "tiny star G(4, 5)", "grid": "tiny 4×4 grid", "cycle": "tiny 15-cycle", "irregular": "tiny irregular",
    "path_star": "path-star G(d, l)", "cycle_n": "cycle of n nodes", "grid_n": "n × n grid",
}

#: The model families, by the names of ``gm.models.build_model`` plus ``node2vec``.
MODELS = ("node2vec", "net", "assoc", "gpt", "mamba")
MODEL_LABELS = {
    "node2vec": "Node2Vec", "net": "1-layer network", "assoc": "associative (frozen E)",
    "gpt": "Transformer (1 layer)", "mamba": "Mamba (1 layer)",
}

#: Refuse larger graphs: the playground is for graphs that train in seconds.
MAX_NODES = 200
#: Refuse longer runs (a typo would hang a live session).
MAX_STEPS = 100_000
MAX_WIDTH = 1024


@dataclass(frozen=True)
class ModelDefaults:
    """A family's defaults on the tiny graphs (spec §5, release notebooks)."""

    lr: float
    steps: int
    init_std: float
    width: int


#: Node2Vec: the paper's width 100, lr 0.01, N(0, 1) init, 10,000 full-batch steps.
#: net / gpt: m = 32, 500 full-batch AdamW steps, lr 1e-2. assoc: the release's
#: "associative fast" (frozen E, m = 512, lr 0.1) with 30 steps instead of 10, which
#: memorise path-stars up to about 200 nodes (m = 32 stalls below 100% from about 20 nodes).
#: mamba: no tiny setting is published; 200 steps at lr 1e-2 memorise the tiny star
#: and keep a retrain near half a second of CPU (see 05_playground).
DEFAULTS: dict[str, ModelDefaults] = {
    "node2vec": ModelDefaults(lr=0.01, steps=10_000, init_std=1.0, width=100),
    "net": ModelDefaults(lr=1e-2, steps=500, init_std=0.02, width=32),
    "assoc": ModelDefaults(lr=0.1, steps=30, init_std=0.02, width=512),
    "gpt": ModelDefaults(lr=1e-2, steps=500, init_std=0.02, width=32),
    "mamba": ModelDefaults(lr=1e-2, steps=200, init_std=0.02, width=32),
}


# ----------------------------------------------------------------------------- graphs

def cycle_graph(n: int) -> Graph:
    """The cycle 0-1-...-(n-1)-0 (``n = 15`` is the tiny cycle)."""
    n = check_int("size", n, 3, MAX_NODES)
    edges = np.array([(i, (i + 1) % n) for i in range(n)], dtype=np.int64)
    return Graph(name=f"C({n})", n_nodes=n, edges=edges, branch=np.full(n, -1, dtype=np.int64),
                 params={"family": "cycle", "size": n})


def grid_graph(side: int) -> Graph:
    """The ``side x side`` grid, row-major ids (``side = 4`` is the tiny grid)."""
    s = check_int("size", side, 2, int(math.isqrt(MAX_NODES)))
    edges = [(r * s + c, r * s + c + 1) for r in range(s) for c in range(s - 1)]
    edges += [(r * s + c, (r + 1) * s + c) for r in range(s - 1) for c in range(s)]
    return Graph(name=f"grid {s}×{s}", n_nodes=s * s, edges=np.array(edges, dtype=np.int64),
                 branch=np.full(s * s, -1, dtype=np.int64), params={"family": "grid", "size": s})


def make_graph(name: str = "star", degree: int = 4, path_length: int = 5, size: int = 6) -> Graph:
    """A graph of :data:`GRAPHS` by name; ``degree``/``path_length`` for ``path_star``,
    ``size`` for ``cycle_n`` (nodes) and ``grid_n`` (side). Path-stars keep canonical ids."""
    if not isinstance(name, str) or name not in GRAPHS:
        raise ConfigError(f"graph must be one of {list(GRAPHS)}, got {show(name)}")
    if name in _graphs.TINY_GRAPHS:
        return _graphs.tiny_graph(name)
    if name == "path_star":
        d = check_int("degree", degree, 1, MAX_NODES)
        length = check_int("path_length", path_length, 2, MAX_NODES)
        if 1 + d * (length - 1) > MAX_NODES:
            raise ConfigError(f"path-star G({d}, {length}) has {1 + d * (length - 1)} nodes; "
                                 f"the playground takes at most {MAX_NODES}")
        return _graphs.path_star(d, length, seed=None)
    return cycle_graph(size) if name == "cycle_n" else grid_graph(size)


#: 2-D positions (n, 2) to draw a graph: the book's layouts (lattices and circles of any size).
layout = graph_layout


def node_colors(g: Graph) -> list[str]:
    """One colour per node, the same in every panel: by arm for rooted graphs, else by
    position around the drawing (so that a reader can match nodes across panels)."""
    if g.root is not None:
        return branch_colors(g)
    from plotly.colors import sample_colorscale

    pos = layout(g)
    pos = pos - pos.mean(axis=0)
    angle = (np.arctan2(pos[:, 1], pos[:, 0]) + np.pi) / (2 * np.pi)  # in [0, 1]
    return sample_colorscale("Phase", list(np.clip(angle, 0.0, 1.0)))


# ----------------------------------------------------------------------------- one run

@dataclass
class PlaygroundRun:
    """One trained model seen through the playground's three measures.

    ``embedding``: (n, m) node rows of the input embedding; ``logits``: (n, n) edge logits
    (row u: scores of every node after ``[EDGE] u``); ``losses``: training loss per step;
    ``curve``: (steps, top-k recovery %) during training; ``recovery``: the final
    :func:`~geomem_utils.measures.top_k_recovery`; ``alignment``/``zigzag``: energy shares
    on the smooth / zig-zag eigenvectors (``random_alignment``: an i.i.d. Gaussian matrix's);
    ``profile``: ``||V^T e_i||`` (n,); ``snapshots``: {step: (n, m) embedding}.
    """

    graph: Graph
    model: str
    settings: dict[str, Any]
    embedding: np.ndarray
    logits: np.ndarray
    losses: np.ndarray
    curve: tuple[list[int], list[float]]
    recovery: dict[str, float]
    alignment: float
    zigzag: float
    random_alignment: float
    profile: np.ndarray
    spectrum: _spectral.Spectrum
    snapshots: dict[int, np.ndarray] = field(default_factory=dict)
    train_s: float = 0.0
    cpu_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def top_k(self) -> float:
        return float(self.recovery["top_k"])

    def steps_to(self, level: float = 100.0) -> int | None:
        """First recorded step at which top-k recovery reached ``level`` (None: never)."""
        return next((s for s, v in zip(*self.curve) if v >= level), None)


Progress = Callable[[int, int], None]


def _check_settings(model: str, tied: object, self_edges: object, lr: object, init_std: object,
                    steps: object, width: object, seed: object) -> None:
    if not isinstance(model, str) or model not in MODELS:
        raise ConfigError(f"model must be one of {list(MODELS)}, got {show(model)}")
    for name, value in (("tied", tied), ("self_edges", self_edges)):
        check_bool(name, value)
    for name, value in (("lr", lr), ("init_std", init_std)):
        check_number(name, value, 0.0, lo_open=True)
    check_int("steps", steps, 1, MAX_STEPS)
    check_int("width", width, 1, MAX_WIDTH)
    check_int("seed", seed, 0, 2**31 - 1)


def curve_points(steps: int, count: int = 25) -> list[int]:
    """Where top-k recovery is measured during training: about ``count`` evenly spaced steps
    and as many log-spaced ones (memorisation can take 1 step or thousands)."""
    every = max(1, steps // count)
    logs = np.unique(np.round(np.geomspace(1, steps, count)).astype(int)) if steps > 1 else np.array([1])
    return sorted({*range(every, steps + 1, every), *map(int, logs), steps})


def _node2vec(g: Graph, tied: bool, self_edges: bool, lr: float, init_std: float, steps: int, width: int,
              seed: int, n_snapshots: int, curve_count: int = 25) -> dict[str, Any]:
    from .models import train_node2vec

    A = _graphs.adjacency(g).toarray()
    points = curve_points(steps, curve_count)
    snaps = sorted(set(points) | set(_spectral.snapshot_schedule(steps, n_snapshots) if n_snapshots else []))
    kw = dict(width=width, lr=lr, steps=steps, init_std=init_std, seed=seed, snapshot_steps=snaps,
              self_edges=self_edges)
    if tied:
        r = train_node2vec(A, **kw)
        V, W, losses, snapshots = r.V, r.V, r.loss, r.snapshots
    else:
        u = _spectral.train_node2vec_untied(A, **kw)
        V, W, losses, snapshots = u.U, u.W, u.loss, u.snapshots

    def scores(a: np.ndarray, b: np.ndarray) -> torch.Tensor:
        s = torch.as_tensor(a @ b.T)  # (n, n): row u = logits of node u over all nodes
        if not self_edges:
            s.fill_diagonal_(-math.inf)  # a node is not its own neighbour: rank the others
        return s

    logits = scores(V, W)
    with_self = top_k_recovery(torch.as_tensor(V @ W.T), g, self_edges)["top_k"]
    if tied:  # the output embedding is the snapshot itself
        curve = (points, [top_k_recovery(scores(snapshots[s], snapshots[s]), g, self_edges)["top_k"] for s in points])
    else:  # W is not snapshotted: the final point only
        curve = ([steps], [top_k_recovery(logits, g, self_edges)["top_k"]])
    keep = set(_spectral.snapshot_schedule(steps, n_snapshots)) if n_snapshots else set()
    return dict(embedding=V, logits=logits, losses=np.asarray(losses),
                curve=curve, snapshots={s: snapshots[s] for s in snapshots if s in keep},
                extra={"top_k_with_self_logit": with_self})


def _sequence_model(g: Graph, model: str, tied: bool, self_edges: bool, lr: float, init_std: float, steps: int,
                    width: int, seed: int, n_snapshots: int, progress: Progress | None,
                    device: str, curve_count: int = 25) -> dict[str, Any]:
    from .models import build_model
    from .tasks import Vocab, edge_bucket
    from .train import TrainConfig, seeded, train

    vocab = Vocab(g.n_nodes)
    kw: dict[str, Any] = dict(width=width, tied=tied, emb_init_std=init_std)
    if model == "gpt":
        kw.update(n_layers=1, n_heads=1)
    elif model == "mamba":
        kw.update(n_layers=1, d_state=8, expand=2, backend="mambapy" if device == "cpu" else "auto")
    with seeded(seed):
        net = build_model(model, vocab.size, 2, **kw)
    points = set(curve_points(steps, curve_count))
    tick = max(1, steps // 50)
    calls = [0]

    def evaluate(m: torch.nn.Module) -> dict[str, float]:
        calls[0] += 1  # train() evaluates after every step (eval_every=1): calls[0] is the step
        if progress is not None and calls[0] % tick == 0:
            progress(calls[0], steps)
        if calls[0] not in points:
            return {}
        return {"top_k": top_k_recovery(edge_logits(m, g, vocab), g, self_edges)["top_k"]}

    snaps = tuple(_spectral.snapshot_schedule(steps, n_snapshots)) if n_snapshots else ()
    cfg = TrainConfig(steps=steps, lr=float(lr), weight_decay=0.0, batch_size=None, warmup_steps=0, seed=seed,
                      device=device, eval_every=1, snapshot_steps=snaps, progress=False,
                      desc=f"{model} on {g.name}")
    result = train(net, [edge_bucket(g, vocab, "both", self_edges)], cfg, evaluate=evaluate)
    return dict(embedding=net.embedding_matrix()[: g.n_nodes].cpu().double().numpy(),
                logits=edge_logits(net, g, vocab), losses=np.asarray(result.losses), curve=result.metric("top_k"),
                snapshots={s: e[: g.n_nodes].double().numpy() for s, e in result.snapshots.items()}, extra={})


def train_embedding(
    graph: Graph | str = "star",
    model: str = "node2vec",
    tied: bool = True,
    self_edges: bool = False,
    lr: float | None = None,
    init_std: float | None = None,
    steps: int | None = None,
    width: int | None = None,
    seed: int = 0,
    n_snapshots: int = 0,
    progress: Progress | None = None,
    device: str = "cpu",
    curve_count: int = 25,
) -> PlaygroundRun:
    """Train ``model`` on the edges of ``graph`` and measure it (the playground's one run).

    ``model``: one of :data:`MODELS`; ``lr``, ``init_std``, ``steps``, ``width`` default
    to the family's :data:`DEFAULTS`. Sequence models see ``[EDGE] u v`` in both
    directions (plus ``u -> u`` with ``self_edges``), full batch, AdamW with cosine decay
    to lr/10 and no weight decay; ``init_std`` is the token embedding's N(0, std) init.
    Node2Vec runs full-batch gradient descent on its own loss (spec §5). ``progress(done,
    total)`` is called during training (sequence models: about 50 times; Node2Vec: at the
    start and the end).
    ``n_snapshots`` keeps about that many embeddings, log-spaced over the run;
    ``curve_count`` sets how often recovery is measured (:func:`curve_points`).
    """
    g = make_graph(graph) if isinstance(graph, str) else graph
    if not isinstance(g, Graph):
        raise ConfigTypeError(f"graph must be a Graph or one of {list(GRAPHS)}, got {type(graph).__name__}")
    if g.n_nodes > MAX_NODES:
        raise ConfigError(f"graph {g.name} has {g.n_nodes} nodes; the playground takes at most {MAX_NODES}")
    if not isinstance(model, str) or model not in MODELS:
        raise ConfigError(f"model must be one of {list(MODELS)}, got {show(model)}")
    d = DEFAULTS[model]
    lr = d.lr if lr is None else lr
    init_std = d.init_std if init_std is None else init_std
    steps = d.steps if steps is None else steps
    width = d.width if width is None else width
    _check_settings(model, tied, self_edges, lr, init_std, steps, width, seed)
    check_int("n_snapshots", n_snapshots, 0, 1000)
    check_int("curve_count", curve_count, 1, 1000)
    if device not in ("cpu", "cuda"):
        raise ConfigError(f"device must be 'cpu' or 'cuda', got {show(device)}")
    if _graphs.degrees(g).min() == 0 and not self_edges:
        raise ConfigError(f"graph {g.name} has an isolated node: it has no edge to learn")
    settings = dict(graph=g.name, model=model, tied=bool(tied), self_edges=bool(self_edges), lr=float(lr),
                    init_std=float(init_std), steps=int(steps), width=int(width), seed=int(seed))
    t0, c0 = time.perf_counter(), time.process_time()
    if progress is not None:
        progress(0, int(steps))
    if model == "node2vec":
        out = _node2vec(g, bool(tied), bool(self_edges), float(lr), float(init_std), int(steps), int(width),
                        int(seed), n_snapshots, curve_count)
    else:
        out = _sequence_model(g, model, bool(tied), bool(self_edges), float(lr), float(init_std), int(steps),
                              int(width), int(seed), n_snapshots, progress, device, curve_count)
    if progress is not None:
        progress(int(steps), int(steps))
    logits = torch.as_tensor(out["logits"]).float()
    recovery = top_k_recovery(logits, g, bool(self_edges))
    spec = _spectral.graph_spectrum(g)
    emb = np.asarray(out["embedding"], dtype=np.float64)
    shares = _spectral.energy_shares(emb, spec)
    return PlaygroundRun(
        graph=g, model=model, settings=settings, embedding=emb, logits=logits.numpy(), losses=out["losses"],
        curve=out["curve"], recovery=recovery, alignment=shares["smooth"], zigzag=shares["zigzag"],
        random_alignment=_spectral.random_shares(spec)["smooth"],
        profile=_spectral.projection_profile(emb, spec), spectrum=spec, snapshots=out["snapshots"],
        train_s=time.perf_counter() - t0, cpu_s=time.process_time() - c0, extra=out["extra"],
    )


# ----------------------------------------------------------------------------- figures

def pca_2d(emb: np.ndarray) -> np.ndarray:
    """Top-2 principal components of the rows, scaled to a largest |coordinate| of 1 and
    with a fixed sign per axis: (n, 2).

    The scale and the sign of a principal axis carry no information here; fixing them
    (largest |entry| positive) keeps a slider's frames on the same axes, unflipped.
    """
    from .plots import pca_2d as _pca

    xy = _pca(emb)
    if xy.shape[1] < 2:  # width-1 embeddings: a line
        xy = np.concatenate([xy, np.zeros((xy.shape[0], 2 - xy.shape[1]))], axis=1)
    idx = np.argmax(np.abs(xy), axis=0)
    xy = xy * np.where(xy[idx, [0, 1]] < 0, -1.0, 1.0)
    return xy / max(float(np.abs(xy).max()), 1e-300)


def _graph_traces(g: Graph, pos: np.ndarray, colors: list[str]) -> list[go.Scatter]:
    xs: list[float | None] = []
    ys: list[float | None] = []
    for u, v in g.edges.tolist():
        xs += [pos[u, 0], pos[v, 0], None]
        ys += [pos[u, 1], pos[v, 1], None]
    labels = g.n_nodes <= 40
    return [
        go.Scatter(x=xs, y=ys, mode="lines", line=dict(color="#bbbbbb", width=1), hoverinfo="skip", showlegend=False),
        go.Scatter(x=pos[:, 0], y=pos[:, 1], mode="markers+text" if labels else "markers",
                   text=[str(i) for i in range(g.n_nodes)] if labels else None, textposition="top center",
                   textfont=dict(size=9), marker=dict(size=9, color=colors, line=dict(width=0.5, color="white")),
                   hovertext=[f"node {i}" for i in range(g.n_nodes)], hoverinfo="text", showlegend=False),
    ]


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
    for tr in _graph_traces(g, layout(g), colors):
        fig.add_trace(tr, 1, 1)
    for tr in _graph_traces(g, pca_2d(run.embedding), colors):
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
    from .plots import frames_figure

    if not runs or len(runs) != len(labels):
        raise ValueError(f"sweep_figure needs one label per run, got {len(runs)} runs and {len(labels)} labels")
    frames = [playground_figure(r, title=f"{title}: {prefix}{lab}", height=760, bottom=190)
              for r, lab in zip(runs, labels)]
    fig = frames_figure(frames, labels, title, slider_prefix=prefix)
    fig.update_layout(title=frames[0].layout.title)
    fig.layout.sliders[0].update(y=-0.2, yanchor="top", pad=dict(t=10))
    fig.layout.updatemenus[0].update(y=-0.2, yanchor="top", pad=dict(t=10))
    return fig


def timed_redraw(graph: Graph | str = "star", model: str = "node2vec",
                 **kw: Any) -> tuple[PlaygroundRun, go.Figure, dict[str, float]]:
    """Retrain and redraw once, as a control change does; return the run, the figure and
    the wall and CPU seconds it took (``wall_s``, ``cpu_s``)."""
    t0, c0 = time.perf_counter(), time.process_time()
    run = train_embedding(graph, model, **kw)
    fig = playground_figure(run)
    return run, fig, {"wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0}


# ----------------------------------------------------------------------------- the static grid

#: The grid the published book precomputes (05_playground): its graphs (the four tiny graphs
#: and a small path-star), the initial scales, and each family's training steps in the grid
#: (shorter than the defaults where the family memorises sooner: the grid must build in
#: seconds; every view states its settings).
GRID_GRAPHS = ("star", "grid", "cycle", "irregular", "path_star")
GRID_PATH_STAR = (3, 4)
GRID_SCALES = (0.02, 0.2, 1.0)
GRID_STEPS = {"node2vec": 2000, "net": 100, "assoc": 20, "gpt": 64, "mamba": 32}
GRID_LR = {"node2vec": 0.05}
GRID_SNAPSHOTS = 8
#: Recovery measured at about twice this many steps of a grid run (a run's default: 25).
GRID_CURVE = 6


def _grid_view(run: PlaygroundRun) -> dict[str, Any]:
    """What the page draws of one run: per snapshot the top-2 PCs and the normalised
    projections, the alignment; the recovery curve and a log-sampled loss curve."""
    from .live import rounded

    steps = sorted(run.snapshots)
    snaps = [run.snapshots[s] for s in steps]
    loss_x = np.unique(np.round(np.geomspace(1, max(1, len(run.losses)), 60)).astype(int))
    return {
        "settings": dict(run.settings, graph_key=run.settings["graph"]),
        "steps": [int(s) for s in steps],
        "pcs": [rounded(pca_2d(e).T, 3) for e in snaps],
        "prof": [rounded(_spectral.normalised_profile(_spectral.projection_profile(e, run.spectrum)), 3)
                 for e in snaps],
        "align": [round(_spectral.energy_shares(e, run.spectrum)["smooth"], 4) for e in snaps],
        "curve": [[int(s) for s in run.curve[0]], rounded(list(run.curve[1]), 4)],
        "loss": [loss_x.tolist(), rounded(run.losses[loss_x - 1], 4)],
        "top_k": round(run.top_k, 2), "alignment": round(run.alignment, 4),
    }


def static_grid(graphs: tuple[str, ...] = GRID_GRAPHS, models: tuple[str, ...] = MODELS,
                scales: tuple[float, ...] = GRID_SCALES, steps: dict[str, int] | None = None,
                n_snapshots: int = GRID_SNAPSHOTS, seed: int = 0, device: str = "cpu",
                path_star: tuple[int, int] = GRID_PATH_STAR) -> dict[str, Any]:
    """Train every graph x model x edges (u->v; u->v and u->u) x initial scale, and keep what
    the page draws of each at ``n_snapshots`` log-spaced steps (``live.playground_panel``).

    ``steps`` maps a family to its training steps (default :data:`GRID_STEPS`); the other
    settings are the family's :data:`DEFAULTS` (Node2Vec: lr :data:`GRID_LR`, since it runs
    fewer steps). JSON-able, so the run cache can keep it.
    """
    steps = {**GRID_STEPS, **(steps or {})}
    bad = [g for g in graphs if g not in GRAPHS] + [m for m in models if m not in MODELS]
    if bad:
        raise ConfigError(f"static_grid: unknown graphs or models {bad}")
    if not scales or any(not (isinstance(s, (int, float)) and s > 0) for s in scales):
        raise ConfigError(f"static_grid: scales must be positive numbers, got {show(scales)}")
    from .live import graph_data

    made = {name: make_graph(name, *path_star) for name in graphs}
    out: dict[str, Any] = {
        "graphs": {}, "graph_order": [made[k].name for k in graphs],
        "models": [[m, MODEL_LABELS[m]] for m in models], "model_labels": dict(MODEL_LABELS),
        "scales": [float(s) for s in scales], "runs": {},
        "defaults": {"graph": made[graphs[0]].name, "model": models[0], "self_edges": False,
                     "scale_index": int(np.argmin([abs(math.log(s / DEFAULTS[models[0]].init_std)) for s in scales]))},
    }
    for name, g in made.items():
        out["graphs"][g.name] = graph_data(g, GRAPH_LABELS[name] if name != "path_star" else f"path-star {g.name}",
                                           with_spectrum=True)
        for model in models:
            for self_edges in (False, True):
                for k, scale in enumerate(scales):
                    run = train_embedding(g, model, self_edges=self_edges, init_std=float(scale),
                                          lr=GRID_LR.get(model), steps=steps[model], seed=seed,
                                          n_snapshots=n_snapshots, device=device, curve_count=GRID_CURVE)
                    out["runs"][f"{g.name}|{model}|{int(self_edges)}|{k}"] = _grid_view(run)
    return out


def static_grid_cached(graphs: tuple[str, ...] = GRID_GRAPHS, seed: int = 0, device: str = "cpu") -> dict[str, Any]:
    """:func:`static_grid` at the book's settings, through the run cache (``run_cache.cached``)."""
    from .run_cache import cached

    config = {"what": "playground static grid", "graphs": list(graphs),
              "models": list(MODELS), "scales": list(GRID_SCALES), "steps": GRID_STEPS, "lr": GRID_LR,
              "defaults": {m: vars(d) for m, d in DEFAULTS.items()}, "snapshots": GRID_SNAPSHOTS, "curve": GRID_CURVE,
              "path_star": list(GRID_PATH_STAR), "seed": seed, "device": device}
    return cached(config, lambda: static_grid(graphs, seed=seed, device=device), name="playground-grid", device=device)


# ----------------------------------------------------------------------------- the widget

class _Controller:
    """Holds the controls of :func:`build_widgets` and retrains on change."""

    def __init__(self, controls: dict[str, Any], status: Any, bar: Any, out: Any, device: str) -> None:
        self.controls, self.status, self.bar, self.out, self.device = controls, status, bar, out, device
        self.last_run: PlaygroundRun | None = None
        self.last_figure: go.Figure | None = None
        self.quiet = False

    def values(self) -> dict[str, Any]:
        return {k: c.value for k, c in self.controls.items()}

    def _progress(self, done: int, total: int) -> None:
        self.bar.max = max(1, total)
        self.bar.value = min(done, total)

    def sync_enabled(self) -> None:
        g = self.controls["graph"].value
        self.controls["degree"].disabled = self.controls["path_length"].disabled = g != "path_star"
        self.controls["size"].disabled = g not in ("cycle_n", "grid_n")

    def set_model_defaults(self) -> None:
        d = DEFAULTS[self.controls["model"].value]
        self.quiet = True
        try:
            for k in ("lr", "init_std", "steps", "width"):
                self.controls[k].value = getattr(d, k)
        finally:
            self.quiet = False

    def retrain(self, _change: Any = None) -> PlaygroundRun | None:
        """Train with the current control values and draw the figure into the output."""
        from IPython.display import display

        if self.quiet:
            return None
        v = self.values()
        self.status.value = f"<i>training {MODEL_LABELS[v['model']]}…</i>"
        t0 = time.perf_counter()
        try:
            g = make_graph(v["graph"], v["degree"], v["path_length"], v["size"])
            run = train_embedding(g, v["model"], v["tied"], v["self_edges"], v["lr"], v["init_std"], v["steps"],
                                  v["width"], v["seed"], progress=self._progress, device=self.device)
            fig = playground_figure(run)
        except ValueError as err:  # ConfigError and ConfigTypeError are ValueErrors
            self.status.value = f"<b>cannot train:</b> {err}"
            return None
        self.last_run, self.last_figure = run, fig
        with self.out:
            self.out.clear_output(wait=True)
            display(fig)
        self.status.value = (f"<i>retrained and redrawn in {time.perf_counter() - t0:.2f} s "
                             f"(training {run.train_s:.2f} s): top-k recovery {run.top_k:.0f}%, "
                             f"alignment {run.alignment:.2f}</i>")
        return run


def build_widgets(graph: str = "star", model: str = "net", tied: bool = True, self_edges: bool = False,
                  seed: int = 0, degree: int = 4, path_length: int = 5, size: int = 6,
                  draw_initial: bool = False, device: str = "cpu") -> Any:
    """The playground's controls: an ``ipywidgets.VBox`` that retrains and redraws on change.

    Sliders use ``continuous_update=False`` (one retrain per release); choosing a model
    resets lr, init scale, steps and width to its :data:`DEFAULTS`. Nothing trains until
    a control moves or "retrain" is pressed, unless ``draw_initial=True``, so building it
    headless (the book's executor) never blocks. The controller is ``box.playground``
    (``.controls``, ``.retrain()``, ``.last_run``, ``.last_figure``).
    """
    import ipywidgets as w

    if not isinstance(graph, str) or graph not in GRAPHS:
        raise ConfigError(f"graph must be one of {list(GRAPHS)}, got {show(graph)}")
    if not isinstance(model, str) or model not in MODELS:
        raise ConfigError(f"model must be one of {list(MODELS)}, got {show(model)}")
    d = DEFAULTS[model]
    _check_settings(model, tied, self_edges, d.lr, d.init_std, d.steps, d.width, seed)
    make_graph(graph, degree, path_length, size)  # named errors for a bad size, before any widget exists
    style = {"description_width": "90px"}
    lay = w.Layout(width="300px")

    def slider(cls: Any, **kw: Any) -> Any:
        return cls(continuous_update=False, style=style, layout=lay, **kw)

    controls = {
        "graph": w.Dropdown(options=[(GRAPH_LABELS[k], k) for k in GRAPHS], value=graph, description="graph",
                            style=style, layout=lay),
        "degree": slider(w.IntSlider, value=degree, min=1, max=40, description="arms d"),
        "path_length": slider(w.IntSlider, value=path_length, min=2, max=20, description="length l"),
        "size": slider(w.IntSlider, value=size, min=3, max=14, description="size n"),
        "model": w.Dropdown(options=[(MODEL_LABELS[k], k) for k in MODELS], value=model, description="model",
                            style=style, layout=lay),
        "tied": w.Checkbox(value=bool(tied), description="tied embeddings", style=style),
        "self_edges": w.Checkbox(value=bool(self_edges), description="self-edges u→u", style=style),
        "lr": slider(w.FloatLogSlider, value=d.lr, base=10, min=-4, max=1, step=0.1, description="learning rate",
                     readout_format=".2g"),
        "init_std": slider(w.FloatLogSlider, value=d.init_std, base=10, min=-3, max=1, step=0.1,
                           description="init std", readout_format=".2g"),
        "steps": slider(w.IntSlider, value=d.steps, min=1, max=20_000, step=1, description="steps"),
        "width": slider(w.IntSlider, value=d.width, min=2, max=256, step=1, description="width m"),
        "seed": w.BoundedIntText(value=seed, min=0, max=2**31 - 1, description="seed", style=style, layout=lay),
    }
    # No icon: an icon font would be one more file for the static book to serve.
    button = w.Button(description="retrain", tooltip="train again with these settings")
    bar = w.IntProgress(value=0, min=0, max=1, description="progress", style=style, layout=lay)
    status = w.HTML("<i>Move a control or press <b>retrain</b> to train and draw here (needs a live kernel: "
                    "<code>make lab</code>). Tiny graphs take about a second; the Transformer and Mamba a little "
                    "more per step. The figure below this widget shows these defaults.</i>")
    out = w.Output()
    ctl = _Controller(controls, status, bar, out, device)
    ctl.sync_enabled()

    def on_graph(_change: Any) -> None:
        ctl.sync_enabled()
        ctl.retrain()

    def on_model(_change: Any) -> None:
        ctl.set_model_defaults()
        ctl.retrain()

    for k, c in controls.items():
        c.observe(on_graph if k == "graph" else on_model if k == "model" else ctl.retrain, names="value")
    button.on_click(lambda _b: ctl.retrain())
    names = list(controls)
    left = w.VBox([controls[k] for k in names[:7]])
    right = w.VBox([controls[k] for k in names[7:]] + [w.HBox([button]), bar])
    box = w.VBox([w.HBox([left, right]), status, out])
    box.playground = ctl  # type: ignore[attr-defined]
    if draw_initial:
        ctl.retrain()
    return box


# ----------------------------------------------------------------------------- the verdict

def playground_checks(runs: dict[str, PlaygroundRun], latency_s: dict[str, float], default_latency_s: float, *,
                      n2v_alignment_min: float = 0.9, n2v_margin_min: float = 0.3, latency_max_s: float = 3.0,
                      slow_latency_max_s: float = 8.0) -> list[Any]:
    """The checks of ``05_playground`` from measured numbers: all of kind ``"machinery"`` (the
    playground works as the book says; the findings themselves are judged in chapters 01-04).

    ``runs``: model -> its default run on the chapter's graph; ``latency_s``: model ->
    retrain-and-redraw seconds; ``default_latency_s``: the widget's first model's (a
    median of repeats). Every family must reach 100% top-k recovery, Node2Vec must align
    with the smooth eigenvectors (and beat a random matrix by ``n2v_margin_min``), and a
    retrain must stay interactive.
    """
    from .results import check

    missing = [m for m in MODELS if m not in runs or m not in latency_s]
    if missing:
        raise ValueError(f"playground_checks needs a run and a latency for every model; missing {missing}")
    checks = [check(f"{MODEL_LABELS[m]}: top-k edge recovery (%)", runs[m].top_k, ">=", 100.0,
                    paper="the playground's defaults train every family to memorise its edges", kind="machinery")
              for m in MODELS]
    n2v = runs["node2vec"]
    checks += [
        check("Node2Vec spectral alignment (energy share on the smooth eigenvectors)", n2v.alignment, ">=",
              n2v_alignment_min, paper="the playground's defaults show chapter 02's result (the finding is "
                                       "judged there)", kind="machinery"),
        check("Node2Vec alignment - a random matrix's", n2v.alignment - n2v.random_alignment, ">=", n2v_margin_min,
              paper="the playground's Node2Vec is far from a structureless matrix", kind="machinery"),
        check("retrain + redraw of the default model, median (CPU s)", default_latency_s, "<=", latency_max_s,
              paper="the widget stays interactive (target about 1 s)", kind="machinery"),
        check("retrain + redraw, slowest family (CPU s)", max(latency_s.values()), "<=", slow_latency_max_s,
              paper="the Transformer and Mamba stay within seconds at their defaults", kind="machinery"),
    ]
    return checks
