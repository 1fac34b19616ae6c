"""The claim checks of ``01_geometry_emerges``: measured numbers in, :class:`Check` list out.

Introduced in ``01_geometry_emerges`` (spec §2 claim 1, §7). The chapter measures; this
module only turns its numbers into verdicts, so that a test can feed it the numbers of a
frozen-embedding run and see the verdict fail. Four kinds of evidence, each optional:

- **heatmap diagonal**: the permutation p-value of
  :func:`geomem_utils.measures.diagonal_contrast` on the leaf / first-hop cosine-distance
  matrix of held-out paths must be small (the diagonal is closer than a random pairing);
- **1-step navigation**: a leaf's most cosine-similar root neighbour is its own first hop.
  Chance is ``1/d``; the *lift* ``accuracy * d`` says how many times chance it is. Trained
  models must be well above chance, the frozen control near it;
- **top-k edge recovery** of the tiny-graph models: every model memorises its edges;
- **graph correlation** of the tiny-graph embeddings (Spearman correlation between hop
  distance and cosine distance over node pairs): trained models lay the graph out, the
  frozen associative control does not.

The default thresholds were set from runs at several seeds and graph sizes; the chapter's
report lists them. A threshold is an argument, so a reader can tighten it and watch.
"""

from __future__ import annotations

from typing import Mapping

from .results import Check, check

#: Heatmap diagonal: permutation p-value at most this (1,000 permutations: floor ~0.001).
P_MAX = 0.01
#: Trained models: navigation accuracy at least this many times chance (1/d).
LIFT_MIN = 10.0
#: Frozen control: navigation accuracy at most this many times chance. Measured over all
#: d leaves, where chance is one hit in expectation; 6 or more hits has probability < 0.1%.
CONTROL_LIFT_MAX = 5.0
#: Tiny graphs: top-k edge recovery (%) of every model.
TOP_K_MIN = 100.0
#: Tiny graphs: mean graph correlation of a trained model at least this ...
CORR_MIN = 0.3
#: ... and of the frozen (associative) control at most this (its embedding is its random
#: init: over 1,000 seeds the mean over the four tiny graphs was 0.00 +- 0.06, max 0.21).
CONTROL_CORR_MAX = 0.25


def navigation_lift(accuracy: float, n_choices: int) -> float:
    """Navigation accuracy in units of chance: ``accuracy / (1 / n_choices)``."""
    if n_choices < 1:
        raise ValueError(f"n_choices must be >= 1, got {n_choices}")
    return float(accuracy) * n_choices


def geometry_checks(
    *,
    contrast_p: Mapping[str, float] | None = None,
    navigation: Mapping[str, tuple[float, int]] | None = None,
    control_navigation: Mapping[str, tuple[float, int]] | None = None,
    top_k: Mapping[str, float] | None = None,
    graph_correlation: Mapping[str, float] | None = None,
    control_correlation: Mapping[str, float] | None = None,
    p_max: float = P_MAX,
    lift_min: float = LIFT_MIN,
    control_lift_max: float = CONTROL_LIFT_MAX,
    top_k_min: float = TOP_K_MIN,
    corr_min: float = CORR_MIN,
    control_corr_max: float = CONTROL_CORR_MAX,
) -> list[Check]:
    """The chapter's checks, one per measured number.

    ``contrast_p``: label -> permutation p-value of the leaf / first-hop diagonal (trained
    runs). ``navigation``: label -> (accuracy, d) of trained runs; ``control_navigation``:
    the same for frozen-embedding controls. ``top_k``: label -> top-k recovery (%) (the
    minimum over the graphs a model was trained on). ``graph_correlation`` and
    ``control_correlation``: label -> mean Spearman correlation of hop and cosine
    distance, for trained models and for frozen controls. Raises ``ValueError`` when
    nothing is given (a verdict needs evidence).
    """
    out: list[Check] = []
    for label, p in (contrast_p or {}).items():
        out.append(check(f"heatmap diagonal p-value: {label}", p, "<=", p_max,
                         paper="leaf / first-hop heatmap has a low diagonal (§2, Fig. 2)"))
    for label, (acc, d) in (navigation or {}).items():
        out.append(check(f"1-step navigation, x chance: {label}", navigation_lift(acc, d), ">=", lift_min,
                         paper="the l-fold composition becomes a 1-step nearest-neighbour look-up (§2)"))
    for label, (acc, d) in (control_navigation or {}).items():
        out.append(check(f"1-step navigation, x chance: {label}", navigation_lift(acc, d), "<=", control_lift_max,
                         paper="frozen embeddings carry no geometry (§2, associative control)"))
    for label, value in (top_k or {}).items():
        out.append(check(f"top-k edge recovery (%): {label}", value, ">=", top_k_min,
                         paper="every tiny-graph model memorises its edges (§3, release notebooks)"))
    for label, value in (graph_correlation or {}).items():
        out.append(check(f"graph correlation: {label}", value, ">=", corr_min,
                         paper="in tiny graphs the embedding looks like the graph (§2, Fig. 3)"))
    for label, value in (control_correlation or {}).items():
        out.append(check(f"graph correlation: {label}", value, "<=", control_corr_max,
                         paper="a lookup table over frozen embeddings has no shape (§3)"))
    if not out:
        raise ValueError("geometry_checks needs at least one measured number")
    return out
