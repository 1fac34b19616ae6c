"""The claim checks of ``06_how_far_it_holds``, as functions of sweep tables.

Introduced in ``06_how_far_it_holds`` (and tested in ``tests/unit/test_sweep.py`` with tables
in which the finding is false, which must fail). Each function only reads numbers from
the tables the notebook computed (one row per run) and compares them with thresholds.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

import pandas as pd

from geomem_utils.results import Check, check


def holds_checks(
    *,
    degree: pd.DataFrame,
    pos_init: pd.DataFrame,
    exact_min: float = 0.5,
    first_hop_chances: float = 10.0,
    navigation_min: float = 0.6,
    pitfall_max_chances: float = 5.0,
) -> list[Check]:
    """The checks of chapter 06, from its sweep tables (columns as in :mod:`geomem_utils.sweep.grids`).

    - ``degree``: at the largest d of the grid, the *lowest* held-out exact match over the
      seeds is at least ``exact_min`` (the finding holds at every seed, not on average),
      the lowest held-out first hop over every (d, seed) is at least ``first_hop_chances``
      times chance 1/d, and the mean 1-step navigation accuracy at the largest d is at
      least ``navigation_min``;
    - ``pos_init``: with learned positions at N(0, 1) (``model.pos_init_std`` = 1) the
      *highest* held-out exact match over the seeds is at most ``pitfall_max_chances`` / d.

    The in-context sweep is shown by the chapter but checked in chapter 03
    (``reasoning.in_context_fails``, over that chapter's committed seeds): one experiment,
    one verdict.
    """
    for name, df in (("degree", degree), ("pos_init", pos_init)):
        if df.empty or (df.status == "failed").any():
            raise ValueError(f"the {name} table is empty or has failed runs")
    top = degree[degree.degree == degree.degree.max()]
    d = int(top.degree.iloc[0])
    lift = (degree.first_hop / degree.chance).min()
    released = pos_init[pos_init["model.pos_init_std"] == 1.0]
    if released.empty:
        raise ValueError("the pos_init table has no run with model.pos_init_std = 1.0")
    d_pos = int(released.degree.iloc[0])
    return [
        check(f"GPT held-out exact match at G({d}, l), lowest of {len(top)} seeds", top.final_exact.min(), ">=",
              exact_min, paper="held-out paths answered from memorised edges, up to 100% (Fig. 2, §2.3)"),
        check(f"GPT held-out first hop / chance, lowest over {len(degree)} runs (d = "
              f"{', '.join(str(k) for k in sorted(set(degree.degree)))})", lift, ">=", first_hop_chances,
              paper="the first hop, an (l-2)-fold composition, far above chance 1/d (§2.3)"),
        check(f"GPT 1-step navigation accuracy at G({d}, l), mean of {len(top)} seeds", top.navigation.mean(), ">=",
              navigation_min, paper="a leaf's nearest first hop is its own: one-step navigation (§2)"),
        check(f"positions at N(0, 1): held-out exact match at G({d_pos}, l), highest of {len(released)} seeds",
              released.final_exact.max(), "<=", pitfall_max_chances / d_pos,
              paper="the authors' release leaves learned positions at N(0, 1): 0% held-out there, about 90% with "
                    "N(0, 0.02)"),
    ]


def committed_check(disagreements: dict[str, list[str]]) -> Check:
    """Machinery: every run trained here whose committed row (same configuration, same code)
    exists holds the same numbers; a difference means the committed table is not what
    today's code computes (or another machine rounds a held-out leaf the other way), and the
    other seeds read from it cannot be trusted."""
    lines = [f"{name}: {line}" for name, found in disagreements.items() for line in found]
    return check("runs trained here that differ from their committed row" + (f" ({'; '.join(lines[:3])})"
                                                                            if lines else ""),
                 len(lines), "<=", 0, kind="machinery",
                 paper="the same code gives the same numbers at the same seed")


def length_check(length: pd.DataFrame, exact_min: float = 0.5) -> Check:
    """Held-out exact match on the longest paths of the ``length`` table (lowest over the seeds):
    at least ``exact_min`` when longer paths are answered as the paper reports."""
    if length.empty or (length.status == "failed").any():
        raise ValueError("the length table is empty or has failed runs")
    l_max = int(length.path_length.max())
    top = length[length.path_length == l_max]
    return check(f"GPT held-out exact match at G({int(top.degree.iloc[0])}, {l_max}), lowest of {len(top)} seeds",
                 top.final_exact.min(), ">=", exact_min,
                 paper="held-out paths of G(10^4, 6) and G(10^4, 10) answered (Fig. 2, §2.3)")


def longest_paths_text(length: pd.DataFrame) -> str:
    """The longest paths of a ``length`` table in words: held-out exact match over the seeds,
    the graph, the pause tokens, the budget, and what the models fit and navigate."""
    top = length[length.path_length == length.path_length.max()]
    pauses = sorted({int(x) for x in top.n_pause}) if "n_pause" in top else []
    return (f"{top.final_exact.min():.2f}-{top.final_exact.max():.2f} held-out exact at "
            f"G({int(top.degree.iloc[0])}, {int(top.path_length.iloc[0])})"
            + (f" with {', '.join(map(str, pauses))} pause{'s' if pauses != [1] else ''}" if pauses else "")
            + f", seeds {int(top.seed.min())}-{int(top.seed.max())}, {int(top.steps.iloc[0]):,} steps (training "
            f"paths {top.train_exact.min():.2f}-{top.train_exact.max():.2f}, navigation "
            f"{top.navigation.min():.2f}-{top.navigation.max():.2f})")


def degree_text(degree: pd.DataFrame) -> str:
    """The ``degree`` table in words: at its largest d the lowest held-out exact match and
    the mean navigation over the seeds, and the lowest first hop over every run, in chances."""
    top = degree[degree.degree == degree.degree.max()]
    return (f"lowest held-out exact {top.final_exact.min():.2f}, first hop >= "
            f"{(degree.first_hop / degree.chance).min():.0f}x chance, navigation {top.navigation.mean():.2f} at "
            f"G({int(top.degree.iloc[0])}, {int(degree.path_length.iloc[0])}) "
            f"(d = {', '.join(str(k) for k in sorted(set(degree.degree)))}, seeds {int(degree.seed.min())}-"
            f"{int(degree.seed.max())})")


def holds_findings(checks: list[Check], degree: pd.DataFrame, length: pd.DataFrame,
                   pos_init: pd.DataFrame | None = None, larger: Mapping[str, pd.DataFrame] | None = None,
                   sizes: Mapping[str, str] | None = None) -> list[dict]:
    """The verdicts of chapter 06's findings, from its checks (``holds_checks`` then
    ``length_check``) and the degree, length and pos_init tables. Each sweep spans its own
    seeds (the grids' ``seed`` column), so the verdicts state them and need no seed table.

    ``larger``: sweep name (``"degree"``, ``"length"``) -> the committed table of a larger
    profile, its size in words in ``sizes``. The checks of that sweep must then have been
    computed on it: the finding is judged at that size alone, and the ci table's result is
    stated beside it (a verdict never mixes sizes)."""
    from geomem_utils import findings as fd

    larger, sizes = dict(larger or {}), dict(sizes or {})

    def seeds_of(df: pd.DataFrame) -> list[int]:
        return sorted(int(s) for s in set(df.seed))

    def beside(name: str, ci: pd.DataFrame, text: Any) -> str:
        return (f"at the largest size measured: {text(larger[name])}; at ci size: {text(ci)}" if name in larger
                else text(ci))

    def detail(name: str, ci_detail: str) -> str:
        return (f"judged at the {name} sweep's laptop grid (committed table {name}-laptop, `make sweep NAME={name} "
                f"PROFILE=laptop`); the ci grid is stated beside it, not mixed in; the paper's sizes: `make sweep "
                f"NAME={name} PROFILE=full` on a GPU" if name in larger else ci_detail)

    by = {c.name: c for c in checks}
    scale = [c.name for c in checks[:3]]  # the degree sweep's three checks
    lc = checks[-1]  # length_check (of the larger table where given), appended last
    judged = {name: larger.get(name, ci) for name, ci in (("degree", degree), ("length", length))}
    top = judged["length"][judged["length"].path_length == judged["length"].path_length.max()]
    out = [fd.from_checks(
        "scale.seeds_and_sizes", [by[n] for n in scale], ours=beside("degree", degree, degree_text),
        paper="up to 100% held-out exact match at G(5000, 5), G(10^4, 6), G(10^4, 10)",
        detail=detail("degree", "CPU sizes at every seed; the paper's sizes run on a GPU (`make sweep NAME=degree "
                                "PROFILE=full`)"))]
    out.append(fd.from_checks(
        "scale.path_length", [lc], ours=beside("length", length, longest_paths_text),
        paper="l = 6 and l = 10 answered at d = 10^4 (GPT-mid, GPU, far longer training)",
        detail=detail("length", "a 2 x 128 GPT with a few hundred steps; the paper's sizes: `make sweep NAME=length "
                                "PROFILE=full` on a GPU, a CPU middle ground: `make sweep NAME=length PROFILE=laptop`")))
    out[0]["seeds"], out[1]["seeds"] = seeds_of(judged["degree"]), seeds_of(top)
    for rec, name in zip(out, ("degree", "length")):
        if name in larger and sizes.get(name):
            rec["size"] = sizes[name]
    pitfall = [c for c in checks if c.name.startswith("positions at N(0, 1)")]
    if pos_init is not None and pitfall:
        released = pos_init[pos_init["model.pos_init_std"] == 1.0]
        rec = fd.from_checks("scale.position_init", pitfall,
                             ours=f"highest held-out exact {pitfall[0].value:.2f} with N(0, 1) positions",
                             paper="the release's N(0, 1) positions (the paper's init is N(0, 0.02))")
        rec["seeds"] = seeds_of(released)
        out.append(rec)
    else:
        out.append(fd.from_checks("scale.position_init", [], ours="not measured", paper="the release's N(0, 1) positions",
                                  untested="the pos_init sweep was not run"))
    return out
