"""Shallow models of the memorization puzzle (the paper's §4 and §5).

- `OneLayerNet`: the "neural network" of the tiny-graph experiments, logits at position t
  = E (W e_{x_t} + b): a tied embedding E and one linear layer (W, b).
- `associative_net`: the same with E frozen, so only W, b learn a lookup table.
- `Node2Vec`, `train_node2vec`, `node2vec_C`: the 1-hop tied Node2Vec model whose gradient
  flow is dV/dt = eta C(t) V with C = (D^-1 A - P) + (D^-1 A - P)^T, P = row_softmax(V V^T).
- `train_node2vec_untied`: its untied twin (input U, output W), for ``02_spectral_bias``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from geomem_utils.validate import check_bool, check_int, check_number
from geomem_utils.science.models.base import TokenEmbedded, check_dropout


class OneLayerNet(TokenEmbedded):
    """logits_t = E (W e_{x_t} + b): each position on its own, no mixing over time.

    E: (|V|, m) token embedding, N(0, emb_init_std); W: (m, m) N(0, 0.02), b = 0. With
    `tied=False` a separate output matrix (|V|, m) replaces E in the head (same init).
    `freeze_embeddings` freezes E (input and, when tied, the head: one tensor). Dropout is
    applied to the hidden vector W e + b. `width` defaults to the tiny models' m = 32.
    """

    def __init__(
        self,
        vocab_size: int,
        width: int = 32,
        tied: bool = True,
        freeze_embeddings: bool = False,
        emb_init_std: float = 0.02,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        o = type(self).__name__
        check_int("vocab_size", vocab_size, 1, owner=o, numpy=False)
        check_int("width", width, 1, owner=o, numpy=False)
        check_bool("tied", tied, owner=o, numpy=False)
        check_bool("freeze_embeddings", freeze_embeddings, owner=o, numpy=False)
        check_number("emb_init_std", emb_init_std, 0.0, owner=o, numpy=False)
        check_dropout(o, dropout)
        self.vocab_size, self.width, self.tied = vocab_size, width, tied
        self.wte = nn.Embedding(vocab_size, width)
        self.linear = nn.Linear(width, width)
        self.drop = nn.Dropout(dropout)
        self.lm_head = nn.Linear(width, vocab_size, bias=False)
        nn.init.normal_(self.wte.weight, std=emb_init_std)
        nn.init.normal_(self.linear.weight, std=0.02)
        nn.init.zeros_(self.linear.bias)
        if not tied:  # an untied head gets the embedding's init
            nn.init.normal_(self.lm_head.weight, std=emb_init_std)
        self.tie_and_freeze(tied, freeze_embeddings)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        h = self.drop(self.linear(self.wte(idx)))  # idx: (B, T) -> h: (B, T, width)
        return self.lm_head(h)  # logits: (B, T, vocab_size)


def associative_net(vocab_size: int, width: int = 32, **kwargs: object) -> OneLayerNet:
    """The "associative memory" model: `OneLayerNet` with E frozen (only W, b train)."""
    if "freeze_embeddings" in kwargs:
        raise TypeError("associative_net always freezes the embeddings; do not pass freeze_embeddings")
    return OneLayerNet(vocab_size, width, freeze_embeddings=True, **kwargs)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- Node2Vec

Adjacency = np.ndarray | torch.Tensor | Sequence[Iterable[int]]


def transition_matrix(adjacency: Adjacency, self_edges: bool = False) -> torch.Tensor:
    """D^-1 A as float64 (n, n), from a dense 0/1 adjacency or a list of neighbour lists.

    `self_edges=True` adds u -> u to every node (A + I, diagonal set to 1).
    """
    if isinstance(adjacency, torch.Tensor):
        A = adjacency.detach().to(torch.float64).cpu().clone()
    elif isinstance(adjacency, np.ndarray):
        A = torch.as_tensor(adjacency, dtype=torch.float64).clone()
    else:
        lists = [list(nbrs) for nbrs in adjacency]
        A = torch.zeros(len(lists), len(lists), dtype=torch.float64)
        for u, nbrs in enumerate(lists):
            A[u, nbrs] = 1.0
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(f"adjacency must be a square (n, n) matrix (got shape {tuple(A.shape)})")
    if (A < 0).any():
        raise ValueError("adjacency must be non-negative")
    if self_edges:
        A.fill_diagonal_(1.0)
    deg = A.sum(dim=1, keepdim=True)  # (n, 1)
    if (deg == 0).any():
        isolated = torch.nonzero(deg[:, 0] == 0).flatten().tolist()
        raise ValueError(f"adjacency has isolated nodes {isolated[:10]}: their loss is undefined")
    return A / deg  # D^-1 A: (n, n), rows sum to 1


def node2vec_loss(V: torch.Tensor, transition: torch.Tensor) -> torch.Tensor:
    """Total loss sum_u -mean_{j in N(u)} log softmax(V v_u)[j] (softmax over all nodes, self included).

    V: (n, m); transition: D^-1 A (n, n). Divide by n for the per-node mean.
    """
    logp = F.log_softmax(V @ V.T, dim=1)  # logp: (n, n), row u = log softmax(V v_u)
    return -(transition * logp).sum()


def node2vec_C(V: np.ndarray | torch.Tensor, adjacency: Adjacency, self_edges: bool = False) -> np.ndarray | torch.Tensor:
    """C = (D^-1 A - P) + (D^-1 A - P)^T with P = row_softmax(V V^T): (n, n).

    The gradient of the total loss is dL/dV = -C V, so gradient descent with learning rate
    eta on the total loss is exactly V <- V + eta C V (k = 1). Returns numpy for a numpy V.
    """
    Vt = torch.as_tensor(V, dtype=torch.float64)
    T = transition_matrix(adjacency, self_edges).to(Vt.device)
    G = T - torch.softmax(Vt @ Vt.T, dim=1)  # G: (n, n) = D^-1 A - P
    C = G + G.T
    return C.numpy() if isinstance(V, np.ndarray) else C


class Node2Vec(nn.Module):
    """The tied 1-hop Node2Vec model: one embedding V (n, m), logits for node u = V v_u.

    V is initialised N(0, init_std^2) (the paper: 1.0) from `generator` (caller seeds).
    """

    def __init__(
        self,
        n_nodes: int,
        width: int = 100,
        init_std: float = 1.0,
        generator: torch.Generator | None = None,
        dtype: torch.dtype = torch.float64,
    ) -> None:
        super().__init__()
        check_int("n_nodes", n_nodes, 1, owner="Node2Vec", numpy=False)
        check_int("width", width, 1, owner="Node2Vec", numpy=False)
        check_number("init_std", init_std, 0.0, owner="Node2Vec", numpy=False)
        V = torch.randn(n_nodes, width, generator=generator, dtype=dtype) * init_std
        self.V = nn.Parameter(V)  # V: (n_nodes, width)

    def logits(self) -> torch.Tensor:
        """V V^T: (n, n); row u holds the logits of node u over all nodes."""
        return self.V @ self.V.T

    def loss(self, adjacency: Adjacency, self_edges: bool = False) -> torch.Tensor:
        """Total (summed over nodes) loss; differentiable. Per-node mean = loss / n."""
        T = transition_matrix(adjacency, self_edges).to(self.V)
        return node2vec_loss(self.V, T)

    def grad(self, adjacency: Adjacency, self_edges: bool = False) -> torch.Tensor:
        """Closed-form dL/dV of the total loss = -C V: (n, m)."""
        V = self.V.detach()
        return -node2vec_C(V, adjacency, self_edges).to(V) @ V


@dataclass
class Node2VecRun:
    """Result of `train_node2vec`.

    V: final embedding (n, m). loss: (steps,) per-node mean loss, loss[t-1] is the loss at
    step t, i.e. of the V that the t-th update starts from (loss[0] is at init).
    snapshots: {s: V after s updates} for each requested s (0 = init).
    """

    V: np.ndarray
    loss: np.ndarray
    snapshots: dict[int, np.ndarray] = field(default_factory=dict)


def _gradient_descent_setup(owner: str, adjacency: Adjacency, steps: object, lr: object, init_std: object,
                            snapshot_steps: Iterable[int], self_edges: bool,
                            dtype: torch.dtype) -> tuple[torch.Tensor, set[int]]:
    """What both Node2Vec trainers check and build before their first step: the arguments
    (errors name ``owner``), the transition matrix D^-1 A (n, n) in ``dtype`` and the
    snapshot steps."""
    check_int("steps", steps, 0, owner=owner, numpy=False)
    check_number("lr", lr, 0.0, lo_open=True, owner=owner, numpy=False)
    check_number("init_std", init_std, 0.0, owner=owner, numpy=False)
    if dtype not in (torch.float32, torch.float64):
        raise ValueError(f"{owner}.dtype must be torch.float32 or torch.float64 (got {dtype!r})")
    wanted = {int(s) for s in snapshot_steps}
    bad = [s for s in wanted if not 0 <= s <= steps]
    if bad:
        raise ValueError(f"{owner}.snapshot_steps must lie in [0, steps={steps}] (got {sorted(bad)})")
    return transition_matrix(adjacency, self_edges).to(dtype), wanted


def train_node2vec(
    adjacency: Adjacency,
    width: int = 100,
    lr: float = 0.01,
    steps: int = 10_000,
    init_std: float = 1.0,
    seed: int = 0,
    snapshot_steps: Iterable[int] = (),
    self_edges: bool = False,
    dtype: torch.dtype = torch.float64,
) -> Node2VecRun:
    """Full-batch gradient descent on the *total* Node2Vec loss (sum over nodes), as the release.

    Each step is V <- V + lr C V (the closed-form gradient; no autograd), in float64
    (``dtype=torch.float32``: the same steps in float32, from the float64 draw rounded; the
    book's in-page Node2Vec is checked against it). The recorded loss is the per-node mean
    (total / n): on the path-star d=4, l=5 with seed 0 it goes from about 96 at step 1 to
    about 1.3 at step 10,000 (the paper, §4: 96.1, 1.30).
    """
    T, wanted = _gradient_descent_setup("train_node2vec", adjacency, steps, lr, init_std, snapshot_steps,
                                        self_edges, dtype)
    n = T.shape[0]
    gen = torch.Generator().manual_seed(seed)
    V = Node2Vec(n, width, init_std, generator=gen).V.detach().clone().to(dtype)  # V: (n, width)
    losses = torch.empty(steps, dtype=torch.float64)
    snapshots: dict[int, np.ndarray] = {}
    if 0 in wanted:
        snapshots[0] = V.numpy().copy()
    for t in range(steps):
        logp = torch.log_softmax(V @ V.T, dim=1)  # (n, n)
        losses[t] = -(T * logp).sum() / n
        G = T - logp.exp()  # D^-1 A - P
        V = V + lr * ((G + G.T) @ V)  # V + lr C V
        if t + 1 in wanted:
            snapshots[t + 1] = V.numpy().copy()
    return Node2VecRun(V=V.numpy().copy(), loss=losses.numpy(), snapshots=snapshots)


@dataclass
class UntiedRun:
    """Result of :func:`train_node2vec_untied`: input ``U`` and output ``W`` embeddings (n, m),
    the per-node mean loss per step (``loss[0]`` at init), snapshots of U by step."""

    U: np.ndarray
    W: np.ndarray
    loss: np.ndarray
    snapshots: dict[int, np.ndarray] = field(default_factory=dict)


def train_node2vec_untied(
    adjacency: Adjacency,
    width: int = 100,
    lr: float = 0.01,
    steps: int = 10_000,
    init_std: float = 1.0,
    seed: int = 0,
    snapshot_steps: Iterable[int] = (),
    self_edges: bool = False,
    dtype: torch.dtype = torch.float64,
) -> UntiedRun:
    """Node2Vec with separate input and output embeddings: logits of node u = ``W u_u``.

    Same loss and optimiser as :func:`geomem_utils.science.models.train_node2vec` (full-batch
    gradient descent on the total loss, float64, closed-form gradients): with
    ``G = D^-1A - P`` and ``P = row_softmax(U W^T)``, ``U <- U + lr G W`` and
    ``W <- W + lr G^T U``. U and W are drawn N(0, init_std^2) from one generator (in
    float64; ``dtype=torch.float32`` rounds them and runs the same steps in float32).
    """
    T, wanted = _gradient_descent_setup("train_node2vec_untied", adjacency, steps, lr, init_std, snapshot_steps,
                                        self_edges, dtype)
    n = T.shape[0]
    gen = torch.Generator().manual_seed(seed)
    U = (torch.randn(n, width, generator=gen, dtype=torch.float64) * init_std).to(dtype)  # (n, m)
    W = (torch.randn(n, width, generator=gen, dtype=torch.float64) * init_std).to(dtype)  # (n, m)
    losses = torch.empty(steps, dtype=torch.float64)
    snaps: dict[int, np.ndarray] = {0: U.numpy().copy()} if 0 in wanted else {}
    for t in range(steps):
        logp = torch.log_softmax(U @ W.T, dim=1)  # (n, n)
        losses[t] = -(T * logp).sum() / n
        G = T - logp.exp()  # D^-1 A - P
        U, W = U + lr * (G @ W), W + lr * (G.T @ U)
        if t + 1 in wanted:
            snaps[t + 1] = U.numpy().copy()
    return UntiedRun(U.numpy().copy(), W.numpy().copy(), losses.numpy(), snaps)
