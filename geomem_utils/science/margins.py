"""Edge margins and the "skewed low-rank" logits of a one-layer model (the paper's §5).

Introduced in ``04_memorization_puzzle``. A :class:`~geomem_utils.science.models.OneLayerNet`
scores node ``v`` after node ``u`` with ``e_v . (W_lin e_u + b)``, so over the node tokens
its logits are the bilinear form ``L = E W E^T + 1 (E b)^T`` with ``W = W_lin^T``.

The skewed low-rank logits keep only what the embedding geometry carries: with the SVD
``E = U S Vh``, ``lambda = diag(Vh W Vh^T)`` and ``W' = Vh^T diag(lambda) Vh``, the skewed
logits ``E W' E^T = U diag(s^2 lambda) U^T`` are a reweighting of the embeddings' own
Gram matrix. If they still rank neighbours first (positive edge margin, high top-1), the
graph lives in ``E``: the memory is geometric. If only the full ``W`` recovers the edges,
``W`` is a lookup table over arbitrary embeddings: the memory is associative.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from geomem_utils.science.graphs import Graph, adjacency


@dataclass(frozen=True)
class Bilinear:
    """The logits of a one-layer model over the node tokens: ``E W E^T + 1 c^T``.

    ``E``: (n, m) node embeddings; ``W``: (m, m); ``c = E b``: (n,) the bias term, which
    adds the same amount to target ``v`` for every query ``u``.
    """

    E: np.ndarray
    W: np.ndarray
    c: np.ndarray

    def logits(self, with_bias: bool = True) -> np.ndarray:
        """(n, n): row u holds the logits of every node after ``[EDGE] u``."""
        out = self.E @ self.W @ self.E.T
        return out + self.c[None, :] if with_bias else out


def bilinear(model: torch.nn.Module, n_nodes: int) -> Bilinear:
    """Read ``E``, ``W = W_lin^T`` and ``c = E b`` off a tied :class:`OneLayerNet`."""
    if not getattr(model, "tied", False) or not hasattr(model, "linear"):
        raise ValueError("bilinear() needs a tied OneLayerNet (logits = E (W e_u + b))")
    E = model.embedding_matrix()[:n_nodes].double().cpu().numpy()  # (n, m)
    W = model.linear.weight.detach().double().cpu().numpy().T  # (m, m): h = W_lin e, so L = E W_lin^T E^T
    b = model.linear.bias.detach().double().cpu().numpy()  # (m,)
    return Bilinear(E, W, E @ b)


def skewed_weight(E: np.ndarray, W: np.ndarray) -> np.ndarray:
    """``W' = Vh^T diag(lambda) Vh`` with ``E = U S Vh`` (reduced SVD), ``lambda = diag(Vh W Vh^T)``."""
    _, _, vh = np.linalg.svd(np.asarray(E, dtype=np.float64), full_matrices=False)  # vh: (r, m)
    lam = ((vh @ np.asarray(W, dtype=np.float64)) * vh).sum(axis=1)  # (r,): lam_i = vh_i W vh_i^T
    return vh.T @ (lam[:, None] * vh)


def skewed_logits(E: np.ndarray, W: np.ndarray) -> np.ndarray:
    """``E W' E^T``: (n, n) logits from the embedding geometry and W's diagonal in E's basis."""
    E = np.asarray(E, dtype=np.float64)
    return E @ skewed_weight(E, W) @ E.T


def _masks(g: Graph) -> tuple[np.ndarray, np.ndarray]:
    a = adjacency(g).toarray().astype(bool)
    non = ~a
    np.fill_diagonal(non, False)  # self is neither a neighbour nor a competitor
    np.fill_diagonal(a, False)
    return a, non


def edge_margins(logits: np.ndarray, g: Graph) -> np.ndarray:
    """Per node u: max logit over neighbours minus max logit over non-neighbours (self excluded).

    Nodes without neighbours or without non-neighbours get NaN.
    """
    z = np.asarray(logits, dtype=np.float64)[: g.n_nodes, : g.n_nodes]
    a, non = _masks(g)
    best_nb = np.where(a, z, -np.inf).max(axis=1)
    best_non = np.where(non, z, -np.inf).max(axis=1)
    ok = a.any(axis=1) & non.any(axis=1)
    return np.where(ok, best_nb - best_non, np.nan)


def edge_margin(logits: np.ndarray, g: Graph) -> float:
    """The paper's edge margin (§5): the mean over nodes of :func:`edge_margins`."""
    return float(np.nanmean(edge_margins(logits, g)))


def top1_neighbour(logits: np.ndarray, g: Graph) -> float:
    """Share (%) of nodes whose best-scored other node (self excluded) is a neighbour."""
    z = np.array(logits, dtype=np.float64)[: g.n_nodes, : g.n_nodes]
    np.fill_diagonal(z, -np.inf)
    a, _ = _masks(g)
    best = z.argmax(axis=1)
    has = a.any(axis=1)
    return 100.0 * float(a[np.arange(g.n_nodes), best][has].mean())


def margin_report(model: torch.nn.Module, g: Graph) -> dict[str, float]:
    """Edge margin of the original and the skewed logits, and the skewed top-1 (%).

    ``original`` uses the model's own logits (bias included); ``skewed`` drops the bias
    and replaces ``W`` by its skewed low-rank version.
    """
    form = bilinear(model, g.n_nodes)
    sk = skewed_logits(form.E, form.W)
    orig = form.logits()
    return {
        "margin": edge_margin(orig, g),
        "skewed_margin": edge_margin(sk, g),
        "skewed_top1": top1_neighbour(sk, g),
        "top1": top1_neighbour(orig, g),
    }


#: A run is geometric when its skewed logits put a neighbour first for at least this share
#: of the nodes (on the 15-cycle: 12 of 15; the paper's geometric rows have 93-100%, its
#: associative row 33%) and their mean edge margin is positive.
GEOMETRIC_TOP1 = 75.0


def is_geometric(report: dict[str, float]) -> bool:
    """The direction of a run: geometric when the skewed logits alone still find the
    neighbours (skewed top-1 >= :data:`GEOMETRIC_TOP1` and a positive skewed edge margin)."""
    return bool(report["skewed_margin"] > 0 and report["skewed_top1"] >= GEOMETRIC_TOP1)
