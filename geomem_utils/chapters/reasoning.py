"""Chapter 03, implicit reasoning in weights: held-out paths, the in-context failure, the controls.

What ``notebooks/03_implicit_reasoning.md`` is apart from its science code: the title and
claim, the 27 parameter specs (the main run, the controls' graph, the tree-star, the
in-context task, the Mamba) with their cross-field rule, the fixed settings of the
in-context runs and the pause and Mamba sections. The chapter's checks and findings,
assembled from the measured numbers, are :mod:`geomem_utils.chapters.reasoning_checks`
(whose thresholds and unit tests stay there).
"""

from __future__ import annotations

from typing import Any, Mapping

from geomem_utils.runs.in_context import InContextRun
from geomem_utils.params import ParameterError, Spec, int_list, integer, number
from geomem_utils.chapters import Chapter

#: In context: held-out graphs of the teacher-forced probe, batch, training graphs, heads.
IC_TEST = 1000
IC_BATCH = 64
IC_N_TRAIN = 20_000
IC_HEADS = 4
#: The reverse in-context task stops once every token is this right at two evaluations.
IC_STOP_AT = 0.95
#: Pause tokens: steps until the held-out exact match first reaches this level.
PAUSE_TARGET = 0.8
#: The GPT's optimiser, given to the Mamba of section 6 as a contrast.
GPT_OPTIMISER = {"lr": 1e-3, "beta2": 0.999}


def _labels_cover_the_graph(p: dict[str, Any]) -> None:
    if p["IC_LABELS"] < 1 + p["IC_DEGREE"] * (p["IC_PATH_LENGTH"] - 1):
        n = 1 + p["IC_DEGREE"] * (p["IC_PATH_LENGTH"] - 1)
        raise ParameterError(
            f"parameters IC_LABELS={p['IC_LABELS']}, IC_DEGREE={p['IC_DEGREE']} and "
            f"IC_PATH_LENGTH={p['IC_PATH_LENGTH']}: G(IC_DEGREE, IC_PATH_LENGTH) has {n} nodes, "
            "more than the labels; every node needs its own label")


def size(p: Mapping[str, Any]) -> str:
    """What this chapter's verdicts are measured at, in words."""
    from geomem_utils.runs.pathstar_config import describe, profile_run

    main = describe(profile_run(p["PROFILE"], degree=p["DEGREE"], path_length=p["PATH_LENGTH"]))
    l = p["PATH_LENGTH"]
    return (f"{main}; controls on G({p['ABL_DEGREE']}, {l}), {p['ABL_STEPS']:,} steps; Mamba "
            f"{p['MAMBA_LAYERS']} x {p['MAMBA_WIDTH']} on G({p['MAMBA_DEGREE']}, {l}), {p['MAMBA_STEPS']:,} steps; "
            f"in context G({p['IC_DEGREE']}, {l}), {p['IC_LAYERS']} layers, {p['IC_STEPS']:,} steps; tree-star "
            f"T({p['TREE_DEGREE']}, {p['TREE_LENGTH']}) ({p['PROFILE']} profile)")


CHAPTER = Chapter(
    stem="03_implicit_reasoning",
    title="Answer paths never asked about: implicit reasoning in weights",
    claim="A model that memorised a path-star's edges outputs the full path for held-out leaves, far above chance; "
          "the first hop alone is learnable in weights; frozen embeddings fail; the in-context task leaves the "
          "first token at chance while the later tokens are right.",
    paper_ref="§2.3, Fig. 2",
    specs={
        "DEGREE": integer({"smoke": 20, "ci": 100, "full": 5000}, 4, 100_000, "arms of the main run's G(d, l)"),
        "PATH_LENGTH": integer({"ci": 5, "full": 5}, 3, 16, "nodes per arm, counting the root"),
        "N_PAUSE": integer({"ci": 1, "full": 5}, 0, 64, "pause tokens after the query leaf"),
        "ARCH": Spec(str, "gpt", choices=("gpt", "mamba"), help="architecture of the main run"),
        "ABL_DEGREE": integer({"smoke": 12, "ci": 40, "full": 1000}, 4, 100_000, "arms of the controls' graph"),
        "ABL_STEPS": integer({"smoke": 30, "ci": 500, "full": 5000}, 10, 10**6, "training steps of the controls"),
        "ABL_BATCH": integer({"smoke": 64, "ci": 128, "full": 1024}, 1, 65_536, "batch size of the controls"),
        "PAUSES": int_list({"smoke": "0,1", "ci": "0,1,4", "full": "0,1,2,4"}, 0, 64,
                           "pause counts compared"),
        "TREE_DEGREE": integer({"smoke": 4, "ci": 16, "full": 100}, 4, 10_000, "arms of the tree-star"),
        "TREE_LENGTH": integer({"ci": 4, "full": 6}, 3, 10, "levels of the tree-star, counting the root"),
        "IC_DEGREE": integer({"ci": 2, "full": 5}, 2, 20, "arms of the in-context graphs"),
        "IC_PATH_LENGTH": integer(5, 3, 10, "nodes per arm of the in-context graphs"),
        "IC_LABELS": integer({"ci": 20, "full": 50}, 4, 1000, "labels the in-context graphs draw from"),
        "IC_WIDTH": Spec(int, {"ci": 64, "full": 128}, lambda v: 4 <= v <= 1024 and v % 4 == 0,
                         "a multiple of 4 in [4, 1024]", help="width of the in-context GPT"),
        "IC_LAYERS": integer({"ci": 2, "full": 4}, 1, 24, "layers of the in-context GPT"),
        "IC_LR": number(3e-3, 0, 1, "learning rate of the in-context GPT", open_lo=True),
        "IC_STEPS": integer({"smoke": 40, "ci": 3000, "full": 20_000}, 10, 10**6, "in-context training steps"),
        "MAMBA_DEGREE": integer({"smoke": 12, "ci": 100, "full": 5000}, 4, 100_000, "arms of the Mamba's graph"),
        "MAMBA_STEPS": integer({"smoke": 20, "ci": 1000, "full": 20_000}, 10, 10**6, "Mamba training steps"),
        "MAMBA_BATCH": integer({"smoke": 64, "ci": 128, "full": 2048}, 1, 65_536, "Mamba batch size"),
        "MAMBA_LR": number({"ci": 3e-2, "full": 5e-4}, 0, 1, "Mamba learning rate", open_lo=True),
        "MAMBA_LAYERS": integer({"ci": 2, "full": 12}, 1, 48, "Mamba layers"),
        "MAMBA_WIDTH": integer({"ci": 128, "full": 384}, 4, 4096, "Mamba width"),
        "MAMBA_D_STATE": integer(16, 1, 256, "Mamba state size"),
        "MAMBA_EXPAND": integer(2, 1, 8, "Mamba expansion factor"),
        "MAMBA_RESIDUAL": Spec(bool, False, help="pre-LN residual blocks instead of the release's Mamba(LN(x))"),
        "MAMBA_BETA2": number(0.95, 0, 1, "AdamW's beta2 for the Mamba", open_hi=True),
    },
    cross_checks=_labels_cover_the_graph,
    size=size,
)


def mamba_training(p: Mapping[str, Any], **changes: Any) -> dict[str, Any]:
    """The Mamba of section 6 (and of ``ARCH = "mamba"``): its model and its optimiser, as
    keyword arguments of :func:`geomem_utils.runs.pathstar.profile_run`."""
    model = dict(n_layers=p["MAMBA_LAYERS"], width=p["MAMBA_WIDTH"], d_state=p["MAMBA_D_STATE"],
                 expand=p["MAMBA_EXPAND"], residual=p["MAMBA_RESIDUAL"])
    return {**dict(arch="mamba", model=model, lr=p["MAMBA_LR"], beta2=p["MAMBA_BETA2"],
                   batch_size=p["MAMBA_BATCH"]), **changes}


def in_context_setting(p: Mapping[str, Any], variant: str, seed: int) -> InContextRun:
    """One in-context run of section 4: an attention-only GPT (``mlp="none"``) at a constant
    learning rate. The forward task trains for the whole budget (v1 keeps being trained after
    the cheat forms); the reverse task stops at :data:`IC_STOP_AT`."""
    return InContextRun(
        variant=variant, degree=p["IC_DEGREE"], path_length=p["IC_PATH_LENGTH"], n_labels=p["IC_LABELS"],
        width=p["IC_WIDTH"], n_layers=p["IC_LAYERS"], n_heads=IC_HEADS, mlp="none", lr=p["IC_LR"],
        steps=p["IC_STEPS"], batch=IC_BATCH, n_train=IC_N_TRAIN, n_test=IC_TEST, seed=seed,
        stop_at=None if variant == "forward" else IC_STOP_AT)


#: The committed sweeps of the token-order test (``sweeps/NAME.toml``): the main run's
#: held-out paths evaluated every 10 steps at 5 seeds, and its positive control in context.
TOKEN_ORDER_SWEEPS = ("token_order", "cascade")


def token_order_tables(p: Mapping[str, Any]) -> tuple[Any, Any]:
    """The token-order test's two tables at ``PROFILE``, read from the committed sweep tables
    (their rows computed by today's code only; the book's build has no time to train five
    seeds evaluated every 10 steps). ``(None, None)`` when either is not committed fresh at
    this profile: the finding is then not tested by this run."""
    from geomem_utils.sweep import grids, tables

    out = []
    for name in TOKEN_ORDER_SWEEPS:
        try:
            sweep = grids.load(name, p["PROFILE"])
        except (KeyError, ValueError):
            return None, None
        t = tables.fresh(tables.committed(sweep))
        if t is None or t.empty:
            return None, None
        out.append(t)
    return out[0], out[1]
