"""Chapter 05, the playground: its parameters (the graph, the widget's first model, each
family's training steps), the initial scales of its sweep and the thresholds of its
machinery checks (:mod:`geomem_utils.chapters.playground_checks` computes most of them)."""

from __future__ import annotations

from typing import Any

from geomem_utils.runs import playground as pg
from geomem_utils.params import ParameterError, Spec, integer
from geomem_utils.chapters import Chapter

#: The initial scales (std of the embeddings at init) of the chapter's sweep.
INIT_STDS = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
#: Thresholds of :func:`~geomem_utils.chapters.playground_checks.playground_checks`.
THRESHOLDS: dict[str, float] = {
    "n2v_alignment_min": 0.9,  # Node2Vec's share on the smooth eigenvectors (0.96-1.00 measured)
    "n2v_margin_min": 0.3,  # ... above a random matrix's
    "latency_max_s": 3.0,  # median retrain + redraw of the default model (target about 1 s)
    "slow_latency_max_s": 8.0,  # the slowest family's
}
#: The retrain time a live control aims at (CPU seconds), recorded in the results file.
LATENCY_TARGET_S = 1.0
#: The init-scale sweep: recovery at every scale, and the alignment lost from the smallest
#: scale to the largest.
SWEEP_TOP_K_MIN = 100.0
SWEEP_ALIGNMENT_DROP_MIN = 0.2


def _steps(model: str, smoke: int) -> Spec:
    d = pg.DEFAULTS[model].steps
    return integer({"smoke": smoke, "ci": d, "full": d}, 1, pg.MAX_STEPS,
                   f"training steps of {pg.MODEL_LABELS[model]}")


def _fits(p: dict[str, Any]) -> None:
    n = 1 + p["DEGREE"] * (p["PATH_LENGTH"] - 1)
    if p["GRAPH"] == "path_star" and n > pg.MAX_NODES:
        raise ParameterError(
            f"parameters DEGREE={p['DEGREE']} and PATH_LENGTH={p['PATH_LENGTH']} give a path-star of "
            f"{n} nodes; the playground takes at most {pg.MAX_NODES}")


def steps_of(p: Any) -> dict[str, int]:
    """Model family -> its training steps, from the ``*_STEPS`` parameters."""
    return {"node2vec": p.NODE2VEC_STEPS, "net": p.NET_STEPS, "assoc": p.ASSOC_STEPS,
            "gpt": p.GPT_STEPS, "mamba": p.MAMBA_STEPS}


def sweep_checks(sweep: list[Any]) -> list[Any]:
    """The init-scale sweep's two machinery checks (``sweep``: runs in :data:`INIT_STDS`
    order): every scale memorises, and the largest loses the smallest's geometry."""
    from geomem_utils.results import check

    return [
        check("init sweep: min top-k recovery over scales (%)", min(r.top_k for r in sweep), ">=",
              SWEEP_TOP_K_MIN, paper="the sweep memorises at every scale (chapter 04 judges the finding)",
              kind="machinery"),
        check("init sweep: alignment at init 0.01 - at init 3", sweep[0].alignment - sweep[-1].alignment,
              ">=", SWEEP_ALIGNMENT_DROP_MIN,
              paper="the sweep shows the init-scale knob (chapter 04 judges the finding)", kind="machinery"),
    ]


CHAPTER = Chapter(
    stem="05_playground",
    title="Retrain a model on a tiny graph and watch its geometry form",
    claim="Every model family memorises the tiny star's edges (100% top-k recovery); Node2Vec's embedding "
          "lies on the smooth eigenvectors of -L; a retrain and redraw takes about a second.",
    paper_ref="§3-§4, tiny-graph figures, top-k recovery and spectra; the authors' release notebooks (tiny models)",
    specs={
        "GRAPH": Spec(str, "star", choices=pg.GRAPHS, help="the graph every model trains on"),
        "DEGREE": integer(4, 1, 40, "arms d of a path_star"),
        "PATH_LENGTH": integer(5, 2, 20, "l of a path_star"),
        "SIZE": integer(6, 3, 14, "nodes of cycle_n, side of grid_n"),
        "MODEL": Spec(str, "node2vec", choices=pg.MODELS, help="the widget's first model"),
        "NODE2VEC_STEPS": _steps("node2vec", 200),
        "NET_STEPS": _steps("net", 20),
        "ASSOC_STEPS": _steps("assoc", 5),
        "GPT_STEPS": _steps("gpt", 20),
        "MAMBA_STEPS": _steps("mamba", 10),
        "LATENCY_REPEATS": integer({"smoke": 1, "ci": 3, "full": 5}, 1, 20, "timed retrains of the default model"),
    },
    cross_checks=_fits,
)

#: Family names short enough for a five-column grid of subplot titles at the book's width.
SHORT_LABELS = {"node2vec": "Node2Vec", "net": "1-layer net", "assoc": "associative",
                "gpt": "Transformer", "mamba": "Mamba"}
