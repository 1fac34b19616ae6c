"""The live playground's model and its one run: one small model on one small graph.

Introduced in ``05_playground``. :func:`train_embedding` trains one of five model
families (:data:`MODELS`, defaults :data:`DEFAULTS`) on the edges of a graph of
:data:`GRAPHS` (:func:`make_graph`) and measures what the book's chapters measure, in a
:class:`PlaygroundRun`:

- the *embedding*: node rows of the token embedding (``V`` for Node2Vec);
- the *spectral alignment*: the share of the (centred) embedding's energy on the smooth
  eigenvectors of ``M = D^-1 A + (D^-1 A)^T`` (the top of ``-L``), from
  :mod:`geomem_utils.science.spectral`, and the projections ``||V^T e_i||``;
- *top-k edge recovery* (the paper's §3-§4) from the model's edge logits (``[EDGE] u``), or, for
  Node2Vec, which has no edge head, from its own logits ``V V^T`` (``U W^T`` untied) with
  the self logit left out unless self-edges are trained.

The rest of the chapter's machinery, by layer: the figure of a run in
:mod:`geomem_utils.figures.playground`, the grid the published page steps through in
:mod:`geomem_utils.live.grid`, the ipywidgets controls (and ``timed_redraw``, what
one control change costs) in :mod:`geomem_utils.live.controls`, the chapter's checks in
:mod:`geomem_utils.chapters.playground_checks`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch

from geomem_utils.science import graphs as _graphs
from geomem_utils.science import spectral as _spectral
from geomem_utils.runs.edge import edge_recovery, edge_run, pair_scores
from geomem_utils.science.graphs import Graph
from geomem_utils.science.measures import edge_logits, top_k_recovery
from geomem_utils.science.models import train_node2vec, train_node2vec_untied
from geomem_utils.validate import (
    ConfigError, ConfigTypeError, check_bool, check_int, check_number, show,
)

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
    """A family's defaults on the tiny graphs (the authors' release notebooks)."""

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
    if name == "cycle_n":
        return _graphs.cycle_graph(check_int("size", size, 3, MAX_NODES))
    return _graphs.grid_graph(check_int("size", size, 2, math.isqrt(MAX_NODES)))


# ----------------------------------------------------------------------------- one run

@dataclass
class PlaygroundRun:
    """One trained model seen through the playground's three measures.

    ``embedding``: (n, m) node rows of the input embedding; ``logits``: (n, n) edge logits
    (row u: scores of every node after ``[EDGE] u``); ``losses``: training loss per step;
    ``curve``: (steps, top-k recovery %) during training; ``recovery``: the final
    :func:`~geomem_utils.science.measures.top_k_recovery`; ``alignment``/``zigzag``: energy shares
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


def check_settings(model: str, tied: object, self_edges: object, lr: object, init_std: object,
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
    A = _graphs.adjacency(g).toarray()
    points = curve_points(steps, curve_count)
    snaps = sorted(set(points) | set(_spectral.snapshot_schedule(steps, n_snapshots) if n_snapshots else []))
    kw = dict(width=width, lr=lr, steps=steps, init_std=init_std, seed=seed, snapshot_steps=snaps,
              self_edges=self_edges)
    if tied:
        r = train_node2vec(A, **kw)
        V, W, losses, snapshots = r.V, r.V, r.loss, r.snapshots
    else:
        u = train_node2vec_untied(A, **kw)
        V, W, losses, snapshots = u.U, u.W, u.loss, u.snapshots

    logits = pair_scores(V, W, self_edges)
    with_self = top_k_recovery(torch.as_tensor(V @ W.T), g, self_edges)["top_k"]
    if tied:  # the output embedding is the snapshot itself
        curve = (points, [top_k_recovery(pair_scores(snapshots[s], snapshots[s], self_edges), g, self_edges)["top_k"]
                          for s in points])
    else:  # W is not snapshotted: the final point only
        curve = ([steps], [top_k_recovery(logits, g, self_edges)["top_k"]])
    keep = set(_spectral.snapshot_schedule(steps, n_snapshots)) if n_snapshots else set()
    return dict(embedding=V, logits=logits, losses=np.asarray(losses),
                curve=curve, snapshots={s: snapshots[s] for s in snapshots if s in keep},
                extra={"top_k_with_self_logit": with_self})


def _sequence_model(g: Graph, model: str, tied: bool, self_edges: bool, lr: float, init_std: float, steps: int,
                    width: int, seed: int, n_snapshots: int, progress: Progress | None,
                    device: str, curve_count: int = 25) -> dict[str, Any]:
    kw: dict[str, Any] = dict(width=width, tied=tied, emb_init_std=init_std)
    if model == "gpt":
        kw.update(n_layers=1, n_heads=1)
    elif model == "mamba":
        kw.update(n_layers=1, d_state=8, expand=2, backend="mambapy" if device == "cpu" else "auto")
    points = set(curve_points(steps, curve_count))
    tick = max(1, steps // 50)
    calls = [0]

    def evaluate(m: torch.nn.Module) -> dict[str, float]:
        calls[0] += 1  # evaluated after every step (every=1): calls[0] is the step
        if progress is not None and calls[0] % tick == 0:
            progress(calls[0], steps)
        if calls[0] not in points:
            return {}
        return {"top_k": edge_recovery(m, g, "both", self_edges)["top_k"]}

    snaps = _spectral.snapshot_schedule(steps, n_snapshots) if n_snapshots else ()
    run = edge_run(g, model, steps, float(lr), self_edges=self_edges, every=1, snapshots=snaps, evaluate=evaluate,
                   seed=seed, device=device, desc=f"{model} on {g.name}", **kw)
    return dict(embedding=run.embedding.astype(np.float64), logits=edge_logits(run.model, g, run.vocab),
                losses=np.asarray(run.result.losses), curve=run.metric("top_k"),
                snapshots={s: e.astype(np.float64) for s, e in run.snapshots.items()}, extra={})


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
    Node2Vec runs full-batch gradient descent on its own loss (the paper's §4). ``progress(done,
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
    check_settings(model, tied, self_edges, lr, init_std, steps, width, seed)
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
