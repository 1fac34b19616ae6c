"""Training throughput: the book's loop against a plain padded loop and the CPU's peak.

Both loops train the same model (same initial weights) on the same path-star mixture of
the ci profile: edge examples ``[EDGE] u v`` (3 tokens, 2 inputs) and path examples
``[PATH] leaf [PAUSE] root ... leaf`` (l + k + 2 tokens). The book's loop
(:func:`geomem_utils.science.train.train`) runs one forward per length bucket; the reference
(:mod:`bench.reference`) pads every example to the longest. Timed runs alternate between
the two, and each figure is a median over repeats.

Model FLOPs per step are counted by ``torch.utils.flop_counter.FlopCounterMode`` on a
forward and backward of real batches (matmuls and attention; what the model *needs*,
without padding). The model-FLOP utilisation (MFU) is those FLOPs per second over the
measured peak of a large float32 matmul in the same process and thread setting.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import torch
from torch.utils.flop_counter import FlopCounterMode

from geomem_utils.runs.pathstar import block_size, build_data, profile_run
from geomem_utils.science.models import build_model
from geomem_utils.science.tasks import IGNORE, Bucket
from geomem_utils.science.train import TrainConfig, _batches, batch_loss, seeded, train

from .common import clock, matmul_peak, median, spread
from .reference import pad_buckets, padded_loss, reference_train


def mixture(degree: int = 100, seed: int = 0, arch: str = "gpt", model: dict | None = None):
    """(data, model factory, train config) of the ci run on G(degree, 5)."""
    overrides: dict[str, Any] = dict(degree=degree, seed=seed, snapshot_steps=())
    if arch != "gpt":
        overrides.update(arch=arch, model=tuple(sorted((model or {}).items())))
    cfg = profile_run("ci", **overrides)
    data = build_data(cfg)
    with seeded(cfg.seed):
        template = build_model(cfg.arch, data.vocab.size, block_size(cfg, data), **dict(cfg.model))

    def fresh() -> torch.nn.Module:
        return copy.deepcopy(template)

    tcfg = TrainConfig(steps=cfg.steps, lr=cfg.lr, weight_decay=cfg.weight_decay, batch_size=cfg.batch_size,
                       warmup_steps=cfg.warmup_steps, schedule=cfg.schedule, seed=cfg.seed, progress=False)
    return data, fresh, tcfg


def token_counts(buckets: list[Bucket], batch_size: int) -> dict[str, float]:
    """Expected input tokens, target tokens and padded tokens per batch of the mixture."""
    n = sum(len(b) for b in buckets)
    real = sum(len(b) * b.seq_len for b in buckets) / n
    targets = sum(int((b.targets != IGNORE).sum()) for b in buckets) / n
    t_max = max(b.seq_len for b in buckets)
    bs = min(batch_size, n)
    return {"examples": bs, "input_tokens": bs * real, "target_tokens": bs * targets, "padded_tokens": bs * t_max,
            "padding_waste": 1.0 - real / t_max}


def flops_per_step(model: torch.nn.Module, buckets: list[Bucket], tcfg: TrainConfig, pad_id: int,
                   n_batches: int = 4) -> dict[str, float]:
    """Forward + backward FLOPs of one batch, averaged over ``n_batches``: bucketed (the
    model's need) and padded (what the reference computes)."""
    m = copy.deepcopy(model)
    gen = torch.Generator().manual_seed(tcfg.seed)
    batches = _batches([len(b) for b in buckets], tcfg.batch_size, gen)
    x_all, y_all = pad_buckets(buckets, pad_id)
    offsets = [0]
    for b in buckets:
        offsets.append(offsets[-1] + len(b))
    ours, padded = [], []
    for _ in range(n_batches):
        rows = next(batches)
        with FlopCounterMode(display=False) as fc:
            batch_loss(m, buckets, rows).backward()
        ours.append(fc.get_total_flops())
        idx = torch.cat([r + offsets[i] for i, r in enumerate(rows)])
        with FlopCounterMode(display=False) as fc:
            padded_loss(m, x_all[idx], y_all[idx]).backward()
        padded.append(fc.get_total_flops())
        m.zero_grad(set_to_none=True)
    return {"model_flops": median(ours), "padded_flops": median(padded)}


def _time_ours(fresh, buckets, tcfg: TrainConfig, steps: int, fast_head: bool = False) -> tuple[float, float]:
    model = fresh()
    cfg = replace(tcfg, steps=steps, eval_every=0, warmup_steps=min(tcfg.warmup_steps, steps),
                  head_at_targets_only=fast_head)
    with clock() as lap:
        train(model, buckets, cfg)
    return lap.wall_s / steps, lap.cpu_s / steps


def _time_reference(fresh, buckets, tcfg: TrainConfig, steps: int, pad_id: int) -> tuple[float, float]:
    model = fresh()
    cfg = replace(tcfg, steps=steps, eval_every=0, warmup_steps=min(tcfg.warmup_steps, steps))
    with clock() as lap:
        reference_train(model, buckets, cfg, pad_id)
    return lap.wall_s / steps, lap.cpu_s / steps


def throughput(degree: int = 100, steps: int = 40, repeats: int = 5, peak: dict | None = None) -> dict[str, Any]:
    """Steps/s, tokens/s and MFU of the book's loop and of the padded reference loop."""
    data, fresh, tcfg = mixture(degree)
    buckets, pad_id = data.buckets, data.vocab.PAD
    tokens = token_counts(buckets, tcfg.batch_size or sum(len(b) for b in buckets))
    flops = flops_per_step(fresh(), buckets, tcfg, pad_id)
    _time_ours(fresh, buckets, tcfg, 5)  # warm-up: allocator, MKL, first-call costs
    _time_ours(fresh, buckets, tcfg, 5, fast_head=True)
    _time_reference(fresh, buckets, tcfg, 5, pad_id)
    ours, fast, ref = [], [], []
    for _ in range(repeats):  # alternate, so that a load spike hits all three
        ours.append(_time_ours(fresh, buckets, tcfg, steps))
        fast.append(_time_ours(fresh, buckets, tcfg, steps, fast_head=True))
        ref.append(_time_reference(fresh, buckets, tcfg, steps, pad_id))
    peak = peak or matmul_peak()
    out: dict[str, Any] = {"graph": data.graph.name, "steps_per_repeat": steps, "repeats": repeats,
                           "batch": tokens, "flops_per_step": flops, "peak": peak, "loops": {}}
    for name, laps in (("ours", ours), ("ours, head at targets only", fast), ("reference", ref)):
        walls = [w for w, _ in laps]
        cpus = [c for _, c in laps]
        s = median(walls)
        out["loops"][name] = {
            "s_per_step_wall": spread(walls), "s_per_step_cpu": spread(cpus),
            "steps_per_s": round(1 / s, 2),
            "input_tokens_per_s": round(tokens["input_tokens"] / s, 1),
            "target_tokens_per_s": round(tokens["target_tokens"] / s, 1),
            "computed_tokens_per_s": round((tokens["padded_tokens"] if name == "reference" else tokens["input_tokens"]) / s, 1),
            "model_gflops_per_s": round(flops["model_flops"] / s / 1e9, 2),
            "mfu": round(flops["model_flops"] / s / 1e9 / peak["gflops_wall"], 4),
            "mfu_cpu_time": round(flops["model_flops"] / median(cpus) / 1e9 / peak["gflops_per_cpu_s"], 4),
        }
    ratios = [r[0] / o[0] for o, r in zip(ours, ref)]
    fast_ratios = [o[0] / f[0] for o, f in zip(ours, fast)]
    out["fast_head_speedup"] = {"median_of_ratios": round(median(fast_ratios), 3),
                                "vs_reference": round(median([r[0] / f[0] for f, r in zip(fast, ref)]), 3)}
    out["speedup_vs_reference"] = {"median_of_ratios": round(median(ratios), 3),
                                   "ratio_of_medians": round(median([r[0] for r in ref]) / median([o[0] for o in ours]), 3),
                                   "per_repeat": [round(x, 3) for x in ratios],
                                   "cpu_time": round(median([r[1] for r in ref]) / median([o[1] for o in ours]), 3)}
    return out
