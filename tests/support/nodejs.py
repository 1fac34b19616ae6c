"""Node.js for the tests that run the page's script (book/_assets/geomem-live.js) outside a browser."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest


def node() -> str:
    """The ``node`` binary; a failure (not a skip) when it is missing: the book's build needs it too."""
    path = shutil.which("node")
    if path is None:
        pytest.fail("Node.js is missing: the book's build needs it (npm) and so does this test "
                    "(apt-get install -y nodejs npm)")
    return path


def run_page(driver: str, query: dict[str, Any], script: Path | None = None) -> dict[str, Any]:
    """Run ``driver`` (JavaScript reading ``query`` as JSON on stdin, the page's script as
    ``process.argv[1]``) in Node.js; its JSON output. ``script``: another copy of the page's
    script (a planted bug), default the book's."""
    from geomem_utils.live import panels

    proc = subprocess.run([node(), "-e", driver, str(script or panels.SCRIPT)], input=json.dumps(query),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def planted(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of the page's script with ``old`` (which must occur exactly once) replaced by ``new``."""
    from geomem_utils.live import panels

    text = panels.SCRIPT.read_text()
    assert text.count(old) == 1, f"the plant's target occurs {text.count(old)} times: {old!r}"
    out = tmp_path / f"geomem-live-planted-{hashlib.sha1((old + new).encode()).hexdigest()[:10]}.js"
    out.write_text(text.replace(old, new))
    return out


def book_run(case: tuple, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, dict]:
    """The book's run (``runs.edge.edge_run``, seed 1) of ``case`` = (tiny graph, arch, steps, lr,
    width, model keywords, edge_run keywords), with the model's initial weights (``kept["init"]``,
    by state-dict name) and, with dropout, the masks PyTorch drew at every step (``kept["masks"]``)."""
    import torch

    from geomem_utils.runs import edge
    from geomem_utils.science import graphs

    name, arch, steps, lr, width, model_kw, run_kw = case
    kept: dict = {"masks": []}
    build = edge.build_model

    def watched(*args, **kwargs):
        model = build(*args, **kwargs)
        kept["init"] = {k: v.detach().clone() for k, v in model.state_dict().items()}
        if model_kw.get("dropout"):  # the units PyTorch kept, per step: (pairs, width) at u's position
            model.drop.register_forward_hook(lambda mod, inp, out: kept["masks"].append(
                (out[:, -1, :] != 0).to(torch.uint8).flatten().tolist()) if mod.training else None)
        return model

    monkeypatch.setattr(edge, "build_model", watched)
    with torch.random.fork_rng():
        run = edge.edge_run(graphs.tiny_graph(name), arch, steps, lr, seed=1, width=width, **model_kw, **run_kw)
    return run, kept


# Trains one of the page's sequence-model trainers from the initial weights on stdin; prints
# its losses, E and the measures the panel draws (top-k recovery, alignment).
_TRAIN = r"""
const L = require(process.argv[1]);
let buf = "";
process.stdin.on("data", d => { buf += d; });
process.stdin.on("end", () => {
  const t = JSON.parse(buf);
  const tr = new L.TRAINER({n: t.n, width: t.width, pairs: L.edgePairs(t.n, t.edges, t.self_edges),
    init: t.init, tied: t.tied, lr: t.lr, steps: t.steps, schedule: "cosine", weightDecay: t.weight_decay,
    gradClip: 1.0});
  tr.advance(t.steps);
  const spec = L.graphSpectrum(t.n, t.edges);
  process.stdout.write(JSON.stringify({losses: tr.losses, E: Array.from(tr.E),
    top_k: L.topKRecovery(tr.edgeLogits(), t.n, t.edges, t.self_edges),
    alignment: L.alignment(tr.E.subarray(0, t.n * t.width), t.n, t.width, spec)}));
});
"""

# Central differences of a trainer's loss on a few entries of every tensor, against its
# gradient, from weights that are not the init (LayerNorm gains away from 1).
_FD = r"""
const L = require(process.argv[1]);
let buf = "";
process.stdin.on("data", d => { buf += d; });
process.stdin.on("end", () => {
  const t = JSON.parse(buf), V = t.n + L.N_SPECIALS, init = {};
  L.SHAPES(V, t.width, t.tied).forEach((s, k) => {
    const z = L.randomNormal(s[1] * (s[2] || 1), 0.5, 7 + k);
    init[s[0]] = GAINS.test(s[0]) ? z.map(x => 1 + x) : z;
  });
  const tr = new L.TRAINER({n: t.n, width: t.width, pairs: L.edgePairs(t.n, t.edges, true), init,
    tied: t.tied, lr: 1e-2, steps: 10});
  const rows = [];
  for (const q of tr.params) {
    for (let r = 0; r < 5; r++) {
      const i = (r * 7919 + 3) % q.w.length, w0 = q.w[i];
      tr.gradients();
      const an = q.g[i];
      q.w[i] = w0 + t.h; const up = q.w[i] - w0, lp = tr.gradients();
      q.w[i] = w0 - t.h; const dn = w0 - q.w[i], lm = tr.gradients();
      q.w[i] = w0;
      rows.push([q.name, i, an, (lp - lm) / (up + dn)]);
    }
  }
  process.stdout.write(JSON.stringify(rows));
});
"""


def train_driver(trainer: str) -> str:
    """The driver that trains the page's ``trainer`` (e.g. ``"MambaTrainer"``) for :func:`run_page`."""
    return _TRAIN.replace("TRAINER", trainer)


def gradient_driver(trainer: str, shapes: str, gains: str) -> str:
    """The driver that checks ``trainer``'s gradients by central differences: ``shapes`` names
    the page's function listing its tensors, ``gains`` a JS regex of the LayerNorm gains."""
    return _FD.replace("TRAINER", trainer).replace("SHAPES", shapes).replace("GAINS", gains)


def case_query(graph: str, steps: int, lr: float, width: int, model_kw: dict, run_kw: dict,
               init: dict[str, Any]) -> dict[str, Any]:
    """What :func:`train_driver`'s driver reads: a case (tiny graph, steps, lr, width, model and
    edge_run keywords) with the book's initial weights ``init`` (state-dict name -> tensor)."""
    from geomem_utils.science import graphs

    g = graphs.tiny_graph(graph)
    return dict(n=g.n_nodes, width=width, edges=g.edges.tolist(), self_edges=run_kw.get("self_edges", False),
                tied=model_kw.get("tied", True), lr=lr, steps=steps, weight_decay=run_kw.get("weight_decay", 0.0),
                init={k: v.flatten().tolist() for k, v in init.items()})


def page_gaps(run: Any, out: dict[str, Any], self_edges: bool) -> dict[str, float]:
    """Page vs PyTorch: the largest relative loss gap over the steps, the embedding's relative
    gap, the absolute gaps of alignment and top-k recovery (points of %)."""
    import numpy as np

    from geomem_utils.science import spectral
    from geomem_utils.science.measures import edge_logits, top_k_recovery

    g = run.graph
    loss_py, loss_js = np.asarray(run.result.losses), np.asarray(out["losses"])
    E_py = run.model.embedding_matrix().double().numpy()
    E_js = np.asarray(out["E"]).reshape(E_py.shape)
    return {"loss": float(np.max(np.abs(loss_js - loss_py) / np.abs(loss_py))),
            "embedding": float(np.linalg.norm(E_js - E_py) / np.linalg.norm(E_py)),
            "alignment": abs(out["alignment"] - spectral.energy_shares(run.embedding,
                                                                       spectral.graph_spectrum(g))["smooth"]),
            "top_k": abs(out["top_k"] - top_k_recovery(edge_logits(run.model, g, run.vocab), g, self_edges)["top_k"])}
