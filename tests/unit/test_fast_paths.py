"""Speed changes keep the numbers: each fast path against the code it replaced (bit for bit,
or to float rounding where the operations are reordered, with a planted change that fails)."""

from __future__ import annotations

import pytest
import torch

mambapy = pytest.importorskip("mambapy.mamba")

from geomem_utils.science.models import Mamba, MambaConfig  # noqa: E402
from geomem_utils.science.models.mamba import _mambapy_block  # noqa: E402


def _blocks(length_seed: int = 0):
    cfg = mambapy.MambaConfig(d_model=32, n_layers=1, d_state=8, d_conv=4, expand_factor=2, pscan=False,
                              bias=False, conv_bias=True)
    torch.manual_seed(length_seed)
    original = mambapy.MambaBlock(cfg)
    ours = _mambapy_block()(cfg)
    ours.load_state_dict(original.state_dict())
    return original, ours


def _close(a: torch.Tensor, b: torch.Tensor | None, rtol: float = 1e-5) -> bool:
    """Equal up to float rounding, relative to the larger entry (None: a gradient never formed, 0)."""
    b = torch.zeros_like(a) if b is None else b
    return bool((a - b).abs().max() <= rtol * a.abs().max().clamp_min(1e-30))


def test_the_fast_block_draws_the_same_initial_weights():
    """Same seed, same parameters as mambapy's block (the conv swap draws nothing from the RNG)."""
    original, ours = _blocks(3)
    assert original.state_dict().keys() == ours.state_dict().keys()
    assert all(torch.equal(p, q) for p, q in zip(original.state_dict().values(), ours.state_dict().values()))
    draws = []
    for block in (mambapy.MambaBlock, _mambapy_block()):
        torch.manual_seed(3)
        block(original.config)
        draws.append(torch.rand(1).item())  # the RNG stands where mambapy's block left it
    assert draws[0] == draws[1]


@pytest.mark.parametrize("length", [1, 2, 3, 4, 7, 13])
def test_fast_scan_and_conv_are_mambapys_up_to_rounding(length):
    """Same outputs and the same gradients (inputs and every parameter) as mambapy's block, to
    float rounding (measured: 2e-7 relative on outputs, 2e-6 on gradients). At length 1 the
    fast scan forms no exp(delta A), so A's gradient is None where mambapy's is exactly 0."""
    original, ours = _blocks()
    x1 = torch.randn(3, length, 32, generator=torch.Generator().manual_seed(1), requires_grad=True)
    x2 = x1.detach().clone().requires_grad_(True)
    y1, y2 = original(x1), ours(x2)
    assert _close(y1, y2)
    g = torch.randn_like(y1)
    y1.backward(g)
    y2.backward(g)
    assert _close(x1.grad, x2.grad)
    for (name, p), q in zip(original.named_parameters(), ours.parameters()):
        assert _close(p.grad, q.grad, 1e-4), name


def test_the_comparison_can_fail():
    """A change of 1e-4 in one parameter, or a causal conv shifted by one step, is seen:
    the tolerance above is not vacuous."""
    original, ours = _blocks()
    x = torch.randn(2, 5, 32, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        ours.D.mul_(1 + 1e-4)
    assert not _close(original(x), ours(x))
    original, ours = _blocks()
    u = torch.randn(2, original.config.d_inner, 5, generator=torch.Generator().manual_seed(3))  # (B, ED, L)
    reference = original.conv1d(u)[:, :, :5]  # mambapy: both sides padded, cut to the first L steps
    assert _close(reference, ours.conv1d(u))
    assert not _close(reference, torch.nn.functional.pad(ours.conv1d(u)[:, :, :-1], (1, 0)))


def test_the_books_mamba_uses_the_fast_scan_and_keeps_its_state_dict():
    model = Mamba(MambaConfig(vocab_size=11, width=16, n_layers=1, d_state=4, backend="mambapy"))
    mixer = model.layers[0].mixer
    assert isinstance(mixer, mambapy.MambaBlock) and type(mixer) is _mambapy_block()
    plain = mambapy.MambaBlock(mixer.config)
    assert plain.state_dict().keys() == mixer.state_dict().keys()


# ---------------------------------------------------------------- head at target positions only

def _mixture(arch: str = "gpt", **model):
    from geomem_utils.science import graphs, tasks
    from geomem_utils.science.models import build_model
    from geomem_utils.science.train import seeded

    g = graphs.path_star(12, 5, seed=0)
    vocab = tasks.Vocab(g.n_nodes)
    train_ids, _ = tasks.split_leaves(g, 0.25, seed=0)
    buckets = [tasks.edge_bucket(g, vocab), tasks.path_bucket(g, vocab, train_ids, 1)]
    with seeded(0):
        net = build_model(arch, vocab.size, 9, **model)
    return net, buckets


@pytest.mark.parametrize("arch, kw", [("gpt", dict(n_layers=2, width=32, n_heads=2)),
                                      ("mamba", dict(n_layers=1, width=16, d_state=4, backend="mambapy"))])
def test_head_at_targets_only_gives_the_same_run_up_to_rounding(arch, kw):
    """Opt-in fast path: the same losses to float rounding over 30 steps (measured: 3e-7
    relative at most; the sums of the head's gradient run over fewer zero rows)."""
    import copy

    from geomem_utils.science.train import TrainConfig, train

    net, buckets = _mixture(arch, **kw)
    cfg = TrainConfig(steps=30, lr=1e-2, batch_size=64, warmup_steps=5, seed=0, progress=False)
    plain = train(copy.deepcopy(net), buckets, cfg).losses
    fast = train(copy.deepcopy(net), buckets, TrainConfig(**{**cfg.__dict__, "head_at_targets_only": True})).losses
    assert abs(fast[0] - plain[0]) <= 1e-5 * plain[0]
    assert max(abs(a - b) / b for a, b in zip(fast, plain)) < 1e-5
    assert plain[-1] < 0.8 * plain[0]  # it trained: the comparison is not between two flat lines


def test_head_at_targets_only_is_ignored_by_models_without_features():
    import copy

    from geomem_utils.science.train import TrainConfig, train

    net, buckets = _mixture("net", width=8)
    assert not hasattr(net, "features")
    cfg = TrainConfig(steps=5, lr=1e-2, batch_size=32, warmup_steps=1, seed=0, progress=False)
    a = train(copy.deepcopy(net), buckets, cfg).losses
    b = train(copy.deepcopy(net), buckets, TrainConfig(**{**cfg.__dict__, "head_at_targets_only": True})).losses
    assert a == b


def test_head_at_targets_only_must_be_a_bool():
    from geomem_utils.science.train import TrainConfig

    with pytest.raises(ValueError, match="head_at_targets_only"):
        TrainConfig(steps=1, head_at_targets_only=1)


# ---------------------------------------------------------------- fused AdamW

def test_the_fused_optimiser_trains_as_plain_adamw_up_to_rounding(monkeypatch):
    """train() uses AdamW's fused kernel on CPU: the losses of 200 steps match the plain
    (per-tensor) AdamW's to float rounding, weight decay and warm-up included."""
    import copy

    from geomem_utils.science import train as train_mod
    from geomem_utils.science.train import TrainConfig, train

    net, buckets = _mixture("gpt", n_layers=1, width=32, n_heads=2)
    cfg = TrainConfig(steps=200, lr=1e-2, weight_decay=0.1, batch_size=64, warmup_steps=20, seed=0, progress=False)
    fused = train(copy.deepcopy(net), buckets, cfg).losses
    calls = []
    real = torch.optim.AdamW

    def plain(*args, **kw):
        calls.append(kw.pop("fused", None))
        return real(*args, **kw, fused=False)

    monkeypatch.setattr(train_mod.torch.optim, "AdamW", plain)
    reference = train(copy.deepcopy(net), buckets, cfg).losses
    assert calls == [True]  # the book's loop asked for the fused kernel
    assert max(abs(a - b) / b for a, b in zip(fused, reference)) < 1e-4
    assert reference[-1] < 0.5 * reference[0]
