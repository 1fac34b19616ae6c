"""Tests of chapter 03's claim check (geomem_utils.verdicts_reasoning) and of the root-given first hop.

The key test trains a real (short) frozen-embedding run and feeds its numbers to the
chapter's check: a model without in-weights reasoning must fail it.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from geomem_utils import experiments, measures, results, tasks
from geomem_utils.verdicts_reasoning import implicit_reasoning_checks

GOOD = dict(degree=100, test_exact=0.88, hardest_first_hop=0.9, frozen_test_exact=0.0, ic_degree=2,
            ic_first_hop=0.5, ic_later=1.0, ic_reverse=0.96, mamba_test_exact=0.88, mamba_degree=100)


pytestmark = pytest.mark.usefixtures("one_thread")  # small models: one thread is fastest


def failed(checks, fragment):
    hits = [c for c in checks if fragment in c.name]
    assert hits, f"no check named like {fragment!r}: {[c.name for c in checks]}"
    return not all(c.passed for c in hits)


def test_good_numbers_pass():
    checks = implicit_reasoning_checks(**GOOD)
    assert len(checks) == 7
    assert all(c.passed for c in checks), [c for c in checks if not c.passed]


def test_frozen_run_fails_the_claim(tmp_path):
    """A real frozen-embedding run (tiny graph, few steps) in place of the main and hardest runs."""
    cfg = experiments.PathStarRun(
        degree=12, path_length=4, steps=40, batch_size=64, eval_every=40, warmup_steps=5,
        model=(("n_heads", 2), ("n_layers", 1), ("width", 32)),
    ).with_model(freeze_embeddings=True)
    final = experiments.run_path_star(cfg, progress=False, use_cache=False)["final"]
    assert final["test_exact"] == 0.0  # exactly 0: no held-out first hop is ever a target
    checks = implicit_reasoning_checks(**{**GOOD, "degree": cfg.degree, "test_exact": final["test_exact"],
                                          "hardest_first_hop": final["test_first_hop"]})
    assert failed(checks, "held-out exact match")
    assert failed(checks, "hardest-token")
    with pytest.raises(results.ClaimCheckFailed, match="03_implicit_reasoning"):
        results.finish("03_implicit_reasoning", title="t", claim="c", paper_ref="p", checks=checks,
                       params={"PROFILE": "ci", "RESULTS_DIR": str(tmp_path)}, started=0.0)


@pytest.mark.parametrize("change, fragment", [
    ({"frozen_test_exact": 0.6}, "frozen"),  # a frozen control that generalises is not a control
    ({"ic_first_hop": 0.95}, "first-hop"),  # the in-context first token solved: not at chance
    ({"ic_first_hop": 0.05}, "first-hop"),  # below chance is not "at chance" either
    ({"ic_later": 0.3}, "Clever-Hans"),  # no cheat: the later tokens are wrong too
    ({"ic_reverse": 0.2}, "reverse"),
    ({"mamba_test_exact": 0.0}, "Mamba"),
    ({"test_exact": 0.5}, "held-out exact match"),
])
def test_each_check_can_fail(change, fragment):
    assert failed(implicit_reasoning_checks(**{**GOOD, **change}), fragment)


def test_optional_checks_and_names():
    checks = implicit_reasoning_checks(**{**GOOD, "ic_reverse": None, "mamba_test_exact": None, "arch": "mamba"})
    assert len(checks) == 5
    assert checks[0].name.startswith("Mamba held-out exact match")
    frozen = [c for c in checks if "frozen" in c.name][0]
    assert frozen.threshold == pytest.approx(5 / GOOD["degree"])
    with pytest.raises(ValueError, match=r"degrees must be >= 1, got degree=0"):
        implicit_reasoning_checks(**{**GOOD, "degree": 0})


class RootThenFirstHop(nn.Module):
    """Predicts v1 of the query leaf right after the root, [PAD] everywhere else."""

    def __init__(self, g, vocab):
        super().__init__()
        self.vocab, self.root = vocab, g.root
        table = torch.full((vocab.size,), vocab.PAD, dtype=torch.long)
        for p in g.paths:
            table[p[-1]] = p[1]
        self.register_buffer("table", table)
        self.token_embedding = nn.Embedding(vocab.size, 4)

    def embedding_matrix(self):
        return self.token_embedding.weight.detach().clone()

    def forward(self, idx):
        out = torch.full(idx.shape, self.vocab.PAD, dtype=torch.long)
        out = torch.where(idx == self.root, self.table[idx[:, 1]][:, None].expand_as(idx), out)
        return nn.functional.one_hot(out, self.vocab.size).float()  # (B, T, vocab)


def test_first_hop_given_root_and_hardest_evaluator():
    cfg = experiments.PathStarRun(degree=8, path_length=4, steps=10, model=(("n_heads", 2), ("n_layers", 1), ("width", 8)))
    data = experiments.build_data(cfg)
    model = RootThenFirstHop(data.graph, data.vocab)
    q = tasks.path_queries(data.graph, data.vocab, data.test_ids, cfg.n_pause)
    assert measures.first_hop_given_root(model, q) == 1.0
    assert measures.path_metrics(model, q)["first_hop"] == 0.0  # greedy from the bare prefix never names the root
    hard = experiments.PathStarRun(**{**cfg.__dict__, "objective": "edges_and_hardest"})
    assert experiments._evaluator(hard, experiments.build_data(hard))(model)["test_first_hop"] == 1.0
    assert experiments._evaluator(cfg, data)(model)["test_first_hop"] == 0.0
