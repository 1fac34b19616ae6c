"""Live widgets: how long one control change of the playground takes (retrain + redraw).

A change of the playground (``geomem_utils.live.controls``, chapter 05) retrains a model on
a tiny graph and draws a fresh plotly figure; the figure is then serialised to the
front end. This times ``widgets.timed_redraw`` for every model family at its defaults
on the tiny star (and the other tiny graphs for the default model), plus the figure's JSON
serialisation, median over repeats. Without the playground module it falls back to the
two pieces it is built from: Node2Vec and a 1-layer network on the tiny star.
"""

from __future__ import annotations

from typing import Any

import torch

from .common import clock, median, spread


def _playground_rows(repeats: int) -> list[dict[str, Any]]:
    from geomem_utils.runs import playground as pg
    from geomem_utils.live import controls

    cases = [("star", m) for m in pg.MODELS] + [(g, "net") for g in ("grid", "cycle", "irregular")]
    rows = []
    for graph, model in cases:
        controls.timed_redraw(graph, model)  # warm-up (first-call costs, imports)
        walls, cpus, train_s, draw_s = [], [], [], []
        for _ in range(repeats):
            with clock() as lap:
                run, fig, _t = controls.timed_redraw(graph, model)
                fig.to_json()  # what the front end receives
            walls.append(lap.wall_s)
            cpus.append(lap.cpu_s)
            train_s.append(run.train_s)
            draw_s.append(lap.wall_s - run.train_s)
        rows.append({"graph": graph, "model": model, "steps": run.settings["steps"],
                     "wall_s": spread(walls), "cpu_s": round(median(cpus), 3),
                     "train_s": round(median(train_s), 3), "figure_s": round(median(draw_s), 3)})
    return rows


def _fallback_rows(repeats: int) -> list[dict[str, Any]]:

    from geomem_utils.science import graphs, tasks
    from geomem_utils.science.models import OneLayerNet, train_node2vec
    from geomem_utils.science.train import TrainConfig, seeded, train

    g = graphs.tiny_graph("star")
    adj = graphs.adjacency(g)
    vocab = tasks.Vocab(g.n_nodes)
    bucket = tasks.edge_bucket(g, vocab)

    def n2v() -> None:
        train_node2vec(adj.toarray(), steps=10_000)

    def net() -> None:
        with seeded(0):
            m = OneLayerNet(vocab.size)
        train(m, [bucket], TrainConfig(steps=500, lr=1e-2, batch_size=None, weight_decay=0.0, progress=False))

    rows = []
    for name, fn in (("node2vec", n2v), ("net", net)):
        fn()
        walls, cpus = [], []
        for _ in range(repeats):
            with clock() as lap:
                fn()
            walls.append(lap.wall_s)
            cpus.append(lap.cpu_s)
        rows.append({"graph": "star", "model": name, "wall_s": spread(walls), "cpu_s": round(median(cpus), 3),
                     "note": "training only (no playground module)"})
    return rows


def widget_latency(repeats: int = 3) -> dict[str, Any]:
    """Seconds per control change, per model family; the goal is at most 1 s."""
    try:
        rows = _playground_rows(repeats)
        source = "geomem_utils.live.controls.timed_redraw + Figure.to_json"
    except ImportError:
        rows = _fallback_rows(repeats)
        source = "fallback: train_node2vec and a 1-layer net via gm.train.train"
    worst = max(r["wall_s"]["median"] for r in rows)
    return {"source": source, "repeats": repeats, "torch_threads": torch.get_num_threads(), "rows": rows,
            "worst_median_wall_s": round(worst, 3), "goal_s": 1.0, "page_node2vec": page_node2vec(repeats)}


_PAGE_DRIVER = r"""
const L = require(process.argv[1]);
const g = L.pathStar(4, 5), T = L.transition(g.n, g.edges, false), out = [];
for (let r = 0; r < +process.argv[2] + 1; r++) {
  const t0 = process.hrtime.bigint();
  new L.Node2VecTrainer({n: g.n, width: 100, T: T, V0: L.randomNormal(g.n * 100, 1, 1), tied: true, lr: 0.01})
    .advance(1000);
  if (r) out.push(Number(process.hrtime.bigint() - t0) / 1e9);  // the first run warms the JIT
}
process.stdout.write(JSON.stringify(out));
"""


def page_node2vec(repeats: int = 3) -> dict[str, Any]:
    """The page's Node2Vec (book/_assets/geomem-live.js, in Node.js) against PyTorch's float32
    ``train_node2vec`` on the tiny star, 1,000 steps, m = 100: seconds (medians) and their ratio.
    Training only; the page's redraw time is measured in the browser (tests/book/test_browser.py)."""
    import json
    import shutil
    import subprocess

    from geomem_utils.science import graphs
    from geomem_utils.live import panels
    from geomem_utils.science.models import train_node2vec

    node = shutil.which("node")
    if node is None:
        return {"skipped": "Node.js is not installed"}
    proc = subprocess.run([node, "-e", _PAGE_DRIVER, str(panels.SCRIPT), str(repeats)], capture_output=True,
                          text=True, check=True)
    page = json.loads(proc.stdout)
    A = graphs.adjacency(graphs.tiny_graph("star")).toarray()
    train_node2vec(A, steps=10, dtype=torch.float32)
    py = []
    for _ in range(repeats):
        with clock() as lap:
            train_node2vec(A, width=100, lr=0.01, steps=1000, dtype=torch.float32)
        py.append(lap.wall_s)
    return {"steps": 1000, "graph": "star", "width": 100, "page_js_s": spread(page), "torch_float32_s": spread(py),
            "ratio_page_over_torch": round(median(page) / median(py), 2)}
