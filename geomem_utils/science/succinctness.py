"""Proposition 1 (the paper's §5, "Succinctness"): what each kind of memory costs.

Introduced in ``04_memorization_puzzle``. For a graph with node set V and edge set E,
stored in both directions (2|E| directed facts):

bits
    associative: every directed fact ``u -> v`` stores the id of ``v``, ``log2 |V|`` bits:
    ``|E| log2 |V|`` per direction. Geometric: ``|V|`` embeddings of ``m`` numbers with
    ``Delta`` levels each, ``|V| m log2 Delta`` (twice that untied); the embeddings must at
    least tell the ``|V|`` nodes apart (``Delta^m >= |V|``), so the cheapest geometric
    memory costs ``|V| log2 |V|`` bits.
l2 norm at margin 1
    associative: one-hot embeddings and ``W = sum over facts of e_v e_u^T`` give every fact
    logit 1 and every other logit 0, with ``||W||_F = sqrt(|E|)`` per direction (an upper
    bound on the cheapest table). Geometric: the paper's lower bound ``sqrt(|V|)``
    (``sqrt(2 |V|)`` untied).

The ratio associative / geometric is ``2|E| / |V|`` in bits and its square root in norm.
A path-star G(d, l) has ``|E| = |V| - 1`` and a cycle ``|E| = |V|``, so both ratios stay
in [1, 2] at every size: the lookup table is never more than twice as expensive as the
geometry, and succinctness cannot be why geometry wins. Dense graphs break the bound
(a complete graph has ratio ``|V| - 1``).

The second half measures trained solutions the same way: a logit table or an embedding
rescaled so that its worst stored fact has margin exactly 1 (:func:`fact_margin`).
"""

from __future__ import annotations

import math

import numpy as np

from geomem_utils.science.graphs import Graph, adjacency
from geomem_utils.validate import ConfigError


def _positive(name: str, value: int | float) -> None:
    # kept, not validate.check_number: a bound takes any positive number, inf included (as before)
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not value > 0:
        raise ConfigError(f"{name} must be a positive number, got {value!r}")


def associative_bits(n_nodes: int, n_edges: int, directions: int = 2) -> float:
    """``directions * |E| * log2 |V|``: one target id per stored fact."""
    _positive("n_nodes", n_nodes)
    _positive("n_edges", n_edges)
    if directions not in (1, 2):
        raise ConfigError(f"directions must be 1 or 2, got {directions!r}")
    return float(directions * n_edges * math.log2(n_nodes))


def geometric_bits(n_nodes: int, width: int | None = None, levels: int | None = None, untied: bool = False) -> float:
    """``|V| m log2 Delta`` (x2 untied); without ``width``/``levels`` the cheapest admissible
    embedding, ``m log2 Delta = log2 |V|`` (just enough to tell the nodes apart)."""
    _positive("n_nodes", n_nodes)
    if (width is None) != (levels is None):
        raise ConfigError("give both width and levels, or neither")
    if width is None:
        per_node = math.log2(n_nodes)
    else:
        _positive("width", width)
        if not (isinstance(levels, int) and levels >= 2):
            raise ConfigError(f"levels must be an integer >= 2, got {levels!r}")
        if levels ** width < n_nodes:
            raise ConfigError(f"{width} numbers with {levels} levels cannot tell {n_nodes} nodes apart")
        per_node = width * math.log2(levels)
    return float((2 if untied else 1) * n_nodes * per_node)


def associative_norm(n_edges: int, directions: int = 2) -> float:
    """``sqrt(directions * |E|)``: Frobenius norm of the one-hot lookup table at margin 1."""
    _positive("n_edges", n_edges)
    if directions not in (1, 2):
        raise ConfigError(f"directions must be 1 or 2, got {directions!r}")
    return math.sqrt(directions * n_edges)


def geometric_norm(n_nodes: int, untied: bool = False) -> float:
    """``sqrt(|V|)`` (``sqrt(2|V|)`` untied): the lower bound on a geometric memory at margin 1."""
    _positive("n_nodes", n_nodes)
    return math.sqrt((2 if untied else 1) * n_nodes)


def prop1_costs(g: Graph, directions: int = 2, untied: bool = False) -> dict[str, float]:
    """Bits and norms of both memories for one graph, and their ratios (associative / geometric)."""
    n, e = g.n_nodes, g.n_edges
    bits_a, bits_g = associative_bits(n, e, directions), geometric_bits(n, untied=untied)
    norm_a, norm_g = associative_norm(e, directions), geometric_norm(n, untied)
    return {
        "nodes": n, "edges": e,
        "bits_associative": bits_a, "bits_geometric": bits_g, "bits_ratio": bits_a / bits_g,
        "norm_associative": norm_a, "norm_geometric": norm_g, "norm_ratio": norm_a / norm_g,
    }


# ---------------------------------------------------------------------------- trained solutions

def fact_margin(logits: np.ndarray, g: Graph) -> float:
    """The worst stored fact: min over directed edges ``(u, v)`` of ``L[u, v]`` minus the best
    non-neighbour logit of ``u`` (self excluded). Positive iff every neighbour of every node
    outranks every non-neighbour (100% top-k recovery)."""
    z = np.asarray(logits, dtype=np.float64)[: g.n_nodes, : g.n_nodes]
    a = adjacency(g).toarray().astype(bool)
    np.fill_diagonal(a, False)
    non = ~a
    np.fill_diagonal(non, False)
    worst_nb = np.where(a, z, np.inf).min(axis=1)
    best_non = np.where(non, z, -np.inf).max(axis=1)
    keep = a.any(axis=1) & non.any(axis=1)
    return float(np.min((worst_nb - best_non)[keep]))


def table_cost(table: np.ndarray, g: Graph) -> float:
    """``||W||_F`` of a logit table rescaled to fact margin 1 (NaN if a fact is not stored)."""
    m = fact_margin(table, g)
    return float(np.linalg.norm(table) / m) if m > 0 else float("nan")


def embedding_cost(emb: np.ndarray, g: Graph) -> float:
    """``||V||_F`` of a tied embedding (logits ``V V^T``) rescaled to fact margin 1.

    The logits are quadratic in V, so the rescaling divides by ``sqrt(margin)``.
    """
    v = np.asarray(emb, dtype=np.float64)
    m = fact_margin(v @ v.T, g)
    return float(np.linalg.norm(v) / math.sqrt(m)) if m > 0 else float("nan")
