"""Unit tests of the core package: graphs, tasks, the training loop, measures, results, params."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from geomem_utils.science import graphs, measures, tasks
from geomem_utils import params, results
from geomem_utils.runs import cache
from geomem_utils.validate import ConfigError
from geomem_utils.execute.inputs import NotebookFailed, check_overrides, parameters_cell, read_notebook, notebook_paths
from geomem_utils.science.models import build_model
from geomem_utils.science.train import Phase, TrainConfig, _batches, lr_at, seeded, train


# ---------------------------------------------------------------------------- graphs

@pytest.mark.parametrize("d,l", [(1, 2), (3, 5), (10, 4), (7, 9)])
def test_path_star_counts_and_degrees(d: int, l: int) -> None:
    g = graphs.path_star(d, l, seed=d + l)
    assert g.n_nodes == 1 + d * (l - 1)
    assert g.n_edges == d * (l - 1)
    deg = graphs.degrees(g)
    assert deg[g.root] == d
    assert sorted(deg[g.leaves].tolist()) == [1] * d
    assert len(g.paths) == d and all(len(p) == l and p[0] == g.root for p in g.paths)
    assert sorted(np.concatenate([p[1:] for p in g.paths]).tolist() + [g.root]) == list(range(g.n_nodes))
    assert g.to_networkx().number_of_edges() == g.n_edges  # no duplicate edges
    # consecutive nodes of a path are edges
    edge_set = {tuple(e) for e in g.edges.tolist()}
    assert all((p[i], p[i + 1]) in edge_set for p in g.paths for i in range(l - 1))


def test_path_star_relabelling_is_seeded() -> None:
    a, b, c = graphs.path_star(20, 5, seed=1), graphs.path_star(20, 5, seed=1), graphs.path_star(20, 5, seed=2)
    assert np.array_equal(a.edges, b.edges) and not np.array_equal(a.edges, c.edges)
    assert graphs.path_star(4, 3, seed=None).root == 0


def test_tree_star_counts() -> None:
    g = graphs.tree_star(3, 4, seed=0)
    assert g.n_nodes == 1 + 3 * 7 and g.n_edges == g.n_nodes - 1
    deg = graphs.degrees(g)
    assert deg[g.root] == 3
    assert len(g.paths) == 3 * 4 and all(deg[leaf] == 1 for leaf in g.leaves)
    internal = [u for u in range(g.n_nodes) if u != g.root and deg[u] > 1]
    assert all(deg[u] == 3 for u in internal)  # parent + 2 children


@pytest.mark.parametrize("name,n,e", [("star", 17, 16), ("grid", 16, 24), ("cycle", 15, 15), ("irregular", 16, 20)])
def test_tiny_graphs(name: str, n: int, e: int) -> None:
    g = graphs.tiny_graph(name)
    assert (g.n_nodes, g.n_edges) == (n, e)


@pytest.mark.parametrize("name", graphs.TINY_GRAPHS)
def test_spectra_match_the_paper(name: str) -> None:
    ours = graphs.normalised_spectrum(graphs.tiny_graph(name))
    assert np.allclose(ours, graphs.SPEC_SPECTRA[name], atol=5e-4)


def test_sym_transition_is_minus_laplacian_plus_2i() -> None:
    g = graphs.path_star(5, 4, seed=0)
    m = graphs.sym_transition(g)
    assert np.allclose(m, m.T)
    assert np.allclose(graphs.neg_laplacian(g) + 2 * np.eye(g.n_nodes), m)


@pytest.mark.parametrize("bad", [dict(degree=0, path_length=5), dict(degree=3, path_length=1),
                                 dict(degree=2.5, path_length=5), dict(degree=True, path_length=5),
                                 dict(degree=10**7, path_length=5)])
def test_bad_graphs_are_refused_naming_the_parameter(bad: dict) -> None:
    with pytest.raises((ValueError, TypeError)) as err:
        graphs.path_star(**bad)
    assert "degree" in str(err.value) or "path_length" in str(err.value)


def test_huge_graph_error_estimates_memory() -> None:
    with pytest.raises(ConfigError, match="GiB"):
        graphs.path_star(10**7, 5)


# ---------------------------------------------------------------------------- tasks

def test_edges_both_directions_and_self_edges() -> None:
    g = graphs.path_star(4, 5, seed=0)
    pairs = {tuple(p) for p in tasks.edge_pairs(g, "both").tolist()}
    assert len(pairs) == 2 * g.n_edges and all((v, u) in pairs for u, v in pairs)
    fwd = tasks.edge_pairs(g, "forward")
    assert {tuple(p) for p in fwd.tolist()} == {tuple(e) for e in g.edges.tolist()}
    with_self = tasks.edge_pairs(g, "both", self_edges=True)
    assert len(with_self) == 2 * g.n_edges + g.n_nodes


def test_edge_bucket_format() -> None:
    g = graphs.path_star(3, 4, seed=0)
    v = tasks.Vocab(g.n_nodes)
    b = tasks.edge_bucket(g, v)
    assert b.inputs.shape == (2 * g.n_edges, 2)
    assert (b.inputs[:, 0] == v.EDGE).all()
    assert (b.targets[:, 0] == tasks.IGNORE).all() and (b.targets[:, 1] >= 0).all()
    assert b.n_target_tokens == 2 * g.n_edges


@pytest.mark.parametrize("n_pause", [0, 1, 3])
def test_path_bucket_round_trip(n_pause: int) -> None:
    g = graphs.path_star(6, 5, seed=3)
    v = tasks.Vocab(g.n_nodes)
    ids = np.arange(6)
    b = tasks.path_bucket(g, v, ids, n_pause)
    for row, pid in enumerate(ids):
        path = list(g.paths[pid])
        # rebuild the full sequence: first input token + all next tokens
        full = [int(b.inputs[row, 0])] + [int(t) for t in torch.cat([b.inputs[row, 1:], b.targets[row, -1:]])]
        assert v.decode(full)[: 2 + n_pause] == ["[PATH]", str(path[-1])] + ["[PAUSE]"] * n_pause
        assert full[2 + n_pause:] == path
        assert [int(t) for t in b.targets[row] if t >= 0] == path
    hard = tasks.path_bucket(g, v, ids, n_pause, "hardest")
    assert [int(t) for t in hard.targets[0] if t >= 0] == [g.paths[0][1]]
    rev = tasks.path_bucket(g, v, ids, n_pause, reverse=True)
    assert [int(t) for t in rev.targets[0] if t >= 0] == list(g.paths[0])[::-1]
    q = tasks.path_queries(g, v, ids, n_pause)
    assert torch.equal(q.answers[0], torch.tensor(g.paths[0]))


def test_split_disjoint_covering_and_seeded() -> None:
    g = graphs.path_star(40, 4, seed=0)
    tr, te = tasks.split_leaves(g, 0.25, seed=5)
    assert len(te) == 10 and not set(tr) & set(te) and sorted([*tr, *te]) == list(range(40))
    tr2, te2 = tasks.split_leaves(g, 0.25, seed=5)
    assert np.array_equal(te, te2)
    with pytest.raises(ConfigError, match="test_frac"):
        tasks.split_leaves(graphs.path_star(2, 4), 0.25)


def test_subtree_split_holds_out_whole_arms() -> None:
    g = graphs.tree_star(8, 4, seed=0)
    tr, te = tasks.split_leaves(g, 0.25, seed=0, by="subtree")
    train_arms = set(g.branch[g.first_hops[tr]].tolist())
    test_arms = set(g.branch[g.first_hops[te]].tolist())
    assert len(test_arms) == 2 and not train_arms & test_arms


def test_in_context_examples_are_consistent() -> None:
    b, v = tasks.in_context_bucket(3, 4, n_labels=30, n_examples=50, seed=0)
    g = graphs.path_star(3, 4, seed=None)
    n_e = g.n_edges
    for row in range(5):
        full = torch.cat([b.inputs[row], b.targets[row, -1:]]).tolist()
        edges = {(full[3 * i + 1], full[3 * i + 2]) for i in range(n_e)}
        start, goal = full[3 * n_e + 1], full[3 * n_e + 2]
        path = [int(t) for t in b.targets[row] if t >= 0]
        assert path[0] == start and path[-1] == goal
        assert all((path[i], path[i + 1]) in edges for i in range(len(path) - 1))
    tl, _ = tasks.in_context_bucket(3, 4, n_labels=30, n_examples=50, seed=0, variant="teacherless")
    p = 3 * n_e + 3
    assert (tl.inputs[:, p:] == v.PAUSE).all()
    assert torch.equal(tl.targets, b.targets)


# ---------------------------------------------------------------------------- train

def _tiny_run(seed: int, steps: int = 30) -> list[float]:
    g = graphs.tiny_graph("cycle")
    v = tasks.Vocab(g.n_nodes)
    with seeded(seed):
        model = build_model("gpt", v.size, 4, n_layers=1, width=16, n_heads=1)
    res = train(model, [tasks.edge_bucket(g, v)], TrainConfig(steps=steps, batch_size=8, seed=seed, progress=False))
    return res.losses


def test_same_seed_same_losses() -> None:
    a, b, c = _tiny_run(0), _tiny_run(0), _tiny_run(1)
    assert a == b and a != c
    assert a[-1] < a[0]


def test_lr_schedule() -> None:
    cfg = TrainConfig(steps=100, lr=1.0, warmup_steps=10, min_lr_ratio=0.1)
    assert lr_at(0, cfg) == pytest.approx(0.1) and lr_at(9, cfg) == pytest.approx(1.0)
    assert lr_at(99, cfg) == pytest.approx(0.1, abs=1e-3)
    const = TrainConfig(steps=100, lr=1.0, warmup_steps=0, schedule="constant")
    assert lr_at(50, const) == 1.0


def test_batches_cover_every_example_once_per_epoch() -> None:
    gen = torch.Generator().manual_seed(0)
    it = _batches([7, 5], 4, gen)
    seen: list[tuple[int, int]] = []
    for _ in range(3):  # 12 examples / 4 = 3 batches per epoch
        rows = next(it)
        seen += [(b, int(i)) for b, r in enumerate(rows) for i in r]
    assert sorted(seen) == sorted([(0, i) for i in range(7)] + [(1, i) for i in range(5)])


def test_staged_phases_and_snapshots() -> None:
    g = graphs.path_star(6, 4, seed=0)
    v = tasks.Vocab(g.n_nodes)
    edges = tasks.edge_bucket(g, v)
    paths = tasks.path_bucket(g, v, np.arange(4), 1)
    with seeded(0):
        model = build_model("gpt", v.size, 8, n_layers=1, width=16, n_heads=2)
    cfg = TrainConfig(steps=10, seed=0, snapshot_steps=(0, 5, 10), eval_every=5, progress=False)
    res = train(model, [Phase(5, [edges]), Phase(5, [edges, paths])], cfg, evaluate=lambda m: {"x": 1.0})
    assert sorted(res.snapshots) == [0, 5, 10] and res.steps_run == 10
    assert [r["step"] for r in res.history] == [5, 10]
    with pytest.raises(ValueError, match="phase steps"):
        train(model, [Phase(3, [edges])], cfg)


def test_frozen_embeddings_unchanged_by_training() -> None:
    g = graphs.tiny_graph("star")
    v = tasks.Vocab(g.n_nodes)
    with seeded(0):
        model = build_model("assoc", v.size, 2, width=16)
    before = model.embedding_matrix()
    train(model, [tasks.edge_bucket(g, v)], TrainConfig(steps=20, batch_size=None, lr=0.1, progress=False))
    assert torch.equal(before, model.embedding_matrix())


def test_stop_when_ends_training_early() -> None:
    g = graphs.tiny_graph("star")
    v = tasks.Vocab(g.n_nodes)
    with seeded(0):
        model = build_model("net", v.size, 2, width=16)
    res = train(model, [tasks.edge_bucket(g, v)], TrainConfig(steps=50, eval_every=5, progress=False),
                evaluate=lambda m: {"k": 1.0}, stop_when=lambda row: row["step"] >= 10)
    assert res.steps_run == 10 and res.stopped_early


def test_train_config_rejects_bad_values() -> None:
    for bad in [dict(steps=0), dict(steps=10, lr=-1.0), dict(steps=10, batch_size=0), dict(steps=10, device="tpu")]:
        with pytest.raises(ValueError) as err:
            TrainConfig(**bad)
        assert "TrainConfig." in str(err.value)


# ---------------------------------------------------------------------------- measures

def test_greedy_decode_and_path_metrics_on_a_trained_tiny_model() -> None:
    g = graphs.path_star(3, 3, seed=0)
    v = tasks.Vocab(g.n_nodes)
    ids = np.arange(3)
    bucket = tasks.path_bucket(g, v, ids, 0)
    with seeded(0):
        model = build_model("gpt", v.size, 8, n_layers=1, width=32, n_heads=2)
    train(model, [bucket, tasks.edge_bucket(g, v)], TrainConfig(steps=150, lr=1e-2, batch_size=None,
                                                                 warmup_steps=10, progress=False))
    m = measures.path_metrics(model, tasks.path_queries(g, v, ids, 0))
    assert m["exact_match"] == 1.0 and m["first_hop"] == 1.0 and m["per_position"] == [1.0] * 3
    tf = measures.teacher_forced_accuracy(model, bucket)
    assert tf == [1.0] * 3


def test_top_k_recovery_of_perfect_and_wrong_logits() -> None:
    g = graphs.tiny_graph("grid")
    adj = graphs.adjacency(g).toarray()
    perfect = measures.top_k_recovery(torch.tensor(adj), g)
    assert perfect["top_k"] == 100.0 and perfect["top1_node"] == 100.0
    assert perfect["top1_edge"] == pytest.approx(measures.top1_edge_cap(g)) == pytest.approx(100 * 16 / 48)
    wrong = measures.top_k_recovery(torch.tensor(-adj), g)
    assert wrong["top_k"] == 0.0
    assert measures.top1_edge_cap(graphs.tiny_graph("star")) == pytest.approx(53.125)


def test_geometry_measures_on_planted_embeddings() -> None:
    g = graphs.path_star(8, 5, seed=0)
    rng = np.random.default_rng(0)
    arm_dirs = rng.normal(size=(8, 16))
    emb = rng.normal(scale=0.05, size=(g.n_nodes, 16))
    for a, p in enumerate(g.paths):
        emb[list(p[1:])] += arm_dirs[a]  # every node of an arm near its arm's direction
    ids = np.arange(8)
    assert measures.navigation_accuracy(emb, g, ids) == 1.0
    heat = measures.leaf_first_hop_distances(emb, g, ids)
    c = measures.diagonal_contrast(heat, n_perm=200)
    assert c["contrast"] > 0.5 and c["p_value"] < 0.01
    noise = rng.normal(size=(g.n_nodes, 16))
    c0 = measures.diagonal_contrast(measures.leaf_first_hop_distances(noise, g, ids), n_perm=200)
    assert c0["p_value"] > 0.01 or c0["contrast"] < 0.3
    d = measures.path_distance_matrix(emb, g, ids)
    assert np.all(np.diag(d) < d[~np.eye(8, dtype=bool)].reshape(8, 7).min(axis=1))


def test_top_k_energy_share_of_an_eigenvector_embedding() -> None:
    g = graphs.tiny_graph("cycle")
    _, vecs = graphs.spectrum(g)
    emb = vecs[:, 1:3] * 3.0
    assert measures.top_k_energy_share(emb, vecs, 3) == pytest.approx(1.0)
    assert measures.top_k_energy_share(emb, vecs, 1) == pytest.approx(0.0, abs=1e-12)


# ---------------------------------------------------------------------------- results and params

def test_finish_writes_atomically_and_raises_on_failure(tmp_path) -> None:
    import time

    ok = [results.check("a", 1.0, ">=", 0.5, kind="machinery")]
    rec = results.finish("nb", title="t", claim="c", paper_ref="r", checks=ok,
                         params={"PROFILE": "ci", "RESULTS_DIR": str(tmp_path)}, started=time.time())
    assert rec["passed"] and json.loads((tmp_path / "nb.json").read_text())["passed"]
    bad = [results.check("a", 0.1, ">=", 0.5, kind="machinery")]
    with pytest.raises(results.ClaimCheckFailed, match="nb2"):
        results.finish("nb2", title="t", claim="c", paper_ref="r", checks=bad,
                       params={"PROFILE": "ci", "RESULTS_DIR": str(tmp_path)}, started=time.time())
    assert json.loads((tmp_path / "nb2.json").read_text())["passed"] is False
    smoke = results.finish("nb3", title="t", claim="c", paper_ref="r", checks=bad,
                           params={"PROFILE": "smoke", "RESULTS_DIR": str(tmp_path)}, started=time.time())
    assert smoke["passed"] is False and smoke["enforced"] is False
    assert not results.check("nan", float("nan"), "<=", 1.0).passed
    assert not list(tmp_path.glob(".*.tmp"))


def test_cache_hits_and_recomputes_foreign_entries(tmp_path) -> None:
    calls = []

    def compute():
        calls.append(1)
        return {"x": torch.arange(3), "n": 1}

    a = cache.cached({"k": 1}, compute, tmp_path)
    b = cache.cached({"k": 1}, compute, tmp_path)
    assert torch.equal(a["x"], b["x"]) and len(calls) == 1
    entry = next(tmp_path.glob("*.pt"))
    entry.write_bytes(b"garbage")
    with pytest.warns(UserWarning, match="recomputing"):
        cache.cached({"k": 1}, compute, tmp_path)
    assert len(calls) == 2


def test_resolve_names_the_bad_parameter() -> None:
    specs = {"DEGREE": params.Spec(int, {"ci": 10, "full": 100}, lambda v: v >= 2, ">= 2")}
    p = params.resolve({"PROFILE": "full", "DEGREE": None}, specs)
    assert p.DEGREE == 100 and p.SEED == 0
    for given, name in [({"DEGREE": 1}, "DEGREE"), ({"DEGREE": "3"}, "DEGREE"), ({"DEGREE": True}, "DEGREE"),
                        ({"NOPE": 1}, "NOPE"), ({"PROFILE": "gpu"}, "PROFILE"), ({"SEED": -1}, "SEED"),
                        ({"DEVICE": "tpu"}, "DEVICE")]:
        with pytest.raises((params.ParameterError, params.ParameterTypeError)) as err:
            params.resolve(given, specs)
        assert name in str(err.value)


def test_every_notebook_has_a_flat_parameters_cell() -> None:
    for path in notebook_paths():
        defaults = parameters_cell(read_notebook(path))
        assert {"PROFILE", "SEED", "DEVICE", "RESULTS_DIR"} <= set(defaults), path.stem
        with pytest.raises(NotebookFailed, match="unknown parameter"):
            check_overrides(path.stem, defaults, {"NOT_A_PARAMETER": 1})
        with pytest.raises(NotebookFailed, match="SEED"):
            check_overrides(path.stem, defaults, {"SEED": "zero"})
