"""The claim checks and the findings of ``03_implicit_reasoning``, as functions of measured numbers.

Introduced in ``03_implicit_reasoning`` and tested in ``tests/chapters/test_reasoning.py``,
which feeds them the numbers of runs the book itself can produce without the phenomenon
(the trainable associative counterexample of chapter 04, an untrained model, a frozen
run) and sees them fail. The functions only compare numbers with thresholds; every number
is measured by the notebook. Each threshold is stated next to the measurements (seeds)
it was set from.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from geomem_utils import findings as fd
from geomem_utils.chapters.reasoning import IC_TEST, PAUSE_TARGET
from geomem_utils.science.measures import chance_z
from geomem_utils.results import Check, check
from geomem_utils.sweep import tables

#: How the chapter names each architecture.
ARCH_NAMES = {"gpt": "GPT", "mamba": "Mamba"}

#: Thresholds, each set with margin from measured runs (the chapter states the spreads).
EXACT_MIN = 0.75  # main run held-out exact match: 0.84-0.96 at seeds 0-2 (d = 60, 100, 150 too)
HARDEST_MIN = 0.5  # hardest-token held-out first hop (given the root): see the chapter
FROZEN_MAX_CHANCES = 5.0  # frozen embeddings: held-out exact match <= 5/d (the paper: about 0)
ORDER_P_MIN = 0.05  # token order: a leaf-to-root order is found when a one-sided sign test over the seeds gives p < 0.05
IC_SE_MAX = 3.0  # in context: v1 at most 3 binomial standard errors above chance 1/d (one-sided: "not learnt")
IC_LATER_MIN = 0.9
IC_REVERSE_MIN = 0.9
MAMBA_EXACT_MIN = 0.5
DIRECTION_BOTH_MIN = 0.5  # controls' graph, both directions: held-out exact match
DIRECTION_SINGLE_MAX_SE = 3.0  # forward-only / backward-only: within 3 binomial SE of chance 1/d
SPEARMAN_MIN = 0.7  # held-out first hop vs 1-step navigation, across the chapter's path-star runs
PAUSE_EVALS_MIN = 2.0  # pause tokens: the fastest pause count reaches the target this many evaluations earlier
STAGED_DROP_MIN = 0.1  # staged training falls from its peak by this much more than mixed training
TREE_CHANCES_MIN = 5.0  # tree-star: held-out exact match above 5 x chance on each split


def steps_to(history: Sequence[Mapping[str, Any]], key: str, level: float, index: int | None = None) -> float:
    """First step at which ``history[key]`` (or its ``index``-th entry) reaches ``level``; NaN if never."""
    for row in history:
        v = row[key] if index is None else row[key][index]
        if v >= level:
            return float(row["step"])
    return math.nan


def sign_test(deltas: Sequence[float]) -> tuple[int, int, float]:
    """One-sided sign test of "positive" over ``deltas`` (ties left out): ``(k, n, p)`` with
    ``k`` positive of ``n`` non-zero and ``p`` the chance of ``k`` or more under a fair coin."""
    nonzero = [d for d in deltas if d != 0 and not math.isnan(d)]
    k, n = sum(d > 0 for d in nonzero), len(nonzero)
    return k, n, sum(math.comb(n, i) for i in range(k, n + 1)) / 2 ** n if n else 1.0


def order_deltas(table: Any, early: int, late: int) -> list[float]:
    """Per run of a sweep table with crossing steps (``cross_J``, :func:`geomem_utils.runs.
    pathstar_config.crossing_columns`): the step at which position ``early`` is learnt minus
    that of position ``late``, in seed order; a position never learnt counts as after the
    end (``inf``), two never learnt as a tie. Positive: ``late`` was learnt first."""
    out = []
    for _, r in table.sort_values("seed").iterrows():
        a, b = (float(r[f"cross_{j}"]) for j in (early, late))
        a, b = (math.inf if math.isnan(x) else x for x in (a, b))
        out.append(0.0 if a == b else a - b)
    return out


REVERSE_MIN = 0.5  # reverse path task: held-out teacher-forced look-ups (chance 1/d); measured 0.9-1.0 at G(40, 5)


def reverse_checks(reverse_tf: Mapping[str, float], degree: int) -> list[Check]:
    """The reverse path task (leaf to root) on held-out leaves, read teacher-forced (greedy
    decoding fails on the first token, a copy of the query leaf): ``reverse_tf`` maps the
    edge direction trained (``"both"``, ``"backward"``) to the mean accuracy of the target
    positions after that copy, each a child-to-parent look-up (chance ``1/degree``). Each
    must reach :data:`REVERSE_MIN`."""
    return [
        check(f"reverse path task, edges both, G({degree}, l): held-out teacher-forced look-ups, mean",
              reverse_tf["both"], ">=", REVERSE_MIN,
              paper="reverse path generation is trivial in weights (Remark 1): every step a memorised edge"),
        check(f"reverse path task, edges backward only, G({degree}, l): held-out teacher-forced look-ups, mean",
              reverse_tf["backward"], ">=", REVERSE_MIN,
              paper="child-to-parent edges alone answer the reverse task (§2.3)"),
    ]


def token_order_checks(order: Any, control: Any) -> list[Check]:
    """The token-order test, from two committed sweep tables (one row per seed).

    - ``order`` (``sweeps/token_order.toml``): the main run's held-out paths evaluated
      teacher-forced every few steps; per seed, the step at which v1 is learnt minus that of
      the last inner token v(l-2), and (l >= 5) that of v(l-3) minus v(l-2), among the
      tokens that teacher-forced are one memorised edge from the true token before them. A
      leaf-to-root cascade makes both positive at every seed: each one-sided sign test's p
      must stay at or above :data:`ORDER_P_MIN`. v1, the only composed token, can come last
      for another reason than a cascade, so the second test reads the cascade alone.
    - ``control`` (``sweeps/cascade.toml``): in context, the teacherless objective, which
      the paper sees learn right to left; per seed, v2's step minus v3's, positive at every
      seed. The evidence of ``reasoning.teacherless_cascade`` and the precondition of the
      token-order test (the measure can see an order where there is one; otherwise the test
      says nothing).
    """
    for name, t in (("token_order", order), ("cascade", control)):
        if t is None or t.empty or (t.status == "failed").any():
            raise ValueError(f"the {name} table is missing, empty or has failed runs")
    l = int(order.path_length.iloc[0])
    if l < 4:
        raise ValueError(f"the token-order test needs two inner tokens (l >= 4), got l = {l}")
    k, n, p_order = sign_test(order_deltas(order, 1, l - 2))
    k2, n2, p_inner = sign_test(order_deltas(order, l - 3, l - 2)) if l >= 5 else (0, 0, math.nan)
    lc = int(control.path_length.iloc[0])
    ctrl = order_deltas(control, lc - 3, lc - 2)
    return [
        check(f"token order: one-sided sign test p, v1 learnt after v{l - 2} (leaf to root) in {k} of {n} seeds, "
              f"teacher-forced held-out, G({int(order.degree.iloc[0])}, {l})", p_order, ">=", ORDER_P_MIN,
              paper="the tokens are learned in no particular order, not leaf to root (§2.3)"),
        *([check(f"token order among the look-ups: one-sided sign test p, v{l - 3} learnt after v{l - 2} in {k2} "
                 f"of {n2} seeds (ties left out)", p_inner, ">=", ORDER_P_MIN,
                 paper="no leaf-to-root cascade (§2.3): the parent of the leaf is not learnt before its own parent")]
          if l >= 5 else []),
        check(f"in context, teacherless G({int(control.degree.iloc[0])}, {lc}): seeds with v{lc - 2} learnt "
              f"before v{lc - 3} (right to left), of {len(ctrl)}", sum(d > 0 for d in ctrl), ">=", len(ctrl),
              paper="in context the teacherless objective learns the path right to left (§2.3); the positive "
                    "control of the token-order test: the measure sees an order where there is one"),
    ]


def implicit_reasoning_checks(
    *,
    degree: int,
    test_exact: float,
    hardest_first_hop: float,
    frozen_test_exact: float,
    ic_degree: int,
    ic_first_hop: float,
    ic_n_test: int,
    ic_later: float,
    ic_reverse: float | None = None,
    mamba_test_exact: float | None = None,
    mamba_degree: int | None = None,
    direction_exact: Mapping[str, float] | None = None,
    direction_degree: int | None = None,
    direction_n_test: int | None = None,
    arch: str = "gpt",
) -> list[Check]:
    """The checks of the implicit in-weights reasoning claim (the paper's §2.3).

    - ``test_exact``: held-out exact match of the main run (G(d, l), edges + paths).
    - ``hardest_first_hop``: held-out first hop of the hardest-token run (edges + v1 only).
    - ``frozen_test_exact``: the main run with frozen token embeddings: at most ``5/d``, the
      paper's outcome (attention and MLP still train, so it could have come out otherwise).
    - ``ic_first_hop``: teacher-forced v1 of the in-context task on G(``ic_degree``, l),
      measured on ``ic_n_test`` held-out graphs: at most ``IC_SE_MAX`` binomial standard
      errors *above* chance (the paper's claim is "not learnt"; a model below chance has not
      learnt it either); ``ic_later`` (mean of the later tokens) at least 0.9, a
      precondition (machinery); ``ic_reverse`` (worst position of the reverse target) at
      least 0.9, the evidence of its own finding.
    - ``mamba_test_exact``: the Mamba's held-out exact match on G(``mamba_degree``, l).
    - ``direction_exact``: held-out exact match of the forward path task on the controls'
      graph G(``direction_degree``, l) with ``"both"``, ``"forward"`` and ``"backward"``
      edges (``direction_n_test`` held-out leaves): both directions answer, each single
      direction stays within 3 binomial SE of chance (the paper: reverse edges are needed).
    """
    if degree < 1 or ic_degree < 1:
        raise ValueError(f"degrees must be >= 1, got degree={degree}, ic_degree={ic_degree}")
    name = ARCH_NAMES.get(arch, arch)
    checks = [
        check(f"{name} held-out exact match, G({degree}, l)", test_exact, ">=", EXACT_MIN,
              paper="held-out paths answered from memorised edges, up to 100% (Fig. 2, §2.3)"),
        check("hardest-token objective: held-out first-hop accuracy", hardest_first_hop, ">=", HARDEST_MIN,
              paper="the first token alone is learnable in weights (§2.3)"),
        check(f"frozen embeddings: held-out exact match, G({degree}, l)", frozen_test_exact, "<=",
              FROZEN_MAX_CHANCES / degree,
              paper="frozen token embeddings fail on held-out paths (§2.3): attention and MLP still train and "
                    "could have composed the edges, so this could have come out otherwise"),
        check(f"in context G({ic_degree}, l): teacher-forced v1, binomial SEs above chance 1/d (n={ic_n_test})",
              chance_z(ic_first_hop, 1.0 / ic_degree, ic_n_test), "<=", IC_SE_MAX,
              paper="in context the first token is not learnt: not above chance 1/d (§2.3, Bachmann & Nagarajan)"),
        check(f"in context G({ic_degree}, l): later tokens (precondition: the model trained)", ic_later, ">=",
              IC_LATER_MIN, kind="machinery",
              paper="precondition: the later tokens are right (the Clever-Hans cheat), so the model is trained"),
    ]
    if ic_reverse is not None:
        checks.append(check(f"in context reverse target G({ic_degree}, l): worst position", ic_reverse, ">=",
                            IC_REVERSE_MIN, paper="the reverse (goal -> start) target is learnable in context"))
    if mamba_test_exact is not None:
        if mamba_degree is None or mamba_degree < 1:
            raise ValueError(f"mamba_degree must be >= 1 when mamba_test_exact is given, got {mamba_degree}")
        checks.append(check(f"Mamba held-out exact match, G({mamba_degree}, l)", mamba_test_exact, ">=",
                            MAMBA_EXACT_MIN, paper="Mamba answers held-out paths too (§2.3)"))
    if direction_exact is not None:
        if not direction_degree or not direction_n_test:
            raise ValueError("direction_exact needs direction_degree and direction_n_test")
        checks.append(check(f"edge directions G({direction_degree}, l): both, held-out exact match",
                            direction_exact["both"], ">=", DIRECTION_BOTH_MIN,
                            paper="with both edge directions held-out paths are answered (§2.3)"))
        for d in ("forward", "backward"):
            checks.append(check(f"edge directions G({direction_degree}, l): {d} only, held-out exact match "
                                f"- 1/d in binomial SEs (n={direction_n_test})",
                                chance_z(direction_exact[d], 1.0 / direction_degree, direction_n_test),
                                "<=", DIRECTION_SINGLE_MAX_SE,
                                paper="reverse edges are needed: one direction alone fails on held-out paths (§2.3)"))
    return checks


def pause_check(steps_to_target: Mapping[int, float], every: int, run_steps: int) -> Check:
    """Pause tokens speed learning up: evaluations by which the fastest run with pauses
    reaches the target before the run without (a run that never does counts as reaching it
    one evaluation after its last); at least ``PAUSE_EVALS_MIN``."""
    def at(v: float) -> float:
        return run_steps + every if math.isnan(v) else v

    none = at(steps_to_target.get(0, math.nan))
    with_p = [at(v) for k, v in steps_to_target.items() if k > 0]
    saved = (none - min(with_p)) / every if with_p else math.nan
    return check(f"pause tokens: evaluations saved to {PAUSE_TARGET:.0%} held-out exact match, fastest pause count",
                 saved, ">=", PAUSE_EVALS_MIN, paper="pause tokens speed the learning of held-out paths up (§2.3)")


def staged_check(staged_exact: Sequence[float], mixed_exact: Sequence[float], paths_start_index: int) -> Check:
    """Staged training is less stable: after the paths arrive, its held-out exact match falls
    from its peak by at least ``STAGED_DROP_MIN`` more than the mixed run's does."""
    after = list(staged_exact[paths_start_index:])
    staged_drop = max(after) - after[-1]
    mixed_drop = max(mixed_exact) - mixed_exact[-1]
    return check("staged minus mixed training: drop of held-out exact match from its peak", staged_drop - mixed_drop,
                 ">=", STAGED_DROP_MIN, paper="staged training peaks then decays; mixed is the most stable (§2.3)")


def tree_checks(tree_exact: Mapping[str, float], degree: int) -> list[Check]:
    """The tree-star answers held-out items on each split: held-out exact match at least
    ``TREE_CHANCES_MIN`` times chance 1/d."""
    return [check(f"tree-star T({degree}, l), split by {split}: held-out exact match / chance", v * degree, ">=",
                  TREE_CHANCES_MIN, paper="held-out leaves / subtrees of a tree-star are answered (§2.3)")
            for split, v in tree_exact.items()]


def tree_table_checks(table: Any) -> list[Check]:
    """The tree-star at the largest size of a committed grid (``sweeps/tree_star.toml``, one row
    per size, split and seed): per split, at the largest d, the *lowest* held-out exact match
    over the seeds at least ``TREE_CHANCES_MIN`` times chance 1/d."""
    if table is None or table.empty or (table.status == "failed").any():
        raise ValueError("the tree_star table is missing, empty or has failed runs")
    top = table[table.degree == table.degree.max()]
    d, l = int(top.degree.iloc[0]), int(top.path_length.iloc[0])
    return [check(f"tree-star T({d}, {l}), split by {split}: held-out exact match / chance, lowest of "
                  f"{len(t)} seeds", float(t.final_exact.min()) * d, ">=", TREE_CHANCES_MIN,
                  paper="held-out leaves / subtrees of a tree-star are answered (§2.3)")
            for split, t in top.groupby("split_by", sort=True)]


def in_context_hardest_checks(table: Any) -> list[Check]:
    """In context, v1 alone (``sweeps/in_context_hardest.toml``: the forward task with the loss
    on v1 only, one row per seed): the *highest* teacher-forced v1 over the seeds at most
    ``IC_SE_MAX`` binomial SEs above chance 1/d (the evidence: not learnt); the *lowest* share
    of v1 answers that are a child of the start at least ``IC_LATER_MIN`` (the precondition:
    the look-up half of v1, which needs no planning, is learnt, so the model trained)."""
    if table is None or table.empty or (table.status == "failed").any() or len(table) < 3:
        raise ValueError("the in_context_hardest table is missing, has failed runs or fewer than 3 seeds")
    d, l, n = int(table.degree.iloc[0]), int(table.path_length.iloc[0]), int(table.n_test.iloc[0])
    z = [chance_z(float(x), 1.0 / d, n) for x in table.first_hop]
    return [
        check(f"in context, v1 alone G({d}, {l}): teacher-forced v1, binomial SEs above chance 1/d (n={n}), "
              f"highest of {len(table)} seeds", max(z), "<=", IC_SE_MAX,
              paper="in context the first (hardest) token alone is not learnt (§2.3, Bachmann & Nagarajan)"),
        check(f"in context, v1 alone G({d}, {l}): v1 a child of the start (precondition: the look-up is "
              f"learnt), lowest of {len(table)} seeds", float(table.v1_child.min()), ">=", IC_LATER_MIN,
              kind="machinery", paper="precondition: the model learns which tokens can follow the start"),
    ]


def in_context_hardest_text(table: Any) -> str:
    """The in-context v1-alone table in words: its setting, v1 and the child-of-start share
    over the seeds, and (shown, not checked) the right one's share among the answers that are
    a child of the start, whose chance is 1/d too."""
    d, l = int(table.degree.iloc[0]), int(table.path_length.iloc[0])
    return (f"trained on v1 alone in context at G({d}, {l}) ({int(table.n_layers.iloc[0])} x "
            f"{int(table.width.iloc[0])} GPT, {int(table.steps.iloc[0]):,} steps), seeds "
            f"{int(table.seed.min())}-{int(table.seed.max())}: teacher-forced v1 {tables.span(table.first_hop)} "
            f"(chance {1 / d:.2f}), a child of the start {tables.span(table.v1_child)}, and of those the right "
            f"one {tables.span(table.first_hop / table.v1_child)}")


def in_context_hardest_size(table: Any) -> str:
    """The size an in-context v1-alone table was measured at, in words."""
    t = table.iloc[0]
    blocks = "attention only" if t.mlp == "none" else f"{t.mlp} MLPs"
    return (f"GPT {int(t.n_layers)} x {int(t.width)} ({blocks}) in context on G({int(t.degree)}, "
            f"{int(t.path_length)}), {int(t.steps):,} steps at batch {int(t.batch)}, seeds {int(table.seed.min())}-"
            f"{int(table.seed.max())} ({t.profile} profile, committed table)")


def tree_text(table: Any) -> str:
    """A tree-star table's largest size in words: per split, held-out exact match and first hop
    over the seeds."""
    top = table[table.degree == table.degree.max()]

    return (f"T({int(top.degree.iloc[0])}, {int(top.path_length.iloc[0])}), {int(top.steps.iloc[0]):,} steps, seeds "
            f"{int(top.seed.min())}-{int(top.seed.max())}: " + "; ".join(
                f"split by {split}: held-out exact {tables.span(t.final_exact)}, first hop {tables.span(t.first_hop)}"
                for split, t in top.groupby("split_by", sort=True)))


def tree_size(table: Any) -> str:
    """The size a committed tree-star grid is judged at, in words."""
    top = table[table.degree == table.degree.max()]
    return table_size(top, f"T({int(top.degree.iloc[0])}, {int(top.path_length.iloc[0])})")


def table_size(table: Any, graph: str) -> str:
    """The size of a committed path-star grid's runs on ``graph``, in words (model, steps, batch,
    seeds, profile), read from the table's own columns."""
    t = table.iloc[0]
    return (f"{ARCH_NAMES.get(t.arch, t.arch)} {int(t['model.n_layers'])} x "
            f"{int(t['model.width'])} on {graph}, {int(t.steps):,} steps at batch {int(t.batch_size)}, seeds "
            f"{int(table.seed.min())}-{int(table.seed.max())} ({t.profile} profile, committed table)")


def staged_drops(table: Any) -> Any:
    """A staged-vs-mixed grid (``sweeps/staged.toml``: ``staged_edge_steps`` 0 is mixed) per seed:
    each run's held-out exact match at its best evaluation and at the end, and the staged run's
    drop from its peak minus the mixed run's."""
    import pandas as pd

    if table is None or table.empty or (table.status == "failed").any():
        raise ValueError("the staged table is missing, empty or has failed runs")
    rows = []
    for seed, t in table.groupby("seed", sort=True):
        mixed, staged = t[t.staged_edge_steps == 0], t[t.staged_edge_steps > 0]
        if len(mixed) != 1 or len(staged) != 1:
            raise ValueError(f"seed {seed}: need one mixed and one staged run, got {len(mixed)} and {len(staged)}")
        m, st = mixed.iloc[0], staged.iloc[0]
        rows.append({"seed": int(seed), "mixed: peak": m.best_exact, "mixed: end": m.final_exact,
                     "staged: peak": st.best_exact, "staged: end": st.final_exact,
                     "staged minus mixed drop": (st.best_exact - st.final_exact) - (m.best_exact - m.final_exact)})
    return pd.DataFrame(rows)


def staged_table_checks(table: Any) -> list[Check]:
    """Staged against mixed training on a committed longer grid: the *lowest* over the seeds of
    the staged run's drop from its peak minus the mixed run's, at least ``STAGED_DROP_MIN``."""
    d = staged_drops(table)
    return [check(f"staged minus mixed training: drop of held-out exact match from its peak, lowest of {len(d)} "
                  "seeds", float(d["staged minus mixed drop"].min()), ">=", STAGED_DROP_MIN,
                  paper="staged training peaks then decays; mixed is the most stable (§2.3)")]


def staged_text(table: Any) -> str:
    """A staged-vs-mixed grid in words: its setting, then each run's peak and end over the seeds."""
    d = staged_drops(table)
    t = table.iloc[0]
    return (f"G({int(t.degree)}, {int(t.path_length)}), {int(t.steps):,} steps (staged: edges alone for the first "
            f"{int(table.staged_edge_steps.max()):,}), seeds {int(d.seed.min())}-{int(d.seed.max())}: held-out exact "
            f"at the peak and the end, mixed {tables.span(d['mixed: peak'])} and {tables.span(d['mixed: end'])}, "
            f"staged {tables.span(d['staged: peak'])} and {tables.span(d['staged: end'])}; staged minus mixed drop "
            f"{tables.span(d['staged minus mixed drop'])}")


def spearman_checks(first_hop: Sequence[float], navigation: Sequence[float]) -> list[Check]:
    """Geometry predicts the held-out answers: Spearman rank correlation between held-out
    first-hop accuracy and 1-step navigation accuracy over the chapter's path-star runs
    (one pair per run, at least 8 runs)."""
    from scipy.stats import spearmanr

    if len(first_hop) != len(navigation) or len(first_hop) < 8:
        raise ValueError(f"need the same number (>= 8) of first-hop and navigation values, got "
                         f"{len(first_hop)} and {len(navigation)}")
    import warnings

    with warnings.catch_warnings():  # constant input: rho is NaN, which fails below
        warnings.simplefilter("ignore")
        rho = spearmanr(first_hop, navigation).statistic
    return [check(f"held-out first hop vs 1-step navigation: Spearman rho over {len(first_hop)} runs",
                  rho if math.isfinite(rho) else 0.0, ">=", SPEARMAN_MIN,
                  paper="the geometry is what answers held-out paths (§2-§2.3)")]


KNOB_GENERALISES = 0.5  # a run of the init-scale knob "generalises" when it names at least half its held-out first hops
KNOB_RUNS_MIN = 6  # ... and the correlation among them needs at least this many such runs (a precondition)
KNOB_SPEARMAN_MIN = 0.5  # within those runs: Spearman rho of held-out first hop vs navigation (set before the table was run)
KNOB_P_MAX = 0.05  # ... and its one-sided p


def knob_checks(table: Any) -> list[Check]:
    """Geometry answers held-out paths *within* the runs that generalise, not only between
    working and failed runs: over the committed init-scale knob (``sweeps/emb_init.toml``, one
    row per scale and seed), the runs whose held-out first hop reaches
    :data:`KNOB_GENERALISES`; Spearman's rho between their first hop and 1-step navigation
    (at least :data:`KNOB_SPEARMAN_MIN`, one-sided p at most :data:`KNOB_P_MAX`), with the
    count of such runs as the precondition (machinery)."""
    from scipy.stats import spearmanr

    if table is None or table.empty or (table.status == "failed").any():
        raise ValueError("the emb_init table is missing, empty or has failed runs")
    works = table[table.first_hop >= KNOB_GENERALISES]
    rho, p_value = math.nan, math.nan
    if len(works) >= 3 and works.first_hop.nunique() > 1 and works.navigation.nunique() > 1:
        res = spearmanr(works.first_hop, works.navigation, alternative="greater")
        rho, p_value = float(res.statistic), float(res.pvalue)
    g = f"G({int(table.degree.iloc[0])}, {int(table.path_length.iloc[0])})"
    return [
        check(f"knob runs that generalise, init-scale knob {g} (held-out first hop >= {KNOB_GENERALISES:g})",
              len(works), ">=", KNOB_RUNS_MIN, kind="machinery",
              paper="precondition: enough runs that answer held-out paths to correlate within them"),
        check(f"init-scale knob {g}, runs that generalise: Spearman rho, held-out first hop vs 1-step navigation",
              rho if math.isfinite(rho) else 0.0, ">=", KNOB_SPEARMAN_MIN,
              paper="the geometry is what answers held-out paths (§2-§2.3): graded, not only working vs failed"),
        check(f"init-scale knob {g}, runs that generalise: one-sided p of that rho",
              p_value if math.isfinite(p_value) else 1.0, "<=", KNOB_P_MAX,
              paper="the geometry is what answers held-out paths (§2-§2.3)"),
    ]


ABLATION_INTACT_MIN = 0.5  # the precondition: the intact model answers at least half its held-out first hops
ABLATION_CONTRAST_MIN = 0.3  # held-out first hop, energy-matched random control minus ablated (seed 0: 0.87, 0.83)
ABLATION_EDGES_MIN = 80.0  # edge recall (top-k, %) under the ablation (seed 0: 94%)
ABLATION_TRAIN_MIN = 0.8  # training paths, exact match, under the ablation (seed 0: 1.00)
ABLATION_OTHERS_MAX_DROP = 0.1  # the other held-out leaves under one arm's ablation, below their random control


def ablation_checks(abl: Mapping[str, Any]) -> list[Check]:
    """Section 7's projection ablation (:func:`geomem_utils.chapters.reasoning.projection_ablation`)
    as evidence that the geometry answers held-out paths: removing the graph's top eigenvector
    direction from the embedding loses the held-out first hops (against random subspaces of
    the same energy) while edges and training paths survive; removing one held-out leaf's own
    arm direction loses that leaf's first hop and keeps the others'."""
    top, arm = abl["top_k"]["1"], abl["arm"]
    name = "projection ablation, the graph's top eigenvector"
    own = "projection ablation, each held-out leaf's own arm"
    why = "the geometry is what answers held-out paths (§2-§2.3), read by intervention"
    return [
        check("ablated model, intact: held-out first hop (precondition: there are answers to remove)",
              abl["intact"]["first_hop"], ">=", ABLATION_INTACT_MIN, kind="machinery",
              paper="precondition: the intact model answers held-out first hops"),
        check(f"{name}: held-out first hop, energy-matched random control minus ablated",
              top["random"]["first_hop"] - top["ablated"]["first_hop"], ">=", ABLATION_CONTRAST_MIN, paper=why),
        check(f"{name}: edge recall (top-k, %) under the ablation", top["ablated"]["edges_top_k"], ">=",
              ABLATION_EDGES_MIN, paper=why + ": the memorised edges survive it"),
        check(f"{name}: training paths (exact match) under the ablation", top["ablated"]["train_exact"], ">=",
              ABLATION_TRAIN_MIN, paper=why + ": the trained paths survive it"),
        check(f"{own}: that leaf's first hop, energy-matched random control minus ablated",
              arm["own_random"] - arm["own"], ">=", ABLATION_CONTRAST_MIN, paper=why),
        check(f"{own}: the other held-out leaves' first hop, ablated minus random control",
              arm["others"] - arm["others_random"], ">=", -ABLATION_OTHERS_MAX_DROP,
              paper=why + ": one arm's direction answers that arm only"),
    ]


#: Finding -> the start of the names of its evidence checks (kind "finding").
EVIDENCE = {
    "reasoning.heldout_paths": ("GPT held-out exact match",),
    "reasoning.mamba_heldout": ("Mamba held-out exact match",),
    "reasoning.no_token_order": ("token order",),
    "reasoning.teacherless_cascade": ("in context, teacherless",),
    "reasoning.reverse_paths_trivial": ("reverse path task, edges both",),
    "reasoning.backward_edges_reverse": ("reverse path task, edges backward",),
    "reasoning.hardest_token": ("hardest-token",),
    "reasoning.in_context_fails": ("in context G(",),
    "reasoning.in_context_reverse": ("in context reverse target",),
    "reasoning.in_context_hardest_fails": ("in context, v1 alone",),
    "reasoning.frozen_fails": ("frozen embeddings",),
    "reasoning.edge_directions": ("edge directions",),
    "reasoning.pause_tokens": ("pause tokens",),
    "reasoning.mixed_vs_staged": ("staged minus mixed",),
    "reasoning.tree_star": ("tree-star",),
    "reasoning.geometry_predicts_heldout": ("held-out first hop vs 1-step navigation", "init-scale knob"),
    "reasoning.geometry_ablation": ("projection ablation",),
}


#: Finding -> the start of the names of its preconditions (kind "machinery"): when one fails
#: at a seed (the in-context model did not even learn the look-ups), that seed says nothing
#: about the finding and is left out of its verdict.
REQUIRES = {"reasoning.in_context_fails": ("in context G(",),
            "reasoning.in_context_hardest_fails": ("in context, v1 alone",), "reasoning.no_token_order": ("in context, teacherless",),
            "reasoning.geometry_predicts_heldout": ("knob runs that generalise",),
            "reasoning.geometry_ablation": ("ablated model, intact",)}


#: Why a finding can have no evidence in a run of this chapter.
UNTESTED = "no check of this finding was computed (e.g. ARCH = 'mamba' replaces the GPT run)"


def reasoning_findings(p: Mapping[str, Any], checks: Sequence[Any], *, main: dict, hard: dict, frozen: dict,
                       mamba: dict, mamba_slow: dict, lookup: dict, ic: dict, order: Any, control: Any,
                       reverse_tf: Mapping[str, float],
                       direction_exact: Mapping[str, float], pause_steps: Mapping[int, float], pause_every: int,
                       staged: dict, mixed: dict, trees: Mapping[str, dict], n_runs: int,
                       rho: float, knob: Any = None,
                       ablations: Mapping[str, Mapping[str, Any]] | None = None,
                       tree_larger: Any = None, tree_size: str = "",
                       ic_hardest: Any = None, ic_hardest_ci: Any = None,
                       staged_larger: Any = None) -> list[dict[str, Any]]:
    """The chapter's findings: each verdict computed from the checks and the runs, with our
    numbers next to the paper's."""
    def f(x: float) -> str:
        return f"{x:.2f}"

    def verdict(fid: str, ours: str, paper: str, detail: str = "") -> dict[str, Any]:
        return fd.verdict_of(fid, checks, EVIDENCE[fid], ours, paper, detail, untested=UNTESTED,
                             requires=REQUIRES.get(fid, ()))

    def table_verdict(fid: str, t: Any, text: Callable[[Any], str], paper: str, tables_: str,
                      note: str = "") -> dict[str, Any]:
        """A verdict read from committed table(s) (``text`` puts ``t`` in words), over its own seeds."""
        if t is None:
            return fd.verdict_of(fid, checks, EVIDENCE[fid], "not measured", paper,
                                 untested=f"no committed {tables_} table at the {p['PROFILE']} profile")
        return _sized(verdict(fid, text(t), paper, " ".join(x for x in (
            note, f"Measured on the committed sweep table(s) {tables_} (make sweep NAME=...), not in this run.") if x)),
            "", t)

    # in context, v1 alone: judged on the largest committed table, the ci one beside it
    hardest_profile = str(ic_hardest.profile.iloc[0]) if ic_hardest is not None else p["PROFILE"]
    hardest_table = f"in_context_hardest-{hardest_profile}"
    larger = ic_hardest is not None and ic_hardest_ci is not None and hardest_profile != "ci"
    hardest_size = in_context_hardest_size(ic_hardest) if larger else ""

    def hardest_ours(t: Any) -> str:
        if not larger:
            return in_context_hardest_text(t)
        return (f"at the largest size measured: {in_context_hardest_text(t)}; at ci size: "
                f"{in_context_hardest_text(ic_hardest_ci)}")

    chance = 1 / p["DEGREE"]
    g = f"G({p['DEGREE']}, {p['PATH_LENGTH']})"
    fwd_tf = ic["forward"]["teacher_forced"]
    return [
        verdict("reasoning.heldout_paths", f"{f(main['final']['test_exact'])} held-out exact match "
                f"at {g}, seed {p['SEED']}; chance {chance:.2f}", "up to 100% held-out exact match at d = 10^4"),
        verdict("reasoning.mamba_heldout", f"{f(mamba['final']['test_exact'])} at "
                f"G({p['MAMBA_DEGREE']}, {p['PATH_LENGTH']}) with lr {p['MAMBA_LR']:g}, β2 {p['MAMBA_BETA2']:g} "
                f"; {f(mamba_slow['final']['test_exact'])} with the GPT's optimiser",
                "Mamba (12 x 384) answers held-out paths", "Reproduced with the Mamba's own optimiser at "
                "d >= 100; with the GPT's optimiser, or at d <= 60, the small Mamba does not generalise."),
        table_verdict("reasoning.no_token_order", order, _crossing_ours, "no particular order (not last-to-first)",
                         "token_order-ci and cascade-ci",
                         "Teacher-forced, v1 is the only composed token (every later one is one memorised edge "
                         "from the true token before it), so v1 last is no cascade by itself; the look-ups test "
                         "reads the cascade, and needs the positive control to show one."),
        table_verdict("reasoning.teacherless_cascade", control, _crossing_ours, "right to left", "cascade-ci"),
        verdict("reasoning.reverse_paths_trivial", f"{reverse_tf['both']:.2f} held-out teacher-forced look-ups "
                f"with both edge directions at G({p['ABL_DEGREE']}, {p['PATH_LENGTH']}), chance {1 / p['ABL_DEGREE']:.3f}",
                "trivially learnable (Remark 1)", "Read teacher-forced: greedy decoding fails on the first token, "
                "a copy of the query leaf that these small models only emit for training leaves."),
        verdict("reasoning.backward_edges_reverse", f"{reverse_tf['backward']:.2f} with backward edges only, "
                f"{reverse_tf['forward']:.2f} with forward edges only (held-out teacher-forced look-ups)",
                "backward edges answer the reverse task"),
        verdict("reasoning.hardest_token", f"{f(hard['final']['test_first_hop'])} held-out first hop "
                f"(root given), chance {chance:.2f}", "the first token alone is learnable in weights"),
        verdict("reasoning.in_context_fails", f"v1 {fwd_tf[1]:.3f} (chance {1 / p['IC_DEGREE']:.2f}, "
                f"{chance_z(fwd_tf[1], 1 / p['IC_DEGREE'], IC_TEST):+.1f} SE from it, after "
                f"{ic['forward']['steps_run']} steps), later tokens {np.mean(fwd_tf[2:]):.2f}",
                "first token ~1/d (not learnt), later tokens right",
                "Below chance is not learnt either: the check is one-sided. The later tokens being right is the "
                "precondition (the model trained), shown apart."),
        _sized(table_verdict("reasoning.in_context_hardest_fails", ic_hardest, hardest_ours,
                             "in context the first token alone is not learnt (~1/d)", hardest_table,
                             "Pooled over the table's seeds. In weights the same objective is learnt "
                             "(reasoning.hardest_token)."), hardest_size),
        verdict("reasoning.in_context_reverse", "worst position of the reverse target " + (
                f"{min(ic['reverse']['teacher_forced'][1:]):.2f}" if "reverse" in ic else "not run"),
                "the reverse target is learnable in context"),
        verdict("reasoning.frozen_fails", f"frozen {f(frozen['final']['test_exact'])} vs trainable "
                f"{f(main['final']['test_exact'])} held-out exact match", "frozen embeddings fail (about 0)"),
        verdict("reasoning.edge_directions", ", ".join(f"{d} {f(v)}" for d, v in direction_exact.items())
                + f" held-out exact match at G({p['ABL_DEGREE']}, {p['PATH_LENGTH']})",
                "reverse edges are needed (forward-only and backward-only fail)"),
        verdict("reasoning.pause_tokens", f"steps to {PAUSE_TARGET:.0%} held-out exact match: " + ", ".join(
                f"{k} pause{'s' if k != 1 else ''}: {'never' if math.isnan(v) else int(v)}"
                for k, v in sorted(pause_steps.items())) + f" (evaluations every {pause_every} steps)",
                "pause tokens speed learning up (5-10 pauses, d = 10^4)",
                "The paper's graphs are orders of magnitude larger, with as many pauses as path nodes."),
        _sized(verdict("reasoning.mixed_vs_staged", _staged_ours(staged, mixed, p, staged_larger),
                       "staged training peaks then decays; mixed is the most stable",
                       ("Judged at the largest size measured, the committed laptop grid staged-laptop (make sweep "
                        "NAME=staged PROFILE=laptop), not mixed with this run's ci size. " if staged_larger is not None
                        else "") + "A short run may never reach the long-training regime where the paper sees "
                       "staged decay."),
               table_size(staged_larger, f"G({int(staged_larger.degree.iloc[0])}, "
                          f"{int(staged_larger.path_length.iloc[0])})") if staged_larger is not None else "",
               staged_larger),
        _sized(verdict("reasoning.tree_star", _tree_ours(trees, p, tree_larger),
                       "held-out leaves / subtrees of a tree-star answered (first-token split harder)",
                       ("Judged at the largest size measured, the committed laptop grid tree_star-laptop (make sweep "
                        "NAME=tree_star PROFILE=laptop), not mixed with this run's ci size. " if tree_larger is not None
                        else "") + "The paper does not give its tree-star sizes; the full profile's T(100, 6) on a "
                       "GPU tests a larger one."), tree_size if tree_larger is not None else "", tree_larger),
        verdict("reasoning.geometry_predicts_heldout", f"Spearman ρ = {rho:.2f} over {n_runs} runs; "
                f"the trainable lookup at first hop {f(lookup['final']['test_first_hop'])}, "
                f"navigation {f(lookup['final']['navigation'])}; " + _knob_ours(checks, knob),
                "the geometry answers held-out paths (Fig. 2)",
                "The knob's runs come from the committed table emb_init-ci (make sweep NAME=emb_init), pooled "
                "over its seeds: the same value stands at every seed."),
        verdict("reasoning.geometry_ablation", _ablation_ours(ablations),
                "not tested in the paper (its reading of Fig. 2: the geometry answers)",
                "Inference-time ablations of the trained main run; the Mamba's is shown, not checked."),
    ]


def _crossing_ours(t: Any) -> str:
    """A table of crossing steps in words: the step each of v1 ... v(l-2) is learnt, per seed."""
    l = int(t.path_length.iloc[0])
    per_seed = "; ".join(f"seed {int(r.seed)}: " + ", ".join(
        "never" if math.isnan(getattr(r, f"cross_{j}")) else f"{getattr(r, f'cross_{j}'):.0f}"
        for j in range(1, l - 1)) for r in t.sort_values("seed").itertuples())
    every = f" (evaluations every {int(t.eval_every.iloc[0])} steps)" if "eval_every" in t else ""
    return f"steps at which v1 ... v{l - 2} are learnt (teacher-forced, held-out), per seed: {per_seed}{every}"


def _staged_ours(staged: dict, mixed: dict, p: Mapping[str, Any], larger: Any) -> str:
    ci = (f"G({p['ABL_DEGREE']}, {p['PATH_LENGTH']}), seed {p['SEED']}: held-out exact match at the end: staged "
          f"{staged['history'][-1]['test_exact']:.2f}, mixed {mixed['history'][-1]['test_exact']:.2f}")
    return f"at the largest size measured: {staged_text(larger)}; at ci size: {ci}" if larger is not None else ci


def _tree_ours(trees: Mapping[str, dict], p: Mapping[str, Any], larger: Any) -> str:
    ci = (f"T({p['TREE_DEGREE']}, {p['TREE_LENGTH']}), seed {p['SEED']}: " + "; ".join(
          f"split by {s}: held-out exact {r['final']['test_exact']:.2f}, first hop {r['final']['test_first_hop']:.2f}"
          for s, r in trees.items()))
    return f"at the largest size measured: {tree_text(larger)}; at ci size: {ci}" if larger is not None else ci


def _sized(rec: dict[str, Any], size: str, table: Any = None) -> dict[str, Any]:
    """``rec`` with the size its verdict was read at, where that is not the chapter's own; read
    on a committed ``table``, its verdict rests on that table's seeds (its checks are pooled
    over them), not on the chapter's."""
    if size:
        rec["size"] = size
    if table is not None:
        rec["seeds"] = sorted(int(x) for x in table.seed.unique())
    return rec


def _knob_ours(checks: Sequence[Any], knob: Any) -> str:
    """The knob's numbers for a finding's "ours"."""
    got = {c.name.split(": ")[-1]: c.value for c in checks if c.name.startswith(("init-scale knob", "knob runs"))}
    n = next((c.value for c in checks if c.name.startswith("knob runs")), None)
    if knob is None or n is None:
        return "init-scale knob not measured"
    rho = next(v for k, v in got.items() if k.startswith("Spearman"))
    p_value = next(v for k, v in got.items() if k.startswith("one-sided p"))
    scales = sorted(knob["model.emb_init_std"].unique())
    return (f"ρ = {rho:.2f} (one-sided p = {p_value:.2g}) within the {int(n)} runs that generalise, of the "
            f"init-scale knob's {len(knob)} (init std {scales[0]:g} to {scales[-1]:g}, seeds "
            f"{', '.join(str(int(x)) for x in sorted(knob.seed.unique()))})")


def _ablation_ours(ablations: Mapping[str, Mapping[str, Any]] | None) -> str:
    if not ablations:
        return "not measured"
    out = []
    for model, a in ablations.items():
        t1 = a["top_k"]["1"]
        out.append(f"{model}: first hop {a['intact']['first_hop']:.2f} intact, {t1['ablated']['first_hop']:.2f} "
                   f"without the top eigenvector (random, same energy: {t1['random']['first_hop']:.2f}), training "
                   f"paths {t1['ablated']['train_exact']:.2f}, edges {t1['ablated']['edges_top_k']:.0f}%"
                   + (f"; own arm removed: that leaf {a['arm']['own']:.2f} (random {a['arm']['own_random']:.2f}), "
                      f"the others {a['arm']['others']:.2f} (random {a['arm']['others_random']:.2f})"
                      if "arm" in a else ""))
    return "; ".join(out)
