"""Thread settings: one training step of the ci run at 1 and 2 threads, OpenMP waiting
actively (the default) or passively.

Each setting runs in a fresh process (``python -m bench.threads --worker``), because
OpenMP reads ``OMP_NUM_THREADS`` and ``OMP_WAIT_POLICY`` once, at start-up. With the
default policy an idle OpenMP thread spins while it waits for work: on a machine whose
cores are busy with other processes the spinning threads and the other processes take
turns on the cores, and a step can get many times slower. ``PASSIVE`` makes idle threads
sleep instead. The worker also reports the final loss: the thread count changes the order
of floating-point sums, so the numbers of a run depend (slightly) on it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from typing import Any

from .common import ROOT, loadavg

SETTINGS = {
    "1 thread": {"OMP_NUM_THREADS": "1"},
    "2 threads, OMP default (active wait)": {"OMP_NUM_THREADS": "2"},
    "2 threads, OMP_WAIT_POLICY=PASSIVE": {"OMP_NUM_THREADS": "2", "OMP_WAIT_POLICY": "PASSIVE"},
}


def _worker(steps: int, degree: int) -> dict[str, Any]:
    from dataclasses import replace

    import torch

    from geomem_utils.science.train import train

    from .common import clock
    from .throughput import mixture

    data, fresh, tcfg = mixture(degree)
    train(fresh(), data.buckets, replace(tcfg, steps=3, warmup_steps=3))  # warm-up
    cfg = replace(tcfg, steps=steps, eval_every=0, warmup_steps=min(tcfg.warmup_steps, steps))
    with clock() as lap:
        res = train(fresh(), data.buckets, cfg)
    return {"threads": torch.get_num_threads(), "ms_per_step_wall": round(1000 * lap.wall_s / steps, 2),
            "ms_per_step_cpu": round(1000 * lap.cpu_s / steps, 2), "final_loss": res.losses[-1]}


def thread_settings(steps: int = 30, degree: int = 100, timeout_s: float = 300) -> dict[str, Any]:
    """Per-step time of the ci mixture under each of :data:`SETTINGS` (one process each)."""
    rows = []
    for name, env_vars in SETTINGS.items():
        env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "MKL_NUM_THREADS")}
        env.update(env_vars)
        load = loadavg()
        try:
            proc = subprocess.run([sys.executable, "-m", "bench.threads", "--worker", "--steps", str(steps),
                                   "--degree", str(degree)], cwd=ROOT, env=env, capture_output=True, text=True,
                                  timeout=timeout_s)
            row = json.loads(proc.stdout.strip().splitlines()[-1]) if proc.returncode == 0 else {
                "error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}"}
        except subprocess.TimeoutExpired:
            row = {"error": f"more than {timeout_s:.0f} s for {steps} steps"}
        rows.append({"setting": name, "env": env_vars, "loadavg": load, **row})
    losses = {r.get("final_loss") for r in rows if "final_loss" in r}
    return {"graph": f"G({degree}, 5)", "steps": steps, "rows": rows,
            "same_loss_across_settings": len(losses) == 1}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--worker", action="store_true")
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--degree", type=int, default=100)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(_worker(args.steps, args.degree)))
    else:
        print(json.dumps(thread_settings(args.steps, args.degree), indent=2))


if __name__ == "__main__":
    main()
