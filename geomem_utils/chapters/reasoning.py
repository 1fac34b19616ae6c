"""Chapter 03, implicit reasoning in weights: held-out paths, the in-context failure, the controls.

What ``notebooks/03_implicit_reasoning.md`` is apart from its science code: the title and
claim, the 27 parameter specs (the main run, the controls' graph, the tree-star, the
in-context task, the Mamba) with their cross-field rule, the fixed settings of the
in-context runs and the pause and Mamba sections. The chapter's checks and findings,
assembled from the measured numbers, are :mod:`geomem_utils.chapters.reasoning_checks`
(whose thresholds and unit tests stay there).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from geomem_utils.runs.in_context import InContextRun
from geomem_utils.params import ParameterError, Spec, int_list, integer, number
from geomem_utils.chapters import Chapter

#: In context: held-out graphs of the teacher-forced probe, batch, training graphs, heads.
IC_TEST = 1000
IC_BATCH = 64
IC_N_TRAIN = 20_000
IC_HEADS = 4
#: The reverse in-context task stops once every token is this right at two evaluations.
IC_STOP_AT = 0.95
#: Pause tokens: steps until the held-out exact match first reaches this level.
PAUSE_TARGET = 0.8
#: The GPT's optimiser, given to the Mamba of section 6 as a contrast.
GPT_OPTIMISER = {"lr": 1e-3, "beta2": 0.999}


def _labels_cover_the_graph(p: dict[str, Any]) -> None:
    if p["IC_LABELS"] < 1 + p["IC_DEGREE"] * (p["IC_PATH_LENGTH"] - 1):
        n = 1 + p["IC_DEGREE"] * (p["IC_PATH_LENGTH"] - 1)
        raise ParameterError(
            f"parameters IC_LABELS={p['IC_LABELS']}, IC_DEGREE={p['IC_DEGREE']} and "
            f"IC_PATH_LENGTH={p['IC_PATH_LENGTH']}: G(IC_DEGREE, IC_PATH_LENGTH) has {n} nodes, "
            "more than the labels; every node needs its own label")


def size(p: Mapping[str, Any]) -> str:
    """What this chapter's verdicts are measured at, in words."""
    from geomem_utils.runs.pathstar_config import describe, profile_run

    main = describe(profile_run(p["PROFILE"], degree=p["DEGREE"], path_length=p["PATH_LENGTH"]))
    l = p["PATH_LENGTH"]
    return (f"{main}; controls on G({p['ABL_DEGREE']}, {l}), {p['ABL_STEPS']:,} steps; Mamba "
            f"{p['MAMBA_LAYERS']} x {p['MAMBA_WIDTH']} on G({p['MAMBA_DEGREE']}, {l}), {p['MAMBA_STEPS']:,} steps; "
            f"in context G({p['IC_DEGREE']}, {l}), {p['IC_LAYERS']} layers, {p['IC_STEPS']:,} steps; tree-star "
            f"T({p['TREE_DEGREE']}, {p['TREE_LENGTH']}) ({p['PROFILE']} profile)")


CHAPTER = Chapter(
    stem="03_implicit_reasoning",
    title="Answer paths never asked about: implicit reasoning in weights",
    claim="A model that memorised a path-star's edges outputs the full path for held-out leaves, far above chance; "
          "the first hop alone is learnable in weights; frozen embeddings fail; the in-context task leaves the "
          "first token at chance while the later tokens are right.",
    paper_ref="§2.3, Fig. 2",
    specs={
        "DEGREE": integer({"smoke": 20, "ci": 100, "full": 5000}, 4, 100_000, "arms of the main run's G(d, l)"),
        "PATH_LENGTH": integer({"ci": 5, "full": 5}, 3, 16, "nodes per arm, counting the root"),
        "N_PAUSE": integer({"ci": 1, "full": 5}, 0, 64, "pause tokens after the query leaf"),
        "ARCH": Spec(str, "gpt", choices=("gpt", "mamba"), help="architecture of the main run"),
        "ABL_DEGREE": integer({"smoke": 12, "ci": 40, "full": 1000}, 4, 100_000, "arms of the controls' graph"),
        "ABL_STEPS": integer({"smoke": 30, "ci": 500, "full": 5000}, 10, 10**6, "training steps of the controls"),
        "ABL_BATCH": integer({"smoke": 64, "ci": 128, "full": 1024}, 1, 65_536, "batch size of the controls"),
        "PAUSES": int_list({"smoke": "0,1", "ci": "0,1,4", "full": "0,1,2,4"}, 0, 64,
                           "pause counts compared"),
        "TREE_DEGREE": integer({"smoke": 4, "ci": 16, "full": 100}, 4, 10_000, "arms of the tree-star"),
        "TREE_LENGTH": integer({"ci": 4, "full": 6}, 3, 10, "levels of the tree-star, counting the root"),
        "IC_DEGREE": integer({"ci": 2, "full": 5}, 2, 20, "arms of the in-context graphs"),
        "IC_PATH_LENGTH": integer(5, 3, 10, "nodes per arm of the in-context graphs"),
        "IC_LABELS": integer({"ci": 20, "full": 50}, 4, 1000, "labels the in-context graphs draw from"),
        "IC_WIDTH": Spec(int, {"ci": 64, "full": 128}, lambda v: 4 <= v <= 1024 and v % 4 == 0,
                         "a multiple of 4 in [4, 1024]", help="width of the in-context GPT"),
        "IC_LAYERS": integer({"ci": 2, "full": 4}, 1, 24, "layers of the in-context GPT"),
        "IC_LR": number(3e-3, 0, 1, "learning rate of the in-context GPT", open_lo=True),
        "IC_STEPS": integer({"smoke": 40, "ci": 3000, "full": 20_000}, 10, 10**6, "in-context training steps"),
        "MAMBA_DEGREE": integer({"smoke": 12, "ci": 100, "full": 5000}, 4, 100_000, "arms of the Mamba's graph"),
        "MAMBA_STEPS": integer({"smoke": 20, "ci": 1000, "full": 20_000}, 10, 10**6, "Mamba training steps"),
        "MAMBA_BATCH": integer({"smoke": 64, "ci": 128, "full": 2048}, 1, 65_536, "Mamba batch size"),
        "MAMBA_LR": number({"ci": 3e-2, "full": 5e-4}, 0, 1, "Mamba learning rate", open_lo=True),
        "MAMBA_LAYERS": integer({"ci": 2, "full": 12}, 1, 48, "Mamba layers"),
        "MAMBA_WIDTH": integer({"ci": 128, "full": 384}, 4, 4096, "Mamba width"),
        "MAMBA_D_STATE": integer(16, 1, 256, "Mamba state size"),
        "MAMBA_EXPAND": integer(2, 1, 8, "Mamba expansion factor"),
        "MAMBA_RESIDUAL": Spec(bool, False, help="pre-LN residual blocks instead of the release's Mamba(LN(x))"),
        "MAMBA_BETA2": number(0.95, 0, 1, "AdamW's beta2 for the Mamba", open_hi=True),
    },
    cross_checks=_labels_cover_the_graph,
    size=size,
)


def mamba_training(p: Mapping[str, Any], **changes: Any) -> dict[str, Any]:
    """The Mamba of section 6 (and of ``ARCH = "mamba"``): its model and its optimiser, as
    keyword arguments of :func:`geomem_utils.runs.pathstar.profile_run`."""
    model = dict(n_layers=p["MAMBA_LAYERS"], width=p["MAMBA_WIDTH"], d_state=p["MAMBA_D_STATE"],
                 expand=p["MAMBA_EXPAND"], residual=p["MAMBA_RESIDUAL"])
    return {**dict(arch="mamba", model=model, lr=p["MAMBA_LR"], beta2=p["MAMBA_BETA2"],
                   batch_size=p["MAMBA_BATCH"]), **changes}


def in_context_setting(p: Mapping[str, Any], variant: str, seed: int) -> InContextRun:
    """One in-context run of section 4: an attention-only GPT (``mlp="none"``) at a constant
    learning rate. The forward task trains for the whole budget (v1 keeps being trained after
    the cheat forms); the reverse task stops at :data:`IC_STOP_AT`."""
    return InContextRun(
        variant=variant, degree=p["IC_DEGREE"], path_length=p["IC_PATH_LENGTH"], n_labels=p["IC_LABELS"],
        width=p["IC_WIDTH"], n_layers=p["IC_LAYERS"], n_heads=IC_HEADS, mlp="none", lr=p["IC_LR"],
        steps=p["IC_STEPS"], batch=IC_BATCH, n_train=IC_N_TRAIN, n_test=IC_TEST, seed=seed,
        stop_at=None if variant == "forward" else IC_STOP_AT)


#: The committed sweeps of the token-order test (``sweeps/NAME.toml``): the main run's
#: held-out paths evaluated every 10 steps at 5 seeds, and its positive control in context.
TOKEN_ORDER_SWEEPS = ("token_order", "cascade")

#: Section 4's in-context run trained on v1 alone (``sweeps/in_context_hardest.toml``): 5 seeds
#: at the ci setting, 3 trained four times as long at the laptop profile.
IC_HARDEST_SWEEP = "in_context_hardest"


def committed_table(p: Mapping[str, Any], name: str) -> Any:
    """The committed sweep table ``name`` (``sweeps/NAME.toml``) at ``PROFILE`` when it holds
    every run of the grid, each computed by today's code (:func:`geomem_utils.sweep.tables.complete`);
    ``None`` when it is not committed whole and fresh at this profile."""
    from geomem_utils.sweep import tables

    return tables.complete_grid(name, p["PROFILE"])


def token_order_tables(p: Mapping[str, Any]) -> tuple[Any, Any]:
    """The token-order test's two tables at ``PROFILE``, read from the committed sweep tables
    (the book's build has no time to train five seeds evaluated every 10 steps).
    ``(None, None)`` when either is not committed fresh at this profile: the finding is then
    not tested by this run."""
    order, control = (committed_table(p, name) for name in TOKEN_ORDER_SWEEPS)
    return (None, None) if order is None or control is None else (order, control)


def laptop_table(p: Mapping[str, Any], name: str) -> Any:
    """At the ci profile, the committed ``laptop`` grid of ``sweeps/NAME.toml`` where it holds
    every run, each computed by today's code: the larger size a finding is judged at, with the
    ci run beside it. ``None`` otherwise (another profile, or no such table)."""
    from geomem_utils.sweep import tables

    return tables.complete_grid(name, "laptop") if p["PROFILE"] == "ci" else None


def in_context_hardest_tables(p: Mapping[str, Any]) -> tuple[Any, Any]:
    """Section 4's v1-alone tables: ``(judged, at_profile)``. ``at_profile`` is the committed
    table at ``PROFILE``; ``judged`` is the longer :func:`laptop_table` where there is one, else
    ``at_profile``. ``None`` for a table that is not committed."""
    own, longer = committed_table(p, IC_HARDEST_SWEEP), laptop_table(p, IC_HARDEST_SWEEP)
    return (longer if longer is not None else own), own


#: Section 7's graded knob: the main run at several token-embedding init scales, 3 seeds
#: (``sweeps/emb_init.toml``); and the long paths it puts beside it (chapter 06's ``length``).
KNOB_SWEEP = "emb_init"
LENGTH_SWEEP = "length"


# ----------------------------------------------------------------------------- section 7: the projection ablation

#: The graph's top-k eigenvectors removed from the embedding in section 7's ablation; random
#: subspaces of the same energy drawn per ablation as its control.
ABLATION_KS = (1, 10)
ABLATION_DRAWS = 3


def spectral_basis(emb: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """The node-space directions ``vectors`` ((n, k), e.g. the graph's top eigenvectors u_j)
    mapped into the embedding space as ``E^T u_j`` and orthonormalised: (width, k). Removing
    this span from every node row removes exactly the part of E that lies along the u_j."""
    q, _ = np.linalg.qr(emb.T @ vectors)
    return q


def removal(emb: np.ndarray, basis: np.ndarray, keep: np.ndarray | None = None) -> np.ndarray:
    """``emb`` with its components along the orthonormal columns of ``basis`` scaled by
    ``keep`` (0: removed, the default for every column; 0.4: shrunk to 40%)."""
    keep = np.zeros(basis.shape[1]) if keep is None else np.asarray(keep, dtype=float)
    return emb - ((emb @ basis) * (1.0 - keep)) @ basis.T


def energy_share(emb: np.ndarray, basis: np.ndarray, keep: np.ndarray | None = None) -> float:
    """The share of ``emb``'s squared norm that :func:`removal` takes away."""
    return 1.0 - float(np.sum(removal(emb, basis, keep) ** 2) / np.sum(emb ** 2))


def matched_random(emb: np.ndarray, share: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A random control that removes the same *energy* as an ablation, not the same rank: the
    directions of a uniformly random orthonormal basis of the embedding space, taken in order
    until they carry ``share`` of E's squared norm, the last one shrunk so that the match is
    exact. Returns ``(basis, keep)`` for :func:`removal`."""
    if not 0.0 <= share < 1.0:
        raise ValueError(f"share must lie in [0, 1), got {share}")
    q, r = np.linalg.qr(rng.standard_normal((emb.shape[1], emb.shape[1])))
    q = q * np.sign(np.diag(r))  # Haar-uniform
    per = np.sum((emb @ q) ** 2, axis=0) / np.sum(emb ** 2)
    before = np.concatenate([[0.0], np.cumsum(per)])
    m = int(np.searchsorted(before[1:], share))  # directions 0..m-1 removed whole, m in part
    keep = np.ones(q.shape[1])
    keep[:m] = 0.0
    keep[m] = np.sqrt(max(0.0, 1.0 - (share - before[m]) / per[m]))
    return q[:, : m + 1], keep[: m + 1]


def arm_vectors(g: Any, arms: Sequence[int]) -> np.ndarray:
    """Per arm ``a``: the indicator of its nodes (root left out) minus the mean indicator of
    all arms, (n, len(arms)). It lies in the span of the path-star's arm-distinguishing
    eigenvectors (those orthogonal to every arm-symmetric vector): the arm's own part of the
    graph's spectral geometry."""
    branch = np.asarray(g.branch)
    n_arms = int(branch.max()) + 1
    out = np.zeros((g.n_nodes, len(arms)))
    for j, a in enumerate(arms):
        out[:, j] = (branch == a) - (branch >= 0) / n_arms
    return out


def projection_ablation(cfg: Any, record: Mapping[str, Any], ks: Sequence[int] = ABLATION_KS,
                        draws: int = ABLATION_DRAWS, per_arm: bool = True) -> dict[str, Any]:
    """Section 7's intervention on one trained path-star run: held-out first hop (read after the
    true root, :func:`~geomem_utils.science.measures.first_hop_given_root`), training-path
    exact match (greedy) and edge recall (top-k) after removing from the node rows of the token
    embedding (the output head too, when tied) the span of

    - ``top k``: the graph's top-k eigenvectors of ``D^-1 A + (D^-1 A)^T`` (:func:`spectral_basis`);
    - ``arm``, per held-out leaf: its own arm's vector (:func:`arm_vectors`), read on that leaf
      (``own``) and on the other held-out leaves (``others``);

    each next to ``draws`` random subspaces removing the same energy (:func:`matched_random`),
    averaged. Model and data are rebuilt from the run's record; nothing is trained."""
    import copy

    import torch

    from geomem_utils.runs import pathstar
    from geomem_utils.science import graphs, measures, tasks

    data = pathstar.build_data(cfg)
    g, n = data.graph, data.graph.n_nodes
    model = pathstar.trained_model(cfg, dict(record)).eval()
    emb = model.wte.weight.detach()[:n].double().numpy()
    q_test = tasks.path_queries(g, data.vocab, data.test_ids, cfg.n_pause)
    q_train = tasks.path_queries(g, data.vocab, data.train_ids[: cfg.max_train_eval], cfg.n_pause)
    vectors = graphs.spectrum(g)[1]

    ablated = copy.deepcopy(model)  # one copy whose node rows each ablation overwrites

    def with_rows(rows: np.ndarray) -> Any:
        with torch.no_grad():
            ablated.wte.weight[:n] = torch.as_tensor(rows, dtype=ablated.wte.weight.dtype)
        return ablated

    def measured(rows: np.ndarray) -> dict[str, float]:
        m = with_rows(rows)
        return {"first_hop": measures.first_hop_given_root(m, q_test),
                "train_exact": float(measures.path_metrics(m, q_train)["exact_match"]),
                "edges_top_k": measures.top_k_recovery(measures.edge_logits(m, g, data.vocab), g)["top_k"]}

    def mean(rows: list[dict[str, float]]) -> dict[str, float]:
        return {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}

    out: dict[str, Any] = {"intact": measured(emb), "top_k": {}}
    for k in ks:
        basis = spectral_basis(emb, vectors[:, :k])
        share = energy_share(emb, basis)
        rng = np.random.default_rng([cfg.seed, 7, k])
        controls = [matched_random(emb, share, rng) for _ in range(draws)]
        out["top_k"][str(k)] = {"energy": share, "ablated": measured(removal(emb, basis)),
                                "random": mean([measured(removal(emb, *c)) for c in controls]),
                                "random_energy": float(np.mean([energy_share(emb, *c) for c in controls]))}
    if per_arm:
        out["arm"] = _arm_ablation(emb, g, q_test, data.test_ids, with_rows, draws, cfg.seed)
    return out


def _arm_ablation(emb: np.ndarray, g: Any, q_test: Any, test_ids: Sequence[int], with_rows: Any,
                  draws: int, seed: int) -> dict[str, Any]:
    """Per held-out leaf, its own arm's vector removed: is *that* leaf's first hop lost, and
    the other held-out leaves' kept? Against random directions of the same energy."""
    import torch

    from geomem_utils.science import measures

    arms = [int(g.branch[g.paths[i][-1]]) for i in test_ids]
    vecs = arm_vectors(g, arms)
    rng = np.random.default_rng([seed, 7, 0])
    given_root = torch.cat([q_test.prefixes, q_test.answers[:, :1]], dim=1)  # v1 read after the true root

    def hits(rows: np.ndarray) -> np.ndarray:
        pred = measures.greedy_decode(with_rows(rows), given_root, 1)[:, 0]
        return (pred == q_test.answers[:, 1]).numpy()

    own, others, own_r, others_r, shares = [], [], [], [], []
    for j in range(len(arms)):
        basis = spectral_basis(emb, vecs[:, j: j + 1])
        share = energy_share(emb, basis)
        h = hits(removal(emb, basis))
        rand = [hits(removal(emb, *matched_random(emb, share, rng))) for _ in range(draws)]
        rest = np.arange(len(arms)) != j
        own.append(h[j])
        others.append(h[rest].mean())
        own_r.append(np.mean([r[j] for r in rand]))
        others_r.append(np.mean([r[rest].mean() for r in rand]))
        shares.append(share)
    return {"energy": float(np.mean(shares)), "own": float(np.mean(own)), "others": float(np.mean(others)),
            "own_random": float(np.mean(own_r)), "others_random": float(np.mean(others_r))}
