"""Time to accuracy: how long the chapter's GPT takes to reach 90% held-out exact match.

The run is the book's own: ``gm.experiments.profile_run("ci", degree=d)`` (2 x 128 GPT,
lr 1e-3, batch 256, 100 warm-up steps, cosine), built with ``build_data`` and
``build_model`` and trained by ``gm.train.train``, with ``stop_when`` on held-out exact
match. Only the evaluation differs from the chapter's: it decodes the held-out leaves
alone (the chapter also decodes training leaves and measures navigation), every
``eval_every`` steps, so that the crossing is located to within that many steps.
Evaluating never changes the training numbers (no randomness, no gradient).

For graphs larger than the chapter's, ``steps`` (the schedule's length) is a budget and a
deadline ends a run that would take too long; a record says whether the target was met.
"""

from __future__ import annotations

import time
from typing import Any

import torch

from geomem_utils.science import measures, tasks
from geomem_utils.runs.pathstar import block_size, build_data, profile_run
from geomem_utils.science.models import build_model
from geomem_utils.science.train import TrainConfig, seeded, train

from .common import clock


def time_to_accuracy(
    degree: int = 100,
    target: float = 0.9,
    steps: int | None = None,
    eval_every: int = 25,
    seed: int = 0,
    deadline_s: float | None = None,
    budget_clock: str = "wall",
    path_length: int = 5,
    head_at_targets_only: bool = False,
    **overrides: Any,
) -> dict[str, Any]:
    """Train the ci-profile run on G(degree, path_length) until held-out exact match >= target.

    ``deadline_s`` stops the run after that many seconds of ``budget_clock`` ("wall" or
    "cpu": this process's CPU time, a fairer clock on a shared machine). Returns the step
    and the wall/CPU seconds at which the target was first met (None if never), the
    split of time between training and evaluation, and the evaluation history.
    ``head_at_targets_only`` turns on the training loop's opt-in fast path.
    """
    kw: dict[str, Any] = dict(degree=degree, path_length=path_length, seed=seed, snapshot_steps=(), **overrides)
    if steps is not None:
        kw["steps"] = steps
    cfg = profile_run("ci", **kw)
    t0, c0 = time.perf_counter(), time.process_time()
    data = build_data(cfg)
    with seeded(cfg.seed):
        model = build_model(cfg.arch, data.vocab.size, block_size(cfg, data), **dict(cfg.model))
    queries = tasks.path_queries(data.graph, data.vocab, data.test_ids, cfg.n_pause)
    setup_s, setup_cpu = time.perf_counter() - t0, time.process_time() - c0
    eval_wall = [0.0]
    eval_cpu = [0.0]
    history: list[dict[str, float]] = []
    hit: dict[str, Any] = {}

    def evaluate(m: torch.nn.Module) -> dict[str, float]:
        with clock() as lap:
            acc = measures.path_metrics(m, queries)["exact_match"]
        eval_wall[0] += lap.wall_s
        eval_cpu[0] += lap.cpu_s
        return {"test_exact": acc}

    def stop(row: dict[str, float]) -> bool:
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        history.append({"step": int(row["step"]), "test_exact": round(float(row["test_exact"]), 4),
                        "loss": round(float(row["loss"]), 4), "wall_s": round(wall, 2), "cpu_s": round(cpu, 2)})
        if row["test_exact"] >= target and not hit:
            hit.update(step=int(row["step"]), wall_s=wall, cpu_s=cpu)
            return True
        spent = wall if budget_clock == "wall" else cpu
        return deadline_s is not None and spent > deadline_s

    tcfg = TrainConfig(
        steps=cfg.steps, lr=cfg.lr, weight_decay=cfg.weight_decay, batch_size=cfg.batch_size,
        warmup_steps=cfg.warmup_steps, schedule=cfg.schedule, seed=cfg.seed, eval_every=eval_every,
        progress=False, head_at_targets_only=head_at_targets_only,
    )
    res = train(model, data.buckets, tcfg, evaluate=evaluate, stop_when=stop)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    best = max(history, key=lambda r: r["test_exact"])
    train_wall = res.wall_s - eval_wall[0]
    return {
        "graph": data.graph.name, "degree": degree, "path_length": path_length, "n_nodes": data.graph.n_nodes,
        "seed": seed, "head_at_targets_only": head_at_targets_only, "target": target, "schedule_steps": cfg.steps, "eval_every": eval_every,
        "n_held_out": len(data.test_ids),
        "reached": bool(hit), "step": hit.get("step"),
        "wall_s": round(hit["wall_s"], 2) if hit else None, "cpu_s": round(hit["cpu_s"], 2) if hit else None,
        "steps_run": res.steps_run, "total_wall_s": round(wall, 2), "total_cpu_s": round(cpu, 2),
        "setup_s": round(setup_s, 3), "eval_wall_s": round(eval_wall[0], 2), "eval_cpu_s": round(eval_cpu[0], 2),
        "ms_per_step_wall": round(1000 * train_wall / max(1, res.steps_run), 2),
        "ms_per_step_cpu": round(1000 * (cpu - setup_cpu - eval_cpu[0]) / max(1, res.steps_run), 2),
        "best": {"step": best["step"], "test_exact": best["test_exact"]},
        "deadline_s": deadline_s, "budget_clock": budget_clock,
        "history": history,
    }
