"""Recipes: could the ci run reach 90% held-out in fewer steps? (A proposal, not a change.)

Trains the ci run on G(100, 5) to the end of its schedule under a few learning rates and
schedule lengths, several seeds each, evaluating held-out exact match every 25 steps, and
records the first step at 90%, the accuracy at the end and the lowest accuracy after
the first 90% (does it stay?). The book's recipe (``PROFILE_RUNS["ci"]``) is the first
row. Opt-in: ``python -m bench.run --recipes``.
"""

from __future__ import annotations

from typing import Any

from .tta import time_to_accuracy

RECIPES: list[dict[str, Any]] = [
    {"lr": 1e-3, "steps": 1000},  # the book's ci recipe
    {"lr": 2e-3, "steps": 1000},
    {"lr": 2e-3, "steps": 500},
    {"lr": 3e-3, "steps": 500},
]


def recipes(seeds: tuple[int, ...] = (0, 1, 2), degree: int = 100, target: float = 0.9) -> dict[str, Any]:
    rows = []
    for recipe in RECIPES:
        for seed in seeds:
            # target above 1: never stops early, so the whole schedule is seen
            r = time_to_accuracy(degree, target=1.01, seed=seed, eval_every=25, steps=recipe["steps"], lr=recipe["lr"])
            hist = r["history"]
            first = next((h for h in hist if h["test_exact"] >= target), None)
            after = [h["test_exact"] for h in hist if first and h["step"] >= first["step"]]
            rows.append({**recipe, "seed": seed, "first_step": first["step"] if first else None,
                         "first_cpu_s": first["cpu_s"] if first else None,
                         "final": hist[-1]["test_exact"], "min_after_first": min(after) if after else None,
                         "ms_per_step_cpu": r["ms_per_step_cpu"]})
    return {"graph": f"G({degree}, 5)", "target": target, "seeds": list(seeds), "rows": rows}
