"""Unit tests of chapter 04's package code: Proposition 1's costs (succinctness.py), the
edge margins and skewed low-rank logits (margins.py), the chapter's claim check
(chapters/puzzle_checks.py, which must fail when the phenomenon is absent) and the two
experiments.py helpers the chapter added (block_size, trained_model)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import golden  # tests/support: the approved words of the chapter's records
import torch

from geomem_utils.runs import pathstar
from geomem_utils import findings
from geomem_utils.science import graphs, margins, measures, succinctness, tasks
from geomem_utils.chapters import puzzle as chapter
from geomem_utils.chapters import puzzle_checks as vp
from geomem_utils.science.models import build_model
from geomem_utils.validate import ConfigError
from geomem_utils.science.train import TrainConfig, seeded, train
from geomem_utils.chapters.puzzle_checks import memorization_puzzle_checks


pytestmark = pytest.mark.usefixtures("one_thread")  # small models: one thread is fastest


def cycle(n: int) -> graphs.Graph:
    return graphs.Graph(name=f"C{n}", n_nodes=n, edges=np.array([(i, (i + 1) % n) for i in range(n)]),
                        branch=np.full(n, -1, dtype=np.int64))


def complete(n: int) -> graphs.Graph:
    return graphs.Graph(name=f"K{n}", n_nodes=n, edges=np.array([(a, b) for a in range(n) for b in range(a + 1, n)]),
                        branch=np.full(n, -1, dtype=np.int64))


# ---------------------------------------------------------------------------- succinctness

def test_bits_and_norms_by_hand():
    assert succinctness.associative_bits(16, 15) == pytest.approx(2 * 15 * 4)
    assert succinctness.associative_bits(16, 15, directions=1) == pytest.approx(15 * 4)
    assert succinctness.geometric_bits(16) == pytest.approx(16 * 4)
    assert succinctness.geometric_bits(16, width=2, levels=4) == pytest.approx(16 * 2 * 2)
    assert succinctness.geometric_bits(16, untied=True) == pytest.approx(2 * 16 * 4)
    assert succinctness.associative_norm(8) == pytest.approx(4.0)
    assert succinctness.geometric_norm(9) == pytest.approx(3.0)
    assert succinctness.geometric_norm(8, untied=True) == pytest.approx(4.0)


def test_bad_inputs_are_named():
    with pytest.raises(ConfigError, match="tell 100 nodes apart"):
        succinctness.geometric_bits(100, width=2, levels=4)
    with pytest.raises(ConfigError, match="directions"):
        succinctness.associative_bits(10, 9, directions=3)
    with pytest.raises(ConfigError, match="n_nodes"):
        succinctness.geometric_norm(0)


@pytest.mark.parametrize("g", [graphs.path_star(d, l, seed=None) for d, l in [(1, 2), (2, 5), (50, 3), (300, 10)]]
                         + [cycle(n) for n in (3, 15, 1000)])
def test_prop1_ratio_in_1_2_for_path_stars_and_cycles(g):
    c = succinctness.prop1_costs(g)
    assert 1.0 <= c["bits_ratio"] <= 2.0 + 1e-12
    assert 1.0 <= c["norm_ratio"] <= math.sqrt(2.0) + 1e-12
    assert c["bits_ratio"] == pytest.approx(2 * g.n_edges / g.n_nodes)


def test_prop1_bound_is_specific_to_sparse_graphs():
    c = succinctness.prop1_costs(complete(10))
    assert c["bits_ratio"] == pytest.approx(9.0)  # |V| - 1: the lookup is far costlier on a dense graph


def test_one_hot_table_meets_the_associative_norm():
    g = graphs.tiny_graph("irregular")
    table = graphs.adjacency(g).toarray()  # logit 1 on every directed edge, 0 elsewhere
    assert succinctness.fact_margin(table, g) == pytest.approx(1.0)
    assert succinctness.table_cost(table, g) == pytest.approx(succinctness.associative_norm(g.n_edges))


def test_costs_do_not_depend_on_scale_and_need_every_fact():
    g = cycle(12)
    rng = np.random.default_rng(0)
    table = graphs.adjacency(g).toarray() + 0.1 * rng.standard_normal((12, 12))
    assert succinctness.table_cost(3.0 * table, g) == pytest.approx(succinctness.table_cost(table, g))
    t = np.arange(12) * 2 * np.pi / 12
    V = np.stack([np.cos(t), np.sin(t)], axis=1)  # a cycle drawn on a circle: neighbours closest
    assert succinctness.fact_margin(V @ V.T, g) > 0
    assert succinctness.embedding_cost(5.0 * V, g) == pytest.approx(succinctness.embedding_cost(V, g))
    broken = graphs.adjacency(g).toarray()
    broken[0, 1] = 0.0  # the fact 0 -> 1 is no longer above the non-neighbours
    assert succinctness.fact_margin(broken, g) <= 0
    assert math.isnan(succinctness.table_cost(broken, g))


# ---------------------------------------------------------------------------- margins

def test_bilinear_form_reproduces_the_models_logits():
    g = graphs.tiny_graph("star")
    vocab = tasks.Vocab(g.n_nodes)
    with seeded(0):
        model = build_model("net", vocab.size, 4, width=24, emb_init_std=0.3)
    torch.nn.init.normal_(model.linear.bias, std=0.5)  # a non-zero bias must be carried too
    form = margins.bilinear(model, g.n_nodes)
    np.testing.assert_allclose(form.logits(), measures.edge_logits(model, g, vocab).double().numpy(), atol=1e-5)
    with pytest.raises(ValueError, match="tied"):
        margins.bilinear(build_model("net", vocab.size, 4, width=8, tied=False), g.n_nodes)


def test_skewed_weight_keeps_a_w_that_is_diagonal_in_es_basis():
    rng = np.random.default_rng(1)
    E = rng.standard_normal((10, 6))
    _, _, vh = np.linalg.svd(E, full_matrices=False)
    W = vh.T @ np.diag(rng.standard_normal(6)) @ vh
    np.testing.assert_allclose(margins.skewed_weight(E, W), W, atol=1e-10)
    off = vh.T @ np.triu(rng.standard_normal((6, 6)), 1) @ vh  # zero diagonal in E's basis
    np.testing.assert_allclose(margins.skewed_weight(E, W + off), W, atol=1e-10)
    sk = margins.skewed_logits(E, W + off)
    np.testing.assert_allclose(sk, sk.T, atol=1e-10)


def test_edge_margin_and_top1_by_hand():
    g = cycle(5)
    z = np.zeros((5, 5))
    for u in range(5):
        z[u, (u + 1) % 5] = 2.0  # one neighbour scores 2, the other 0, non-neighbours 0 ...
        z[u, u] = 9.0  # ... and self, which must be ignored, scores 9
    z[0, 2] = 3.0  # node 0's best non-neighbour beats its best neighbour by 1
    m = margins.edge_margins(z, g)
    np.testing.assert_allclose(m, [-1.0, 2.0, 2.0, 2.0, 2.0])
    assert margins.edge_margin(z, g) == pytest.approx(7.0 / 5)
    assert margins.top1_neighbour(z, g) == pytest.approx(80.0)


def test_is_geometric_needs_both_margin_and_top1():
    assert margins.is_geometric({"skewed_margin": 3.0, "skewed_top1": 100.0})
    assert not margins.is_geometric({"skewed_margin": 2.5, "skewed_top1": 66.7})  # margin alone is not enough
    assert not margins.is_geometric({"skewed_margin": -0.1, "skewed_top1": 80.0})


def test_frozen_random_embeddings_store_the_cycle_in_w_not_in_e():
    g = graphs.tiny_graph("cycle")
    vocab = tasks.Vocab(g.n_nodes)
    edges = tasks.edge_bucket(g, vocab)
    with seeded(0):
        model = build_model("assoc", vocab.size, 4, width=512)
    train(model, [edges], TrainConfig(steps=10, lr=0.1, weight_decay=0.0, batch_size=None, warmup_steps=0,
                                      grad_clip=None, progress=False))
    rep = margins.margin_report(model, g)
    assert measures.top_k_recovery(measures.edge_logits(model, g, vocab), g)["top_k"] == 100.0
    assert rep["margin"] > 0 and not margins.is_geometric(rep)


# ---------------------------------------------------------------------------- the claim check

GOOD = dict(
    assoc_top_k={"star": 100.0, "cycle": 100.0},
    net_skewed_margin={"star": 1.2, "cycle": 7.7},
    gpt_alignment={"star": 0.62, "cycle": 0.64},
    alignment_chance={"star": 0.25, "cycle": 0.29},
    ratios=[1.33, 1.9, 2.0],
    trained_cost_ratios={"l2": [1.2, 1.41], "bits": [1.33, 1.9]},  # lookup / geometry inside Prop. 1's band
    twin_margin_at_full={"star": 0.0, "cycle": 0.01},  # m=512 twin, seed 0: a lookup at first full recall
    twin_margin_end={"star": 1.24, "cycle": 7.74},
    navigation=0.36, degree=100, finetuned_first_hop=1.0, scratch_first_hop=0.04,
    knob_directions={"lr 1e-2": (True, True), "N(0,1) init, lr 1e-4": (False, False)},
    lookup=dict(edge_recall=100.0, train_exact=1.0, test_exact=0.0, navigation=0.1, degree=40, n_test=10),
)
#: The default-initialised GPT of the same controls run (G(40, 5), seed 0): it memorises too,
#: but with a geometry, so it must fail as a "lookup".
GEOMETRIC_GPT = dict(edge_recall=100.0, train_exact=1.0, test_exact=1.0, navigation=0.9, degree=40, n_test=10)
#: An untrained GPT: no memory at all (edge recall about chance), so no lookup either.
UNTRAINED_GPT = dict(edge_recall=2.0, train_exact=0.0, test_exact=0.0, navigation=0.0, degree=40, n_test=10)


MAX_NAME = "succinctness: trained lookup / trained geometry, max over graphs, l2 and bits"
MIN_NAME = "succinctness: trained lookup / trained geometry, min over graphs, l2 and bits"


def failed(**changes) -> list[str]:
    return [c.name for c in memorization_puzzle_checks(**{**GOOD, **changes}) if not c.passed]


def test_check_passes_on_the_phenomenon():
    assert failed() == []


def test_closed_form_is_machinery_and_not_evidence():
    checks = memorization_puzzle_checks(**GOOD)
    prop1 = [c for c in checks if "Prop. 1 ratio" in c.name]
    assert len(prop1) == 2 and all(c.kind == "machinery" for c in prop1)
    ev = findings.evidence(checks, vp.EVIDENCE["puzzle.succinctness"])
    assert [c.name for c in ev] == [MAX_NAME, MIN_NAME]


def test_lookup_checks_fail_on_the_geometric_and_the_untrained_gpt():
    # a geometric GPT answers held-out paths: not the associative counterexample
    names = failed(lookup=GEOMETRIC_GPT)
    assert all(any(e in n for n in names) for e in ("held-out exact match", "navigation")), names
    fid = "puzzle.trainable_associative_path_star"
    v = findings.verdict_of(fid, memorization_puzzle_checks(**{**GOOD, "lookup": GEOMETRIC_GPT}), vp.EVIDENCE[fid],
                            "x", "y")
    assert v["verdict"] == findings.NOT_REPRODUCED
    # an untrained GPT recalls no edge: no associative memory was learnt, and the precondition
    # (training paths memorised) fails the notebook
    checks = memorization_puzzle_checks(**{**GOOD, "lookup": UNTRAINED_GPT})
    names = [c.name for c in checks if not c.passed]
    assert any("edge recall" in n for n in names) and any("training-path" in n for n in names), names
    assert next(c for c in checks if "training-path" in c.name).kind == "machinery"
    fid = "puzzle.associative_learnable"
    assert findings.verdict_of(fid, checks, vp.EVIDENCE[fid], "x", "y")["verdict"] == findings.NOT_REPRODUCED


def test_findings_of_the_chapter():
    checks = memorization_puzzle_checks(**GOOD, matched_steps={"star": (301, 29), "cycle": (301, 32)})
    recs = [findings.verdict_of(fid, checks, vp.EVIDENCE[fid], "x", "y", "which part") for fid in vp.EVIDENCE]
    assert findings.problems("04_memorization_puzzle", recs, [c.__dict__ for c in checks]) == []
    ease = next(r for r in recs if r["id"] == "puzzle.associative_faster")
    assert ease["verdict"] == findings.PARTLY and "ease (m=32" in ease["detail"]  # m=32, seed 0: the twin wins
    m32 = [c for c in checks if c.name.startswith("ease (m=32")][0]
    assert m32.value == 0.0 and not m32.passed
    both = memorization_puzzle_checks(**GOOD, matched_steps={"star": (1, 29), "cycle": (2, 32)})
    assert [c for c in both if c.name.startswith("ease (m=32")][0].passed
    never = memorization_puzzle_checks(**GOOD, matched_steps={"star": (301, 301), "cycle": (301, 301)})
    assert not [c for c in never if c.name.startswith("ease (m=32")][0].passed  # neither got there: not shown
    no_lookup = memorization_puzzle_checks(**{**GOOD, "lookup": None})
    fid = "puzzle.trainable_associative_path_star"
    assert findings.verdict_of(fid, no_lookup, vp.EVIDENCE[fid], "x", "y")["verdict"] == findings.NOT_TESTED


@pytest.mark.parametrize("changes, expected", [
    (dict(assoc_top_k={"star": 100.0, "cycle": 93.3}), "associative top-k recovery on cycle"),
    (dict(net_skewed_margin={"star": -0.4, "cycle": 0.2}), "skewed edge margin"),
    (dict(gpt_alignment={"star": 0.27, "cycle": 0.3}), "top-4 energy share"),
    (dict(ratios=[1.0, 9.0]), "max Prop. 1 ratio"),
    (dict(twin_margin_at_full={"star": 0.81, "cycle": 1.32}, twin_margin_end={"star": 2.2, "cycle": 3.2}),
     "skewed margin at first 100%"),  # geometric from the start: the m=32 twin's numbers (seed 0)
    (dict(twin_margin_end={"star": 0.1, "cycle": 0.2}), "end minus first"),  # a lookup that stays one
    (dict(trained_cost_ratios={"l2": [1.2], "bits": [2.6]}), MAX_NAME),  # a lookup over twice the geometry
    (dict(trained_cost_ratios={"l2": [0.35, 0.8], "bits": [0.03, 1.34]}), MIN_NAME),  # as measured at ci, seed 0
    (dict(trained_cost_ratios={"l2": [1.2, float("nan")], "bits": [1.5]}), "trained lookup / trained geometry"),
    (dict(lookup=GEOMETRIC_GPT), "trainable lookup on the path-star: "),
    (dict(lookup=UNTRAINED_GPT), "lookup"),
    (dict(navigation=0.02), "navigation"),
    (dict(finetuned_first_hop=0.05), "fine-tun"),
    (dict(scratch_first_hop=0.9), "gain over the same fine-tune"),
    (dict(knob_directions={"N(0,1) init, lr 1e-4": (False, True)}), "knob 'N(0,1) init, lr 1e-4'"),
])
def test_check_fails_without_the_phenomenon(changes, expected):
    names = failed(**changes)
    assert names and all(expected in n for n in names), names


def test_finetune_checks_can_be_left_out_but_nothing_else():
    names = [c.name for c in memorization_puzzle_checks(**{**GOOD, "finetuned_first_hop": 0.0}, finetune_checked=False)]
    assert not any("fine-tun" in n for n in names)
    assert any("navigation" in n for n in names) and len(names) == len(memorization_puzzle_checks(**GOOD)) - 2


def test_check_fails_on_real_runs_without_the_phenomenon():
    """An under-trained lookup does not recall every edge, and a narrow trainable network
    (m=32, geometric from the start) is no lookup when it first recalls every edge: both
    must fail the check."""
    g = graphs.tiny_graph("cycle")
    vocab = tasks.Vocab(g.n_nodes)
    edges = tasks.edge_bucket(g, vocab)
    hist = {}
    for arch, lr, width, steps in (("assoc", 1e-4, 512, 3), ("net", 1e-2, 32, 60)):
        with seeded(0):
            model = build_model(arch, vocab.size, 4, width=width)
        res = train(model, [edges], TrainConfig(steps=steps, lr=lr, weight_decay=0.0, batch_size=None, warmup_steps=0,
                                                grad_clip=None, eval_every=1, schedule="constant", progress=False),
                    evaluate=lambda m: {**measures.top_k_recovery(measures.edge_logits(m, g, vocab), g),
                                        **margins.margin_report(m, g)})
        hist[arch] = res.history
    under_trained = hist["assoc"][-1]["top_k"]
    assert under_trained < 100.0
    full = next(r for r in hist["net"] if r["top_k"] >= 100.0)
    names = failed(assoc_top_k={"cycle": under_trained}, twin_margin_at_full={"cycle": full["skewed_margin"]},
                   twin_margin_end={"cycle": hist["net"][-1]["skewed_margin"]})
    assert any("top-k recovery on cycle" in n for n in names)
    assert any("skewed margin at first 100%" in n for n in names), (full, names)


# ---------------------------------------------------------------------------- succinctness of trained memories

def verdict_for(l2: list[float], bits: list[float]) -> dict:
    checks = vp.memorization_puzzle_checks(**{**GOOD, "trained_cost_ratios": {"l2": l2, "bits": bits}})
    fid = "puzzle.succinctness"
    return findings.verdict_of(fid, checks, vp.EVIDENCE[fid], "x", "y", "note")


@pytest.mark.parametrize("l2, bits, verdict, failing", [
    ([1.2, 1.41], [1.33, 1.9], findings.REPRODUCED, []),  # inside Prop. 1's band
    ([0.35, 0.8], [0.03, 1.34], findings.PARTLY, [MIN_NAME]),  # the geometry dearer (seed 0 at ci)
    ([1.2, 1.41], [1.3, 2.6], findings.PARTLY, [MAX_NAME]),  # a lookup more than twice the geometry
    ([0.4, 2.5], [1.5, 1.5], findings.NOT_REPRODUCED, [MAX_NAME, MIN_NAME]),  # out on both sides
    ([1.2, math.nan], [1.5, 1.5], findings.NOT_REPRODUCED, [MAX_NAME, MIN_NAME]),  # a memory not stored
])
def test_the_two_halves_of_the_band_are_two_checks(l2, bits, verdict, failing):
    rec = verdict_for(l2, bits)
    assert rec["verdict"] == verdict and rec["checks"] == [MAX_NAME, MIN_NAME]
    assert [n for n in rec["checks"] if n in rec["detail"]] == failing


def test_the_check_reads_both_measures():
    """A ratio out of the band in bits alone, or in l2 alone, is caught."""
    assert verdict_for([1.5], [0.5])["verdict"] == findings.PARTLY
    assert verdict_for([0.5], [1.5])["verdict"] == findings.PARTLY
    assert verdict_for([1.5], [])["verdict"] == findings.REPRODUCED


def trained_table(**changes) -> pd.DataFrame:
    rows = pd.DataFrame({
        "pair": [chapter.FREE_PAIR, chapter.FREE_PAIR, chapter.NET_PAIR, chapter.NET_PAIR],
        "graph": ["G(2, 5)", "C(512)", "star", "cycle"], "nodes": [9, 512, 17, 15],
        "l2 ratio": [0.35, 0.46, math.nan, 0.35], "bits ratio": [0.09, 1.34, math.nan, 0.3],
        "checked": [True, True, False, True]})
    return rows.assign(**changes)


def test_cost_ratios_count_the_checked_rows_and_say_which_way_they_fall():
    t = trained_table()
    assert vp.cost_ratios(t) == {"l2": [0.35, 0.46, 0.35], "bits": [0.09, 1.34, 0.3]}
    text = vp.cost_ordering(t)
    assert "l2 0.35-0.46, bits 0.09-1.34 over 3 graphs (9-512 nodes)" in text
    assert "5 of 6 ratios below 1" in text and "1 within [1, 2], 0 above 2" in text
    assert "tiny graphs: cycle)" in vp.cost_detail(t) and "n^2 entries" in vp.cost_detail(t)
    broken = trained_table(**{"l2 ratio": [0.35, math.nan, math.nan, 0.35]})
    assert math.isnan(vp.cost_ratios(broken)["l2"][1])  # a checked row that failed is kept, and fails
    assert "1 not priced" in vp.cost_ordering(broken)


# ---------------------------------------------------------------------------- experiments.py helpers

def test_edges_only_run_keeps_its_model_and_can_decode_paths():
    cfg = pathstar.PathStarRun(degree=4, path_length=4, objective="edges_only", steps=2, eval_every=2,
                                  batch_size=8, warmup_steps=0, model=(("n_heads", 1), ("n_layers", 1), ("width", 16)))
    data = pathstar.build_data(cfg)
    assert pathstar.block_size(cfg, data) >= 1 + cfg.n_pause + cfg.path_length
    rec = pathstar.run_path_star(cfg, progress=False, use_cache=False)  # evaluates whole paths: needs the block
    model = pathstar.trained_model(cfg, rec)
    torch.testing.assert_close(model.embedding_matrix()[: data.graph.n_nodes], rec["embedding"])


def test_the_chapters_findings_are_one_verdict_per_registered_finding():
    """``puzzle_findings`` (what the notebook's last cell calls) runs on the chapter's tables and
    gives the register exactly its findings for the chapter, with no problem ``finish`` raises."""
    import pandas as pd
    from types import SimpleNamespace

    tiny = ["star", "cycle"]
    matched = pd.DataFrame({n: {"m=32 frozen: steps to 100%": 301, "m=32 trainable: steps to 100%": 29,
                                "m=512 frozen: steps to 100%": 2, "m=512 trainable: steps to 100%": 3}
                            for n in tiny})
    knobs = pd.DataFrame({"checked": [True, True, False], "same direction": [True, True, False]},
                         index=["lr 1e-2", "N(0,1) init, lr 1e-4", "N(0,1) init, lr 1e-1"])
    trained = pd.DataFrame({"pair": [chapter.FREE_PAIR, chapter.NET_PAIR], "graph": ["C(8)", "cycle"],
                            "nodes": [8, 15], "l2 ratio": [1.2, 1.41], "bits ratio": [1.33, 1.9],
                            "checked": [True, True]})
    assoc = {n: (None, pd.DataFrame({"top_k": [50.0, 100.0]})) for n in tiny}
    p = SimpleNamespace(LOOKUP_DEGREE=40, PATH_LENGTH=5, SEED=0)
    checks = memorization_puzzle_checks(**GOOD, matched_steps=vp.matched_steps(matched, tiny))
    recs = vp.puzzle_findings(p, checks, assoc=assoc, matched=matched, tiny=tiny, knobs=knobs, trained=trained,
                              ratios=GOOD["ratios"], twin_full={"star": (0.0, 1.24), "cycle": (0.01, 7.74)},
                              lookup=GOOD["lookup"])
    golden.check("04_memorization_puzzle", recs, checks)
    assert sorted(r["id"] for r in recs) == sorted(f.id for f in findings.for_chapter("04_memorization_puzzle"))
    assert findings.problems("04_memorization_puzzle", recs, [c.__dict__ for c in checks]) == []
    ease = next(r for r in recs if r["id"] == "puzzle.associative_faster")
    assert ease["verdict"] == findings.PARTLY and "m=32: frozen 301/301 vs trainable 29/29" in ease["ours"]
    # a measured fine-tune is stated with its numbers (and, past the checked path length, as recorded only)
    for length, tail in ((5, ""), (8, " (recorded, not checked)")):
        with_ft = vp.puzzle_findings(SimpleNamespace(LOOKUP_DEGREE=40, PATH_LENGTH=length, SEED=0), checks,
                                     assoc=assoc, matched=matched, tiny=tiny, knobs=knobs, trained=trained,
                                     ratios=GOOD["ratios"], twin_full={"star": (0.0, 1.24), "cycle": (0.01, 7.74)},
                                     lookup=GOOD["lookup"], finetune=(0.9, 0.02))
        ft = next(r for r in with_ft if r["id"] == "puzzle.edges_then_hardest")
        assert ft["ours"] == f"held-out first hop after the fine-tune 0.90, from scratch 0.02{tail}"


def test_every_check_quotes_what_it_stands_for():
    checks = memorization_puzzle_checks(**GOOD)
    assert all(isinstance(c.paper, str) and c.paper.strip() for c in checks), [c.name for c in checks if not c.paper]


def test_edges_then_hardest_says_where_it_is_switched_off_and_can_fail():
    """``puzzle.edges_then_hardest`` is evidence named by its finding; its note says at every
    arm length that the check is switched off at l >= 6, where the fine-tune fails."""
    from types import SimpleNamespace

    fid = "puzzle.edges_then_hardest"
    held = findings.verdict_of(fid, memorization_puzzle_checks(**GOOD), vp.EVIDENCE[fid], "x", "y",
                               vp.untested_detail(SimpleNamespace(PATH_LENGTH=5)))
    assert held["verdict"] == findings.REPRODUCED and "l >= 6" in held["detail"]
    failed = findings.verdict_of(fid, memorization_puzzle_checks(**{**GOOD, "finetuned_first_hop": 0.02}),
                                 vp.EVIDENCE[fid], "x", "y")
    assert failed["verdict"] == findings.NOT_REPRODUCED
    long = vp.untested_detail(SimpleNamespace(PATH_LENGTH=6))
    off = findings.verdict_of(fid, memorization_puzzle_checks(**GOOD, finetune_checked=False), vp.EVIDENCE[fid],
                              "x", "y", long)
    assert off["verdict"] == findings.NOT_TESTED and "fails" in off["detail"]
