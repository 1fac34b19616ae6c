"""Seed spreads of the single runs behind chapters 03/04's thresholds (the chapters run seed 0).

    python -m bench.seeds_controls            # re-measure (about 10 CPU-minutes single-threaded)
    python -m bench.seeds_controls --show     # print bench/results/seeds_controls.json

Per seed: the controls' G(40, 5) run with both / forward-only / backward-only edges, the
trainable associative counterexample (N(0, 1) token-embedding init), and the main and
hardest-token runs on G(100, 5); for each, edge recall (top-k, %), training and held-out exact match,
held-out first hop and 1-step navigation. Runs go through the run cache, so a chapter asking
for the same configuration later reuses them.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

OUT = Path(__file__).resolve().parent / "results" / "seeds_controls.json"


def measure(seed: int) -> dict[str, dict[str, float]]:
    from geomem_utils.runs import pathstar
    from geomem_utils.science import measures

    def row(cfg):
        rec = pathstar.run_path_star(cfg, progress=False)
        data = pathstar.build_data(cfg)
        logits = measures.edge_logits(pathstar.trained_model(cfg, rec), data.graph, data.vocab)
        f = rec["final"]
        return {"edge_recall": measures.top_k_recovery(logits, data.graph)["top_k"], "train_exact": f["train_exact"],
                "test_exact": f["test_exact"], "test_first_hop": f["test_first_hop"], "navigation": f["navigation"]}

    base = pathstar.controls_run("ci", seed=seed, degree=40, path_length=5, n_pause=1, steps=500, batch_size=128)
    out = {f"edges {d}": row(base if d == "both" else replace(base, direction=d))
           for d in ("both", "forward", "backward")}
    out["trainable lookup (N(0,1) init)"] = row(pathstar.associative_counterexample(base))
    out["main G(100, 5)"] = row(pathstar.profile_run("ci", seed=seed))
    out["hardest token G(100, 5)"] = row(pathstar.profile_run("ci", seed=seed, objective="edges_and_hardest"))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--show", action="store_true")
    args = ap.parse_args(argv)
    if not args.show:
        res = {str(s): measure(s) for s in args.seeds}
        OUT.write_text(json.dumps(res, indent=1))
    print(OUT.read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
