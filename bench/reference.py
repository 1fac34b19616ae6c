"""A plain training loop, the yardstick of the throughput benchmark.

What a first script would do: pad every example of the mixture to one length (``[PAD]``
after the sequence, targets ``-100`` there), draw shuffled batches of the padded rows, one
forward per batch, mean cross-entropy over target tokens, AdamW with the book's schedule
and gradient clipping. No tricks.

Padding at the *end* of a causal sequence changes nothing a real position sees, so this
loop optimises exactly the same loss as :func:`geomem_utils.science.train.train` on the same batch
(``tests/unit/test_bench_smoke.py`` checks the step-0 loss); it only computes more, because an
edge example (3 tokens) is padded to the length of a path example (``l + k + 2``).
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from geomem_utils.science.tasks import IGNORE, Bucket
from geomem_utils.science.train import TrainConfig, lr_at


def pad_buckets(buckets: Sequence[Bucket], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack buckets of different lengths into one (N, T_max) inputs/targets pair.

    Inputs are padded with ``pad_id`` and targets with ``IGNORE`` after each sequence.
    """
    t_max = max(b.seq_len for b in buckets)
    xs, ys = [], []
    for b in buckets:
        extra = t_max - b.seq_len
        xs.append(F.pad(b.inputs, (0, extra), value=pad_id))  # (N_b, T_max)
        ys.append(F.pad(b.targets, (0, extra), value=IGNORE))
    return torch.cat(xs), torch.cat(ys)


def padded_loss(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over the target tokens of a padded batch: x, y (B, T_max)."""
    logits = model(x)  # (B, T_max, vocab)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), ignore_index=IGNORE)


def reference_train(model: nn.Module, buckets: Sequence[Bucket], cfg: TrainConfig, pad_id: int) -> list[float]:
    """``cfg.steps`` optimiser steps on padded batches of ``cfg.batch_size`` rows; the losses.

    Same optimiser, parameter groups, schedule and clipping as the book's loop, so that a
    timing difference is the batching alone.
    """
    x_all, y_all = pad_buckets(buckets, pad_id)
    n = x_all.shape[0]
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(
        [{"params": [p for p in params if p.dim() >= 2], "weight_decay": cfg.weight_decay},
         {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}],
        lr=cfg.lr, betas=cfg.betas,
    )
    gen = torch.Generator().manual_seed(cfg.seed)
    bs = n if cfg.batch_size is None else min(cfg.batch_size, n)
    losses: list[float] = []
    order = torch.randperm(n, generator=gen)
    pos = 0
    model.train()
    for step in range(cfg.steps):
        if pos + bs > n:
            order, pos = torch.randperm(n, generator=gen), 0
        idx = order[pos: pos + bs]
        pos += bs
        for group in opt.param_groups:
            group["lr"] = lr_at(step, cfg)
        loss = padded_loss(model, x_all[idx], y_all[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if cfg.grad_clip:
            torch.nn.utils.clip_grad_norm_(params, cfg.grad_clip)
        opt.step()
        losses.append(float(loss.detach()))
    return losses
