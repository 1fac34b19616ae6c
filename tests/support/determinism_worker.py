"""Child process of the determinism test (tests/unit/test_reliability.py); also a measuring tool.

``python tests/support/determinism_worker.py OUT.npz [--threads N] [--seeds 0,1] [--device cpu]``
trains every model family of the book for a few steps on a tiny path-star and saves
the losses, evaluation metrics and final embeddings of each (family, seed) to OUT.npz,
plus the cache key of a fixed configuration. Two processes given the same arguments must
write the same arrays, bit for bit.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import torch

FAMILIES = ("gpt", "mamba", "net", "assoc", "node2vec")

# Small but not trivial: several layers, minibatches (data order matters), a path target.
MODELS = {
    "gpt": dict(n_layers=2, width=16, n_heads=2),
    "mamba": dict(n_layers=1, width=16, d_state=4, expand=2, backend="mambapy"),
    "net": dict(width=16),
    "assoc": dict(width=16),
}


def run_family(arch: str, seed: int, device: str = "cpu", steps: int = 12) -> dict[str, np.ndarray]:
    """Train one family briefly; return its numbers as float64/int64 arrays."""
    from geomem_utils.science import graphs, measures, tasks
    from geomem_utils.science.models import build_model, train_node2vec
    from geomem_utils.science.train import TrainConfig, seeded, train

    g = graphs.path_star(4, 4, seed=seed)
    if arch == "node2vec":
        run = train_node2vec(graphs.adjacency(g).toarray(), width=8, lr=0.01, steps=40, seed=seed)
        return {"losses": np.asarray(run.loss, dtype=np.float64), "embedding": np.asarray(run.V)}
    vocab = tasks.Vocab(g.n_nodes)
    train_ids = np.arange(3)
    buckets = [tasks.edge_bucket(g, vocab)]
    if arch in ("gpt", "mamba"):
        buckets.append(tasks.path_bucket(g, vocab, train_ids, n_pause=1))
    with seeded(seed):
        model = build_model(arch, vocab.size, 8, **MODELS[arch])

    def evaluate(m: torch.nn.Module) -> dict[str, float]:
        logits = measures.edge_logits(m, g, vocab)
        row = {"top_k": measures.top_k_recovery(logits.cpu(), g)["top_k"]}
        if arch in ("gpt", "mamba"):
            q = tasks.path_queries(g, vocab, train_ids, 1)
            row["first_hop"] = measures.path_metrics(m, q)["first_hop"]
        return row

    cfg = TrainConfig(steps=steps, lr=3e-3, batch_size=8, warmup_steps=3, seed=seed, device=device,
                      eval_every=6, progress=False)
    res = train(model, buckets, cfg, evaluate=evaluate)
    history = np.array([[float(v) for k, v in sorted(r.items()) if k != "lr"] for r in res.history])
    return {
        "losses": np.asarray(res.losses, dtype=np.float64),
        "history": history.astype(np.float64),
        "embedding": model.embedding_matrix().float().cpu().numpy(),
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seeds", default="0,1")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--families", default=",".join(FAMILIES))
    ap.add_argument("--deterministic", action="store_true", help="torch.use_deterministic_algorithms(True)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.deterministic:
        torch.use_deterministic_algorithms(True)
    from geomem_utils.runs.cache import config_key

    arrays: dict[str, np.ndarray] = {}
    for seed in map(int, args.seeds.split(",")):
        for arch in args.families.split(","):
            for name, value in run_family(arch, seed, args.device).items():
                arrays[f"{arch}/{seed}/{name}"] = value
    key = config_key({"kind": "determinism", "model": MODELS, "lr": 3e-3, "seeds": args.seeds})
    arrays["meta"] = np.frombuffer(json.dumps({"key": key, "threads": torch.get_num_threads()}).encode(), dtype=np.uint8)
    np.savez(args.out, **arrays)


if __name__ == "__main__":
    main()
