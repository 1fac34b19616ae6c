"""Unit tests of the playground (chapter 05_playground): geomem_utils/runs/playground.py, playground_figures.py,
its widget in widgets.py and its checks in chapters/playground_checks.py."""

from __future__ import annotations

import numpy as np
import pytest
import golden  # tests/support: the approved words of the chapter's records

from geomem_utils.science import graphs
from geomem_utils.runs import playground as pg
from geomem_utils.figures import playground as playground_figures, plots
from geomem_utils import results
from geomem_utils.live import controls as widgets
from geomem_utils.chapters import playground_checks
from geomem_utils.validate import ConfigError, ConfigTypeError


# ---------------------------------------------------------------------------- graphs

def test_sized_families_contain_the_tiny_graphs() -> None:
    assert np.array_equal(pg.make_graph("cycle_n", size=15).edges, graphs.tiny_graph("cycle").edges)
    assert {tuple(e) for e in pg.make_graph("grid_n", size=4).edges.tolist()} == \
        {tuple(e) for e in graphs.tiny_graph("grid").edges.tolist()}
    assert np.array_equal(pg.make_graph("path_star", 4, 5).edges, graphs.tiny_graph("star").edges)
    g = pg.make_graph("path_star", 3, 6)
    assert (g.n_nodes, g.n_edges) == (16, 15)
    assert plots.graph_layout(pg.make_graph("grid_n", size=5)).shape == (25, 2)


@pytest.mark.parametrize("kwargs,err", [
    (dict(name="tree"), ConfigError),
    (dict(name=3), ConfigError),
    (dict(name="cycle_n", size=2), ConfigError),
    (dict(name="grid_n", size=20), ConfigError),
    (dict(name="path_star", degree=50, path_length=9), ConfigError),
    (dict(name="path_star", degree=2.5), ConfigTypeError),
])
def test_make_graph_rejects_bad_inputs(kwargs, err) -> None:
    named = {"name": "graph", "degree": "degree", "path_length": "path-star G", "size": "size"}[list(kwargs)[-1]]
    with pytest.raises(err, match=rf"^({named})\b"):  # the error names the parameter first
        pg.make_graph(**kwargs)


# ---------------------------------------------------------------------------- runs

def test_node2vec_default_run_memorises_and_aligns() -> None:
    run = pg.train_embedding("star", "node2vec", seed=3)
    assert run.embedding.shape == (17, 100) and run.logits.shape == (17, 17)
    assert run.top_k == 100.0 and run.alignment > 0.9 and run.alignment - run.random_alignment > 0.3
    assert run.zigzag < 0.05
    assert run.curve[0][-1] == 10_000 and run.steps_to() is not None
    assert np.isneginf(np.diag(run.logits)).all()  # the self logit is left out without self-edges
    assert run.extra["top_k_with_self_logit"] < 100.0
    assert len(run.losses) == 10_000 and run.losses[-1] < run.losses[0]


@pytest.mark.parametrize("model", ["net", "assoc", "gpt", "mamba"])
def test_sequence_models_run_and_report(model: str) -> None:
    calls = []
    run = pg.train_embedding("cycle", model, steps=4, width=8, seed=1, progress=lambda d, t: calls.append((d, t)),
                             n_snapshots=3)
    assert run.embedding.shape == (15, 8) and run.logits.shape == (15, 15)
    assert 0 <= run.top_k <= 100 and 0 <= run.alignment <= 1 and 0 <= run.zigzag <= 1
    assert run.curve[0] == [1, 2, 3, 4] and len(run.curve[1]) == 4
    assert calls[0] == (0, 4) and calls[-1] == (4, 4)
    assert 0 in run.snapshots and run.snapshots[0].shape == (15, 8)
    assert run.settings["model"] == model and run.settings["steps"] == 4


def test_associative_default_memorises_in_a_step_without_geometry() -> None:
    run = pg.train_embedding("star", "assoc")
    assert run.top_k == 100.0 and run.steps_to() <= 3
    assert abs(run.alignment - run.random_alignment) < 0.1


def test_untied_and_self_edges() -> None:
    run = pg.train_embedding("star", "node2vec", tied=False, self_edges=True, steps=50)
    assert np.isfinite(np.diag(run.logits)).all() and run.curve[0] == [50]
    run = pg.train_embedding("star", "net", tied=False, self_edges=True, steps=3)
    assert run.settings["tied"] is False and run.settings["self_edges"] is True


def test_same_seed_same_run() -> None:
    a = pg.train_embedding("grid", "net", steps=5, seed=2)
    b = pg.train_embedding("grid", "net", steps=5, seed=2)
    assert np.array_equal(a.embedding, b.embedding)


@pytest.mark.parametrize("kwargs,err", [
    (dict(model="lstm"), ConfigError),
    (dict(lr=0.0), ConfigError),
    (dict(lr=float("nan")), ConfigError),
    (dict(lr="fast"), ConfigTypeError),
    (dict(init_std=-1.0), ConfigError),
    (dict(steps=0), ConfigError),
    (dict(steps=10**9), ConfigError),
    (dict(steps=2.0), ConfigTypeError),
    (dict(width=0), ConfigError),
    (dict(tied=1), ConfigTypeError),
    (dict(self_edges="no"), ConfigTypeError),
    (dict(seed=-1), ConfigError),
    (dict(graph="petersen"), ConfigError),
    (dict(graph=graphs.path_star(60, 5, seed=None)), ConfigError),
    (dict(device="tpu"), ConfigError),
])
def test_train_embedding_rejects_bad_inputs(kwargs, err) -> None:
    with pytest.raises(err, match=rf"^{list(kwargs)[0]}\b"):  # the error names the parameter first
        pg.train_embedding(**{"graph": "star", "model": "net", "steps": 2, **kwargs})


# ---------------------------------------------------------------------------- figures

def test_playground_figure_has_its_panels() -> None:
    run = pg.train_embedding("irregular", "net", steps=3)
    fig = playground_figures.playground_figure(run)
    assert len(fig.data) == 8  # graph (2), embedding (2), spectrum + projections, recovery, loss
    kinds = [type(t).__name__ for t in fig.data]
    assert kinds.count("Bar") == 2 and kinds.count("Scatter") == 6
    assert len(fig.data[4].y) == run.spectrum.n - 1
    with pytest.raises(ValueError, match="node embeddings"):
        playground_figures.playground_figure(run, graph=graphs.tiny_graph("star"))


def test_pca_is_scaled_and_signed() -> None:
    rng = np.random.default_rng(0)
    xy = plots.pca_2d_unit(rng.normal(size=(12, 5)) * 50)
    assert xy.shape == (12, 2) and np.isclose(np.abs(xy).max(), 1.0)
    assert (xy[np.argmax(np.abs(xy), axis=0), [0, 1]] > 0).all()


def test_sweep_figure_has_one_frame_per_run() -> None:
    runs = [pg.train_embedding("star", "net", steps=2, init_std=s) for s in (0.01, 1.0)]
    fig = playground_figures.sweep_figure(runs, ["0.01", "1"], "sweep", prefix="init ")
    assert len(fig.frames) == 2 and fig.layout.sliders[0].steps[1].label == "1"
    with pytest.raises(ValueError):
        playground_figures.sweep_figure(runs, ["only one"], "sweep")


# ---------------------------------------------------------------------------- widgets

def test_widgets_build_without_a_kernel_and_retrain_on_change() -> None:
    ui = widgets.build_widgets(graph="star", model="assoc")
    ctl = ui.playground
    assert set(ctl.controls) >= {"graph", "model", "tied", "self_edges", "lr", "init_std", "steps", "width", "seed"}
    assert ctl.last_run is None  # nothing trains while building
    assert ctl.controls["degree"].disabled and ctl.controls["size"].disabled
    ctl.controls["steps"].value = 5  # a control change retrains
    assert ctl.last_run is not None and ctl.last_run.settings["steps"] == 5
    assert ctl.bar.value == ctl.bar.max == 5
    ctl.controls["model"].value = "net"  # resets the family's defaults, then trains once
    assert ctl.controls["lr"].value == pytest.approx(pg.DEFAULTS["net"].lr)
    assert ctl.last_run.model == "net" and ctl.last_run.settings["steps"] == pg.DEFAULTS["net"].steps
    ctl.quiet = True
    ctl.controls["graph"].value = "path_star"
    assert not ctl.controls["degree"].disabled and ctl.controls["size"].disabled


def test_build_widgets_rejects_bad_inputs() -> None:
    with pytest.raises(ConfigError, match=r"^model must be one of .*got 'rnn'"):
        widgets.build_widgets(model="rnn")
    with pytest.raises(ConfigError, match=r"^size must be in \[3, 200\], got 1"):
        widgets.build_widgets(graph="cycle_n", size=1)


# ---------------------------------------------------------------------------- the claim check can fail

def _runs(**kw):
    return {m: pg.train_embedding("star", m, **kw) for m in pg.MODELS}


def test_playground_checks_pass_on_good_numbers_and_fail_on_bad(tmp_path) -> None:
    good = {m: pg.train_embedding("star", m, steps=s) for m, s in
            {"node2vec": 2000, "net": 200, "assoc": 10, "gpt": 200, "mamba": 100}.items()}
    fast = {m: 0.5 for m in pg.MODELS}
    assert all(c.passed for c in playground_checks.playground_checks(good, fast, 0.5))
    golden.check("05_playground", checks=playground_checks.playground_checks(good, fast, 0.5), digits=4)
    assert {c.kind for c in playground_checks.playground_checks(good, fast, 0.5)} == {"machinery"}  # never evidence
    # Undertrained runs: recovery below 100% and no alignment yet.
    bad = _runs(steps=1)
    checks = playground_checks.playground_checks(bad, fast, 0.5)
    failed = {c.name for c in checks if not c.passed}
    assert "Node2Vec spectral alignment (energy share on the smooth eigenvectors)" in failed
    assert any("top-k" in name for name in failed)
    # A slow retrain fails the latency checks.
    slow = playground_checks.playground_checks(good, {m: 9.0 for m in pg.MODELS}, 4.0)
    assert {c.name for c in slow if not c.passed} == {"retrain + redraw of the default model, median (CPU s)",
                                                      "retrain + redraw, slowest family (CPU s)"}
    with pytest.raises(results.ClaimCheckFailed, match=r"05_playground: claim check failed \(.*Node2Vec spectral"):
        results.finish("05_playground", title="t", claim="c", paper_ref="p", checks=checks,
                       params={"PROFILE": "ci", "RESULTS_DIR": str(tmp_path)}, started=0.0)
    with pytest.raises(ValueError, match="missing"):
        playground_checks.playground_checks({"net": good["net"]}, fast, 0.5)


def test_widget_reports_a_graph_too_large_instead_of_raising() -> None:
    ui = widgets.build_widgets(graph="path_star", model="assoc", degree=40, path_length=2)
    ctl = ui.playground
    ctl.controls["path_length"].value = 20  # 1 + 40 * 19 nodes: refused, shown in the status line
    assert ctl.last_run is None and "cannot train" in ctl.status.value
