"""Where a training step's time goes: ``torch.profiler`` over steps of the ci run.

Self CPU time by operator for ``steps`` steps of ``gm.train.train`` on the ci mixture,
grouped into matrix products, attention, softmax + cross-entropy and everything else
(plus the optimiser's share, which spans many small operators), for the chapter's
G(100, 5) and for a larger graph, whose output head (|V| x width) weighs more.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from torch.profiler import ProfilerActivity, profile

from geomem_utils.science.train import train

from .throughput import mixture

GROUPS = {
    "matmul": ("aten::mm", "aten::addmm", "aten::bmm"),
    "attention": ("aten::_scaled_dot_product_flash_attention_for_cpu",
                  "aten::_scaled_dot_product_flash_attention_for_cpu_backward"),
    "softmax + cross-entropy": ("aten::_log_softmax", "aten::_log_softmax_backward_data", "aten::nll_loss_forward",
                                "aten::nll_loss_backward"),
}


def step_profile(degree: int = 100, steps: int = 20, top: int = 10) -> dict[str, Any]:
    data, fresh, tcfg = mixture(degree)
    cfg = replace(tcfg, steps=steps, eval_every=0, warmup_steps=min(tcfg.warmup_steps, steps))
    train(fresh(), data.buckets, replace(cfg, steps=3, warmup_steps=3))  # warm-up
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        train(fresh(), data.buckets, cfg)
    events = [e for e in prof.key_averages() if e.key.startswith("aten::")]
    total = sum(e.self_cpu_time_total for e in events)
    ops = sorted(events, key=lambda e: e.self_cpu_time_total, reverse=True)
    groups = {g: sum(e.self_cpu_time_total for e in events if e.key in names) / total for g, names in GROUPS.items()}
    groups["everything else"] = 1.0 - sum(groups.values())
    optimiser = sum(e.cpu_time_total for e in prof.key_averages() if e.key.startswith("Optimizer.step"))
    return {
        "graph": data.graph.name, "steps": steps, "ms_per_step_profiled": round(total / 1000 / steps, 2),
        "groups": {k: round(v, 3) for k, v in groups.items()},
        "optimiser_share": round(optimiser / total, 3),
        "top_ops": [{"op": e.key, "share": round(e.self_cpu_time_total / total, 3), "calls_per_step": e.count // steps}
                    for e in ops[:top]],
    }
