"""The spectral lens on embeddings (spec §2 claim 2, §5 Node2Vec, §7 spectra).

Introduced in ``02_spectral_bias``; the live figure and widget are reused by the
playground chapter. Everything is measured in the eigenbasis of the graph's
``M = D^-1 A + (D^-1 A)^T`` (= ``-L + 2I``): eigenvectors ``e_i`` sorted by descending
eigenvalue, ``e_0`` the near-constant one. Pieces:

- :class:`Spectrum` / :func:`graph_spectrum`: the eigenpairs, the spec's normalised
  spectrum, the "smooth" set (``e_0`` and every ``e_i`` with a positive normalised
  eigenvalue) and the "zig-zag" set (normalised eigenvalue <= -1/2);
- :func:`projection_profile` (``||V^T e_i||``), :func:`top_k_projection` (energy on the top-k
  eigenvectors, largest projection outside them), :func:`energy_shares` (the share of an
  embedding's squared norm on the smooth and zig-zag sets) and their expectation for an
  isotropic random matrix (:func:`random_shares`);
- the Node2Vec dynamics ``V <- V + eta C(t) V``: :func:`c_norms` (``||C(t) e_i||``),
  :func:`stationarity` (``||C V|| / (||C|| ||V||)``), :func:`subspace_cosines`;
- an untied Node2Vec twin (:func:`train_node2vec_untied`), and :func:`node2vec_spectral_run`,
  :func:`node2vec_spectral_figure`, :func:`node2vec_widget` for the live figure;
- the chapter's checks and verdicts live in :mod:`geomem_utils.verdicts_spectral`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
import torch
from plotly.colors import sample_colorscale
from plotly.subplots import make_subplots

from . import graphs as _graphs
from .models.shallow import Adjacency, node2vec_C, train_node2vec, transition_matrix
from .plots import pca_2d

#: Normalised eigenvalues at or below this mark the "zig-zag" eigenvectors: vectors that
#: flip sign from most nodes to their neighbours (the bipartite directions).
ZIGZAG_BELOW = -0.5

#: The Node2Vec settings of the paper's release (spec §5).
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
        """Spec §7: the top eigenvalue dropped, the rest divided by the largest left: (n-1,)."""
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
    """Spec §7: drop ``e_0``'s entry, divide the rest by their largest: (n-1,)."""
    rest = np.asarray(profile, dtype=np.float64)[1:]
    return rest / max(float(rest.max()), 1e-300)


def energy_shares(emb: np.ndarray | torch.Tensor, spectrum: Spectrum, centre: bool = True) -> dict[str, float]:
    """Shares of the embedding's squared norm on the smooth set and on the zig-zag set.

    ``smooth`` is the chapter's *spectral alignment*: 1 when every column of V lies in
    the span of the smooth eigenvectors, about ``k / n`` for a random matrix.
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
    """Spectral alignment: the share of the (centred) embedding's energy on the smooth set."""
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


# ----------------------------------------------------------------------------- untied Node2Vec

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

    Same loss and optimiser as :func:`geomem_utils.models.train_node2vec` (full-batch
    gradient descent on the total loss, float64, closed-form gradients): with
    ``G = D^-1A - P`` and ``P = row_softmax(U W^T)``, ``U <- U + lr G W`` and
    ``W <- W + lr G^T U``. U and W are drawn N(0, init_std^2) from one generator (in
    float64; ``dtype=torch.float32`` rounds them and runs the same steps in float32).
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"train_node2vec_untied.steps must be a non-negative int (got {steps!r})")
    if not (isinstance(lr, (int, float)) and np.isfinite(lr) and lr > 0):
        raise ValueError(f"train_node2vec_untied.lr must be a positive number (got {lr!r})")
    if not (isinstance(init_std, (int, float)) and np.isfinite(init_std) and init_std >= 0):
        raise ValueError(f"train_node2vec_untied.init_std must be >= 0 (got {init_std!r})")
    if dtype not in (torch.float32, torch.float64):
        raise ValueError(f"train_node2vec_untied.dtype must be torch.float32 or torch.float64 (got {dtype!r})")
    T = transition_matrix(adjacency, self_edges).to(dtype)  # D^-1 A: (n, n)
    n = T.shape[0]
    wanted = {int(s) for s in snapshot_steps}
    if any(not 0 <= s <= steps for s in wanted):
        raise ValueError(f"train_node2vec_untied.snapshot_steps must lie in [0, steps={steps}]")
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


# ----------------------------------------------------------------------------- figures

def eigen_colors(spectrum: Spectrum) -> list[str]:
    """One colour per eigenvector: blue for smooth (eigenvalue near the top), red for zig-zag."""
    lam = np.concatenate([[1.0], np.clip(spectrum.normalised, -1.0, 1.0)])
    return sample_colorscale("RdBu", list((lam + 1) / 2))


def _graph_traces(g: _graphs.Graph, pos: np.ndarray, values: np.ndarray | None, cmax: float | None,
                  showscale: bool = False, text: Sequence[str] | None = None) -> list[go.Scatter]:
    xs, ys = [], []
    for u, v in g.edges.tolist():
        xs += [float(pos[u, 0]), float(pos[v, 0]), None]
        ys += [float(pos[u, 1]), float(pos[v, 1]), None]
    edges = go.Scatter(x=xs, y=ys, mode="lines", line=dict(color="#bbbbbb", width=1), hoverinfo="skip",
                       showlegend=False)
    marker: dict[str, Any] = dict(size=11, line=dict(width=0.5, color="#333"))
    if values is None:
        marker["color"] = "#4c72b0"
    else:
        marker.update(color=list(map(float, values)), colorscale="RdBu", cmin=-cmax, cmax=cmax, showscale=showscale)
    hover = text or [f"node {i}" + ("" if values is None else f": {values[i]:+.3f}") for i in range(g.n_nodes)]
    nodes = go.Scatter(x=pos[:, 0], y=pos[:, 1], mode="markers", marker=marker, hovertext=list(hover),
                       hoverinfo="text", showlegend=False)
    return [edges, nodes]


def eigenvector_figure(graphs_: Mapping[str, _graphs.Graph], indices: Sequence[int] = (1, 2, -1),
                       height_per_row: int = 230) -> go.Figure:
    """Each graph (rows) drawn once per eigenvector (columns), node colour = ``e_i`` entry.

    Negative indices count from the bottom of the spectrum (-1: the most zig-zag vector).
    """
    names = list(graphs_)
    specs = {k: graph_spectrum(g) for k, g in graphs_.items()}
    titles = []
    for k in names:
        s = specs[k]
        for i in indices:
            j = i % s.n
            lam = "dropped (top)" if j == 0 else f"{s.normalised[j - 1]:+.3f}"
            titles.append(f"{k}: e{j} (λ/λ1 = {lam})")
    fig = make_subplots(rows=len(names), cols=len(indices), subplot_titles=titles,
                        horizontal_spacing=0.03, vertical_spacing=0.08)
    for r, k in enumerate(names, start=1):
        g, s = graphs_[k], specs[k]
        pos = _graphs_layout(g)
        for c, i in enumerate(indices, start=1):
            vec = s.vectors[:, i % s.n]
            vec = vec * (np.sign(vec[np.argmax(np.abs(vec))]) or 1.0)  # a fixed sign for the picture
            for tr in _graph_traces(g, pos, vec, float(np.abs(vec).max()), showscale=(r == 1 and c == len(indices))):
                fig.add_trace(tr, row=r, col=c)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_annotations(font_size=11)
    fig.update_layout(height=height_per_row * len(names) + 40, margin=dict(l=10, r=10, t=40, b=10))
    return fig


def _graphs_layout(g: _graphs.Graph) -> np.ndarray:
    from .plots import graph_layout

    return graph_layout(g)


def profile_bars(spectrum: Spectrum, profiles: Mapping[str, np.ndarray], title: str = "",
                 height: int = 360) -> go.Figure:
    """Spec §7 bars: the normalised spectrum next to normalised projections ``||V^T e_i||``."""
    fig = go.Figure()
    x = list(range(1, spectrum.n))
    fig.add_trace(go.Bar(x=x, y=list(spectrum.normalised), name="graph spectrum λi/λ1", marker_color="#009E73"))
    palette = ("#D55E00", "#4c72b0", "#8172b3", "#937860", "#da8bc3")
    for k, (name, prof) in enumerate(profiles.items()):
        fig.add_trace(go.Bar(x=x, y=list(normalised_profile(prof)), name=f"{name}: ||Vᵀeᵢ|| (normalised)",
                             marker_color=palette[k % len(palette)]))
    fig.update_layout(title=title, barmode="group", height=height, xaxis_title="eigen-index i (descending eigenvalue)",
                      yaxis_title="normalised magnitude", margin=dict(l=50, r=20, t=50, b=40),
                      legend=dict(orientation="h", y=-0.25))
    return fig


def profile_bars_grid(spectra: Mapping[str, Spectrum], profiles: Mapping[str, Mapping[str, np.ndarray]],
                      title: str = "", height_per_row: int = 250) -> go.Figure:
    """:func:`profile_bars` for several graphs, one row each (``profiles[graph][model]``)."""
    names = list(spectra)
    fig = make_subplots(rows=len(names), cols=1, subplot_titles=names, vertical_spacing=0.5 / max(4, len(names) * 2))
    palette = ("#D55E00", "#4c72b0", "#8172b3", "#937860", "#da8bc3")
    for r, gname in enumerate(names, start=1):
        spec = spectra[gname]
        x = list(range(1, spec.n))
        fig.add_trace(go.Bar(x=x, y=list(spec.normalised), name="graph spectrum λi/λ1", marker_color="#009E73",
                             legendgroup="spectrum", showlegend=r == 1), r, 1)
        for k, (model, prof) in enumerate(profiles[gname].items()):
            fig.add_trace(go.Bar(x=x, y=list(normalised_profile(prof)), name=f"{model}: ||Vᵀeᵢ|| normalised",
                                 marker_color=palette[k % len(palette)], legendgroup=model, showlegend=r == 1), r, 1)
    fig.update_layout(title=title, barmode="group", height=height_per_row * len(names) + 80,
                      margin=dict(l=50, r=20, t=60, b=40), legend=dict(orientation="h", y=1.0, yanchor="bottom", x=0))
    fig.update_xaxes(dtick=1)
    return fig


def node2vec_spectral_figure(
    graph_name: str | _graphs.Graph = "star",
    width: int = 100,
    lr: float = 0.01,
    steps: int = 10_000,
    init_std: float = 1.0,
    self_edges: bool = False,
    seed: int = 0,
    tied: bool = True,
    run: SpectralRun | None = None,
) -> go.Figure:
    """Train Node2Vec and draw its spectral story in four panels (the live figure).

    (a) normalised spectrum vs normalised final projections; (b) the final embedding,
    centred and projected on its top-2 principal axes, with the graph's edges; (c)
    ``||V(t)^T e_i||`` over training; (d) ``||C(t) e_i||`` over training (tied) or, for an
    untied model, nothing to show but the loss. Pass ``run`` to draw an existing run.
    """
    if run is None:
        run = node2vec_spectral_run(graph_name, width, lr, steps, init_std, self_edges, seed, tied)
    g, spec = run.graph, run.spectrum
    colors = eigen_colors(spec)
    d_title = "(d) ||C(t) eᵢ|| over training" if tied else "(d) loss per node (no C for an untied model)"
    fig = make_subplots(rows=2, cols=2, horizontal_spacing=0.1, vertical_spacing=0.16, subplot_titles=[
        "(a) spectrum (green) vs final projections (orange)", "(b) final embedding, top-2 principal axes",
        "(c) ||V(t)ᵀ eᵢ|| over training", d_title])
    x = list(range(1, spec.n))
    fig.add_trace(go.Bar(x=x, y=_sig(spec.normalised), marker_color="#009E73", name="λi/λ1", showlegend=False), 1, 1)
    fig.add_trace(go.Bar(x=x, y=_sig(normalised_profile(run.profiles[-1])), marker_color="#D55E00",
                         name="||Vᵀeᵢ|| normalised", showlegend=False), 1, 1)
    xy = pca_2d(run.V)
    for tr in _graph_traces(g, xy, None, None):
        fig.add_trace(tr, 1, 2)
    steps_x = _sig(np.maximum(run.steps, 0.5))  # step 0 shown at 0.5 on the log axis
    for i in range(spec.n):
        lam = "top" if i == 0 else f"{spec.normalised[i - 1]:+.2f}"
        fig.add_trace(go.Scatter(x=steps_x, y=_sig(run.profiles[:, i]), mode="lines", line=dict(color=colors[i], width=1.5),
                                 name=f"e{i} (λ/λ1 {lam})", legendgroup=f"e{i}", showlegend=False,
                                 hovertemplate=f"e{i} (λ/λ1 {lam})<br>step %{{x}}<br>%{{y:.3g}}<extra></extra>"), 2, 1)
        if tied:
            fig.add_trace(go.Scatter(x=steps_x, y=_sig(np.maximum(run.cnorms[:, i], 1e-12)), mode="lines",
                                     line=dict(color=colors[i], width=1.5), legendgroup=f"e{i}", showlegend=False,
                                     hovertemplate=f"e{i}<br>step %{{x}}<br>%{{y:.3g}}<extra></extra>"), 2, 2)
    if not tied:
        fig.add_trace(go.Scatter(x=list(range(1, len(run.loss) + 1, max(1, len(run.loss) // 500))),
                                 y=_sig(run.loss[:: max(1, len(run.loss) // 500)]), mode="lines",
                                 line=dict(color="#333"), showlegend=False), 2, 2)
    fig.update_xaxes(type="log", title_text="step", row=2, col=1)
    fig.update_xaxes(type="log", title_text="step", row=2, col=2)
    fig.update_yaxes(type="log", row=2, col=2)
    fig.update_xaxes(title_text="eigen-index i", row=1, col=1)
    fig.update_xaxes(visible=False, row=1, col=2)
    fig.update_yaxes(visible=False, row=1, col=2)
    sh = run.shares
    s = run.settings
    fig.update_layout(
        height=640, barmode="group", margin=dict(l=50, r=20, t=80, b=40),
        title=dict(font_size=14, text=(
            f"Node2Vec ({'tied' if tied else 'untied'}) on {g.name}: m={s['width']}, lr={s['lr']:g}, {s['steps']} steps, "
            f"init N(0, {s['init_std']:g}²){', self-edges' if s['self_edges'] else ''}, seed {s['seed']}<br>"
            f"alignment {sh['smooth']:.3f} · zig-zag share {sh['zigzag']:.3f} · final loss {run.loss[-1]:.3f}"
            f" · trained in {run.wall_s:.2f} s")))
    return fig


def _sig(x: Any, digits: int = 4) -> list[float]:
    """Values rounded to ``digits`` significant digits (smaller figures in the book's pages)."""
    return [float(f"{v:.{digits}g}") for v in np.ravel(np.asarray(x, dtype=np.float64))]


def dynamics_frames_figure(run: SpectralRun, every: int = 1) -> go.Figure:
    """A slider over the snapshots of a tied run: ``||V(t)^T e_i||`` and ``||C(t) e_i||`` as bars."""
    from .plots import frames_figure

    spec = run.spectrum
    colors = eigen_colors(spec)
    x = [f"e{i}" for i in range(spec.n)]
    pmax = float(np.nanmax(run.profiles)) * 1.05
    cmax = float(np.nanmax(run.cnorms)) * 1.05
    frames, labels = [], []
    picks = sorted(set(range(0, len(run.steps), every)) | {len(run.steps) - 1})  # always the last step
    for j in picks:
        f = make_subplots(rows=1, cols=2, subplot_titles=["||V(t)ᵀ eᵢ||", "||C(t) eᵢ||"], horizontal_spacing=0.1)
        f.add_trace(go.Bar(x=x, y=_sig(run.profiles[j]), marker_color=colors, showlegend=False), 1, 1)
        f.add_trace(go.Bar(x=x, y=_sig(run.cnorms[j]), marker_color=colors, showlegend=False), 1, 2)
        f.update_yaxes(range=[0, pmax], row=1, col=1)
        f.update_yaxes(range=[0, cmax], row=1, col=2)
        f.update_layout(height=420, margin=dict(l=50, r=20, t=80, b=90))
        frames.append(f)
        labels.append(str(int(run.steps[j])))
    return frames_figure(frames, labels, f"Node2Vec on {run.graph.name}: projections and C(t) on each eigenvector "
                                         "(blue = smooth, red = zig-zag)")


# ----------------------------------------------------------------------------- live widget

def node2vec_widget(graph_name: str = "star", width: int = 100, lr: float = 0.01, steps: int = 10_000,
                    init_std: float = 1.0, self_edges: bool = False, seed: int = 0, tied: bool = True,
                    draw_initial: bool = False):
    """Controls that retrain Node2Vec and redraw :func:`node2vec_spectral_figure` on change.

    Returns an ``ipywidgets.VBox``; nothing trains until a control moves (``observe``),
    so building it never blocks a headless run. ``draw_initial=True`` draws the initial
    state into the widget's output at once (for a live kernel); in the static book the
    same function draws the figure outside the widget instead.
    """
    import ipywidgets as w
    from IPython.display import display

    style = {"description_width": "90px"}
    controls = {
        "graph_name": w.Dropdown(options=list(_graphs.TINY_GRAPHS), value=graph_name, description="graph", style=style),
        "width": w.IntSlider(value=width, min=2, max=256, step=2, description="width m", continuous_update=False, style=style),
        "lr": w.FloatLogSlider(value=lr, base=10, min=-4, max=-0.5, step=0.25, description="lr", continuous_update=False, style=style),
        "steps": w.IntSlider(value=steps, min=100, max=30_000, step=100, description="steps", continuous_update=False, style=style),
        "init_std": w.FloatLogSlider(value=init_std, base=10, min=-3, max=1, step=0.25, description="init std", continuous_update=False, style=style),
        "self_edges": w.Checkbox(value=self_edges, description="self-edges u→u", style=style),
        "tied": w.Checkbox(value=tied, description="tied (V Vᵀ)", style=style),
        "seed": w.BoundedIntText(value=seed, min=0, max=2**31 - 1, description="seed", style=style),
    }
    status = w.HTML("<i>Move a control to retrain Node2Vec (needs a live kernel); the figure draws below.</i>")
    out = w.Output()

    def redraw(_change: Any = None) -> None:
        kw = {k: c.value for k, c in controls.items()}
        status.value = "<i>training…</i>"
        t0 = time.perf_counter()
        fig = node2vec_spectral_figure(**kw)
        with out:
            out.clear_output(wait=True)
            display(fig)
        status.value = f"<i>retrained and redrawn in {time.perf_counter() - t0:.2f} s</i>"

    for c in controls.values():
        c.observe(redraw, names="value")
    box = w.VBox([w.HBox([w.VBox(list(controls.values())[:4]), w.VBox(list(controls.values())[4:])]), status, out])
    if draw_initial:
        redraw()
    return box
