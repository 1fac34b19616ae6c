"""The one edge run (geomem_utils.runs.edge) against the plain training path it replaced."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from geomem_utils.science import graphs, measures, tasks
from geomem_utils.figures import plots
from geomem_utils.runs.edge import edge_recovery, edge_run, pair_scores, u_only
from geomem_utils.science.models import build_model
from geomem_utils.science.train import TrainConfig, seeded, train


def reference(g, arch, steps, lr, direction="both", self_edges=False, block_size=2, u_only_data=False, seed=3,
              **model_kw):
    """The chapters' old code path, written out: build under the seed, train full batch."""
    vocab = tasks.Vocab(g.n_nodes)
    with seeded(seed):
        model = build_model(arch, vocab.size, block_size, **model_kw)
    data = tasks.edge_bucket(g, vocab, direction, self_edges)
    data = u_only(data) if u_only_data else data
    cfg = TrainConfig(steps=steps, lr=lr, weight_decay=0.0, batch_size=None, warmup_steps=0, seed=seed,
                      eval_every=5, progress=False)
    res = train(model, [data], cfg, evaluate=lambda m: {"loss_sum": 0.0})
    return model.embedding_matrix()[: g.n_nodes].float().numpy(), res.losses


@pytest.mark.parametrize("arch, kw", [("net", dict(width=8)), ("gpt", dict(n_layers=1, n_heads=1, width=8))])
@pytest.mark.parametrize("direction, self_edges", [("both", False), ("forward", False), ("both", True)])
def test_edge_run_equals_the_plain_path(arch, kw, direction, self_edges) -> None:
    """Same model, data and RNG as the plain path: bit-identical embedding and losses. A run
    that ignored ``direction`` or ``self_edges`` (or built the model with another block
    size or seed) would train on other data and fail here."""
    g = graphs.tiny_graph("star")
    emb, losses = reference(g, arch, 15, 1e-2, direction, self_edges, **kw)
    run = edge_run(g, arch, 15, 1e-2, direction=direction, self_edges=self_edges, every=5, seed=3, **kw)
    assert run.result.losses == losses
    np.testing.assert_array_equal(run.embedding, emb)
    assert run.metric("top_k")[0] == [5, 10, 15]


def test_block_size_and_dropped_edge_token_follow_the_plain_path() -> None:
    g = graphs.tiny_graph("cycle")
    emb, losses = reference(g, "gpt", 10, 1e-2, block_size=4, n_layers=1, n_heads=1, width=8)
    run = edge_run(g, "gpt", 10, 1e-2, block_size=4, seed=3, n_layers=1, n_heads=1, width=8)
    assert run.result.losses == losses
    np.testing.assert_array_equal(run.embedding, emb)
    emb, losses = reference(g, "net", 10, 1e-2, u_only_data=True, width=8)
    run = edge_run(g, "net", 10, 1e-2, drop_edge_token=True, seed=3, width=8)
    assert run.result.losses == losses
    np.testing.assert_array_equal(run.embedding, emb)


def test_default_evaluation_scores_the_trained_direction() -> None:
    """Forward-only edges are scored against the out-neighbours they trained, not all
    neighbours; both directions against the paper's top-k recovery."""
    g = graphs.tiny_graph("star")
    run = edge_run(g, "net", 300, 5e-2, direction="forward", seed=0, width=16)
    logits = measures.edge_logits(run.model, g, run.vocab)
    children = {u: {v for a, v in g.edges.tolist() if a == u} for u in range(g.n_nodes)}  # stored parent -> child
    order = torch.argsort(logits, dim=1, descending=True).numpy()
    per_node = [len(vs & set(order[u, :len(vs)].tolist())) / len(vs) for u, vs in children.items() if vs]
    assert run.final["top_k"] == pytest.approx(100.0 * np.mean(per_node))
    assert run.final["top_k"] != pytest.approx(measures.top_k_recovery(logits, g)["top_k"])  # a different score
    assert run.final["top_k"] == edge_recovery(run.model, g, "forward")["top_k"]
    both = edge_run(g, "net", 30, 5e-2, seed=0, width=16)
    assert both.final["top_k"] == measures.top_k_recovery(measures.edge_logits(both.model, g, both.vocab), g)["top_k"]


def test_initial_evaluation_stop_and_snapshots() -> None:
    g = graphs.tiny_graph("grid")
    run = edge_run(g, "net", 40, 5e-2, every=1, evaluate_init=True, snapshots=(0, 7), seed=1, width=16,
                   stop_when=lambda row: row["top_k"] >= 0.0)
    assert run.result.steps_run == 1 and run.result.stopped_early
    assert [r["step"] for r in run.history] == [0, 1] and "loss" not in run.history[0]
    assert set(run.snapshots) == {0} and run.snapshots[0].shape == (g.n_nodes, 16)


def test_pair_scores_leave_out_the_self_score_only_without_self_edges() -> None:
    V = np.random.default_rng(0).normal(size=(5, 3))
    assert torch.isinf(torch.diagonal(pair_scores(V, V))).all()
    np.testing.assert_allclose(pair_scores(V, V, self_edges=True).numpy(), V @ V.T)


def test_cycles_and_grids_are_built_once_with_the_tiny_ids() -> None:
    c = graphs.cycle_graph(15)
    assert c.edges.tolist() == [[i, (i + 1) % 15] for i in range(15)]
    np.testing.assert_array_equal(graphs.tiny_graph("cycle").edges, c.edges)
    np.testing.assert_array_equal(graphs.tiny_graph("grid").edges, graphs.grid_graph(4).edges)
    assert graphs.grid_graph(3).edges.tolist()[:3] == [[0, 1], [1, 2], [3, 4]]
    assert graphs.tiny_graph("irregular").n_edges == 12 + 2 + 6


def test_graph_traces_draw_every_edge_and_node() -> None:
    g = graphs.tiny_graph("irregular")
    edges, nodes = plots.graph_traces(g, plots.graph_layout(g), labels=False)
    assert len(edges.x) == 3 * g.n_edges and sum(x is None for x in edges.x) == g.n_edges
    assert len(nodes.x) == g.n_nodes and nodes.mode == "markers"
