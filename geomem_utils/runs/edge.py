"""Train one sequence model on the edges of one graph: the book's edge run, written once.

Introduced in ``00_tasks`` and used by ``01_geometry_emerges``, ``02_spectral_bias``,
``04_memorization_puzzle`` and the playground (``05_playground``). :func:`edge_run`
builds a model of a family of :func:`geomem_utils.science.models.build_model` under a seed,
trains it on ``[EDGE] u v`` (both directions by default, optionally ``u -> u``) with the
book's loop (full batch, AdamW, no weight decay, no warm-up) and evaluates it by top-k
edge recovery (:func:`edge_recovery`), or by a caller's measure.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import torch
from torch import nn

from geomem_utils.science.graphs import Graph
from geomem_utils.science.measures import edge_logits, top_k_recovery
from geomem_utils.science.models import build_model
from geomem_utils.science.tasks import Bucket, Vocab, edge_bucket, edge_pairs
from geomem_utils.science.train import TrainConfig, TrainResult, seeded, train

Evaluate = Callable[[nn.Module], dict[str, float]]


def directed_top_k(logits: torch.Tensor, pairs: np.ndarray, n_nodes: int) -> float:
    """Top-k recovery (%) against trained ``(u, v)`` pairs: for each u with k trained v's,
    the share of them among u's k best predictions (``logits``: (n, n))."""
    out: list[list[int]] = [[] for _ in range(n_nodes)]
    for u, v in np.asarray(pairs).tolist():
        out[u].append(v)
    order = torch.argsort(logits, dim=1, descending=True).numpy()
    return 100.0 * float(np.mean([len(set(vs) & set(order[u, :len(vs)].tolist())) / len(vs)
                                  for u, vs in enumerate(out) if vs]))


def edge_recovery(model: nn.Module, g: Graph, direction: str = "both", self_edges: bool = False) -> dict[str, float]:
    """Top-k edge recovery of ``model`` on the edges it was shown: every neighbour (the paper's §3-§4)
    when trained in both directions, else its trained out-neighbours (:func:`directed_top_k`)."""
    logits = edge_logits(model, g, Vocab(g.n_nodes))  # (n, n)
    if direction == "both":
        return top_k_recovery(logits, g, self_edges)
    return {"top_k": directed_top_k(logits, edge_pairs(g, direction, self_edges), g.n_nodes)}


def pair_scores(V: np.ndarray, W: np.ndarray, self_edges: bool = False) -> torch.Tensor:
    """Node2Vec's edge logits ``V W^T`` (n, n): row u scores every node after u. Without
    self-edges the self score (for tied V = W the norm ``|v_u|^2``, always the largest)
    is left out: a node is not its own neighbour, so the others are ranked."""
    s = torch.as_tensor(np.asarray(V) @ np.asarray(W).T)
    if not self_edges:
        s.fill_diagonal_(-float("inf"))
    return s


def u_only(bucket: Bucket) -> Bucket:
    """``[EDGE] u v`` reduced to u's position. A one-layer network never mixes positions,
    so the constant ``[EDGE]`` token cannot change u's logits; dropping it halves the work."""
    return Bucket(bucket.kind, bucket.inputs[:, 1:].contiguous(), bucket.targets[:, 1:].contiguous())


@dataclass
class EdgeRun:
    """A trained model, its vocabulary and its training record.

    ``init``: the evaluation before the first step (``evaluate_init=True``), else None;
    ``cpu_s``: CPU seconds of the training.
    """

    graph: Graph
    model: nn.Module
    vocab: Vocab
    result: TrainResult
    init: dict[str, float] | None
    cpu_s: float

    @property
    def embedding(self) -> np.ndarray:
        """The node rows of the input embedding: (n, width) float32."""
        return self.model.embedding_matrix()[: self.graph.n_nodes].float().cpu().numpy()

    @property
    def snapshots(self) -> dict[int, np.ndarray]:
        """{step: (n, width) node rows} at the snapshot steps, float32."""
        return {s: e[: self.graph.n_nodes].float().numpy() for s, e in self.result.snapshots.items()}

    @property
    def final(self) -> dict[str, float]:
        """The last evaluation (at the last step run)."""
        return self.result.history[-1]

    @property
    def history(self) -> list[dict[str, float]]:
        """Every evaluation, the one before training first (as step 0) when there is one."""
        return ([{"step": 0, **self.init}] if self.init is not None else []) + self.result.history

    def metric(self, name: str) -> tuple[list[int], list[float]]:
        return self.result.metric(name)

    def steps_to(self, level: float = 100.0, name: str = "top_k") -> int | None:
        """First evaluated step at which ``name`` reached ``level`` (None: never)."""
        return next((s for s, v in zip(*self.metric(name)) if v >= level), None)


def edge_run(
    graph: Graph,
    arch: str,
    steps: int,
    lr: float,
    *,
    schedule: str = "cosine",
    direction: str = "both",
    self_edges: bool = False,
    weight_decay: float = 0.0,
    grad_clip: float | None = 1.0,
    every: int = 0,
    snapshots: Sequence[int] = (),
    evaluate: Evaluate | None = None,
    evaluate_init: bool = False,
    stop_when: Callable[[dict[str, float]], bool] | None = None,
    drop_edge_token: bool = False,
    block_size: int = 2,
    seed: int = 0,
    device: str = "cpu",
    progress: bool = False,
    desc: str = "edges",
    **model_kw: object,
) -> EdgeRun:
    """Train a fresh ``arch`` model (``build_model(arch, ..., **model_kw)``, built under
    ``seed``) on the edges of ``graph`` for ``steps`` full-batch AdamW steps at ``lr``.

    ``schedule``: "cosine" (to lr/10) or "constant"; no warm-up. ``direction``: "both",
    "forward" (parent -> child as stored) or "backward"; ``self_edges`` adds ``u -> u``.
    ``every``: evaluate every that many steps (0: at the end only); ``snapshots``: steps
    at which to keep the embedding. ``evaluate(model)``: the measure (default
    :func:`edge_recovery` on the trained edges); ``evaluate_init``: also measure the
    untrained model. ``stop_when(row)`` may end the run after an evaluation.
    ``drop_edge_token``: train on u's position alone (:func:`u_only`; one-layer models
    only). ``block_size``: the Transformer's number of positions (2 fits ``[EDGE] u``;
    chapters 02 and 04 build theirs with 4, which draws other initial weights).
    """
    vocab = Vocab(graph.n_nodes)
    data = edge_bucket(graph, vocab, direction, self_edges)
    if drop_edge_token:
        data = u_only(data)
    with seeded(seed):
        model = build_model(arch, vocab.size, block_size, **model_kw)
    if evaluate is None:
        def evaluate(m: nn.Module) -> dict[str, float]:
            return edge_recovery(m, graph, direction, self_edges)
    init = evaluate(model) if evaluate_init else None
    cfg = TrainConfig(steps=steps, lr=lr, weight_decay=weight_decay, batch_size=None, warmup_steps=0,
                      schedule=schedule, grad_clip=grad_clip, seed=seed, device=device, eval_every=every,
                      snapshot_steps=tuple(snapshots), progress=progress, desc=desc)
    c0 = time.process_time()
    result = train(model, [data], cfg, evaluate=evaluate, stop_when=stop_when)
    return EdgeRun(graph, model, vocab, result, init, time.process_time() - c0)
