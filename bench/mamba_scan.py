"""Mamba on CPU: mambapy's sequential scan against its parallel scan (``pscan``).

The book's Mamba (:mod:`geomem_utils.science.models.mamba`) runs mambapy blocks on CPU, with the
sequential reference loop by default (``MambaConfig(pscan=False)``). This times a
training step (forward + backward) of a 2 x 128 model at the sequence lengths the book
uses: 3 and 8 (an edge example and a path example of G(d, 5) with one pause), 12 (more
pauses or longer paths) and 70 (the in-context task's edge lists), and checks that the two
scans give the same logits.
The ``mamba_ssm`` CUDA kernels are timed only where a GPU and the package are present.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import torch
import torch.nn.functional as F

from geomem_utils.science.models import Mamba, MambaConfig, mamba_ssm_available
from geomem_utils.science.train import seeded, train

from .common import clock, median, spread
from .throughput import mixture

LENGTHS = (3, 8, 12, 70)


def _step_time(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, repeats: int, inner: int) -> tuple[list[float], list[float]]:
    walls, cpus = [], []
    loss = F.cross_entropy(model(x).flatten(0, 1), y.flatten())  # warm-up
    loss.backward()
    for _ in range(repeats):
        with clock() as lap:
            for _ in range(inner):
                model.zero_grad(set_to_none=True)
                loss = F.cross_entropy(model(x).flatten(0, 1), y.flatten())  # logits (B, T, V)
                loss.backward()
        walls.append(lap.wall_s / inner)
        cpus.append(lap.cpu_s / inner)
    return walls, cpus


def scan_lengths(lengths: tuple[int, ...] = LENGTHS, batch: int = 64, width: int = 128, n_layers: int = 2,
                 vocab: int = 405, repeats: int = 5, inner: int = 3, seed: int = 0) -> dict[str, Any]:
    """Per-step time (forward + backward) of sequential vs parallel scan at each length."""
    base = MambaConfig(vocab_size=vocab, width=width, n_layers=n_layers, backend="mambapy", pscan=False)
    with seeded(seed):
        seq = Mamba(base)
    par = Mamba(replace(base, pscan=True))
    par.load_state_dict(seq.state_dict())
    gen = torch.Generator().manual_seed(seed)
    rows = []
    for T in lengths:
        x = torch.randint(0, vocab, (batch, T), generator=gen)
        y = torch.randint(0, vocab, (batch, T), generator=gen)
        with torch.no_grad():
            diff = float((seq(x) - par(x)).abs().max())
        ws, cs = _step_time(seq, x, y, repeats, inner)
        wp, cp = _step_time(par, x, y, repeats, inner)
        rows.append({
            "length": T, "batch": batch,
            "sequential_ms": spread([1000 * w for w in ws]), "parallel_ms": spread([1000 * w for w in wp]),
            "sequential_cpu_ms": round(1000 * median(cs), 2), "parallel_cpu_ms": round(1000 * median(cp), 2),
            "parallel_speedup": round(median(ws) / median(wp), 3),
            "max_abs_logit_diff": diff,
        })
    out: dict[str, Any] = {"model": {"width": width, "n_layers": n_layers, "d_state": base.d_state,
                                     "expand": base.expand, "vocab": vocab}, "rows": rows}
    out["mamba_ssm"] = _mamba_ssm(base, lengths, batch, vocab, repeats, inner, seed)
    return out


def _mamba_ssm(base: MambaConfig, lengths, batch, vocab, repeats, inner, seed) -> dict[str, Any]:
    if not mamba_ssm_available():
        why = "no CUDA device" if not torch.cuda.is_available() else "mamba_ssm does not import"
        return {"skipped": f"{why}: the CUDA kernels were not timed (pip install --no-build-isolation -e '.[cuda]' on a GPU, see the README)"}
    with seeded(seed):
        model = Mamba(replace(base, backend="mamba_ssm")).cuda()
    rows = []
    for T in lengths:
        x = torch.randint(0, vocab, (batch, T), device="cuda")
        y = torch.randint(0, vocab, (batch, T), device="cuda")
        torch.cuda.synchronize()
        walls, _ = _step_time(model, x, y, repeats, inner)
        torch.cuda.synchronize()
        rows.append({"length": T, "ms": spread([1000 * w for w in walls])})
    return {"device": torch.cuda.get_device_name(0), "rows": rows}


def mamba_vs_gpt(degree: int = 100, steps: int = 10, repeats: int = 3) -> dict[str, Any]:
    """Seconds per training step of the ci mixture (batch 256) for GPT and Mamba (both scans)."""
    out: dict[str, Any] = {}
    variants = {"gpt": ("gpt", None), "mamba_sequential": ("mamba", {"pscan": False, "backend": "mambapy"}),
                "mamba_parallel": ("mamba", {"pscan": True, "backend": "mambapy"})}
    runs = {}
    for name, (arch, model_kw) in variants.items():
        data, fresh, tcfg = mixture(degree, arch=arch, model=model_kw)
        cfg = replace(tcfg, steps=steps, eval_every=0, warmup_steps=min(tcfg.warmup_steps, steps))
        train(fresh(), data.buckets, replace(cfg, steps=2, warmup_steps=2))  # warm-up
        runs[name] = (data, fresh, cfg)
    walls: dict[str, list[float]] = {n: [] for n in variants}
    cpus: dict[str, list[float]] = {n: [] for n in variants}
    for _ in range(repeats):  # alternate, so that a load spike hits every variant
        for name, (data, fresh, cfg) in runs.items():
            with clock() as lap:
                train(fresh(), data.buckets, cfg)
            walls[name].append(lap.wall_s / steps)
            cpus[name].append(lap.cpu_s / steps)
    for name in variants:
        out[name] = {"ms_per_step": spread([1000 * w for w in walls[name]]),
                     "cpu_ms_per_step": round(1000 * median(cpus[name]), 2)}
    gpt = out["gpt"]["ms_per_step"]["median"]
    for name in ("mamba_sequential", "mamba_parallel"):
        out[name]["x_gpt"] = round(out[name]["ms_per_step"]["median"] / gpt, 2)
    return {"graph": f"G({degree}, 5)", "batch": 256, "steps": steps, "repeats": repeats, "loops": out}
