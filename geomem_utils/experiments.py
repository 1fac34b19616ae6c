"""One cached path-star experiment, shared by the chapters that train on a path-star.

Introduced in ``03_implicit_reasoning`` and reused by ``01_geometry_emerges`` and
``04_memorization_puzzle``: build the graph and split, the buckets of one objective, a
model; train with :func:`geomem_utils.train.train`; record held-out and training path
accuracy, per-position accuracy and the 1-step navigation accuracy of the embedding over
training, plus embedding snapshots. Runs are cached by their full configuration
(:func:`geomem_utils.results.cached`), so two chapters asking for the same run share it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import torch

from . import graphs, measures, tasks
from .models import build_model
from .params import ParameterError
from .results import cached
from .train import Phase, TrainConfig, seeded, train

OBJECTIVES = ("edges_only", "edges_and_paths", "edges_and_hardest")


@dataclass(frozen=True)
class PathStarRun:
    """Everything that determines one run (and its cache key)."""

    degree: int = 100
    path_length: int = 5
    family: str = "path_star"  # or "tree_star"
    split_by: str = "leaf"  # or "subtree" (tree-star)
    test_frac: float = 0.25
    n_pause: int = 1
    objective: str = "edges_and_paths"
    direction: str = "both"  # edges: "both", "forward" (parent -> child), "backward"
    self_edges: bool = False
    reverse: bool = False  # path target leaf -> root instead of root -> leaf
    staged_edge_steps: int = 0  # > 0: edges alone first for this many steps, then the mixture
    arch: str = "gpt"
    model: tuple[tuple[str, Any], ...] = (("n_heads", 4), ("n_layers", 2), ("width", 128))  # sorted
    steps: int = 1000
    lr: float = 1e-3
    weight_decay: float = 0.01
    batch_size: int | None = 256
    warmup_steps: int = 100
    schedule: str = "cosine"
    seed: int = 0
    eval_every: int = 100
    snapshot_steps: tuple[int, ...] = ()
    max_train_eval: int = 256  # training leaves decoded per evaluation (a sample, for speed)

    def __post_init__(self) -> None:
        if self.objective not in OBJECTIVES:
            raise ParameterError(f"objective must be one of {list(OBJECTIVES)}, got {self.objective!r}")
        if self.family not in ("path_star", "tree_star"):
            raise ParameterError(f"family must be 'path_star' or 'tree_star', got {self.family!r}")
        if not 0 <= self.staged_edge_steps < self.steps:
            raise ParameterError(f"staged_edge_steps must be in [0, steps), got {self.staged_edge_steps}")

    def with_model(self, **kw: Any) -> "PathStarRun":
        return replace(self, model=tuple(sorted({**dict(self.model), **kw}.items())))

    def graph(self) -> graphs.Graph:
        make = graphs.path_star if self.family == "path_star" else graphs.tree_star
        return make(self.degree, self.path_length, seed=self.seed)


@dataclass
class PathStarData:
    graph: graphs.Graph
    vocab: tasks.Vocab
    train_ids: np.ndarray
    test_ids: np.ndarray
    buckets: list[tasks.Bucket] = field(default_factory=list)
    edges: tasks.Bucket | None = None


def build_data(cfg: PathStarRun) -> PathStarData:
    """Graph, split and the buckets of the run's objective."""
    g = cfg.graph()
    vocab = tasks.Vocab(g.n_nodes)
    train_ids, test_ids = tasks.split_leaves(g, cfg.test_frac, seed=cfg.seed, by=cfg.split_by)
    edges = tasks.edge_bucket(g, vocab, cfg.direction, cfg.self_edges)
    buckets = [edges]
    if cfg.objective == "edges_and_paths":
        buckets.append(tasks.path_bucket(g, vocab, train_ids, cfg.n_pause, "path", reverse=cfg.reverse))
    elif cfg.objective == "edges_and_hardest":
        buckets.append(tasks.path_bucket(g, vocab, train_ids, cfg.n_pause, "hardest"))
    return PathStarData(g, vocab, train_ids, test_ids, buckets, edges)


def _evaluator(cfg: PathStarRun, data: PathStarData):
    g, vocab = data.graph, data.vocab
    q_test = tasks.path_queries(g, vocab, data.test_ids, cfg.n_pause, reverse=cfg.reverse)
    train_sample = data.train_ids[: cfg.max_train_eval]
    q_train = tasks.path_queries(g, vocab, train_sample, cfg.n_pause, reverse=cfg.reverse)

    def evaluate(model: torch.nn.Module) -> dict[str, Any]:
        test = measures.path_metrics(model, q_test)
        tr = measures.path_metrics(model, q_train)
        emb = model.embedding_matrix()[: g.n_nodes].float().numpy()
        return {
            "test_exact": test["exact_match"], "test_first_hop": test["first_hop"],
            "test_per_position": test["per_position"],
            "train_exact": tr["exact_match"], "train_first_hop": tr["first_hop"],
            "navigation": measures.navigation_accuracy(emb, g, data.test_ids),
        }

    return evaluate


def run_path_star(cfg: PathStarRun, device: str = "cpu", progress: bool = True,
                  use_cache: bool = True) -> dict[str, Any]:
    """Train one configuration (or load it from the cache); return its record.

    The record holds ``history`` (one row per evaluation), ``final`` (the last row),
    ``embedding`` (final node embeddings, (n, width) float32 tensor), ``snapshots``
    (step -> node embeddings), ``train_ids``/``test_ids`` and ``wall_s``.
    """
    def compute() -> dict[str, Any]:
        data = build_data(cfg)
        block = max(b.seq_len for b in data.buckets) + 2
        with seeded(cfg.seed):
            model = build_model(cfg.arch, data.vocab.size, block, **dict(cfg.model))
        tcfg = TrainConfig(
            steps=cfg.steps, lr=cfg.lr, weight_decay=cfg.weight_decay, batch_size=cfg.batch_size,
            warmup_steps=cfg.warmup_steps, schedule=cfg.schedule, seed=cfg.seed, device=device,
            eval_every=cfg.eval_every, snapshot_steps=cfg.snapshot_steps, progress=progress,
            desc=f"{cfg.arch} {data.graph.name} {cfg.objective}",
        )
        phases: list[Any] = data.buckets
        if cfg.staged_edge_steps:
            phases = [Phase(cfg.staged_edge_steps, [data.edges]), Phase(cfg.steps - cfg.staged_edge_steps, data.buckets)]
        res = train(model, phases, tcfg, evaluate=_evaluator(cfg, data))
        n = data.graph.n_nodes
        return {
            "history": res.history,
            "final": res.history[-1],
            "losses": torch.tensor(res.losses),
            "embedding": model.embedding_matrix()[:n].float().cpu(),
            "snapshots": {int(k): v[:n].float() for k, v in res.snapshots.items()},
            "train_ids": torch.as_tensor(data.train_ids),
            "test_ids": torch.as_tensor(data.test_ids),
            "wall_s": res.wall_s,
        }

    key = {"kind": "path_star_run", **asdict(cfg)}
    if not use_cache:
        return compute()
    return cached(key, compute, name=f"pathstar-{cfg.arch}")


#: The main path-star run of each profile. ``ci``: a 2-layer, width-128 GPT on G(100, 5)
#: reaches about 90% held-out exact match in 1,000 steps on a laptop CPU (spec §6).
#: ``full``: the paper's G(5000, 5) with GPT-mid (12 x 384, 8 heads) and the release's
#: mixed-training settings (lr 5e-4, batch 2048, warm-up 1,000), on one GPU.
PROFILE_RUNS: dict[str, dict[str, Any]] = {
    "smoke": dict(degree=20, path_length=5, n_pause=1, steps=40, eval_every=20, batch_size=64, warmup_steps=10),
    "ci": dict(degree=100, path_length=5, n_pause=1, steps=1000, eval_every=100, batch_size=256, warmup_steps=100),
    "full": dict(degree=5000, path_length=5, n_pause=5, steps=20_000, eval_every=1000, batch_size=2048,
                 warmup_steps=1000, lr=5e-4, model=(("n_heads", 8), ("n_layers", 12), ("width", 384))),
}


def profile_run(profile: str, **overrides: Any) -> PathStarRun:
    """The chapter-default :class:`PathStarRun` of a profile, with overrides.

    Snapshots are taken at every evaluation step, so that every chapter asking for the
    same run (with or without wanting snapshots) hits the same cache entry.
    """
    if profile not in PROFILE_RUNS:
        raise ParameterError(f"profile must be one of {list(PROFILE_RUNS)}, got {profile!r}")
    kw = {**PROFILE_RUNS[profile], **overrides}
    steps, every = kw["steps"], kw["eval_every"]
    kw.setdefault("snapshot_steps", tuple(range(0, steps + 1, every)))
    if "model" in kw:
        kw["model"] = tuple(sorted(dict(kw["model"]).items()))
    return PathStarRun(**kw)
