"""Unit tests of chapter 04's prices of trained memories (chapters/puzzle.py: quantisation,
the levels search, bits, the twin's geometric part, the ratio lookup / geometry), each able
to fail: a quantisation that ignores the matrix's range, bits counted over the wrong
entries, a ratio turned upside down, an untrained geometry priced as if it stored the graph.
The two succinctness checks built on them are tested with the chapter's other checks, in
``test_puzzle``."""

from __future__ import annotations

import math

import numpy as np
import pytest

from geomem_utils.chapters import puzzle as chapter
from geomem_utils.science import graphs, margins, succinctness
from geomem_utils.science.models import train_node2vec

pytestmark = pytest.mark.usefixtures("one_thread")

def circle(n: int) -> np.ndarray:
    """A cycle drawn on a circle, (n, 2): each node's two neighbours are its closest."""
    t = np.arange(n) * 2 * np.pi / n
    return np.stack([np.cos(t), np.sin(t)], axis=1)


# ---------------------------------------------------------------------------- quantisation

def test_quantise_spreads_its_levels_over_the_matrixs_own_range():
    x = np.array([[10.0, 10.4], [10.8, 11.0]])
    np.testing.assert_allclose(chapter.quantise(x, 3), [[10.0, 10.5], [11.0, 11.0]])
    np.testing.assert_allclose(chapter.quantise(x, 2), [[10.0, 10.0], [11.0, 11.0]])
    y = np.random.default_rng(0).standard_normal((30, 7)) * 3 - 5
    q = chapter.quantise(y, 5)
    assert len(np.unique(q)) <= 5 and q.min() == y.min() and q.max() == y.max()
    assert np.abs(q - y).max() <= (y.max() - y.min()) / 4 / 2 + 1e-12  # half a step at most
    np.testing.assert_array_equal(chapter.quantise(np.full((2, 2), 4.0), 2), np.full((2, 2), 4.0))
    for bad in (1, 2.0, True):
        with pytest.raises(ValueError, match="levels"):
            chapter.quantise(x, bad)


def test_recall_levels_is_the_fewest_that_keep_every_edge():
    g = graphs.cycle_graph(12)
    table = graphs.adjacency(g).toarray().astype(float)
    assert chapter.recall_levels([table], lambda q: q, g) == 2  # a 0/1 table needs one bit
    table[0, 6] = -10.0  # one far non-neighbour stretches the range: 0 and 1 now share a level at 2
    levels = chapter.recall_levels([table], lambda q: q, g)
    assert levels == 7  # by hand: 0 rounds below 1 once the step 11 / (levels - 1) is under 2
    stores = [succinctness.fact_margin(chapter.quantise(table, k), g) > 0 for k in range(2, levels + 1)]
    assert stores == [False] * (levels - 2) + [True]
    broken = graphs.adjacency(g).toarray().astype(float)
    broken[0, 1] = 0.0  # the fact 0 -> 1 is not stored: there is no recall to keep
    assert chapter.recall_levels([broken], lambda q: q, g) is None
    # a noisy circle that misses an edge, though rounding to 5 levels happens to store them all:
    # quantising must keep a recall, not create one
    noisy = circle(12) + 0.15 * np.random.default_rng(1).standard_normal((12, 2))
    assert succinctness.fact_margin(noisy @ noisy.T, g) < 0
    assert succinctness.fact_margin(chapter.quantise(noisy, 5) @ chapter.quantise(noisy, 5).T, g) > 0
    assert chapter.recall_levels([noisy], lambda q: q @ q.T, g) is None


# ---------------------------------------------------------------------------- prices

def test_a_table_is_priced_over_all_its_n_squared_entries():
    g = graphs.tiny_graph("irregular")  # 16 nodes
    p = chapter.price_table(graphs.adjacency(g).toarray(), g)
    assert p["entries"] == 16 * 16 and p["levels"] == 2 and p["bits"] == pytest.approx(256.0)
    assert p["l2"] == pytest.approx(succinctness.associative_norm(g.n_edges))  # the one-hot table


def test_an_embedding_is_priced_over_its_n_times_width_entries():
    g = graphs.cycle_graph(12)
    V = circle(12)
    p = chapter.price_geometry(V, g)
    assert p["entries"] == 24 and p["levels"] >= 2
    assert p["bits"] == pytest.approx(24 * math.log2(p["levels"]))
    assert p["l2"] == pytest.approx(succinctness.embedding_cost(V, g))  # the package's tied cost
    signed = chapter.price_geometry(V, g, signs=np.ones(2))
    assert signed["bits"] == pytest.approx(p["bits"] + 2)  # one bit per sign
    with pytest.raises(ValueError, match="signs"):
        chapter.price_geometry(V, g, signs=np.array([1.0, 0.5]))


def test_a_flipped_sign_is_a_cost_too():
    """Logits ``-V V^T`` rank each node's farthest nodes first: with the sign flipped the
    circle stores nothing, so it has no price."""
    g = graphs.cycle_graph(12)
    p = chapter.price_geometry(circle(12), g, signs=-np.ones(2))
    assert math.isnan(p["l2"]) and p["levels"] is None and math.isnan(p["bits"])


def test_skewed_geometry_writes_the_skewed_logits_as_node_vectors():
    rng = np.random.default_rng(3)
    for n, m in ((10, 6), (6, 10)):
        E, W = rng.standard_normal((n, m)), rng.standard_normal((m, m))
        V, signs = chapter.skewed_geometry(E, W)
        assert V.shape == (n, min(n, m)) and set(np.unique(signs)) <= {-1.0, 1.0}
        np.testing.assert_allclose((V * signs) @ V.T, margins.skewed_logits(E, W), atol=1e-9)


def test_priced_pair_divides_the_lookup_by_the_geometry():
    lookup = {"l2": 4.0, "levels": 2, "bits": 300.0}
    geometry = {"l2": 2.0, "levels": None, "bits": 100.0}
    pair = chapter.priced_pair(lookup, geometry)
    assert pair["l2 ratio"] == pytest.approx(2.0) and pair["bits ratio"] == pytest.approx(3.0)
    assert math.isnan(pair["levels geometry"]) and pair["levels lookup"] == 2


def test_trained_memories_get_a_price_and_an_untrained_geometry_none():
    """A real fit: a Node2Vec embedding of the 16-cycle stores every edge and is priced; the
    same embedding untrained (its random draw) stores nothing, so its pair is not priced (a NaN,
    which fails both checks: ``test_puzzle``)."""
    g = graphs.cycle_graph(16)
    A = graphs.adjacency(g).toarray()
    trained = train_node2vec(A, width=16, lr=0.01, steps=400, seed=0).V
    untrained = train_node2vec(A, width=16, lr=0.01, steps=0, seed=0).V
    table = chapter.price_table(A, g)
    good = chapter.priced_pair(table, chapter.price_geometry(trained, g))
    assert all(math.isfinite(good[k]) for k in ("l2 ratio", "bits ratio"))
    null = chapter.priced_pair(table, chapter.price_geometry(untrained, g))
    assert math.isnan(null["l2 ratio"]) and math.isnan(null["bits ratio"])
