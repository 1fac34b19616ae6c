"""Measures (the paper's §2-§4): decoding accuracies, edge recovery, and the geometry of embeddings.

Introduced in ``00_tasks`` (accuracies) and ``01_geometry_emerges`` (geometry). Every
function here is pure: it reads a model or an embedding matrix and returns numbers.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from geomem_utils.science.graphs import Graph, degrees
from geomem_utils.science.tasks import IGNORE, Bucket, PathQueries, Vocab, edge_queries


def greedy_decode(model: nn.Module, prefixes: torch.Tensor, n_new: int, batch_size: int = 2048) -> torch.Tensor:
    """Greedy continuation of each prefix: (N, P) -> (N, n_new) token ids.

    (``torch.no_grad`` as a block, not a decorator: mutation testing skips decorated functions.)
    """
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    outs = []
    with torch.no_grad():
        for start in range(0, prefixes.shape[0], batch_size):
            seq = prefixes[start: start + batch_size].to(device)  # (b, P)
            for _ in range(n_new):
                nxt = model(seq)[:, -1].argmax(-1, keepdim=True)  # (b, 1)
                seq = torch.cat([seq, nxt], dim=1)
            outs.append(seq[:, prefixes.shape[1]:].cpu())
    model.train(was_training)
    return torch.cat(outs) if outs else torch.zeros(0, n_new, dtype=torch.long)


def path_metrics(model: nn.Module, queries: PathQueries) -> dict[str, float | list[float]]:
    """Greedy-decode whole paths; exact match, first-hop (v1) accuracy, per-position accuracy.

    For the forward task the answer is ``root v1 ... leaf``: position 1 is the first hop,
    the "hardest token" (chance 1/d).
    """
    pred = greedy_decode(model, queries.prefixes, queries.answers.shape[1])
    hit = (pred == queries.answers).float()  # (N, l)
    return {
        "exact_match": float(hit.all(dim=1).float().mean()),
        "first_hop": float(hit[:, 1].mean()) if hit.shape[1] > 1 else float(hit[:, 0].mean()),
        "per_position": hit.mean(dim=0).tolist(),
    }


def first_hop_given_root(model: nn.Module, queries: PathQueries) -> float:
    """Accuracy of v1 decoded after the prefix *and the true root* (forward paths only).

    The hardest-token objective (``03_implicit_reasoning``) trains the loss on v1 alone, so
    the root token itself is never a target; this is its first-hop accuracy (chance 1/d).
    """
    prefixes = torch.cat([queries.prefixes, queries.answers[:, :1]], dim=1)  # (N, P + 1)
    pred = greedy_decode(model, prefixes, 1)[:, 0]  # (N,)
    return float((pred == queries.answers[:, 1]).float().mean())


@torch.no_grad()
def teacher_forced_path(model: nn.Module, queries: PathQueries) -> list[float]:
    """Accuracy of each answer position of whole paths given the true earlier tokens: one
    forward pass over prefix + answer, position ``j`` read where it is predicted. Unlike
    greedy decoding, a wrong early token does not drag the later ones with it, so the
    positions are learnt (or not) each on its own (the token-order test of chapter 03)."""
    device = next(model.parameters()).device
    seqs = torch.cat([queries.prefixes, queries.answers], dim=1).to(device)  # (N, P + L)
    p, n = queries.prefixes.shape[1], queries.answers.shape[1]
    pred = model(seqs[:, :-1]).argmax(-1)[:, p - 1: p - 1 + n]  # (N, L): column j predicts answer j
    return (pred == queries.answers.to(device)).float().mean(0).cpu().tolist()


def crossing_steps(steps: list[int], curves: list[list[float]], level: float = 0.5) -> list[float]:
    """For each position, the first evaluation step from which its accuracy stays at or above
    ``level`` to the end of training (NaN: never): when each token is learnt. ``curves``
    holds one list of per-position accuracies per evaluation, in step order."""
    if len(steps) != len(curves) or not curves:
        raise ValueError("one accuracy list per evaluation step is needed")
    acc = np.asarray(curves, dtype=float)  # (evaluations, positions)
    out = []
    for j in range(acc.shape[1]):
        below = np.nonzero(acc[:, j] < level)[0]
        first = 0 if below.size == 0 else int(below[-1]) + 1
        out.append(float(steps[first]) if first < len(steps) else float("nan"))
    return out


@torch.no_grad()
def teacher_forced_accuracy(model: nn.Module, bucket: Bucket, batch_size: int = 2048) -> list[float]:
    """Accuracy of each target position given the true earlier tokens (Clever-Hans probe)."""
    device = next(model.parameters()).device
    hits, count = None, None
    for start in range(0, len(bucket), batch_size):
        x = bucket.inputs[start: start + batch_size].to(device)
        y = bucket.targets[start: start + batch_size].to(device)
        pred = model(x).argmax(-1)  # (b, T)
        mask = y != IGNORE
        h = ((pred == y) & mask).sum(0)
        c = mask.sum(0)
        hits = h if hits is None else hits + h
        count = c if count is None else count + c
    assert hits is not None and count is not None
    cols = count > 0
    return (hits[cols].float() / count[cols].float()).cpu().tolist()


@torch.no_grad()
def edge_logits(model: nn.Module, g: Graph, vocab: Vocab) -> torch.Tensor:
    """Logits over node tokens after ``[EDGE] u``, for every node u: (n, n)."""
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    out = model(edge_queries(g, vocab).to(device))[:, -1, : g.n_nodes].float().cpu()
    model.train(was_training)
    return out


def top_k_recovery(logits: torch.Tensor, g: Graph, self_edges: bool = False) -> dict[str, float]:
    """The paper's top-k edge recovery (§3-§4): for a node of degree k, |neighbours in its top-k predictions| / k; mean x 100.

    Also the top-1 accuracy (is the best prediction a neighbour?), whose ceiling is the
    degree-capped value (star 53.12%, grid 33.33%, ...) when measured as
    the share of edges (u, v) whose v is the top prediction.
    """
    neigh = [set(a.tolist()) for a in g.neighbours()]
    if self_edges:
        neigh = [s | {u} for u, s in enumerate(neigh)]
    order = torch.argsort(logits, dim=1, descending=True).numpy()
    scores, top1 = [], []
    for u, nb in enumerate(neigh):
        if not nb:
            continue
        k = len(nb)
        scores.append(len(nb & set(order[u, :k].tolist())) / k)
        top1.append(float(order[u, 0] in nb))
    deg = np.array([len(s) for s in neigh if s])
    edge_top1 = float(np.sum(np.array(top1)) / deg.sum())  # each node's best guess hits one of its edges
    return {"top_k": 100.0 * float(np.mean(scores)), "top1_node": 100.0 * float(np.mean(top1)),
            "top1_edge": 100.0 * edge_top1}


def top1_edge_cap(g: Graph) -> float:
    """Best possible share of edges recovered by a top-1 prediction per node (the degree cap)."""
    deg = degrees(g)
    return 100.0 * float((deg > 0).sum() / deg.sum())


# ---------------------------------------------------------------------------- geometry

def _unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def cosine_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(p, m) x (q, m) -> (p, q) matrix of 1 - cosine similarity."""
    return 1.0 - _unit(a) @ _unit(b).T


def leaf_first_hop_distances(emb: np.ndarray, g: Graph, path_ids: np.ndarray) -> np.ndarray:
    """The paper's leaf / first-hop heatmap (§2): (i, j) = cosine distance(leaf of path i, first hop of path j)."""
    paths = np.array(g.paths)[path_ids]
    return cosine_distance(emb[paths[:, -1]], emb[paths[:, 1]])


def diagonal_contrast(dist: np.ndarray, n_perm: int = 1000, seed: int = 0) -> dict[str, float]:
    """Mean off-diagonal minus mean diagonal distance, and a permutation p-value.

    The baseline pairs each row with a random column permutation: under "no geometry"
    the diagonal is no closer than any other pairing.
    """
    p = dist.shape[0]
    diag = float(np.mean(np.diag(dist)))
    off = float((dist.sum() - np.trace(dist)) / max(1, p * p - p))
    rng = np.random.default_rng(seed)
    null = np.array([dist[np.arange(p), rng.permutation(p)].mean() for _ in range(n_perm)])
    p_value = float((1 + np.sum(null <= diag)) / (1 + n_perm))
    return {"diag": diag, "off_diag": off, "contrast": off - diag, "p_value": p_value}


def navigation_accuracy(emb: np.ndarray, g: Graph, path_ids: np.ndarray) -> float:
    """1-step navigation: share of leaves whose most cosine-similar first hop is their own.

    Chance is 1/d. This is the geometric shortcut of the paper: an l-fold composition
    answered by one nearest-neighbour look-up among the root's neighbours.
    """
    paths = np.array(g.paths)
    hops = _unit(emb[paths[:, 1]])  # (d_paths, m) every first hop is a candidate
    leaves = _unit(emb[paths[path_ids, -1]])  # (p, m)
    choice = np.argmax(leaves @ hops.T, axis=1)
    truth = np.asarray(path_ids)
    return float(np.mean(paths[choice, 1] == paths[truth, 1]))


def path_distance_matrix(emb: np.ndarray, g: Graph, path_ids: np.ndarray) -> np.ndarray:
    """The paper's path clusters (§2): D(i, i) mean cosine distance over distinct node pairs of path i (root
    excluded); D(i, j) mean over all pairs with one node from each path."""
    nodes = [np.array(g.paths[i][1:]) for i in path_ids]
    out = np.zeros((len(nodes), len(nodes)))
    for i, a in enumerate(nodes):
        for j, b in enumerate(nodes):
            d = cosine_distance(emb[a], emb[b])
            out[i, j] = d[~np.eye(len(a), dtype=bool)].mean() if i == j else d.mean()
    return out


def spectral_energy(emb: np.ndarray, eigvecs: np.ndarray) -> np.ndarray:
    """``||V^T e_i||_2`` for each eigenvector ``e_i`` (columns of ``eigvecs``): (n,)."""
    return np.linalg.norm(np.asarray(eigvecs).T @ np.asarray(emb, dtype=np.float64), axis=1)


def top_k_energy_share(emb: np.ndarray, eigvecs: np.ndarray, k: int) -> float:
    """Share of the (uncentred) embedding's energy (squared norm) in the first ``k`` of the
    given eigenvectors (columns of ``eigvecs``). Not the book's *spectral alignment*
    (:func:`geomem_utils.science.spectral.alignment`: centred, on the smooth set)."""
    e = spectral_energy(emb, eigvecs) ** 2
    return float(e[:k].sum() / max(e.sum(), 1e-300))


def hop_distance_correlation(emb: np.ndarray, g: Graph) -> float:
    """"Looks like the graph" as one number (01): the Spearman correlation, over node pairs
    in the same component, between their hop distance in ``g`` and the cosine distance of
    their embeddings (rows of ``emb``). 1: closer in the graph always means closer in the
    embedding; 0: no relation."""
    import networkx as nx
    from scipy.stats import spearmanr

    hops = nx.floyd_warshall_numpy(g.to_networkx(), nodelist=range(g.n_nodes))  # inf across components
    iu = np.triu_indices(g.n_nodes, 1)
    h, c = hops[iu], cosine_distance(emb, emb)[iu]
    keep = np.isfinite(h)
    return float(spearmanr(h[keep], c[keep])[0])


def binomial_se(p: float, n: int) -> float:
    """Standard error of an accuracy measured on ``n`` independent items when the truth is ``p``."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    return math.sqrt(p * (1 - p) / n)


def chance_z(accuracy: float, chance: float, n: int) -> float:
    """How many binomial standard errors ``accuracy`` (over ``n`` items) lies above ``chance``
    (negative below it): ``(accuracy - chance) / sqrt(chance (1 - chance) / n)``."""
    if not 0 < chance < 1:
        raise ValueError(f"chance must be in (0, 1), got {chance}")
    return (accuracy - chance) / binomial_se(chance, n)
