"""The spectral lens on embeddings (the paper's §4: Node2Vec and the graph's spectrum): the maths.

Introduced in ``02_spectral_bias``; reused by the playground chapter. Everything is
measured in the eigenbasis of the graph's ``M = D^-1 A + (D^-1 A)^T`` (= ``-L + 2I``):
eigenvectors ``e_i`` sorted by descending eigenvalue, ``e_0`` the near-constant one. Pieces:

- :class:`Spectrum` / :func:`graph_spectrum`: the eigenpairs, the paper's normalised
  spectrum, the "smooth" set (``e_0`` and every ``e_i`` with a positive normalised
  eigenvalue) and the "zig-zag" set (normalised eigenvalue <= -1/2);
- :func:`projection_profile` (``||V^T e_i||``), :func:`top_k_projection` (energy on the top-k
  eigenvectors, largest projection outside them), :func:`energy_shares` (the share of an
  embedding's squared norm on the smooth and zig-zag sets) and their expectation for an
  isotropic random matrix (:func:`random_shares`);
- the Node2Vec dynamics ``V <- V + eta C(t) V``: :func:`c_norms` (``||C(t) e_i||``),
  :func:`stationarity` (``||C V|| / (||C|| ||V||)``), :func:`subspace_cosines`;
- :func:`node2vec_spectral_run`: one (tied or untied) Node2Vec run measured in the eigenbasis.

The Node2Vec trainers (tied and untied) live in :mod:`geomem_utils.science.models.shallow`, the
chapter's figures in :mod:`geomem_utils.figures.spectral`, its widget in
:mod:`geomem_utils.live.controls`, its checks and verdicts in :mod:`geomem_utils.chapters.spectral_bias_checks`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from geomem_utils.science import graphs as _graphs
from geomem_utils.science.models.shallow import (
    Adjacency, node2vec_C, train_node2vec, train_node2vec_untied,
)


#: Normalised eigenvalues at or below this mark the "zig-zag" eigenvectors: vectors that
#: flip sign from most nodes to their neighbours (the bipartite directions).
ZIGZAG_BELOW = -0.5

#: The Node2Vec settings of the paper's release (§4).
NODE2VEC_DEFAULTS = dict(width=100, lr=0.01, steps=10_000, init_std=1.0)


# ----------------------------------------------------------------------------- spectrum

@dataclass(frozen=True)
class Spectrum:
    """Eigenpairs of ``M = D^-1 A + (D^-1 A)^T`` of one graph, eigenvalues descending.

    ``values``: (n,); ``vectors``: (n, n), column i is ``e_i`` (unit norm).
    """

    values: np.ndarray
    vectors: np.ndarray

    @property
    def n(self) -> int:
        return int(self.values.shape[0])

    @property
    def normalised(self) -> np.ndarray:
        """The paper's normalisation (§4): the top eigenvalue dropped, the rest divided by the largest left: (n-1,)."""
        rest = self.values[1:]
        return rest / rest[0]

    @property
    def smooth(self) -> np.ndarray:
        """(n,) bool: ``e_0`` and every ``e_i`` with a positive normalised eigenvalue.

        A positive eigenvalue of M means that, on average, a node and its neighbours share
        the sign of ``e_i``: the smooth, Fiedler-like half of the spectrum.
        """
        return np.concatenate([[True], self.normalised > 1e-9])

    @property
    def k(self) -> int:
        """Size of the smooth set; it is a prefix of the eigen-order (values are sorted)."""
        return int(self.smooth.sum())

    @property
    def zigzag(self) -> np.ndarray:
        """(n,) bool: eigenvectors with normalised eigenvalue <= :data:`ZIGZAG_BELOW`."""
        return np.concatenate([[False], self.normalised <= ZIGZAG_BELOW + 1e-9])


def graph_spectrum(g: _graphs.Graph, self_edges: bool = False) -> Spectrum:
    """The :class:`Spectrum` of ``g`` (``self_edges=True``: of ``A + I``)."""
    values, vectors = _graphs.spectrum(g, self_edges)
    return Spectrum(np.asarray(values, dtype=np.float64), np.asarray(vectors, dtype=np.float64))


# ----------------------------------------------------------------------------- projections

def _rows(emb: np.ndarray | torch.Tensor, centre: bool) -> np.ndarray:
    x = emb.detach().cpu().numpy() if isinstance(emb, torch.Tensor) else np.asarray(emb)
    x = x.astype(np.float64)
    if x.ndim != 2:
        raise ValueError(f"an embedding must be a (n_nodes, width) matrix, got shape {x.shape}")
    return x - x.mean(axis=0, keepdims=True) if centre else x


def projection_profile(emb: np.ndarray | torch.Tensor, spectrum: Spectrum, centre: bool = False) -> np.ndarray:
    """``||V^T e_i||_2`` for every eigenvector, in the spectrum's order: (n,).

    ``emb``: (n_nodes, width), node rows only. ``centre=True`` first subtracts the mean
    row (a shared offset of every embedding, which carries no graph information).
    """
    x = _rows(emb, centre)
    if x.shape[0] != spectrum.n:
        raise ValueError(f"the embedding has {x.shape[0]} rows but the graph has {spectrum.n} nodes")
    return np.linalg.norm(spectrum.vectors.T @ x, axis=1)


def normalised_profile(profile: np.ndarray) -> np.ndarray:
    """The paper's normalisation (§4): drop ``e_0``'s entry, divide the rest by their largest: (n-1,)."""
    rest = np.asarray(profile, dtype=np.float64)[1:]
    return rest / max(float(rest.max()), 1e-300)


def energy_shares(emb: np.ndarray | torch.Tensor, spectrum: Spectrum, centre: bool = True) -> dict[str, float]:
    """Shares of the embedding's squared norm on the smooth set and on the zig-zag set.

    ``smooth`` is the book's *spectral alignment* (:func:`alignment`): 1 when every column
    of V lies in the span of the smooth eigenvectors, about ``k / n`` for a random matrix.
    """
    e = projection_profile(emb, spectrum, centre) ** 2
    total = max(float(e.sum()), 1e-300)
    return {"smooth": float(e[spectrum.smooth].sum() / total), "zigzag": float(e[spectrum.zigzag].sum() / total)}


def top_k_projection(emb: np.ndarray | torch.Tensor, spectrum: Spectrum, k: int) -> dict[str, float]:
    """Spectral bias in the paper's words, on the uncentred embedding: the share of its
    squared norm on the top ``k`` eigenvectors ``e_0 .. e_{k-1}`` of -L (``k`` = the rank V
    keeps, :func:`kept_rank`), and the largest projection ``||V^T e_i||`` outside them,
    normalised by the largest of all (about 1 for a random matrix, 0 when the rest decayed)."""
    if not 1 <= k <= spectrum.n:
        raise ValueError(f"k must lie in [1, {spectrum.n}], got {k}")
    prof = projection_profile(emb, spectrum)
    e = prof ** 2
    outside = float(prof[k:].max() / max(float(prof.max()), 1e-300)) if k < spectrum.n else 0.0
    return {"energy": float(e[:k].sum() / max(float(e.sum()), 1e-300)), "outside": outside}


def alignment(emb: np.ndarray | torch.Tensor, spectrum: Spectrum, centre: bool = True) -> float:
    """The book's one *spectral alignment*: the share of the (centred) embedding's energy
    on the smooth set (``energy_shares(...)["smooth"]``; chapters 02 and 05)."""
    return energy_shares(emb, spectrum, centre)["smooth"]


def random_shares(spectrum: Spectrum, centre: bool = True) -> dict[str, float]:
    """Expected :func:`energy_shares` of a matrix with i.i.d. Gaussian entries (exact ratio
    of expectations: ``E||(PV)^T e_i||^2 = m ||P e_i||^2`` with P the centring projector)."""
    n = spectrum.n
    proj = np.eye(n) - (np.ones((n, n)) / n if centre else 0.0)
    w = np.linalg.norm(proj @ spectrum.vectors, axis=0) ** 2  # (n,)
    return {"smooth": float(w[spectrum.smooth].sum() / w.sum()), "zigzag": float(w[spectrum.zigzag].sum() / w.sum())}


# ----------------------------------------------------------------------------- Node2Vec dynamics

def c_norms(V: np.ndarray, adjacency: Adjacency, spectrum: Spectrum, self_edges: bool = False) -> np.ndarray:
    """``||C e_i||_2`` for every eigenvector, with ``C = (D^-1A - P) + (D^-1A - P)^T``: (n,)."""
    C = node2vec_C(np.asarray(V, dtype=np.float64), adjacency, self_edges)
    return np.linalg.norm(C @ spectrum.vectors, axis=0)


def stationarity(V: np.ndarray, adjacency: Adjacency, self_edges: bool = False) -> float:
    """``||C V||_F / (||C||_F ||V||_F)``: how much of the update ``eta C V`` is left.

    About ``1 / sqrt(n)`` for a random V; 0 when every column of V lies in the null space
    of C, i.e. when C vanishes on the directions that V keeps.
    """
    V = np.asarray(V, dtype=np.float64)
    C = node2vec_C(V, adjacency, self_edges)
    return float(np.linalg.norm(C @ V) / max(np.linalg.norm(C) * np.linalg.norm(V), 1e-300))


def kept_rank(V: np.ndarray, rel: float = 0.05) -> int:
    """Number of singular values of V above ``rel`` times the largest: the directions V keeps."""
    s = np.linalg.svd(np.asarray(V, dtype=np.float64), compute_uv=False)
    return int((s > rel * s[0]).sum())


def top_eigenvectors(S: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` eigenvectors of the symmetric matrix S with the largest eigenvalues: (n, k)."""
    vals, vecs = np.linalg.eigh(np.asarray(S, dtype=np.float64))
    return vecs[:, np.argsort(-vals, kind="stable")[:k]]


def subspace_cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosines of the principal angles between span(a) and span(b) (orthonormal columns),
    largest first. All 1: the same subspace. Immune to the basis chosen inside a
    degenerate eigenspace, unlike vector-by-vector cosines."""
    return np.linalg.svd(np.asarray(a).T @ np.asarray(b), compute_uv=False)


def softmax_rows(V: np.ndarray) -> np.ndarray:
    """``P = row_softmax(V V^T)``: (n, n)."""
    return torch.softmax(torch.as_tensor(np.asarray(V, dtype=np.float64)) @ torch.as_tensor(np.asarray(V, dtype=np.float64)).T, dim=1).numpy()



# ----------------------------------------------------------------------------- one spectral run

def snapshot_schedule(steps: int, count: int = 40) -> list[int]:
    """``0`` plus about ``count`` log-spaced steps up to ``steps`` (dynamics span decades)."""
    if steps <= 0:
        return [0]
    pts = np.unique(np.round(np.geomspace(1, steps, max(2, count - 1))).astype(int))
    return [0] + [int(s) for s in pts]


def resolve_graph(graph: str | _graphs.Graph) -> _graphs.Graph:
    """A tiny graph by name (``star``, ``grid``, ``cycle``, ``irregular``) or a Graph as is."""
    return _graphs.tiny_graph(graph) if isinstance(graph, str) else graph


@dataclass
class SpectralRun:
    """One Node2Vec run seen through the spectrum (see :func:`node2vec_spectral_run`).

    ``steps``: (S,) snapshot steps; ``profiles``: (S, n) ``||V(t)^T e_i||``; ``cnorms``:
    (S, n) ``||C(t) e_i||`` (NaN for an untied run); ``residual``: (S,) :func:`stationarity`
    (NaN untied); ``loss``: per-node mean loss per step; ``V``: final (input) embedding.
    """

    graph: _graphs.Graph
    spectrum: Spectrum
    settings: dict[str, Any]
    steps: np.ndarray
    profiles: np.ndarray
    cnorms: np.ndarray
    residual: np.ndarray
    loss: np.ndarray
    V: np.ndarray
    snapshots: dict[int, np.ndarray]
    wall_s: float = 0.0

    @property
    def shares(self) -> dict[str, float]:
        return energy_shares(self.V, self.spectrum)


def node2vec_spectral_run(
    graph: str | _graphs.Graph = "star",
    width: int = 100,
    lr: float = 0.01,
    steps: int = 10_000,
    init_std: float = 1.0,
    self_edges: bool = False,
    seed: int = 0,
    tied: bool = True,
    n_snapshots: int = 40,
) -> SpectralRun:
    """Train (tied or untied) Node2Vec on a graph and measure its spectral dynamics.

    Projections are always on the eigenvectors of the plain graph's M (the geometry of
    the graph), also when the model trains with self-edges.
    """
    g = resolve_graph(graph)
    A = _graphs.adjacency(g).toarray()
    spec = graph_spectrum(g)
    sched = snapshot_schedule(steps, n_snapshots)
    t0 = time.perf_counter()
    kw = dict(width=width, lr=lr, steps=steps, init_std=init_std, seed=seed, snapshot_steps=sched, self_edges=self_edges)
    if tied:
        run = train_node2vec(A, **kw)
        V, loss, snaps = run.V, run.loss, run.snapshots
    else:
        urun = train_node2vec_untied(A, **kw)
        V, loss, snaps = urun.U, urun.loss, urun.snapshots
    wall = time.perf_counter() - t0
    profiles = np.stack([projection_profile(snaps[s], spec) for s in sched])
    if tied:
        cn = np.stack([c_norms(snaps[s], A, spec, self_edges) for s in sched])
        res = np.array([stationarity(snaps[s], A, self_edges) for s in sched])
    else:
        cn = np.full_like(profiles, np.nan)
        res = np.full(len(sched), np.nan)
    settings = dict(graph=g.name, width=width, lr=lr, steps=steps, init_std=init_std, self_edges=self_edges,
                    seed=seed, tied=tied)
    return SpectralRun(g, spec, settings, np.array(sched), profiles, cn, res, np.asarray(loss), np.asarray(V),
                       snaps, wall)
