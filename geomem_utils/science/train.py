"""The one training loop of the book.

Introduced in ``00_tasks`` and used by every chapter. AdamW with linear warm-up then
cosine decay (to ``min_lr_ratio * lr``) or a constant rate; full-batch or minibatch;
mixed training (all buckets shuffled together) or staged (a list of :class:`Phase`);
embedding snapshots at chosen steps; evaluation callbacks; a tqdm progress bar. Buckets
of different lengths are never padded: a batch is a set of example indices over their
union, and each bucket present in the batch gets its own forward pass.

The same seed gives the same numbers on the same machine: data order comes from a
``torch.Generator`` seeded with ``TrainConfig.seed`` and the loop runs inside
``torch.random.fork_rng`` so that it neither reads nor disturbs the global RNG.
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator, Sequence

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from geomem_utils.science.tasks import IGNORE, Bucket
from geomem_utils.validate import (
    ConfigError, check_bool, check_choice, check_int, check_number, show,
)

Evaluate = Callable[[nn.Module], dict[str, float]]


#: More optimiser steps than any run of the book (the paper's longest is 20,000) by far;
#: a larger value is a typo, refused before a run that would never end.
MAX_STEPS = 10**8
#: Far above any learning rate of the paper (the largest, 10, trains a frozen-embedding table).
MAX_LR = 100.0


def _iterable(x: object) -> list | None:
    """``list(x)``, or None when ``x`` is not iterable (or is a string)."""
    if isinstance(x, (str, bytes)):
        return None
    try:
        return list(x)  # type: ignore[call-overload]
    except TypeError:
        return None


@dataclass(frozen=True)
class TrainConfig:
    """Optimiser, schedule and bookkeeping of one run (the authors' release settings)."""

    steps: int
    lr: float = 1e-3
    weight_decay: float = 0.01
    batch_size: int | None = 256  # None: full batch (every example every step)
    warmup_steps: int = 100
    schedule: str = "cosine"  # "cosine" (to min_lr_ratio * lr) or "constant"
    min_lr_ratio: float = 0.1
    betas: tuple[float, float] = (0.9, 0.999)
    grad_clip: float | None = 1.0
    seed: int = 0
    device: str = "cpu"
    eval_every: int = 0  # 0: evaluate only at the end
    snapshot_steps: tuple[int, ...] = ()
    progress: bool = True
    desc: str = "train"
    # Apply the output head at target positions only (models with ``features``: GPT, Mamba).
    # The same loss up to float rounding (the head's gradient sums fewer zero rows), and
    # less work where the vocabulary is large; off by default, so runs keep their numbers.
    head_at_targets_only: bool = False

    def __post_init__(self) -> None:
        o = "TrainConfig"
        for name in ("steps", "warmup_steps", "eval_every"):
            check_int(name, getattr(self, name), 0, owner=o, numpy=False)
        check_int("steps", self.steps, 1, MAX_STEPS, owner=o, numpy=False)
        if self.batch_size is not None:  # None: full batch
            check_int("batch_size", self.batch_size, 1, owner=o, numpy=False)
        check_int("seed", self.seed, 0, 2**63 - 1, owner=o)
        check_number("lr", self.lr, 0.0, MAX_LR, lo_open=True, owner=o)
        check_number("weight_decay", self.weight_decay, 0.0, owner=o)
        if self.lr * self.weight_decay >= 1:  # AdamW scales the weights by 1 - lr * weight_decay each step
            raise ConfigError(f"TrainConfig.weight_decay times lr must be < 1 (AdamW multiplies the weights by "
                              f"1 - lr * weight_decay each step), got {show(self.weight_decay)} * {show(self.lr)}")
        check_number("min_lr_ratio", self.min_lr_ratio, 0.0, 1.0, owner=o)
        if not (isinstance(self.betas, (tuple, list)) and len(self.betas) == 2):
            raise ConfigError(f"TrainConfig.betas must be two numbers in [0, 1), got {show(self.betas)}")
        for i, beta in enumerate(self.betas):
            check_number(f"betas[{i}]", beta, 0.0, 1.0, hi_open=True, owner=o)
        if self.grad_clip is not None:  # None: no clipping
            check_number("grad_clip", self.grad_clip, 0.0, owner=o)
        snapshot_steps = _iterable(self.snapshot_steps)
        if snapshot_steps is None:
            raise ConfigError(f"TrainConfig.snapshot_steps must be non-negative ints, got {show(self.snapshot_steps)}")
        for step in snapshot_steps:
            check_int("snapshot_steps", step, 0, owner=o)
        check_choice("schedule", self.schedule, ("cosine", "constant"), owner=o)
        check_bool("head_at_targets_only", self.head_at_targets_only, owner=o, numpy=False)
        check_choice("device", self.device, ("cpu", "cuda", "mps"), owner=o)


@dataclass
class Phase:
    """``steps`` optimiser steps on ``buckets`` (mixed together). Staged training = several phases."""

    steps: int
    buckets: Sequence[Bucket]


@dataclass
class TrainResult:
    history: list[dict[str, float]] = field(default_factory=list)  # one row per evaluation
    losses: list[float] = field(default_factory=list)  # one per step
    snapshots: dict[int, torch.Tensor] = field(default_factory=dict)  # step -> (vocab, width)
    steps_run: int = 0
    wall_s: float = 0.0
    stopped_early: bool = False

    def metric(self, name: str) -> tuple[list[int], list[float]]:
        rows = [r for r in self.history if name in r]
        return [int(r["step"]) for r in rows], [float(r[name]) for r in rows]


def lr_at(step: int, cfg: TrainConfig) -> float:
    """Learning rate for optimiser step ``step`` (0-based)."""
    if cfg.warmup_steps and step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    if cfg.schedule == "constant":
        return cfg.lr
    span = max(1, cfg.steps - cfg.warmup_steps)
    progress = min(1.0, (step - cfg.warmup_steps) / span)
    floor = cfg.lr * cfg.min_lr_ratio
    return floor + 0.5 * (cfg.lr - floor) * (1 + math.cos(math.pi * progress))


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Run a block (model construction, say) with torch's RNG seeded, restoring it after."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def _batches(sizes: list[int], batch_size: int | None, gen: torch.Generator) -> Iterator[list[torch.Tensor]]:
    """Endless batches: for each, the row indices drawn from each bucket (epoch shuffles)."""
    offsets = torch.tensor([0] + sizes).cumsum(0)
    total = int(offsets[-1])
    if batch_size is None or batch_size >= total:
        full = [torch.arange(s) for s in sizes]
        while True:
            yield full
    while True:
        perm = torch.randperm(total, generator=gen)
        for start in range(0, total - batch_size + 1, batch_size):
            idx = perm[start: start + batch_size]
            which = torch.bucketize(idx, offsets[1:], right=True)
            yield [idx[which == b] - offsets[b] for b in range(len(sizes))]


def batch_loss(model: nn.Module, buckets: Sequence[Bucket], rows: Sequence[torch.Tensor],
               head_at_targets_only: bool = False) -> torch.Tensor:
    """Mean cross-entropy over every target token of the batch (all buckets together).

    ``head_at_targets_only``: for a model with ``features`` and ``lm_head``, compute logits
    at the target positions alone (the same loss up to float rounding, less work).
    """
    total = None
    n_tokens = 0
    targets_only = head_at_targets_only and hasattr(model, "features") and hasattr(model, "lm_head")
    for bucket, r in zip(buckets, rows):
        if len(r) == 0:
            continue
        x, y = bucket.inputs[r], bucket.targets[r]  # (b, T)
        if targets_only:
            keep = y != IGNORE  # (b, T)
            logits = model.lm_head(model.features(x)[keep])  # (n_targets, vocab)
            loss = F.cross_entropy(logits.float(), y[keep], reduction="sum")
        else:
            logits = model(x)  # (b, T, vocab)
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), y.reshape(-1),
                                   ignore_index=IGNORE, reduction="sum")
        n_tokens += int((y != IGNORE).sum())
        total = loss if total is None else total + loss
    assert total is not None, "empty batch"
    return total / max(1, n_tokens)


def train(
    model: nn.Module,
    data: Sequence[Bucket] | Sequence[Phase],
    cfg: TrainConfig,
    evaluate: Evaluate | None = None,
    stop_when: Callable[[dict[str, float]], bool] | None = None,
) -> TrainResult:
    """Train ``model`` in place; return losses, evaluations and embedding snapshots.

    ``data``: buckets (one mixed phase of ``cfg.steps`` steps) or phases (staged; their
    steps must add up to ``cfg.steps``). ``evaluate(model)`` runs every ``cfg.eval_every``
    steps and at the end, under ``torch.no_grad`` in eval mode; ``stop_when(row)`` may end
    training early after an evaluation.
    """
    phases = list(data)
    if not phases:
        raise ValueError("train() needs at least one bucket or phase")
    if isinstance(phases[0], Bucket):
        phases = [Phase(cfg.steps, phases)]  # type: ignore[list-item]
    if sum(p.steps for p in phases) != cfg.steps:
        raise ValueError(f"phase steps add up to {sum(p.steps for p in phases)}, but TrainConfig.steps is {cfg.steps}")
    device = torch.device(cfg.device)
    model.to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in params if p.dim() >= 2]
    no_decay = [p for p in params if p.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=cfg.lr, betas=cfg.betas,
        fused=device.type in ("cpu", "cuda") or None,  # one kernel per step instead of a dozen per tensor
    )
    use_amp = device.type == "cuda"
    result = TrainResult()
    snap_at = set(cfg.snapshot_steps)

    def run_eval(step: int, loss: float) -> bool:
        row: dict[str, float] = {"step": step, "loss": loss, "lr": opt.param_groups[0]["lr"]}
        if evaluate is not None:
            model.eval()
            with torch.no_grad():
                row.update(evaluate(model))
            model.train()
        result.history.append(row)
        return bool(stop_when and evaluate is not None and stop_when(row))

    t0 = time.perf_counter()
    step = 0
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(cfg.seed)
        gen = torch.Generator().manual_seed(cfg.seed)
        if 0 in snap_at:
            result.snapshots[0] = model.embedding_matrix().cpu()
        model.train()
        bar = tqdm(total=cfg.steps, desc=cfg.desc, disable=not cfg.progress, mininterval=1.0, leave=False)
        for phase in phases:
            buckets = [b.to(device) for b in phase.buckets]
            batches = _batches([len(b) for b in buckets], cfg.batch_size, gen)
            for _ in range(phase.steps):
                for group in opt.param_groups:
                    group["lr"] = lr_at(step, cfg)
                rows = [r.to(device) for r in next(batches)]
                with torch.autocast("cuda", dtype=torch.bfloat16, enabled=use_amp):
                    loss = batch_loss(model, buckets, rows, cfg.head_at_targets_only)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                if cfg.grad_clip:
                    torch.nn.utils.clip_grad_norm_(params, cfg.grad_clip)
                opt.step()
                step += 1
                loss_value = float(loss.detach())
                result.losses.append(loss_value)
                if step in snap_at:
                    result.snapshots[step] = model.embedding_matrix().cpu()
                bar.update(1)
                if (cfg.eval_every and step % cfg.eval_every == 0) or step == cfg.steps:
                    bar.set_postfix(loss=f"{loss_value:.3f}")
                    if run_eval(step, loss_value):
                        result.stopped_early = step < cfg.steps
                        break
            else:
                continue
            break
        bar.close()
    result.steps_run = step
    result.wall_s = time.perf_counter() - t0
    return result
