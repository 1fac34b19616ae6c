"""Chapter 01, geometry emerges: what the chapter is, apart from its science code.

The title, claim and paper reference of ``01_geometry_emerges``; its parameter specs and
the cross-field rule that keeps enough held-out paths for the claim checks; and the
settings tables its cells read: the tiny models' step counts and one-layer-network
settings (the authors' release notebooks), the path-star objectives, the Mamba knobs of
the ``ARCH="mamba"`` runs, the two models of the Transformer-versus-Mamba path-star and the
UMAP settings. The check thresholds live in :mod:`geomem_utils.chapters.geometry_checks`.
"""

from __future__ import annotations

from typing import Any, Mapping

from geomem_utils.params import ParameterError, Spec, integer, number
from geomem_utils.chapters import Chapter

#: The heatmap's permutation test needs enough held-out paths to mean anything.
MIN_HELD_OUT = 8

#: Training steps of the tiny Transformer and Mamba per graph (the release's).
RELEASE_STEPS = {"star": 500, "grid": 500, "cycle": 700, "irregular": 2500}

#: (width, lr, steps, schedule) of the release's one-layer network per graph. The cycle
#: runs 1000 steps instead of the release's 10,000, to fit the budget.
NET_SETTINGS = {
    "star": (32, 1e-2, 500, "cosine"),
    "grid": (32, 1e-2, 500, "cosine"),
    "cycle": (512, 1e-2, 1000, "constant"),
    "irregular": (16, 5e-3, 2500, "cosine"),
}

#: The three path-star objectives (the frozen control is ``edges_and_paths`` frozen).
OBJECTIVES = ("edges_and_paths", "edges_and_hardest", "edges_only")

#: Mamba's own knobs when ``ARCH="mamba"`` replaces the shared Transformer runs.
MAMBA_KNOBS = {"d_state": 16, "expand": 2}

#: The two one-layer models of part 5 (width 64, full batch, lr 1e-2, edges only).
DUEL_MODELS = {
    "gpt": {"n_layers": 1, "width": 64, "n_heads": 4},
    "mamba": {"n_layers": 1, "width": 64, "d_state": 16, "expand": 2},
}
DUEL_LR = 1e-2

#: UMAP of part 2 (an illustration; nothing is asserted on its coordinates).
UMAP_SETTINGS = {"n_neighbors": 15, "min_dist": 0.1, "metric": "cosine", "n_jobs": 1}
UMAP_RUNS = ("edges_and_paths", "edges_only", "frozen")
#: Held-out arms drawn in colour: in the UMAP, and in the slider of part 4.
UMAP_ARMS = 10
SLIDER_ARMS = 8


def _enough_held_out(p: dict[str, Any]) -> None:
    if p["PROFILE"] == "smoke":
        return
    for name in ("DEGREE", "MAMBA_DEGREE"):
        n_test = round(0.25 * p[name])
        if n_test < MIN_HELD_OUT:
            raise ParameterError(
                f"parameter {name}={p[name]} holds out {n_test} paths; the claim checks need "
                f"at least {MIN_HELD_OUT} (use {name} >= {4 * MIN_HELD_OUT})")


def size(p: Mapping[str, Any]) -> str:
    """What this chapter's verdicts are measured at, in words."""
    from geomem_utils.runs.pathstar_config import describe, profile_run

    main = describe(profile_run(p["PROFILE"], degree=p["DEGREE"], path_length=p["PATH_LENGTH"]))
    return (f"{main}; edges-only Transformer and Mamba on G({p['MAMBA_DEGREE']}, {p['PATH_LENGTH']}), "
            f"{p['MAMBA_STEPS']:,} steps; tiny graphs of 15-17 nodes ({p['PROFILE']} profile)")


CHAPTER = Chapter(
    stem="01_geometry_emerges",
    title="Memorise the edges, get a map: geometry emerges from local supervision",
    claim="Models trained on local facts (edges) lay their embeddings out like the graph: "
          "same-arm leaves and first hops are close although they never co-occur, 1-step "
          "navigation is far above chance, even with edges only; a model that memorises the "
          "same edges associatively shows no geometry.",
    paper_ref="§2 (claim 1), Figs. 2-3",
    specs={
        "DEGREE": integer({"smoke": 20, "ci": 100, "full": 5000}, 2, 100_000,
                          "arms of the shared path-star G(d, l)"),
        "PATH_LENGTH": integer({"ci": 5, "full": 5}, 3, 16, "nodes per arm, counting the root"),
        "ARCH": Spec(str, "gpt", choices=("gpt", "mamba"),
                     help="architecture of the four path-star runs (gpt: shared with 03)"),
        "TINY_WIDTH": integer(32, 2, 1024, "width of the tiny Transformer and Mamba"),
        "TINY_LR": number(1e-2, 0, 1, "learning rate of the tiny Transformer and Mamba",
                          open_lo=True),
        "TINY_STEP_FACTOR": number({"smoke": 0.04, "ci": 1.0, "full": 1.0}, 0, 100,
                                   "the release's tiny-model step counts times this",
                                   open_lo=True),
        "N2V_STEPS": integer({"smoke": 300, "ci": 10_000, "full": 10_000}, 1, 10**6,
                             "Node2Vec steps on each tiny graph"),
        "MAMBA_DEGREE": integer({"smoke": 12, "ci": 40, "full": 500}, 2, 100_000,
                                "arms of part 5's Transformer-versus-Mamba path-star"),
        "MAMBA_STEPS": integer({"smoke": 10, "ci": 200, "full": 2000}, 1, 10**6,
                               "training steps of part 5's two models"),
    },
    cross_checks=_enough_held_out,
    size=size,
)
