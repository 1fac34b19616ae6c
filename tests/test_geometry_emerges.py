"""Tests of geomem_utils.verdicts_geometry (chapter 01's claim checks).

The key test trains a small path-star model on edges only, twice: once with trainable
embeddings and once with them frozen. The same check function must pass the first and
fail the second, so the chapter's verdict can fail on a model without geometry.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from geomem_utils import experiments, measures
from geomem_utils.verdicts_geometry import (
    CONTROL_LIFT_MAX,
    LIFT_MIN,
    P_MAX,
    geometry_checks,
    navigation_lift,
)


pytestmark = pytest.mark.usefixtures("one_thread")  # small models: one thread is fastest


def by_name(checks):
    return {c.name: c for c in checks}


def test_navigation_lift_is_accuracy_over_chance():
    assert navigation_lift(0.5, 100) == pytest.approx(50.0)
    assert navigation_lift(1 / 40, 40) == pytest.approx(1.0)
    with pytest.raises(ValueError, match=r"n_choices must be >= 1, got 0"):
        navigation_lift(0.5, 0)


def test_each_kind_of_evidence_gives_one_check_with_its_direction():
    checks = by_name(geometry_checks(
        contrast_p={"a": 0.001},
        navigation={"a": (0.4, 100)},
        control_navigation={"frozen": (0.01, 100)},
        top_k={"net": 100.0},
        graph_correlation={"gpt": 0.6},
        control_correlation={"assoc": 0.0},
    ))
    assert len(checks) == 6 and all(c.passed for c in checks.values())
    assert checks["heatmap diagonal p-value: a"].op == "<="
    assert checks["1-step navigation, x chance: a"].value == pytest.approx(40.0)
    assert checks["1-step navigation, x chance: frozen"].op == "<="


@pytest.mark.parametrize("kw, name", [
    (dict(contrast_p={"a": 0.2}), "heatmap diagonal p-value: a"),
    (dict(navigation={"a": (0.05, 100)}), "1-step navigation, x chance: a"),
    (dict(control_navigation={"frozen": (0.3, 100)}), "1-step navigation, x chance: frozen"),
    (dict(top_k={"assoc": 98.5}), "top-k edge recovery (%): assoc"),
    (dict(graph_correlation={"gpt": 0.1}), "graph correlation: gpt"),
    (dict(control_correlation={"assoc": 0.5}), "graph correlation: assoc"),
    (dict(contrast_p={"a": float("nan")}), "heatmap diagonal p-value: a"),
])
def test_each_check_can_fail(kw, name):
    checks = by_name(geometry_checks(**kw))
    assert not checks[name].passed


def test_thresholds_are_arguments():
    assert geometry_checks(contrast_p={"a": 0.02})[0].passed is False
    assert geometry_checks(contrast_p={"a": 0.02}, p_max=0.05)[0].passed is True


def test_no_evidence_is_an_error():
    with pytest.raises(ValueError, match="needs at least one measured number"):
        geometry_checks()


def _measure(cfg):
    """The chapter's path-star numbers of one run: p-value, held-out and all-leaves navigation."""
    rec = experiments.run_path_star(cfg, progress=False, use_cache=False)
    g = cfg.graph()
    emb = rec["embedding"].numpy()
    test_ids = rec["test_ids"].numpy()
    p = measures.diagonal_contrast(measures.leaf_first_hop_distances(emb, g, test_ids), seed=0)["p_value"]
    nav_all = measures.navigation_accuracy(emb, g, np.arange(len(g.paths)))
    return p, rec["final"]["navigation"], nav_all


def test_verdict_passes_a_trained_run_and_fails_a_frozen_one():
    d = 32
    cfg = experiments.PathStarRun(
        degree=d, path_length=4, objective="edges_only", arch="gpt",
        model=(("n_heads", 2), ("n_layers", 1), ("width", 32)), steps=120, lr=1e-2, batch_size=None,
        warmup_steps=10, eval_every=120, seed=0)
    frozen = cfg.with_model(freeze_embeddings=True)

    p, nav, _ = _measure(cfg)
    trained = geometry_checks(contrast_p={"run": p}, navigation={"run": (nav, d)})
    assert all(c.passed for c in trained), trained

    p, nav, nav_all = _measure(frozen)
    # The frozen run's numbers, judged as if it were a trained run: the verdict must fail.
    as_trained = by_name(geometry_checks(contrast_p={"run": p}, navigation={"run": (nav, d)}))
    assert not as_trained["heatmap diagonal p-value: run"].passed
    assert not as_trained["1-step navigation, x chance: run"].passed
    assert p > P_MAX and navigation_lift(nav, d) < LIFT_MIN
    # ... and judged as the control it is, it passes.
    control = geometry_checks(control_navigation={"frozen": (nav_all, d)})
    assert control[0].passed and navigation_lift(nav_all, d) <= CONTROL_LIFT_MAX
