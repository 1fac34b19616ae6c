"""Regressions that would invalidate a reproduction without failing anything else (issue 17).

Each test here was written against a bug planted in a copy of the package, and fails on it:

1. Held-out leaves never leak into training: no held-out leaf (nor any node that only a
   held-out path visits) appears in a path bucket, for every objective, split and family;
   and a frozen-embedding run that fits its training paths answers no held-out one (the
   bug "path bucket built from every leaf" takes it from 0 to 1).
2. The run cache serves a run only for its own configuration: changing any field of
   :class:`~geomem_utils.runs.pathstar.PathStarRun` recomputes (counted by the trainer's calls).
3. Seeds matter: different seeds give different splits, initialisations and data orders;
   the same seed gives the same ones, whatever the global RNG.
4. Every GPT switch changes the logits for the same weights, and the model matches a block
   computed by hand (so a switch that silently does nothing fails).
5. Greedy decoding never sees the answer: a model that reads the next token scores 0, a
   causal oracle scores 1.
"""

from __future__ import annotations

import dataclasses
import math
import zlib
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from geomem_utils.runs import pathstar as experiments, pathstar_config
from geomem_utils.science import graphs, measures, tasks
from geomem_utils.runs.pathstar import PathStarRun
from geomem_utils.science.models import GPT, GPTConfig, build_model
from geomem_utils.science.train import TrainConfig, TrainResult, _batches, batch_loss, train
from geomem_utils.validate import ConfigError

pytestmark = pytest.mark.usefixtures("one_thread")


# ============================================================================ 1. held-out leaves never leak

def _leak_cases() -> list[tuple[str, str, str, bool]]:
    cases = []
    for family in ("path_star", "tree_star"):
        for split_by in ("leaf", "subtree"):
            for objective in pathstar_config.OBJECTIVES:
                for reverse in (False, True) if objective == "edges_and_paths" else (False,):
                    cases.append((family, split_by, objective, reverse))
    return cases


@pytest.mark.parametrize("family,split_by,objective,reverse", _leak_cases(), ids=lambda v: str(v))
def test_no_held_out_leaf_is_ever_a_path_in_training(family: str, split_by: str, objective: str, reverse: bool) -> None:
    degree, length = (12, 4) if family == "path_star" else (4, 4)
    for seed in (0, 1, 2):
        cfg = PathStarRun(degree=degree, path_length=length, family=family, split_by=split_by, objective=objective,
                          reverse=reverse, seed=seed, n_pause=2, model=(("width", 8),))
        data = experiments.build_data(cfg)
        g = data.graph
        train_nodes = {v for i in data.train_ids for v in g.paths[i]}
        held_only = {v for i in data.test_ids for v in g.paths[i]} - train_nodes  # leaves, and whole arms by subtree
        held_leaves = {g.paths[i][-1] for i in data.test_ids}
        assert held_leaves and held_leaves <= held_only
        path_buckets = [b for b in data.buckets if b.kind != "edge"]
        assert len(path_buckets) == (0 if objective == "edges_only" else 1)
        for b in path_buckets:
            assert b.kind == {"edges_and_hardest": "hardest"}.get(objective, "path_reverse" if reverse else "path")
            assert len(b) == len(data.train_ids)
            goals = set(b.inputs[:, 1].tolist())  # [PATH] goal [PAUSE]*k ...
            assert goals == {g.paths[i][-1] for i in data.train_ids}, "the path bucket's goals are not the training leaves"
            targets = set(b.targets[b.targets != tasks.IGNORE].tolist())
            seen = set(b.inputs.flatten().tolist()) | targets
            assert not held_only & seen, f"held-out nodes {sorted(held_only & seen)} appear in training ({b.kind})"
        # The evaluator's training sample is drawn from the training leaves only.
        assert set(data.train_ids[: cfg.max_train_eval]) <= set(data.train_ids.tolist())
        assert not set(data.train_ids.tolist()) & set(data.test_ids.tolist())


def test_frozen_embeddings_fit_training_paths_but_answer_no_held_out_one() -> None:
    """The paper's associative control on G(12, 4): every training path memorised, held-out ~0.

    Trained on the held-out paths too (the planted bug), the same run answers all of them.
    """
    cfg = PathStarRun(degree=12, path_length=4, steps=150, eval_every=150, batch_size=None, warmup_steps=20, lr=1e-2,
                      model=(("freeze_embeddings", True), ("n_heads", 2), ("n_layers", 2), ("width", 32)))
    final = experiments.run_path_star(cfg, progress=False, use_cache=False)["final"]
    assert final["train_exact"] == 1.0, final
    assert final["test_exact"] <= 1 / 3 + 1e-9, final  # 3 held-out leaves: at most one by luck


# ============================================================================ 2. every config field keys the cache

BASE = PathStarRun(degree=4, path_length=3, test_frac=0.5, steps=4, eval_every=2, batch_size=8, warmup_steps=1,
                   max_train_eval=4, model=(("width", 8),), snapshot_steps=(0, 4))

#: One other valid value of every field (a new field of PathStarRun must be added here).
CHANGED: dict[str, Any] = {
    "degree": 6, "path_length": 4, "family": "tree_star", "split_by": "subtree", "test_frac": 0.25, "n_pause": 2,
    "objective": "edges_only", "direction": "forward", "self_edges": True, "reverse": True, "staged_edge_steps": 2,
    "arch": "net", "model": (("width", 12),), "steps": 6, "lr": 2e-3, "weight_decay": 0.1, "beta2": 0.99,
    "batch_size": None, "warmup_steps": 2, "schedule": "constant", "seed": 1, "eval_every": 4,
    "snapshot_steps": (0, 2, 4), "max_train_eval": 2,
}


class _CountingTrainer:
    """Stands in for the training loop: counts runs, records what each was given."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def __call__(self, model: nn.Module, phases: Any, cfg: TrainConfig, evaluate: Any = None, **kw: Any) -> TrainResult:
        self.calls.append({"cfg": cfg, "init": {k: v.detach().clone() for k, v in model.state_dict().items()},
                           "phases": phases})
        return TrainResult(history=[{"step": cfg.steps, "loss": 0.0}], losses=[0.0] * cfg.steps, steps_run=cfg.steps)


@pytest.fixture
def counting_trainer(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> _CountingTrainer:
    fake = _CountingTrainer()
    monkeypatch.setattr(experiments, "train", fake)
    monkeypatch.setenv("GEOMEM_CACHE", str(tmp_path / "cache"))
    return fake


def test_the_field_table_covers_every_field() -> None:
    assert set(CHANGED) == {f.name for f in dataclasses.fields(PathStarRun)}
    for name, value in CHANGED.items():
        assert getattr(BASE, name) != value, name


def test_any_change_of_a_run_field_recomputes(counting_trainer: _CountingTrainer) -> None:
    run = lambda cfg: experiments.run_path_star(cfg, progress=False)  # noqa: E731
    run(BASE)
    run(BASE)
    assert len(counting_trainer.calls) == 1, "the same configuration was trained twice: the cache is not used"
    served_wrong = []
    for name, value in CHANGED.items():
        cfg = replace(BASE, **{name: value})
        n = len(counting_trainer.calls)
        run(cfg)
        if len(counting_trainer.calls) != n + 1:
            served_wrong.append(name)
        run(cfg)  # now cached ...
        run(BASE)  # ... and the base run still is
        assert len(counting_trainer.calls) == n + (name not in served_wrong), name
    assert not served_wrong, f"changing {served_wrong} served another run's cache entry"


def test_a_model_keyword_change_recomputes(counting_trainer: _CountingTrainer) -> None:
    run = lambda cfg: experiments.run_path_star(cfg, progress=False)  # noqa: E731
    for cfg in (BASE, BASE.with_model(n_layers=1), BASE.with_model(freeze_embeddings=True), BASE.with_model(n_heads=2),
                BASE.with_model(n_layers=1), BASE):
        run(cfg)
    assert len(counting_trainer.calls) == 4


# ============================================================================ 3. seeds matter

def test_different_seeds_give_different_splits() -> None:
    g = graphs.path_star(40, 3, seed=0)
    splits = [tuple(tasks.split_leaves(g, 0.25, seed=s)[1]) for s in range(6)]
    assert len(set(splits)) == 6, "two seeds gave the same held-out leaves"
    assert splits[0] == tuple(tasks.split_leaves(g, 0.25, seed=0)[1])
    t = graphs.tree_star(12, 3, seed=0)
    arms = [tuple(sorted(set(t.branch[t.first_hops][tasks.split_leaves(t, 0.25, seed=s, by="subtree")[1]])))
            for s in range(6)]
    assert len(set(arms)) == 6, "two seeds held out the same arms"
    # A run's split follows its seed (through the relabelling and the split).
    a, b = (experiments.build_data(replace(BASE, degree=40, seed=s)) for s in (0, 1))
    assert {a.graph.paths[i][-1] for i in a.test_ids} != {b.graph.paths[i][-1] for i in b.test_ids}


def test_a_runs_seed_sets_its_initialisation_and_data_order(counting_trainer: _CountingTrainer) -> None:
    for seed in (0, 0, 1):
        experiments.run_path_star(replace(BASE, seed=seed), progress=False, use_cache=False)
    (a, a2, b) = counting_trainer.calls
    assert [c["cfg"].seed for c in (a, a2, b)] == [0, 0, 1], "the trainer's seed (data order) is not the run's seed"
    same = [k for k in a["init"] if torch.equal(a["init"][k], b["init"][k]) and a["init"][k].std() > 0]
    assert not same, f"seeds 0 and 1 initialise {same} identically"
    assert all(torch.equal(a["init"][k], a2["init"][k]) for k in a["init"]), "the same seed initialised differently"


def _tiny_training(seed: int, global_seed: int, batch_size: int | None = 4) -> list[float]:
    g = graphs.tiny_graph("cycle")
    vocab = tasks.Vocab(g.n_nodes)
    torch.manual_seed(0)
    model = build_model("net", vocab.size, 2, width=8)
    torch.manual_seed(global_seed)  # the global RNG must not matter
    cfg = TrainConfig(steps=6, lr=1e-2, batch_size=batch_size, warmup_steps=0, seed=seed, progress=False)
    return train(model, [tasks.edge_bucket(g, vocab)], cfg).losses


def test_data_order_follows_the_seed_and_nothing_else() -> None:
    first = lambda s: [r.tolist() for r in next(_batches([7, 5], 4, torch.Generator().manual_seed(s)))]  # noqa: E731
    assert first(0) == first(0) and first(0) != first(1)
    assert _tiny_training(0, global_seed=1) == _tiny_training(0, global_seed=2)
    assert _tiny_training(0, global_seed=1) != _tiny_training(1, global_seed=1)
    assert _tiny_training(0, 1, batch_size=None) == _tiny_training(1, 2, batch_size=None)  # full batch: no order


# ============================================================================ 4. GPT switches, against a block by hand

def _layer_norm(x: torch.Tensor, mod: nn.Module, on: bool) -> torch.Tensor:
    if not on:
        return x
    mu = x.mean(-1, keepdim=True)
    var = ((x - mu) ** 2).mean(-1, keepdim=True)
    y = (x - mu) / torch.sqrt(var + mod.eps) * mod.weight
    return y + mod.bias if mod.bias is not None else y


def _affine(x: torch.Tensor, lin: nn.Linear) -> torch.Tensor:
    y = x @ lin.weight.T
    return y + lin.bias if lin.bias is not None else y


def reference_logits(model: GPT, idx: torch.Tensor) -> torch.Tensor:
    """The GPT of the paper (GPT-mid, scaled down), written out by hand from the model's weights and switches."""
    cfg = model.cfg
    B, T = idx.shape
    x = model.wte.weight[idx]  # (B, T, m)
    if cfg.positions == "learned":
        x = x + model.wpe.weight[:T]
    elif cfg.positions == "sinusoidal":
        table = torch.zeros(T, cfg.width)
        for pos in range(T):
            for i in range(0, cfg.width, 2):
                angle = pos / 10000 ** (i / cfg.width)
                table[pos, i], table[pos, i + 1] = math.sin(angle), math.cos(angle)
        x = x + table
    for blk in model.blocks:
        if cfg.attention:
            h = _layer_norm(x, blk.ln_attn, cfg.layernorm)
            q, k, v = _affine(h, blk.attn.qkv).split(cfg.width, dim=-1)
            dh = cfg.width // cfg.n_heads
            heads = []
            for j in range(cfg.n_heads):
                qj, kj, vj = (t[..., j * dh:(j + 1) * dh] for t in (q, k, v))
                scores = qj @ kj.transpose(1, 2) / math.sqrt(dh)
                scores = scores.masked_fill(torch.triu(torch.ones(T, T, dtype=torch.bool), 1), -math.inf)
                heads.append(torch.softmax(scores, -1) @ vj)
            y = _affine(torch.cat(heads, -1), blk.attn.proj)
            x = x + y if cfg.residual else y
        if cfg.mlp != "none":
            h = _layer_norm(x, blk.ln_mlp, cfg.layernorm)
            if cfg.mlp == "gelu":
                u = _affine(h, blk.mlp.net[0])
                y = _affine(0.5 * u * (1 + torch.erf(u / math.sqrt(2))), blk.mlp.net[2])
            else:
                y = _affine(h, blk.mlp.net)
            x = x + y if cfg.residual else y
    x = _layer_norm(x, model.ln_f, cfg.layernorm)
    head = model.wte.weight if cfg.tied else model.lm_head.weight
    return x @ head.T


SWITCHES = [{"attention": False}, {"residual": False}, {"layernorm": False}, {"mlp": "linear"}, {"mlp": "none"},
            {"positions": "sinusoidal"}, {"positions": "none"}, {"bias": False}, {"tied": False}, {"n_heads": 1},
            {"n_layers": 2}, {"attention": False, "mlp": "linear"}]
GPT_BASE = dict(vocab_size=11, block_size=7, n_layers=1, width=8, n_heads=2)


def _randomised_gpt(**switch: Any) -> GPT:
    torch.manual_seed(0)
    model = GPT(GPTConfig(**{**GPT_BASE, **switch}))
    with torch.no_grad():
        for name, p in model.named_parameters():  # biases and norms away from their init: every switch shows
            p.copy_(torch.randn(p.shape, generator=torch.Generator().manual_seed(zlib.crc32(name.encode()))) * 0.5)
    return model.eval()


@pytest.mark.parametrize("switch", [{}, *SWITCHES], ids=repr)
def test_gpt_matches_the_block_by_hand(switch: dict) -> None:
    model = _randomised_gpt(**switch)
    idx = torch.randint(0, 11, (3, 7), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        torch.testing.assert_close(model(idx), reference_logits(model, idx), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("switch", SWITCHES, ids=repr)
def test_each_gpt_switch_changes_the_logits_for_the_same_weights(switch: dict) -> None:
    base = _randomised_gpt()
    switched = _randomised_gpt(**switch)
    own = switched.state_dict()
    shared = {k: v for k, v in base.state_dict().items()  # the tied head is wte itself: not shared with an untied one
              if k in own and own[k].shape == v.shape and not (k == "lm_head.weight" and not switched.cfg.tied)}
    switched.load_state_dict(shared, strict=False)
    idx = torch.randint(0, 11, (3, 7), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        diff = (base(idx) - switched(idx)).abs().max().item()
    assert diff > 1e-3, f"{switch} left the logits unchanged (max difference {diff:.2g})"


def test_dropout_acts_in_training_only() -> None:
    model = _randomised_gpt(dropout=0.5)
    idx = torch.randint(0, 11, (3, 7), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        torch.testing.assert_close(model(idx), reference_logits(model, idx), rtol=1e-4, atol=1e-4)
        model.train()
        assert not torch.allclose(model(idx), reference_logits(model, idx), atol=1e-3)


# ============================================================================ 5. greedy decoding never sees the answer

class _Peeker(nn.Module):
    """Not causal: the logits at position t point at the token at t + 1 (PAD at the end).

    Right on every answer token if it is ever shown the answer; useless otherwise.
    """

    def __init__(self, vocab: tasks.Vocab) -> None:
        super().__init__()
        self.vocab, self.anchor = vocab, nn.Parameter(torch.zeros(()))

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        nxt = torch.cat([idx[:, 1:], torch.full_like(idx[:, :1], self.vocab.PAD)], dim=1)
        return F.one_hot(nxt, self.vocab.size).float() + self.anchor


class _Oracle(nn.Module):
    """Causal and right: reads the goal leaf (position 1) and the position, emits the path."""

    def __init__(self, g: graphs.Graph, vocab: tasks.Vocab, prefix_len: int) -> None:
        super().__init__()
        self.vocab, self.p, self.anchor = vocab, prefix_len, nn.Parameter(torch.zeros(()))
        self.path_of = {p[-1]: p for p in g.paths}

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        B, T = idx.shape
        out = torch.full((B, T), self.vocab.PAD)
        for b in range(B):
            path = self.path_of[int(idx[b, 1])]
            for t in range(self.p - 1, min(T, self.p - 1 + len(path))):
                out[b, t] = path[t - self.p + 1]
        return F.one_hot(out, self.vocab.size).float() + self.anchor


def test_greedy_decoding_never_sees_the_answer() -> None:
    g = graphs.path_star(6, 4, seed=3)
    vocab = tasks.Vocab(g.n_nodes)
    q = tasks.path_queries(g, vocab, np.arange(6), n_pause=2)
    peeker = _Peeker(vocab)
    # Shown the answer (teacher forcing), the peeker would be perfect ...
    full = torch.cat([q.prefixes, q.answers], dim=1)
    P, L = q.prefixes.shape[1], q.answers.shape[1]
    assert torch.equal(peeker(full)[:, P - 1: P + L - 1].argmax(-1), q.answers)
    # ... greedy decoding from the prefix alone gives it nothing.
    m = measures.path_metrics(peeker, q)
    assert m["exact_match"] == 0.0 and m["first_hop"] == 0.0 and max(m["per_position"]) == 0.0
    assert measures.first_hop_given_root(peeker, q) == 0.0
    # A causal model that knows the graph scores 1 through the same decoder (in any batch size).
    oracle = _Oracle(g, vocab, P)
    m = measures.path_metrics(oracle, q)
    assert m["exact_match"] == 1.0 and m["first_hop"] == 1.0 and m["per_position"] == [1.0] * L
    assert measures.first_hop_given_root(oracle, q) == 1.0
    assert torch.equal(measures.greedy_decode(oracle, q.prefixes, L, batch_size=4), q.answers)


def test_path_metrics_scores_each_position() -> None:
    g = graphs.path_star(4, 4, seed=None)
    vocab = tasks.Vocab(g.n_nodes)
    q = tasks.path_queries(g, vocab, np.arange(4), n_pause=1)
    P, L = q.prefixes.shape[1], q.answers.shape[1]

    class Wrong(_Oracle):  # right except the last token of path 0 and the first hop of path 1
        def forward(self, idx: torch.Tensor) -> torch.Tensor:
            logits = super().forward(idx).clone()
            for b in range(idx.shape[0]):
                goal, t = int(idx[b, 1]), idx.shape[1] - 1
                if (goal, t) in ((g.paths[0][-1], P + L - 2), (g.paths[1][-1], P)):
                    logits[b, t] = F.one_hot(torch.tensor(vocab.PAD), vocab.size).float()
            return logits

    m = measures.path_metrics(Wrong(g, vocab, P), q)
    assert m["exact_match"] == 0.5 and m["first_hop"] == 0.75
    assert m["per_position"] == [1.0, 0.75, 1.0, 0.75]


# ============================================================================ 6. gaps found by mutation testing

def test_adjacency_keeps_isolated_nodes_and_self_edges() -> None:
    g = graphs.Graph(name="isolated tail", n_nodes=4, edges=np.array([[0, 1]]), branch=np.full(4, -1))
    a = graphs.adjacency(g).toarray()
    assert a.shape == (4, 4) and a.sum() == 2 and a[0, 1] == a[1, 0] == 1
    assert np.array_equal(graphs.adjacency(g, self_edges=True).toarray(), a + np.eye(4))


def test_sym_transition_with_self_edges() -> None:
    g = graphs.tiny_graph("star")
    a = graphs.adjacency(g).toarray() + np.eye(g.n_nodes)
    p = a / a.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(graphs.sym_transition(g, self_edges=True), p + p.T)
    assert not np.allclose(graphs.sym_transition(g, self_edges=True), graphs.sym_transition(g))


def test_profile_run_refuses_an_absurd_evaluation_interval() -> None:
    with pytest.raises(ConfigError, match=r"eval_every must be in \[0, 100000000\]"):
        experiments.profile_run("ci", eval_every=10**9)


@pytest.mark.parametrize("objective", pathstar_config.OBJECTIVES)
def test_block_size_is_the_longest_fed_sequence_plus_two(objective: str) -> None:
    """Decoding feeds ``[PATH] leaf [PAUSE]*k`` and all but the last path token: 1 + k + l positions."""
    cfg = replace(BASE, path_length=5, n_pause=3, objective=objective)
    data = experiments.build_data(cfg)
    assert experiments.block_size(cfg, data) == (1 + 3 + 5) + 2
    q = tasks.path_queries(data.graph, data.vocab, data.test_ids, cfg.n_pause)
    assert q.prefixes.shape[1] + q.answers.shape[1] - 1 == 1 + 3 + 5


def test_staged_edges_train_alone_first(counting_trainer: _CountingTrainer) -> None:
    experiments.run_path_star(replace(BASE, staged_edge_steps=3, steps=8), progress=False, use_cache=False)
    experiments.run_path_star(BASE, progress=False, use_cache=False)
    staged, mixed = (c["phases"] for c in counting_trainer.calls)
    assert [p.steps for p in staged] == [3, 5]
    assert [b.kind for b in staged[0].buckets] == ["edge"] and [b.kind for b in staged[1].buckets] == ["edge", "path"]
    assert [b.kind for b in mixed] == ["edge", "path"]  # one mixed phase: the buckets themselves


def test_train_config_carries_every_training_field() -> None:
    cfg = replace(BASE, **{k: CHANGED[k] for k in ("steps", "lr", "weight_decay", "beta2", "batch_size", "warmup_steps",
                                                   "schedule", "seed", "eval_every", "snapshot_steps")})
    tc = pathstar_config.train_config(cfg, progress=False)
    assert (tc.steps, tc.lr, tc.weight_decay, tc.betas, tc.batch_size, tc.warmup_steps, tc.schedule, tc.seed,
            tc.eval_every, tuple(tc.snapshot_steps)) == \
        (6, 2e-3, 0.1, (0.9, 0.99), None, 2, "constant", 1, 4, (0, 2, 4))
    assert pathstar_config.train_config(BASE).batch_size == 8


def test_reverse_queries_expect_leaf_to_root() -> None:
    g = graphs.path_star(3, 4, seed=1)
    vocab = tasks.Vocab(g.n_nodes)
    fwd, rev = (tasks.path_queries(g, vocab, np.arange(3), 1, reverse=r) for r in (False, True))
    assert torch.equal(fwd.prefixes, rev.prefixes)  # the prompt names the leaf either way
    assert rev.answers.tolist() == [list(p[::-1]) for p in g.paths] and fwd.answers.tolist() == [list(p) for p in g.paths]
    bucket = tasks.path_bucket(g, vocab, np.arange(3), 1, reverse=True)  # what the reverse run trains on
    assert bucket.targets[:, -4:].tolist() == rev.answers.tolist()


def test_split_errors_name_the_unit() -> None:
    with pytest.raises(ConfigError, match=r"test_frac=0.1 of 2 leaves leaves 0 held out: .* one training leaf \("):
        tasks.split_leaves(graphs.path_star(2, 3), 0.1)
    with pytest.raises(ConfigError, match=r"test_frac=0.1 of 2 arms leaves 0 held out: .* training arm"):
        tasks.split_leaves(graphs.tree_star(2, 3), 0.1, by="subtree")


def test_a_refused_value_is_shown() -> None:
    from geomem_utils import params

    with pytest.raises(params.ParameterError, match=r"parameter N must be in \[1, 5\], got 7"):
        params.resolve({"N": 7}, {"N": params.Spec(int, 1, lambda v: 1 <= v <= 5, "in [1, 5]")})


def test_batch_loss_is_the_mean_over_target_tokens_both_ways() -> None:
    g = graphs.path_star(3, 4, seed=0)
    vocab = tasks.Vocab(g.n_nodes)
    torch.manual_seed(0)
    model = build_model("gpt", vocab.size, 8, n_layers=1, width=8, n_heads=2)
    paths = tasks.path_bucket(g, vocab, np.arange(3), 1)
    rows = [torch.arange(3)]
    with torch.no_grad():
        logits = model(paths.inputs)
        by_hand = F.cross_entropy(logits.reshape(-1, vocab.size), paths.targets.reshape(-1), ignore_index=tasks.IGNORE)
        for targets_only in (False, True):
            torch.testing.assert_close(batch_loss(model, [paths], rows, targets_only), by_hand, rtol=1e-5, atol=1e-6)
        one = tasks.path_bucket(g, vocab, np.arange(1), 1, "hardest")  # a single target token
        logit = model(one.inputs)[0, -1]
        torch.testing.assert_close(batch_loss(model, [one], [torch.arange(1)]),
                                   F.cross_entropy(logit[None], one.targets[0, -1:]), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=r"^train\(\) needs at least one bucket or phase$"):
        train(model, [], TrainConfig(steps=1, progress=False))


def test_reverse_path_sequences_start_from_the_leaf() -> None:
    g = graphs.path_star(2, 4, seed=2)
    vocab = tasks.Vocab(g.n_nodes)
    seqs, p = tasks.path_sequences(g, vocab, np.arange(2), 1, reverse=True)
    for row, path in zip(seqs.tolist(), g.paths):
        assert row == [vocab.PATH, path[-1], vocab.PAUSE, *path[::-1]]


def test_edge_directions_and_self_edges() -> None:
    g = graphs.path_star(2, 3, seed=0)
    vocab = tasks.Vocab(g.n_nodes)
    fwd = [tuple(e) for e in g.edges.tolist()]
    assert [tuple(e) for e in tasks.edge_pairs(g).tolist()] == fwd + [(v, u) for u, v in fwd]  # default: both
    assert [tuple(e) for e in tasks.edge_pairs(g, "backward").tolist()] == [(v, u) for u, v in fwd]
    assert [tuple(e) for e in tasks.edge_pairs(g, "forward").tolist()] == fwd
    with_self = tasks.edge_bucket(g, vocab, "forward", self_edges=True)
    assert len(with_self) == len(fwd) + g.n_nodes
    assert with_self.targets[len(fwd):, -1].tolist() == with_self.inputs[len(fwd):, -1].tolist() == list(range(g.n_nodes))


@pytest.mark.parametrize("bias", [True, False])
def test_the_bias_switch_reaches_every_layer(bias: bool) -> None:
    model = GPT(GPTConfig(**GPT_BASE, bias=bias))
    biases = [name for name, m in model.named_modules() if isinstance(m, (nn.Linear, nn.LayerNorm))
              and getattr(m, "bias", None) is not None]
    layers = [name for name, m in model.named_modules() if isinstance(m, (nn.Linear, nn.LayerNorm)) and name != "lm_head"]
    assert biases == (layers if bias else [])
