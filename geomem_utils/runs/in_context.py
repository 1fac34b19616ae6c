"""One cached in-context path-star run (Bachmann & Nagarajan's task), shared by chapters.

Introduced in ``03_implicit_reasoning`` (forward and reverse targets, attention-only GPT,
stopped once the look-up tokens are right) and swept in ``06_how_far_it_holds`` the way
the paper runs it: G(2, 5), G(10, 5), G(20, 5), a fixed training budget (``stop_at=None``),
MLPs on, and the teacherless variant. Each example is a fresh random labelling of G(d, l)
(:func:`geomem_utils.science.tasks.in_context_bucket`); the trained model is probed with teacher
forcing and greedy decoding on fresh held-out graphs. The ``hardest`` variant is the forward
task with the loss on v1 alone (the in-weights hardest-token objective, in context).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch

from geomem_utils.science import measures, tasks
from geomem_utils.science.graphs import size_of
from geomem_utils.science.models import build_model
from geomem_utils.validate import ConfigError, check_choice, check_int, check_number
from geomem_utils.runs.cache import cached
from geomem_utils.runs.pathstar_config import crossing_columns
from geomem_utils.science.train import TrainConfig, seeded, train


#: The run's variants: the task's own (:data:`geomem_utils.science.tasks.IN_CONTEXT_VARIANTS`)
#: and ``hardest``, the forward prompt and target trained on v1 alone (:func:`hardest_only`).
VARIANTS = (*tasks.IN_CONTEXT_VARIANTS, "hardest")


@dataclass(frozen=True)
class InContextRun:
    """Everything that determines one in-context run (and its cache key)."""

    variant: str = "forward"  # "forward", "teacherless", "reverse" or "hardest" (forward, loss on v1 only)
    degree: int = 2
    path_length: int = 5
    n_labels: int = 20
    width: int = 64
    n_layers: int = 2
    n_heads: int = 4
    mlp: str = "none"  # "none" (attention only, chapter 03) or "gelu" (the paper's blocks)
    lr: float = 3e-3
    steps: int = 3000
    batch: int = 64
    n_train: int = 20_000
    n_test: int = 1000
    seed: int = 0
    stop_at: float | None = None  # None: the whole budget (the paper's way); else stop once the look-up tokens are this right twice

    def __post_init__(self) -> None:
        check_choice("variant", self.variant, VARIANTS)
        for name, lo in (("degree", 2), ("path_length", 3), ("n_labels", 4), ("width", 4), ("n_layers", 1),
                         ("n_heads", 1), ("steps", 1), ("batch", 1), ("n_train", 1), ("n_test", 1), ("seed", 0)):
            check_int(name, getattr(self, name), lo)
        n = size_of("path_star", self.degree, self.path_length)
        if self.n_labels < n:
            raise ConfigError(f"n_labels={self.n_labels} is fewer than the {n} nodes of "
                                 f"G({self.degree}, {self.path_length}); every node needs its own label")
        if self.width % self.n_heads:
            raise ConfigError(f"width={self.width} must be divisible by n_heads={self.n_heads}")
        check_choice("mlp", self.mlp, ("none", "gelu", "linear"))
        check_number("lr", self.lr, 0.0, 1.0, lo_open=True, numpy=False)
        if self.stop_at is not None:
            check_number("stop_at", self.stop_at, 0.0, 1.0, lo_open=True, numpy=False)
            if self.variant == "hardest":
                raise ConfigError("stop_at must be None for variant='hardest': its look-up tokens are not trained, "
                                  "so the stop rule (two evaluations with the look-ups right) never fires")

    @property
    def first_hop_position(self) -> int:
        """The target position of v1, the token that needs planning (1; reverse: l - 2)."""
        return self.path_length - 2 if self.variant == "reverse" else 1

    @property
    def lookup_positions(self) -> slice:
        """The target positions a single look-up in the prompt answers."""
        return slice(1, self.path_length) if self.variant == "reverse" else slice(2, self.path_length)


def hardest_only(bucket: tasks.Bucket) -> tasks.Bucket:
    """The forward bucket with the loss on v1 alone: the target after the start (the second
    target column of each row) is kept, every other target is ignored."""
    trained = bucket.targets != tasks.IGNORE
    second = trained.cumsum(1) == 2  # the second trained column: v1
    targets = torch.where(trained & second, bucket.targets, torch.full_like(bucket.targets, tasks.IGNORE))
    return tasks.Bucket("in_context_hardest", bucket.inputs, targets)


def v1_child_rate(pred_v1: torch.Tensor, inputs: torch.Tensor, start: torch.Tensor, n_edges: int) -> float:
    """The share of rows whose predicted v1 is a child of the start in that row's prompt
    (``[EDGE] u v`` triples first): the look-up part of v1, which needs no planning; the
    right child among the start's d is the planning part."""
    edges = inputs[:, : 3 * n_edges].reshape(len(inputs), n_edges, 3)
    child = (edges[:, :, 1] == start[:, None]) & (edges[:, :, 2] == pred_v1[:, None])
    return float(child.any(1).float().mean())


def run_in_context(cfg: InContextRun, device: str = "cpu") -> dict[str, Any]:
    """Train (or load) one in-context run; teacher-forced and greedy accuracies on fresh graphs.

    The record holds ``history`` (step, loss, teacher-forced accuracy by position),
    ``teacher_forced`` (the last evaluation), ``steps_run``, ``greedy_exact``,
    ``greedy_per_position``, ``wall_s`` and (forward, teacherless and hardest) ``v1_child``, the
    share of fresh graphs whose teacher-forced v1 is one of the start's children
    (:func:`v1_child_rate`). The ``hardest`` variant is probed on the whole forward target.
    """
    d, l = cfg.degree, cfg.path_length
    task = "forward" if cfg.variant == "hardest" else cfg.variant

    def compute() -> dict[str, Any]:
        train_b, vocab = tasks.in_context_bucket(d, l, cfg.n_labels, cfg.n_train, seed=cfg.seed, variant=task)
        test_b, _ = tasks.in_context_bucket(d, l, cfg.n_labels, cfg.n_test, seed=cfg.seed + 7_919, variant=task)
        if cfg.variant == "hardest":
            train_b = hardest_only(train_b)
        with seeded(cfg.seed):
            model = build_model("gpt", vocab.size, train_b.seq_len + 1, n_layers=cfg.n_layers, width=cfg.width,
                                n_heads=cfg.n_heads, mlp=cfg.mlp)
        passed: list[bool] = []

        def stop(row: dict[str, Any]) -> bool:  # two evaluations in a row with the look-up tokens right
            passed.append(float(np.mean(row["teacher_forced"][cfg.lookup_positions])) >= cfg.stop_at)
            return passed[-2:] == [True, True]

        res = train(model, [train_b], TrainConfig(
            steps=cfg.steps, lr=cfg.lr, schedule="constant", warmup_steps=min(50, cfg.steps // 10),
            batch_size=cfg.batch, seed=cfg.seed, device=device, eval_every=max(1, min(100, cfg.steps // 10)),
            progress=False, desc=f"in context {cfg.variant}"),
            evaluate=lambda m: {"teacher_forced": measures.teacher_forced_accuracy(m, test_b)},
            stop_when=stop if cfg.stop_at is not None else None)
        first = int((test_b.targets[0] != tasks.IGNORE).nonzero()[0])  # column predicting the first target
        model.eval()
        with torch.no_grad():  # teacher-forced (teacherless: the target-side inputs are pauses)
            forced = model(test_b.inputs.to(device))[:, first: first + l].argmax(-1).cpu()
        pred = forced if cfg.variant == "teacherless" else measures.greedy_decode(
            model, test_b.inputs[:, : first + 1], l)
        hit = (pred == test_b.targets[:, first:].cpu()).float()  # (N, l)
        out = {"history": [{"step": r["step"], "loss": r["loss"], "teacher_forced": r["teacher_forced"]}
                           for r in res.history],
               "teacher_forced": res.history[-1]["teacher_forced"], "steps_run": res.steps_run,
               "greedy_exact": float(hit.all(1).float().mean()), "greedy_per_position": hit.mean(0).tolist(),
               "wall_s": res.wall_s}
        if cfg.variant != "reverse":
            out["v1_child"] = v1_child_rate(forced[:, 1], test_b.inputs, test_b.targets[:, first], size_of(
                "path_star", d, l) - 1)
        return out

    # The key is chapter 03's (same names and values), so its cached runs are shared.
    return cached({"kind": "in_context_run", **asdict(cfg)}, compute, name="in-context", device=device)


def from_sweep(base_profile: str, fields: dict[str, Any], model: dict[str, Any]) -> InContextRun:
    """The in-context run of one sweep grid point (``fields``: the point's values;
    ``base_profile`` is for path-star runs only)."""
    if model:
        raise ConfigError("model.* keys are for path_star sweeps; set width/n_layers/mlp directly")
    return InContextRun(**fields)


def table_row(cfg: InContextRun, record: dict[str, Any]) -> dict[str, Any]:
    """A sweep table's numbers of one in-context run, from its record (no navigation, no best)."""
    tf = list(record["teacher_forced"])
    later = tf[cfg.lookup_positions] if cfg.variant != "reverse" else tf[1:]
    return {"final_exact": record["greedy_exact"], "best_exact": float("nan"),
            "first_hop": tf[cfg.first_hop_position], "navigation": float("nan"), "train_exact": float("nan"),
            "v1_child": float(record.get("v1_child", float("nan"))),
            "later_tokens": float(sum(later) / len(later)), "chance": 1 / cfg.degree, "n_test": cfg.n_test,
            "steps": record["steps_run"], "train_s": record["wall_s"],
            **crossing_columns([r["step"] for r in record["history"]], [r["teacher_forced"] for r in record["history"]],
                               1 / cfg.degree)}
