"""Unit tests of geomem_utils.spectral (chapter 02_spectral_bias), and its claim check failing
for embeddings with no geometry."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest
import torch

from geomem_utils import graphs, spectral
from geomem_utils.models import build_model, node2vec_C, train_node2vec
from geomem_utils.train import seeded


pytestmark = pytest.mark.usefixtures("one_thread")  # small models: one thread is fastest


@pytest.fixture(scope="module")
def tiny() -> dict[str, graphs.Graph]:
    return {name: graphs.tiny_graph(name) for name in graphs.TINY_GRAPHS}


# ---------------------------------------------------------------------------- spectrum

def test_spectrum_matches_paper_and_sets(tiny) -> None:
    for name, g in tiny.items():
        s = spectral.graph_spectrum(g)
        assert np.all(np.diff(s.values) <= 1e-12)  # descending
        assert np.allclose(s.vectors.T @ s.vectors, np.eye(g.n_nodes), atol=1e-10)
        assert np.max(np.abs(s.normalised - np.array(graphs.SPEC_SPECTRA[name]))) <= 5e-4
        # the smooth set is a prefix of the eigen-order; zig-zag sits at the bottom
        assert s.smooth[: s.k].all() and not s.smooth[s.k:].any()
        assert not (s.smooth & s.zigzag).any()
    star = spectral.graph_spectrum(tiny["star"])
    assert star.k == 8  # e_0 and the 7 positive normalised eigenvalues
    assert int(star.zigzag.sum()) == 5  # -.787, -1 (x3), -1.082


def test_projection_profile_and_shares_on_eigenvectors(tiny) -> None:
    s = spectral.graph_spectrum(tiny["grid"])
    emb = s.vectors[:, :3] * np.array([2.0, 3.0, 4.0])  # columns along e_0, e_1, e_2
    prof = spectral.projection_profile(emb, s)
    assert np.allclose(prof[:3], [2.0, 3.0, 4.0]) and np.allclose(prof[3:], 0, atol=1e-10)
    assert spectral.normalised_profile(prof)[1] == pytest.approx(1.0)
    assert spectral.alignment(emb, s, centre=False) == pytest.approx(1.0)
    bottom = s.vectors[:, -2:]
    assert spectral.energy_shares(bottom, s, centre=False) == pytest.approx({"smooth": 0.0, "zigzag": 1.0})
    # centring removes a shared offset, which carries no graph information
    offset = np.ones((s.n, 1)) @ np.array([[5.0, -1.0, 2.0]])
    assert spectral.alignment(bottom @ np.ones((2, 3)) + offset, s) == pytest.approx(0.0, abs=1e-10)
    with pytest.raises(ValueError, match="rows"):
        spectral.projection_profile(np.zeros((s.n + 1, 2)), s)


def test_random_shares_is_the_expectation(tiny) -> None:
    s = spectral.graph_spectrum(tiny["star"])
    rng = np.random.default_rng(0)
    draws = [spectral.energy_shares(rng.standard_normal((s.n, 64)), s) for _ in range(300)]
    exp = spectral.random_shares(s)
    assert np.mean([d["smooth"] for d in draws]) == pytest.approx(exp["smooth"], abs=0.01)
    assert np.mean([d["zigzag"] for d in draws]) == pytest.approx(exp["zigzag"], abs=0.01)
    assert 0.3 < exp["smooth"] < 0.55  # about k / n


# ---------------------------------------------------------------------------- Node2Vec dynamics

def test_c_norms_at_init_are_the_laplacian_eigenvalues(tiny) -> None:
    g = tiny["cycle"]
    s = spectral.graph_spectrum(g)
    A = graphs.adjacency(g).toarray()
    V = np.random.default_rng(1).standard_normal((g.n_nodes, 100))  # P = I to machine precision
    assert np.allclose(spectral.c_norms(V, A, s), np.abs(s.values - 2.0), atol=1e-8)  # C = -L = M - 2I
    assert 0.1 < spectral.stationarity(V, A) < 0.5


def test_stationarity_falls_and_alignment_rises_under_training(tiny) -> None:
    g = tiny["cycle"]
    A = graphs.adjacency(g).toarray()
    run = train_node2vec(A, steps=3000, seed=0, snapshot_steps=[0, 3000])
    r0, r1 = (spectral.stationarity(run.snapshots[t], A) for t in (0, 3000))
    assert r1 < 1e-2 * r0
    s = spectral.graph_spectrum(g)
    assert spectral.alignment(run.V, s) > 0.99 > spectral.alignment(run.snapshots[0], s)


def test_subspace_tools() -> None:
    rng = np.random.default_rng(2)
    q, _ = np.linalg.qr(rng.standard_normal((8, 8)))
    S = q @ np.diag([5.0, 4.0, 3.0, 0, 0, 0, 0, 0]) @ q.T
    top = spectral.top_eigenvectors(S, 3)
    assert np.allclose(spectral.subspace_cosines(top, q[:, :3]), 1.0)
    assert np.allclose(spectral.subspace_cosines(top, q[:, 3:6]), 0.0, atol=1e-10)
    V = q[:, :3] * np.array([10.0, 5.0, 0.1])
    assert spectral.kept_rank(V) == 2 and spectral.kept_rank(V, rel=0.001) == 3
    P = spectral.softmax_rows(V)
    assert np.allclose(P.sum(axis=1), 1.0)


def test_untied_step_is_the_gradient(tiny) -> None:
    """One closed-form step of the untied model equals one autograd step on the total loss."""
    g = tiny["star"]
    A = graphs.adjacency(g).toarray()
    lr = 0.05
    run = spectral.train_node2vec_untied(A, width=6, lr=lr, steps=1, init_std=0.3, seed=3)
    gen = torch.Generator().manual_seed(3)
    U = (torch.randn(g.n_nodes, 6, generator=gen, dtype=torch.float64) * 0.3).requires_grad_()
    W = (torch.randn(g.n_nodes, 6, generator=gen, dtype=torch.float64) * 0.3).requires_grad_()
    T = torch.as_tensor(A / A.sum(1, keepdims=True))
    loss = -(T * torch.log_softmax(U @ W.T, dim=1)).sum()
    loss.backward()
    assert np.allclose(run.U, (U - lr * U.grad).detach().numpy(), atol=1e-12)
    assert np.allclose(run.W, (W - lr * W.grad).detach().numpy(), atol=1e-12)
    assert run.loss[0] == pytest.approx(float(loss.detach()) / g.n_nodes)


def test_untied_runs_learn_and_validate(tiny) -> None:
    A = graphs.adjacency(tiny["grid"]).toarray()
    run = spectral.train_node2vec_untied(A, width=16, steps=400, init_std=0.01, seed=0, snapshot_steps=[0, 400])
    assert run.loss[-1] < run.loss[0] and set(run.snapshots) == {0, 400}
    for bad in (dict(steps=-1), dict(lr=0.0), dict(init_std=-1.0), dict(steps=5, snapshot_steps=[6])):
        with pytest.raises(ValueError, match=rf"train_node2vec_untied\.{list(bad)[-1]} must"):
            spectral.train_node2vec_untied(A, **bad)


def test_spectral_run_and_figures(tiny) -> None:
    run = spectral.node2vec_spectral_run("star", steps=300, seed=0, n_snapshots=8)
    n = tiny["star"].n_nodes
    assert run.profiles.shape == run.cnorms.shape == (len(run.steps), n)
    assert run.steps[0] == 0 and run.steps[-1] == 300 and len(run.loss) == 300
    C0 = node2vec_C(run.snapshots[0], graphs.adjacency(tiny["star"]).toarray())
    assert np.allclose(C0, graphs.neg_laplacian(tiny["star"]), atol=1e-12)
    untied = spectral.node2vec_spectral_run(tiny["grid"], steps=100, tied=False, n_snapshots=4, init_std=0.01)
    assert np.isnan(untied.cnorms).all() and np.isnan(untied.residual).all()
    fig = spectral.node2vec_spectral_figure(run=run)
    assert isinstance(fig, go.Figure) and len(fig.data) == 2 + 2 + 2 * n
    untied_fig = spectral.node2vec_spectral_figure("cycle", steps=50, tied=False)
    bars_ = [t for t in untied_fig.data if t.type == "bar"]
    assert len(bars_) == 2 and {len(t.y) for t in bars_} <= {tiny["cycle"].n_nodes - 1, tiny["cycle"].n_nodes}
    assert "untied" in untied_fig.layout.title.text and "cycle" in untied_fig.layout.title.text
    frames = spectral.dynamics_frames_figure(run)
    assert len(frames.frames) == len(run.steps) and frames.layout.sliders
    eig = spectral.eigenvector_figure({"star": tiny["star"]})
    M = graphs.sym_transition(tiny["star"])
    colours = [np.asarray(t.marker.color, dtype=float) for t in eig.data if t.mode == "markers"]
    assert len(colours) == 3 and all(c.shape == (n,) for c in colours)
    for c in colours:  # each panel colours the nodes by an eigenvector of M
        lam = c @ M @ c / (c @ c)
        assert np.allclose(M @ c, lam * c, atol=1e-8)
    spec = spectral.graph_spectrum(tiny["star"])
    bars = spectral.profile_bars_grid({"star": spec}, {"star": {"a": run.profiles[-1]}})
    assert len(bars.data) == 2


def test_snapshot_schedule() -> None:
    sched = spectral.snapshot_schedule(10_000, 40)
    assert sched[0] == 0 and sched[-1] == 10_000 and 30 <= len(sched) <= 41
    ratios = np.diff(np.log(sched[1:]))  # log-spaced: the dynamics span decades, every decade sampled
    assert np.all(ratios > 0) and ratios.max() <= np.log(2) + 1e-9 and ratios[-10:].max() < 0.35
    assert sum(s <= 10 for s in sched) >= 5 and sum(s >= 1000 for s in sched) >= 8
    assert spectral.snapshot_schedule(0) == [0]


def test_widget_builds_without_training_and_retrains_on_change() -> None:
    pytest.importorskip("ipywidgets")
    box = spectral.node2vec_widget(graph_name="cycle", steps=100)
    controls = box.children[0].children[0].children + box.children[0].children[1].children
    status, out = box.children[1], box.children[2]
    assert "Move a control" in status.value and not out.outputs
    steps = next(c for c in controls if c.description == "steps")
    steps.value = 200  # observe -> retrain and redraw
    assert "retrained" in status.value


# ---------------------------------------------------------------------------- the claim check

def _measured(g: graphs.Graph, n2v_emb, deep_emb, assoc_emb) -> dict:
    """The chapter's measured numbers for one graph, with the given embeddings in the roles."""
    s = spectral.graph_spectrum(g)
    A = graphs.adjacency(g).toarray()
    rnd = spectral.random_shares(s)
    run = train_node2vec(A, steps=2000, seed=0, snapshot_steps=[0, 2000])
    untied = spectral.train_node2vec_untied(A, steps=2000, init_std=0.01, seed=0)
    untied_se = spectral.train_node2vec_untied(A, steps=2000, init_std=0.01, seed=0, self_edges=True)
    sh = lambda e: spectral.energy_shares(e, s)  # noqa: E731
    one = lambda v: {g.name: v}  # noqa: E731
    return dict(
        spectra_error=one(float(np.max(np.abs(s.normalised - np.array(graphs.SPEC_SPECTRA[g.name]))))),
        star_loss_first=96.1, star_loss_last=1.30,
        c0_error=one(float(np.linalg.norm(node2vec_C(run.snapshots[0], A) - graphs.neg_laplacian(g))
                           / np.linalg.norm(graphs.neg_laplacian(g)))),
        n2v_alignment=one(sh(n2v_emb)["smooth"]),
        n2v_stationarity_drop=one(spectral.stationarity(run.V, A) / spectral.stationarity(run.snapshots[0], A)),
        random_alignment=one(rnd["smooth"]),
        deep_alignment={"model": one(sh(deep_emb)["smooth"])},
        deep_self_edge_alignment={"model": one(sh(deep_emb)["smooth"])},
        assoc_alignment=one(sh(assoc_emb)["smooth"]), assoc_top_k=one(100.0),
        tied_zigzag=one(sh(run.V)["zigzag"]),
        untied_zigzag=one(sh(untied.U)["zigzag"]), untied_self_edge_zigzag=one(sh(untied_se.U)["zigzag"]),
        random_zigzag=one(rnd["zigzag"]),
        deep_zigzag={"model": one(0.3)}, deep_self_edge_zigzag={"model": one(0.1)},
    )


def _failed(checks) -> set[str]:
    return {c.name for c in checks if not c.passed}


def test_checks_pass_for_geometric_embeddings_and_fail_without_geometry(tiny) -> None:
    g = tiny["cycle"]
    s = spectral.graph_spectrum(g)
    n2v = train_node2vec(graphs.adjacency(g).toarray(), steps=2000, seed=0).V
    with seeded(0):
        frozen = build_model("assoc", g.n_nodes + 4, 4, width=64).embedding_matrix()[: g.n_nodes].numpy()
    # a deep model with some geometry: Node2Vec's embedding blurred by a little noise
    rng = np.random.default_rng(0)
    blurred = n2v / np.linalg.norm(n2v) + 0.35 * rng.standard_normal(n2v.shape) / np.sqrt(n2v.size)
    assert spectral.alignment(n2v, s) > spectral.alignment(blurred, s) > spectral.random_shares(s)["smooth"] + 0.2
    good = spectral.spectral_bias_checks(**_measured(g, n2v, blurred, frozen))
    assert not _failed(good), _failed(good)

    # a "deep model" that is a frozen, associative embedding: no geometry, the checks say so
    no_geo = spectral.spectral_bias_checks(**_measured(g, n2v, frozen, frozen))
    assert {"model (edges) alignment - random (min over graphs)",
            "model (edges + self-edges) alignment - random (min over graphs)"} <= _failed(no_geo)
    # an untrained (random) matrix in Node2Vec's place fails the Node2Vec alignment check
    untrained = rng.standard_normal((g.n_nodes, 100))
    bad_n2v = spectral.spectral_bias_checks(**_measured(g, untrained, blurred, frozen))
    assert "Node2Vec spectral alignment (min over graphs)" in _failed(bad_n2v)
    # a "frozen" model that did learn a geometry is caught by the associative control
    moved = spectral.spectral_bias_checks(**_measured(g, n2v, blurred, n2v))
    assert "associative (frozen) |alignment - random| (max over graphs)" in _failed(moved)
    # a deep model as aligned as Node2Vec leaves no headroom
    no_headroom = spectral.spectral_bias_checks(**_measured(g, n2v, n2v, frozen))
    assert "Node2Vec alignment - best deep model's (min over graphs)" in _failed(no_headroom)
