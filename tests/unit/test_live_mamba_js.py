"""The page's one-layer Mamba (book/_assets/geomem-live.js, run in Node.js) is the book's.

Chapter 05's panel retrains the playground's Mamba (``models.Mamba`` with one layer,
``d_state`` 8, ``expand`` 2, the pure-PyTorch mixer of mambapy that ``runs.playground`` uses
on a CPU) in the page, with a forward pass and a backward pass derived by hand
(``MambaTrainer``). Two checks, in this order:

1. its gradients against central finite differences of its own loss, on every tensor, tied
   and untied (``test_gradients_match_finite_differences``);
2. training against PyTorch from PyTorch's initial weights (``book_run`` keeps them), the
   loss at every step, the final embedding, and the panel's measures (top-k edge recovery,
   spectral alignment).

Tolerances. Finite differences: step 3e-4 on each weight (the step actually taken after
float32 rounding), error O(step^2) (measured: the worst gap falls 100-fold per 10-fold smaller
step, 3.9e-3 / 3.9e-5 / 3.5e-6 tied at steps 1e-2 / 1e-3 / 3e-4, 1.1e-2 / 1.1e-4 / 1.0e-5 untied,
so the derivation is exact and the gap is truncation); asserted :data:`FD_RTOL` 1e-4; h_0's
share of h_1 left out of the backward misses by more than 100 times that. Against PyTorch,
from ``book_run``'s initial weights, every case (64 to 200 steps, the family's default
length) agrees to float32 rounding: measured worst per-step loss gap 2.4e-6 relative, final
embedding 7.7e-6 relative (Frobenius), alignment 7.1e-7, top-k recovery equal. Unlike the
Transformer's long cases these runs do not drift (the worst gap is on a 200-step case and is
still 2.4e-6), so one tolerance about ten times the worst gap serves all: :data:`LOSS_RTOL`
3e-5, :data:`EMB_RTOL` 1e-4, :data:`MEASURE_ATOL` 1e-3, top-k equal. Planted bugs land far
outside it (``test_tolerance_catches_planted_bugs``, measured loss / embedding gaps on the
short case): a learning rate 1% off 7.5e-3 / 6.0e-3, the scan's discretisation without delta
(dB x = B x) 1.2e-2 / 6.3e-2, the D skip dropped 0.96 / 0.94, the gate SiLU(z) dropped 1.8 /
1.0, the convolution blind to [EDGE] 1.5e-2 / 0.54.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from geomem_utils.science import graphs
from nodejs import book_run, case_query, gradient_driver, page_gaps, planted, run_page, train_driver

FD_RTOL = 1e-4
LOSS_RTOL = 3e-5
EMB_RTOL = 1e-4
MEASURE_ATOL = 1e-3

DRIVER = train_driver("MambaTrainer")
FD_DRIVER = gradient_driver("MambaTrainer", "mambaShapes", "/norm.*weight/")

#: name: tiny graph, steps, lr, width, model keywords, edge_run keywords (chapter 05's recipe:
#: cosine to lr/10, gradients clipped to norm 1; runs.playground._sequence_model's model).
MAMBA = dict(n_layers=1, d_state=8, expand=2, backend="mambapy")
RECIPE = dict(schedule="cosine", grad_clip=1.0)
CASES = {
    "05 mamba, star (the grid's run)": ("star", 64, 1e-2, 32, MAMBA, RECIPE),
    "05 mamba untied, grid, self-edges, wd": ("grid", 200, 1e-2, 32, dict(MAMBA, tied=False),
                                               dict(RECIPE, self_edges=True, weight_decay=0.1)),
    "05 mamba N(0,1), irregular": ("irregular", 200, 1e-2, 32, dict(MAMBA, emb_init_std=1.0), RECIPE),
    "05 mamba m=64, cycle": ("cycle", 200, 3e-3, 64, MAMBA, RECIPE),
}
SHORT = "05 mamba, star (the grid's run)"


def _case(name: str) -> tuple:
    graph, steps, lr, width, model_kw, run_kw = CASES[name]
    return (graph, "mamba", steps, lr, width, model_kw, run_kw)


def _page(name: str, kept: dict, script=None, **plant) -> dict:
    return run_page(DRIVER, {**case_query(*CASES[name], kept["init"]), **plant}, script)


_gaps = page_gaps


def _limits(name: str) -> dict[str, float]:
    return {"loss": LOSS_RTOL, "embedding": EMB_RTOL, "alignment": MEASURE_ATOL, "top_k": 1e-9}


def _fd_worst(rows: list) -> tuple[float, list]:
    gaps = [abs(an - fd) / max(1e-3, abs(an)) for _, _, an, fd in rows]
    return max(gaps), rows[int(np.argmax(gaps))]


@pytest.mark.parametrize("tied", [True, False])
def test_gradients_match_finite_differences(tied: bool, tmp_path) -> None:
    """Every tensor's hand-derived gradient is the slope of the page's own loss; the backward
    with h_0's share of h_1 left out of it (a planted bug) is not."""
    g = graphs.tiny_graph("irregular")
    query = dict(n=g.n_nodes, width=8, edges=g.edges.tolist(), tied=tied, h=3e-4)
    rows = run_page(FD_DRIVER, query)
    assert {r[0] for r in rows} >= {"wte.weight", "layers.0.mixer.A_log", "layers.0.mixer.conv1d.weight",
                                     "layers.0.mixer.dt_proj.bias", "layers.0.mixer.D", "norm_f.bias"}
    gap, row = _fd_worst(rows)
    print("finite differences, tied" if tied else "finite differences, untied", f"{gap:.1e}")
    assert gap < FD_RTOL, row
    bug = planted(tmp_path, "d.h0[j] += dh * c.dA[j];  // on to position 0", "")
    assert _fd_worst(run_page(FD_DRIVER, query, bug))[0] > 100 * FD_RTOL


@pytest.mark.parametrize("name", list(CASES))
def test_page_mamba_matches_pytorch(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    case = _case(name)
    run, kept = book_run(case, monkeypatch)
    gaps, limits = _gaps(run, _page(name, kept), case[6].get("self_edges", False)), _limits(name)
    print(name, {k: f"{v:.1e} (limit {limits[k]:.1e})" for k, v in gaps.items()})
    bad = [f"{k} {v:.2e} > {limits[k]:.1e}" for k, v in gaps.items() if not v <= limits[k]]
    assert not bad, f"{name}: the page's run differs from PyTorch's: {bad}"
    assert run.result.losses[-1] < 0.5 * run.result.losses[0]  # it learnt: agreement is not "neither moved"


#: Bugs planted in the page's script (old text -> new text), each a mistake one could make.
PLANTS = {
    "the scan's dB x without delta": ("bx = delta * c.s[i], y = D[i] * c.s[i];  // D skip",
                                      "bx = c.s[i], y = D[i] * c.s[i];  // D skip"),
    "the D skip dropped": ("bx = delta * c.s[i], y = D[i] * c.s[i];  // D skip",
                           "bx = delta * c.s[i], y = 0;  // D skip"),
    "the gate SiLU(z) dropped": ("c.g[i] = y * c.sz[i];  // the gate SiLU(z)", "c.g[i] = y;  // the gate SiLU(z)"),
    "the convolution blind to [EDGE]": ("c.c[i] = cw[i * K + K - 2] * c0.xz[i] + cw[i * K + K - 1] * c.xz[i] + cb[i];",
                                        "c.c[i] = cw[i * K + K - 1] * c.xz[i] + cb[i];"),
}


def test_tolerance_catches_planted_bugs(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """The short case trained by a page with a bug lands outside the tolerance: a learning rate
    1% off, and each bug of :data:`PLANTS`."""
    run, kept = book_run(_case(SHORT), monkeypatch)
    trials = [("lr 1% off", None, {"lr": CASES[SHORT][2] * 1.01})]
    trials += [(what, planted(tmp_path, *change), {}) for what, change in PLANTS.items()]
    for what, script, plant in trials:
        gaps = _gaps(run, _page(SHORT, kept, script, **plant), False)
        print(what, {k: f"{v:.1e}" for k, v in gaps.items()})
        assert gaps["loss"] > 10 * LOSS_RTOL and gaps["embedding"] > 10 * EMB_RTOL, (what, gaps)


# The page's own initial weights (pageMamba) for a width, by state-dict name.
INIT_DRIVER = r"""
const L = require(process.argv[1]);
let buf = "";
process.stdin.on("data", d => { buf += d; });
process.stdin.on("end", () => {
  const t = JSON.parse(buf), out = {};
  const tr = L.pageMamba({n: t.n, edges: [[0, 1]]}, {width: t.width, init_std: 1.0, seed: 3, tied: false,
    self_edges: false, lr: 0.01, steps: 10}, {schedule: "cosine", gradClip: 1.0});
  tr.params.forEach(q => { out[q.name] = Array.from(q.w); });
  process.stdout.write(JSON.stringify(out));
});
"""


@pytest.mark.parametrize("width", [32, 64])
def test_page_init_draws_like_models_mamba(width: int) -> None:
    """pageMamba draws what ``models.Mamba`` (mambapy's init) draws, from other random numbers:
    the tensors PyTorch fills with constants (A_log's rows log(1..N), D, LayerNorm gains and
    biases) equal; each uniform (or log-uniform) tensor inside the envelope of PyTorch's draws over
    20 seeds (2% of its span to spare) and spanning at least 70% of it; the N(0, 1)
    embeddings with PyTorch's standard deviation to 10% (a few hundred draws or more: their
    sample deviation is within about 5%)."""
    from geomem_utils.science.models import build_model

    n = 17
    page = {k: np.asarray(v) for k, v in run_page(INIT_DRIVER, dict(n=n, width=width)).items()}
    draws = []
    for seed in range(20):
        torch.manual_seed(seed)
        model = build_model("mamba", n + 4, 2, width=width, n_layers=1, d_state=8, expand=2, tied=False,
                            emb_init_std=1.0, backend="mambapy")
        draws.append({k: v.detach().double().numpy().reshape(-1) for k, v in model.state_dict().items()})
    assert set(page) == set(draws[0])
    for name, w in page.items():
        ref = np.stack([d[name] for d in draws])
        if np.all(ref == ref[0]):  # a constant
            np.testing.assert_allclose(w, ref[0], rtol=1e-6, atol=1e-7, err_msg=name)
            continue
        if name in ("wte.weight", "lm_head.weight"):  # Gaussian: no bounds, the same spread
            assert abs(w.std() / ref.std() - 1) < 0.1, (name, w.std(), ref.std())
            continue
        lo, hi = float(ref.min()), float(ref.max())
        span, least = hi - lo, 0.7
        assert lo - 0.02 * span <= w.min() and w.max() <= hi + 0.02 * span, (name, w.min(), w.max(), lo, hi)
        assert w.max() - w.min() >= least * span, (name, w.min(), w.max(), lo, hi)
