"""The checks of ``05_playground``, as functions of measured numbers.

Introduced in ``05_playground`` (and tested in ``tests/chapters/test_playground.py`` with
undertrained runs and slow retrains, which must fail). Every check is of kind
``"machinery"``: the playground works as the book says; the findings themselves are judged
in chapters 01-04.
"""

from __future__ import annotations

from typing import Any

from geomem_utils.runs.playground import MODEL_LABELS, MODELS, PlaygroundRun


def playground_checks(runs: dict[str, PlaygroundRun], latency_s: dict[str, float], default_latency_s: float, *,
                      n2v_alignment_min: float = 0.9, n2v_margin_min: float = 0.3, latency_max_s: float = 3.0,
                      slow_latency_max_s: float = 8.0) -> list[Any]:
    """The checks of ``05_playground`` from measured numbers: all of kind ``"machinery"`` (the
    playground works as the book says; the findings themselves are judged in chapters 01-04).

    ``runs``: model -> its default run on the chapter's graph; ``latency_s``: model ->
    retrain-and-redraw seconds; ``default_latency_s``: the widget's first model's (a
    median of repeats). Every family must reach 100% top-k recovery, Node2Vec must align
    with the smooth eigenvectors (and beat a random matrix by ``n2v_margin_min``), and a
    retrain must stay interactive.
    """
    from geomem_utils.results import check

    missing = [m for m in MODELS if m not in runs or m not in latency_s]
    if missing:
        raise ValueError(f"playground_checks needs a run and a latency for every model; missing {missing}")
    checks = [check(f"{MODEL_LABELS[m]}: top-k edge recovery (%)", runs[m].top_k, ">=", 100.0,
                    paper="the playground's defaults train every family to memorise its edges", kind="machinery")
              for m in MODELS]
    n2v = runs["node2vec"]
    checks += [
        check("Node2Vec spectral alignment (energy share on the smooth eigenvectors)", n2v.alignment, ">=",
              n2v_alignment_min, paper="the playground's defaults show chapter 02's result (the finding is "
                                       "judged there)", kind="machinery"),
        check("Node2Vec alignment - a random matrix's", n2v.alignment - n2v.random_alignment, ">=", n2v_margin_min,
              paper="the playground's Node2Vec is far from a structureless matrix", kind="machinery"),
        check("retrain + redraw of the default model, median (CPU s)", default_latency_s, "<=", latency_max_s,
              paper="the widget stays interactive (target about 1 s)", kind="machinery"),
        check("retrain + redraw, slowest family (CPU s)", max(latency_s.values()), "<=", slow_latency_max_s,
              paper="the Transformer and Mamba stay within seconds at their defaults", kind="machinery"),
    ]
    return checks
