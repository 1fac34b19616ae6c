"""``torch.compile`` on CPU: does compiling the GPT pay for itself in a ci-profile run?

Compiles the ci model (``dynamic=True``: the rows of each length bucket change from step
to step) and trains it with the book's loop: the first steps include the compilation
(inductor generates and builds C++ in worker processes, so wall time is the honest
clock), later steps show the compiled speed. The same is timed eagerly. The break-even
number of steps is compile time / (eager - compiled) seconds per step. Opt-in
(``python -m bench.run --compile``): the compilation alone takes a minute or more.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import replace
from typing import Any

import torch

from geomem_utils.science.train import train

from .common import clock, median
from .throughput import mixture


def compile_cost(degree: int = 100, steps: int = 20, repeats: int = 3, first: int = 5) -> dict[str, Any]:
    """Compile time (cold: a fresh inductor cache) and steady per-step times, compiled vs eager
    (alternating, median of ``repeats`` runs of ``steps`` steps)."""
    data, fresh, tcfg = mixture(degree)
    short = replace(tcfg, steps=first, eval_every=0, warmup_steps=first)
    long = replace(tcfg, steps=steps, eval_every=0, warmup_steps=min(tcfg.warmup_steps, steps))
    with tempfile.TemporaryDirectory(prefix="geomem-inductor-") as cache:
        old = os.environ.get("TORCHINDUCTOR_CACHE_DIR")
        os.environ["TORCHINDUCTOR_CACHE_DIR"] = cache  # cold: nothing compiled before counts
        try:
            torch._dynamo.reset()
            compiled = torch.compile(fresh(), dynamic=True)
            with clock() as c_first:
                train(compiled, data.buckets, short)
            eager = fresh()
            with clock() as e_first:
                train(eager, data.buckets, short)
            c_laps, e_laps, c_losses, e_losses = [], [], [], []
            for _ in range(repeats):
                with clock() as lap:
                    c_losses = train(compiled, data.buckets, long).losses
                c_laps.append(lap)
                with clock() as lap:
                    e_losses = train(eager, data.buckets, long).losses
                e_laps.append(lap)
        finally:
            if old is None:
                os.environ.pop("TORCHINDUCTOR_CACHE_DIR", None)
            else:
                os.environ["TORCHINDUCTOR_CACHE_DIR"] = old
            torch._dynamo.reset()
    per_c = median([lap.wall_s for lap in c_laps]) / steps
    per_e = median([lap.wall_s for lap in e_laps]) / steps
    compile_s = c_first.wall_s - e_first.wall_s
    gain = per_e - per_c
    return {
        "graph": data.graph.name, "first_steps": first, "steady_steps": steps, "repeats": repeats,
        "compile_s_wall": round(compile_s, 1),
        "compiled_ms_per_step": round(1000 * per_c, 2), "eager_ms_per_step": round(1000 * per_e, 2),
        "compiled_cpu_ms_per_step": round(1000 * median([lap.cpu_s for lap in c_laps]) / steps, 2),
        "eager_cpu_ms_per_step": round(1000 * median([lap.cpu_s for lap in e_laps]) / steps, 2),
        "break_even_steps": round(compile_s / gain) if gain > 0 else None,
        "same_losses": c_losses == e_losses,
        "max_loss_diff": max(abs(a - b) for a, b in zip(c_losses, e_losses)),
    }
