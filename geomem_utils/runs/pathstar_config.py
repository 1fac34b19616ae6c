"""What a path-star run is: its configuration, checked up front, and the chapters' default runs.

:class:`PathStarRun` holds everything that determines one run (and its cache key); it refuses
a bad field before any work starts, naming it (``_check_run``: types, ranges, a possible split,
the model's own config, a bounded model size); :func:`model_defaults` are the keywords a
sequence model takes when the run leaves them out. :func:`train_config` turns a run into the
training loop's configuration. ``PROFILE_RUNS`` / :func:`profile_run` give each profile's main run (the
run chapters 01, 03, 04 and 06 share), :func:`controls_run` the controls' smaller reference run
and :func:`associative_counterexample` the trainable lookup table of chapters 03 and 04.

Running one is :func:`geomem_utils.runs.pathstar.run_path_star` (data, evaluator, training,
cache); sweeps over these fields are :mod:`geomem_utils.sweep.grids`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from geomem_utils.science import graphs, measures, tasks
from geomem_utils.science.train import TrainConfig
from geomem_utils.validate import (
    ConfigError, check_bool, check_choice, check_int, check_number, show,
)

OBJECTIVES = ("edges_only", "edges_and_paths", "edges_and_hardest")


@dataclass(frozen=True)
class PathStarRun:
    """Everything that determines one run (and its cache key)."""

    degree: int = 100
    path_length: int = 5
    family: str = "path_star"  # or "tree_star"
    split_by: str = "leaf"  # or "subtree" (tree-star)
    test_frac: float = 0.25
    n_pause: int = 1
    objective: str = "edges_and_paths"
    direction: str = "both"  # edges: "both", "forward" (parent -> child), "backward"
    self_edges: bool = False
    reverse: bool = False  # path target leaf -> root instead of root -> leaf
    staged_edge_steps: int = 0  # > 0: edges alone first for this many steps, then the mixture
    arch: str = "gpt"
    model: tuple[tuple[str, Any], ...] = (("n_heads", 4), ("n_layers", 2), ("width", 128))  # sorted
    steps: int = 1000
    lr: float = 1e-3
    weight_decay: float = 0.01
    beta2: float = 0.999  # AdamW's second-moment decay (the Mamba runs use 0.95)
    batch_size: int | None = 256
    warmup_steps: int = 100
    schedule: str = "cosine"
    seed: int = 0
    eval_every: int = 100
    snapshot_steps: tuple[int, ...] = ()
    max_train_eval: int = 256  # training leaves decoded per evaluation (a sample, for speed)

    def __post_init__(self) -> None:
        _check_run(self)
        if self.objective not in OBJECTIVES:
            raise ConfigError(f"objective must be one of {list(OBJECTIVES)}, got {self.objective!r}")
        if self.family not in ("path_star", "tree_star"):
            raise ConfigError(f"family must be 'path_star' or 'tree_star', got {self.family!r}")
        if not 0 <= self.staged_edge_steps < self.steps:
            raise ConfigError(f"staged_edge_steps must be in [0, steps), got {self.staged_edge_steps}")

    def with_model(self, **kw: Any) -> "PathStarRun":
        return replace(self, model=tuple(sorted({**dict(self.model), **kw}.items())))

    def graph(self) -> graphs.Graph:
        make = graphs.path_star if self.family == "path_star" else graphs.tree_star
        return make(self.degree, self.path_length, seed=self.seed)


#: Pauses and model parameters beyond any run of the book: a larger value is a typo,
#: refused up front (with a memory estimate) rather than by the operating system.
MAX_PAUSE = 1024
MAX_PARAMS = 2 * 10**9


def _model_kwargs(cfg: PathStarRun) -> dict[str, Any]:
    """The run's model keywords, checked by the model's own config (names and values)."""
    import inspect

    from geomem_utils.science.models import ARCHS, GPTConfig, MambaConfig, OneLayerNet

    check_choice("arch", cfg.arch, ARCHS)
    try:
        kw = dict(cfg.model)
    except (TypeError, ValueError):
        raise ConfigError(f"model must be (name, value) pairs, got {show(cfg.model)}") from None
    if not all(isinstance(k, str) for k in kw):
        raise ConfigError(f"model names must be strings, got {show(list(kw))}")
    if cfg.arch in ("gpt", "mamba"):
        try:  # the model's own config checks names and values
            GPTConfig(vocab_size=1, block_size=1, **kw) if cfg.arch == "gpt" else MambaConfig(vocab_size=1, **kw)
        except (TypeError, ValueError) as err:
            raise ConfigError(f"model (for arch={cfg.arch!r}): {err}") from None
    else:
        allowed = set(inspect.signature(OneLayerNet.__init__).parameters) - {"self", "vocab_size"}
        if cfg.arch == "assoc":
            allowed.discard("freeze_embeddings")
        unknown = sorted(set(kw) - allowed)
        if unknown:
            raise ConfigError(f"model: unknown keyword(s) {unknown} for arch={cfg.arch!r}; allowed: {sorted(allowed)}")
        check_int("model width", kw.get("width", 32), 1)
    return kw


def model_defaults(arch: str) -> dict[str, Any]:
    """The default keywords of a sequence model's config (``{}`` for the shallow models)."""
    from geomem_utils.science.models import GPTConfig, MambaConfig

    cls = {"gpt": GPTConfig, "mamba": MambaConfig}.get(arch)
    return {} if cls is None else {f.name: f.default for f in fields(cls)
                                   if f.name not in ("vocab_size", "block_size")}


def _n_params(cfg: PathStarRun, kw: dict[str, Any], vocab: int, block: int) -> int:
    """About how many parameters the run's model has (embedding + blocks)."""
    width = int(kw.get("width", 128 if cfg.arch in ("gpt", "mamba") else 32))
    layers = int(kw.get("n_layers", 2))
    if cfg.arch == "gpt":
        return width * (vocab + block) + layers * 12 * width * width
    if cfg.arch == "mamba":
        inner = width * int(kw.get("expand", 2))
        return width * vocab + layers * inner * (3 * width + 2 * int(kw.get("d_state", 16)) + int(kw.get("d_conv", 4)))
    return width * vocab + width * width


def train_config(cfg: PathStarRun, device: str = "cpu", progress: bool = False, desc: str = "train") -> TrainConfig:
    """The training loop's configuration of a run."""
    return TrainConfig(steps=cfg.steps, lr=cfg.lr, weight_decay=cfg.weight_decay, betas=(0.9, cfg.beta2),
                       batch_size=cfg.batch_size, warmup_steps=cfg.warmup_steps, schedule=cfg.schedule,
                       seed=cfg.seed, device=device, eval_every=cfg.eval_every,
                       snapshot_steps=cfg.snapshot_steps, progress=progress, desc=desc)


def _check_run(cfg: PathStarRun) -> None:
    """Refuse a run up front: every field typed and in range, the split possible, the model
    config valid and its size bounded. Errors name the field."""
    check_choice("family", cfg.family, ("path_star", "tree_star"))
    check_choice("objective", cfg.objective, OBJECTIVES)
    n_nodes = graphs.size_of(cfg.family, cfg.degree, cfg.path_length)
    check_choice("split_by", cfg.split_by, tasks.SPLITS)
    leaves = cfg.degree if cfg.family == "path_star" else cfg.degree * 2 ** (cfg.path_length - 2)
    tasks.check_split(cfg.degree if cfg.split_by == "subtree" else leaves, cfg.test_frac, cfg.split_by)
    check_int("n_pause", cfg.n_pause, 0, MAX_PAUSE)
    check_choice("direction", cfg.direction, tasks.DIRECTIONS)
    for name in ("self_edges", "reverse"):
        check_bool(name, getattr(cfg, name), numpy=False)
    if cfg.reverse and cfg.objective == "edges_and_hardest":
        raise ConfigError("reverse=True needs objective 'edges_and_paths' (the hardest token is forward only)")
    check_int("steps", cfg.steps, 1)
    check_int("staged_edge_steps", cfg.staged_edge_steps, 0)
    check_int("max_train_eval", cfg.max_train_eval, 1)
    check_number("beta2", cfg.beta2, 0.0, 1.0, hi_open=True, numpy=False)
    train_config(cfg)  # the training fields, checked by the training loop's own config (errors name them)
    kw = _model_kwargs(cfg)
    block = 2 + cfg.n_pause + cfg.path_length + 2
    n_params = _n_params(cfg, kw, n_nodes + len(tasks.SPECIALS), block)
    if n_params > MAX_PARAMS:
        raise ConfigError(
            f"model (arch={cfg.arch!r}, {kw}) on {n_nodes:,} nodes would have about {n_params:.2g} parameters "
            f"(limit {MAX_PARAMS:.0e}): about {16 * n_params / 2**30:,.0f} GiB with AdamW's state"
        )


#: The main path-star run of each profile. ``ci``: a 2-layer, width-128 GPT on G(100, 5)
#: reaches about 90% held-out exact match in 1,000 steps on a laptop CPU (chapter 03).
#: ``full``: the paper's G(5000, 5) with GPT-mid (12 x 384, 8 heads) and the release's
#: mixed-training settings (lr 5e-4, batch 2048, warm-up 1,000), on one GPU.
PROFILE_RUNS: dict[str, dict[str, Any]] = {
    "smoke": dict(degree=20, path_length=5, n_pause=1, steps=40, eval_every=20, batch_size=64, warmup_steps=10),
    "ci": dict(degree=100, path_length=5, n_pause=1, steps=1000, eval_every=100, batch_size=256, warmup_steps=100),
    "full": dict(degree=5000, path_length=5, n_pause=5, steps=20_000, eval_every=1000, batch_size=2048,
                 warmup_steps=1000, lr=5e-4, model=(("n_heads", 8), ("n_layers", 12), ("width", 384))),
}


def profile_run(profile: str, **overrides: Any) -> PathStarRun:
    """The chapter-default :class:`PathStarRun` of a profile, with overrides.

    Snapshots are taken at every evaluation step, so that every chapter asking for the
    same run (with or without wanting snapshots) hits the same cache entry.
    """
    if not isinstance(profile, str) or profile not in PROFILE_RUNS:
        raise ConfigError(f"profile must be one of {list(PROFILE_RUNS)}, got {show(profile)}")
    kw = {**PROFILE_RUNS[profile], **overrides}
    steps, every = kw["steps"], kw["eval_every"]
    if "snapshot_steps" not in kw:
        check_int("steps", steps, 1, 10**8)
        check_int("eval_every", every, 0, 10**8)
        kw["snapshot_steps"] = tuple(range(0, steps + 1, every)) if every else (0, steps)
    if "model" in kw:
        kw["model"] = tuple(sorted(dict(kw["model"]).items()))
    return PathStarRun(**kw)


def controls_run(profile: str, *, seed: int, degree: int, path_length: int, n_pause: int, steps: int,
                 batch_size: int) -> PathStarRun:
    """The reference run of the controls (chapter 03, section 5; reused by 04): the profile's
    run on a smaller graph, with ten evaluations, warm-up over the first tenth, no snapshots."""
    return profile_run(profile, seed=seed, degree=degree, path_length=path_length, n_pause=n_pause, steps=steps,
                       batch_size=batch_size, eval_every=max(1, steps // 10), warmup_steps=max(1, steps // 10),
                       snapshot_steps=())


#: The trainable associative counterexample (chapters 03 and 04): the paper's "non-geometric"
#: initialisation of the token embeddings, N(0, 1) instead of N(0, 0.02), everything else trainable.
COUNTEREXAMPLE_INIT_STD = 1.0


def associative_counterexample(base: PathStarRun) -> PathStarRun:
    """``base`` with token embeddings initialised N(0, 1) (and still trained): at the ci size it
    memorises every edge and training path and answers held-out paths at chance."""
    return base.with_model(emb_init_std=COUNTEREXAMPLE_INIT_STD)


def from_sweep(base_profile: str, fields: dict[str, Any], model: dict[str, Any]) -> PathStarRun:
    """The path-star run of one sweep grid point: ``profile_run(base_profile, **fields)``,
    where ``model`` (the point's ``model.NAME`` keys) changes one keyword each of the
    recipe's (or the profile's) model."""
    kw = dict(fields)
    if model:
        base = dict(kw.get("model") or PROFILE_RUNS[base_profile].get("model") or PathStarRun.model)
        defaults = model_defaults(kw.get("arch", "gpt"))
        # a keyword at the model's default is left out, so that equal runs share one cache entry
        kw["model"] = {**base, **{k: v for k, v in model.items() if k in base or k not in defaults or defaults[k] != v}}
    kw = {k: tuple(v) if isinstance(v, list) else v for k, v in kw.items()}
    return profile_run(base_profile, **kw)


def table_row(cfg: PathStarRun, record: dict[str, Any]) -> dict[str, Any]:
    """A sweep table's numbers of one path-star run, from its record."""
    final, hist = record["final"], record["history"]
    return {"final_exact": final["test_exact"], "best_exact": max(r["test_exact"] for r in hist),
            "first_hop": final["test_first_hop"], "navigation": final["navigation"],
            "train_exact": final["train_exact"], "later_tokens": float("nan"), "chance": 1 / cfg.degree,
            "n_test": len(record["test_ids"]), "steps": final["step"], "train_s": record["wall_s"],
            **crossing_columns([r["step"] for r in hist], [r["test_teacher_forced"] for r in hist], 1 / cfg.degree)}


def crossing_columns(steps: list[int], curves: list[list[float]], chance: float) -> dict[str, float]:
    """``cross_1``, ``cross_2``, ...: the step from which each target position after the first
    (v1, v2, ..., the leaf) stays at least halfway from ``chance`` to 1, teacher-forced, on
    the held-out items (:func:`geomem_utils.science.measures.crossing_steps`): when each
    token is learnt."""
    level = (1 + chance) / 2
    return {f"cross_{j}": v for j, v in enumerate(measures.crossing_steps(steps, curves, level)) if j > 0}


def describe(cfg: PathStarRun) -> str:
    """The run's size in words, as a verdict states it: "GPT 2 x 128 on G(100, 5), 1,000
    steps, 25 held-out leaves"."""
    from geomem_utils.science.tasks import check_split

    kw = {**model_defaults(cfg.arch), **dict(cfg.model)}
    arch = {"gpt": "GPT", "mamba": "Mamba"}.get(cfg.arch, cfg.arch)
    layers = f" {kw['n_layers']} x {kw['width']}" if "n_layers" in kw and "width" in kw else ""
    graph = f"{'T' if cfg.family == 'tree_star' else 'G'}({cfg.degree}, {cfg.path_length})"
    n_test = check_split(cfg.degree, cfg.test_frac) if cfg.family == "path_star" else None
    held = f", {n_test} held-out leaves" if n_test else ""
    return f"{arch}{layers} on {graph}, {cfg.steps:,} steps{held}"
