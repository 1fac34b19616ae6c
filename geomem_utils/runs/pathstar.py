"""One cached path-star run, shared by the chapters that train on a path-star.

Introduced in ``03_implicit_reasoning`` and reused by ``01_geometry_emerges`` and
``04_memorization_puzzle``: build the graph and split, the buckets of one objective, a
model; train with :func:`geomem_utils.science.train.train`; record held-out and training path
accuracy, per-position accuracy and the 1-step navigation accuracy of the embedding over
training, plus embedding snapshots. Runs are cached by their full configuration, device
and code (:func:`geomem_utils.runs.cache.cached`), so two chapters asking for the same run
share it, and an edit of the package recomputes it.

What a run is (:class:`PathStarRun`, its checks, the profiles' default runs) lives in
:mod:`geomem_utils.runs.pathstar_config`; grids of runs on Dask in :mod:`geomem_utils.sweep.grids`.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch

from geomem_utils.science import graphs, measures, tasks
from geomem_utils.science.models import build_model
from geomem_utils.runs.pathstar_config import PathStarRun, train_config
# the chapters' names for their runs, used as ``experiments.<name>`` in the notebooks
from geomem_utils.runs.pathstar_config import associative_counterexample, controls_run, profile_run  # noqa: F401
from geomem_utils.runs.cache import cached
from geomem_utils.science.train import Phase, seeded, train


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

    # The hardest-token objective never trains the root token, so greedy decoding from the
    # bare prefix says nothing about v1: its first hop is read with the true root given.
    root_given = cfg.objective == "edges_and_hardest"

    def evaluate(model: torch.nn.Module) -> dict[str, Any]:
        test = measures.path_metrics(model, q_test)
        tr = measures.path_metrics(model, q_train)
        if root_given:
            test["first_hop"] = measures.first_hop_given_root(model, q_test)
            tr["first_hop"] = measures.first_hop_given_root(model, q_train)
        emb = model.embedding_matrix()[: g.n_nodes].float().cpu().numpy()
        return {
            "test_exact": test["exact_match"], "test_first_hop": test["first_hop"],
            "test_per_position": test["per_position"],
            "test_teacher_forced": measures.teacher_forced_path(model, q_test),
            "train_exact": tr["exact_match"], "train_first_hop": tr["first_hop"],
            "navigation": measures.navigation_accuracy(emb, g, data.test_ids),
        }

    return evaluate


def block_size(cfg: PathStarRun, data: PathStarData) -> int:
    """Positions of the run's model: the longest training sequence or path query, plus 2.

    The evaluator decodes whole paths, so the positions must cover the longest path query
    even when no path is trained (edges only, hardest token).
    """
    longest_query = 1 + cfg.n_pause + max(len(p) for p in data.graph.paths)
    return max(max(b.seq_len for b in data.buckets), longest_query) + 2


def trained_model(cfg: PathStarRun, record: dict[str, Any]) -> torch.nn.Module:
    """The trained model of a run, rebuilt from its record's ``model_state`` (introduced in
    ``04_memorization_puzzle``, which fine-tunes the edges-only model)."""
    data = build_data(cfg)
    model = build_model(cfg.arch, data.vocab.size, block_size(cfg, data), **dict(cfg.model))
    model.load_state_dict(record["model_state"])
    return model


def run_path_star(cfg: PathStarRun, device: str = "cpu", progress: bool = True,
                  use_cache: bool = True) -> dict[str, Any]:
    """Train one configuration (or load it from the cache); return its record.

    The record holds ``history`` (one row per evaluation), ``final`` (the last row),
    ``embedding`` (final node embeddings, (n, width) float32 tensor), ``snapshots``
    (step -> node embeddings), ``train_ids``/``test_ids``, ``wall_s`` and ``model_state``
    (the final ``state_dict``; :func:`trained_model` rebuilds the model from it).
    """
    def compute() -> dict[str, Any]:
        data = build_data(cfg)
        with seeded(cfg.seed):
            model = build_model(cfg.arch, data.vocab.size, block_size(cfg, data), **dict(cfg.model))
        tcfg = train_config(cfg, device=device, progress=progress,
                            desc=f"{cfg.arch} {data.graph.name} {cfg.objective}")
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
            "model_state": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        }

    # No hand-bumped record number: the key holds the package's source fingerprint, so a
    # change to the evaluator (or anything else in the package) recomputes the run.
    key = {"kind": "path_star_run", **asdict(cfg)}
    if not use_cache:
        return compute()
    return cached(key, compute, name=f"pathstar-{cfg.arch}", device=device)


def estimate_seconds(cfg: PathStarRun, device: str = "cpu", probe_batch: int = 16, probe_steps: int = 2) -> dict[str, Any]:
    """How long ``cfg``'s training would take on ``device``: a few measured steps of its
    model on ``probe_batch`` sequences (after one warm-up step), scaled linearly to its batch
    size and number of steps. Evaluations are not counted (so it is a lower bound).
    Seconds on a CPU, a few more for the paper's G(5000, 5) with GPT-mid.
    """
    from geomem_utils.science.train import _batches, batch_loss

    data = build_data(cfg)
    with seeded(cfg.seed):
        model = build_model(cfg.arch, data.vocab.size, block_size(cfg, data), **dict(cfg.model)).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr)
    buckets = [b.to(device) for b in data.buckets]
    batches = _batches([len(b) for b in buckets], probe_batch, torch.Generator().manual_seed(cfg.seed))

    def step() -> None:
        loss = batch_loss(model, buckets, [r.to(device) for r in next(batches)])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    step()  # warm-up (allocations, kernel choice)
    t0 = time.perf_counter()
    for _ in range(probe_steps):
        step()
    if device == "cuda":
        torch.cuda.synchronize()
    per_probe = (time.perf_counter() - t0) / probe_steps
    batch = cfg.batch_size or sum(len(b) for b in data.buckets)
    step_s = per_probe * max(1.0, batch / probe_batch)
    width = dict(cfg.model).get("width")
    layers = dict(cfg.model).get("n_layers")
    return {"seconds": step_s * cfg.steps, "step_s": step_s, "probe_batch": probe_batch,
            "what": f"{cfg.arch} {layers} x {width} on {data.graph.name}, {cfg.steps:,} steps of batch {batch}"}
