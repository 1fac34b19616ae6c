"""The playground's static grid: the runs the published page steps through with no kernel.

Introduced in ``05_playground``. :func:`static_grid` trains every graph x model x edges x
initial scale of the grid below with :func:`~geomem_utils.runs.playground.train_embedding` and
keeps what the page draws of each (``live.playground_panel`` turns it into a panel);
:func:`static_grid_cached` runs it through the run cache at the book's settings.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from geomem_utils.science import spectral as _spectral
from geomem_utils.runs.playground import (
    DEFAULTS, GRAPH_LABELS, GRAPHS, MODEL_LABELS, MODELS, PlaygroundRun, make_graph,
    train_embedding,
)
from geomem_utils.figures.plots import pca_2d_unit
from geomem_utils.validate import ConfigError, show

#: The grid the published book precomputes (05_playground): its graphs (the four tiny graphs
#: and a small path-star), the initial scales, and each family's training steps in the grid
#: (shorter than the defaults where the family memorises sooner: the grid must build in
#: seconds; every view states its settings).
GRID_GRAPHS = ("star", "grid", "cycle", "irregular", "path_star")
GRID_PATH_STAR = (3, 4)
GRID_SCALES = (0.02, 0.2, 1.0)
GRID_STEPS = {"node2vec": 2000, "net": 100, "assoc": 20, "gpt": 64, "mamba": 32}
GRID_LR = {"node2vec": 0.05}
GRID_SNAPSHOTS = 8
#: Recovery measured at about twice this many steps of a grid run (a run's default: 25).
GRID_CURVE = 6


def _grid_view(run: PlaygroundRun) -> dict[str, Any]:
    """What the page draws of one run: per snapshot the top-2 PCs and the normalised
    projections, the alignment; the recovery curve and a log-sampled loss curve."""
    from geomem_utils.live.panels import rounded

    steps = sorted(run.snapshots)
    snaps = [run.snapshots[s] for s in steps]
    loss_x = np.unique(np.round(np.geomspace(1, max(1, len(run.losses)), 60)).astype(int))
    return {
        "settings": dict(run.settings, graph_key=run.settings["graph"]),
        "steps": [int(s) for s in steps],
        "pcs": [rounded(pca_2d_unit(e).T, 3) for e in snaps],
        "prof": [rounded(_spectral.normalised_profile(_spectral.projection_profile(e, run.spectrum)), 3)
                 for e in snaps],
        "align": [round(_spectral.energy_shares(e, run.spectrum)["smooth"], 4) for e in snaps],
        "curve": [[int(s) for s in run.curve[0]], rounded(list(run.curve[1]), 4)],
        "loss": [loss_x.tolist(), rounded(run.losses[loss_x - 1], 4)],
        "top_k": round(run.top_k, 2), "alignment": round(run.alignment, 4),
    }


def static_grid(graphs: tuple[str, ...] = GRID_GRAPHS, models: tuple[str, ...] = MODELS,
                scales: tuple[float, ...] = GRID_SCALES, steps: dict[str, int] | None = None,
                n_snapshots: int = GRID_SNAPSHOTS, seed: int = 0, device: str = "cpu",
                path_star: tuple[int, int] = GRID_PATH_STAR) -> dict[str, Any]:
    """Train every graph x model x edges (u->v; u->v and u->u) x initial scale, and keep what
    the page draws of each at ``n_snapshots`` log-spaced steps (``live.playground_panel``).

    ``steps`` maps a family to its training steps (default :data:`GRID_STEPS`); the other
    settings are the family's :data:`DEFAULTS` (Node2Vec: lr :data:`GRID_LR`, since it runs
    fewer steps). JSON-able, so the run cache can keep it.
    """
    steps = {**GRID_STEPS, **(steps or {})}
    bad = [g for g in graphs if g not in GRAPHS] + [m for m in models if m not in MODELS]
    if bad:
        raise ConfigError(f"static_grid: unknown graphs or models {bad}")
    if not scales or any(not (isinstance(s, (int, float)) and s > 0) for s in scales):
        raise ConfigError(f"static_grid: scales must be positive numbers, got {show(scales)}")
    from geomem_utils.live.panels import graph_data

    made = {name: make_graph(name, *path_star) for name in graphs}
    out: dict[str, Any] = {
        "graphs": {}, "graph_order": [made[k].name for k in graphs],
        "models": [[m, MODEL_LABELS[m]] for m in models], "model_labels": dict(MODEL_LABELS),
        "scales": [float(s) for s in scales], "runs": {},
        "defaults": {"graph": made[graphs[0]].name, "model": models[0], "self_edges": False,
                     "scale_index": int(np.argmin([abs(math.log(s / DEFAULTS[models[0]].init_std)) for s in scales]))},
    }
    for name, g in made.items():
        out["graphs"][g.name] = graph_data(g, GRAPH_LABELS[name] if name != "path_star" else f"path-star {g.name}",
                                           with_spectrum=True)
        for model in models:
            for self_edges in (False, True):
                for k, scale in enumerate(scales):
                    run = train_embedding(g, model, self_edges=self_edges, init_std=float(scale),
                                          lr=GRID_LR.get(model), steps=steps[model], seed=seed,
                                          n_snapshots=n_snapshots, device=device, curve_count=GRID_CURVE)
                    out["runs"][f"{g.name}|{model}|{int(self_edges)}|{k}"] = _grid_view(run)
    return out


def static_grid_cached(graphs: tuple[str, ...] = GRID_GRAPHS, seed: int = 0, device: str = "cpu") -> dict[str, Any]:
    """:func:`static_grid` at the book's settings, through the run cache (``run_cache.cached``)."""
    from geomem_utils.runs.cache import cached

    config = {"what": "playground static grid", "graphs": list(graphs),
              "models": list(MODELS), "scales": list(GRID_SCALES), "steps": GRID_STEPS, "lr": GRID_LR,
              "defaults": {m: vars(d) for m, d in DEFAULTS.items()}, "snapshots": GRID_SNAPSHOTS, "curve": GRID_CURVE,
              "path_star": list(GRID_PATH_STAR), "seed": seed, "device": device}
    return cached(config, lambda: static_grid(graphs, seed=seed, device=device), name="playground-grid", device=device)
