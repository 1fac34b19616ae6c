"""Paper scale on one GPU: the full-profile path-star run of chapter 03 (G(5000, 5), GPT-mid).

Runs ``experiments.profile_run("full")`` (12 layers x 384, 8 heads, tied, mixed training,
lr 5e-4, batch 2048, 5 pause tokens) with bf16 autocast, evaluating held-out exact match
as it goes, and stops at ``--max-minutes`` or ``--target`` held-out exact match. Writes a
JSON record (accuracy over steps, time, device) for bench/results/.

    python bench/full_profile_gpu.py --out bench/results/full_profile_gpu.json
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, replace

import torch

from geomem_utils.runs.pathstar import _evaluator, build_data, profile_run
from geomem_utils.science.models import build_model
from geomem_utils.files import atomic_write_json
from geomem_utils.science.train import TrainConfig, seeded, train


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--degree", type=int, default=5000)
    ap.add_argument("--path-length", type=int, default=5)
    ap.add_argument("--steps", type=int, default=20_000)
    ap.add_argument("--eval-every", type=int, default=500)
    ap.add_argument("--max-minutes", type=float, default=7.0)
    ap.add_argument("--target", type=float, default=0.99)
    ap.add_argument("--arch", default="gpt")
    ap.add_argument("--out", default="bench/results/full_profile_gpu.json")
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    cfg = profile_run("full", degree=args.degree, path_length=args.path_length, steps=args.steps,
                      eval_every=args.eval_every, snapshot_steps=())
    if args.arch != "gpt":
        cfg = replace(cfg, arch=args.arch, model=(("n_layers", 12), ("width", 384)))
    data = build_data(cfg)
    with seeded(cfg.seed):
        model = build_model(cfg.arch, data.vocab.size, max(b.seq_len for b in data.buckets) + 2, **dict(cfg.model))
    t0 = time.time()
    deadline = t0 + 60 * args.max_minutes
    tcfg = TrainConfig(steps=cfg.steps, lr=cfg.lr, weight_decay=cfg.weight_decay, batch_size=cfg.batch_size,
                       warmup_steps=cfg.warmup_steps, seed=cfg.seed, device=device, eval_every=cfg.eval_every,
                       progress=False)

    def stop(row: dict) -> bool:
        print({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items() if k != "test_per_position"},
              f"{time.time() - t0:.0f}s", flush=True)
        return row["test_exact"] >= args.target or time.time() > deadline

    res = train(model, data.buckets, tcfg, evaluate=_evaluator(cfg, data), stop_when=stop)
    record = {
        "what": "full-profile path-star run (chapter 03) on one GPU",
        "device": torch.cuda.get_device_name(0) if device == "cuda" else "cpu",
        "torch": torch.__version__,
        "config": asdict(cfg),
        "n_params": sum(p.numel() for p in model.parameters()),
        "steps_run": res.steps_run,
        "wall_s": round(time.time() - t0, 1),
        "s_per_step": round(res.wall_s / max(1, res.steps_run), 4),
        "history": [{k: v for k, v in r.items() if k != "test_per_position"} for r in res.history],
        "final": {k: v for k, v in res.history[-1].items() if k != "test_per_position"},
    }
    atomic_write_json(args.out, record)
    print(json.dumps(record["final"]), record["wall_s"], "s")


if __name__ == "__main__":
    main()
