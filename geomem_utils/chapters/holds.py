"""Chapter 06, how far it holds: the five sweeps read at the chapter's profile and seeds,
and the thresholds of its checks (:mod:`geomem_utils.chapters.holds_checks` computes them)."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any, Mapping

from geomem_utils.sweep import grids, tables
from geomem_utils.params import Spec, int_list, integer, parse_ints
from geomem_utils.chapters import Chapter

#: The sweeps of ``sweeps/NAME.toml`` this chapter reads, in the order it runs them.
SWEEP_NAMES = ("degree", "length", "pos_init", "mamba", "in_context")

#: Sweeps whose ci runs are chapter 03's (its Mamba and its in-context run): shown here,
#: trained and judged there (its build checks its seed 0 against its own seed table), so
#: this chapter reads them from the committed tables and trains them only where a table
#: lacks a run or holds it stale.
SHOWN_ONLY = ("mamba", "in_context")

#: Thresholds of :func:`~geomem_utils.chapters.holds_checks.holds_checks`, what each stands for is
#: in the notebook's claim-check section (measured at seeds 0-2, ci profile).
THRESHOLDS: dict[str, float] = {
    "exact_min": 0.5,  # lowest held-out exact match over the seeds at the largest d
    "first_hop_chances": 10.0,  # lowest first hop over the degree grid, in multiples of 1/d
    "navigation_min": 0.6,  # mean 1-step navigation accuracy at the largest d
    "pitfall_max_chances": 5.0,  # positions at N(0, 1): highest held-out exact, x chance
}
#: Threshold of :func:`~geomem_utils.chapters.holds_checks.length_check` (lowest seed, longest l).
LENGTH_EXACT_MIN = 0.5


#: Larger grids than the book's build trains: sweep -> the profile of its committed table
#: (``make sweep NAME=degree PROFILE=laptop ARGS="--out bench/results/sweeps"``). Where that
#: table holds every run of its grid, computed by today's code, the finding is judged at that
#: size and the ci result is stated beside it; this chapter never trains them.
LARGER = {"degree": "laptop", "length": "laptop"}


def larger_table(name: str) -> Any:
    """The committed table of sweep ``name`` at its :data:`LARGER` profile when it holds every
    run of that grid computed by today's code; ``None`` otherwise (the finding then rests on
    the ci grid alone)."""
    return tables.complete_grid(name, LARGER[name])


def larger_size(name: str, larger: Any) -> str:
    """The size a :func:`larger_table` of sweep ``name`` measures, in words ("" for none)."""
    if larger is None:
        return ""
    key = "path_length" if name == "length" else "degree"
    top = larger[larger[key] == larger[key].max()]
    pauses = int(top.n_pause.iloc[0])
    return (f"GPT 2 x 128 on G({int(top.degree.iloc[0])}, {int(top.path_length.iloc[0])}) with {pauses} "
            f"pause{'s' if pauses != 1 else ''}, {int(top.steps.iloc[0]):,} steps at batch "
            f"{int(top.batch_size.iloc[0])}, seeds {int(top.seed.min())}-{int(top.seed.max())} ({LARGER[name]} "
            "profile, committed table)")


def seeds_of(p: Any) -> list[int]:
    """The chapter's seeds: ``SEED``, ``SEED + 1``, ..., ``SEED + N_SEEDS - 1``."""
    return list(range(p.SEED, p.SEED + p.N_SEEDS))


def grid_of(name: str, p: Any, **changes: Any) -> grids.Sweep:
    """The sweep of ``sweeps/NAME.toml`` at ``p.PROFILE``, with the chapter's seeds and
    the grid ``changes`` that are not ``None``. A sweep of one seed (chapter 03's runs)
    keeps its seed."""
    s = grids.load(name, p.PROFILE)
    grid = {**s.grid, **{k: v for k, v in changes.items() if v is not None}}
    if "seed" in grid and len(grid["seed"]) > 1:
        grid["seed"] = seeds_of(p)
    return replace(s, grid=grid)


def sweeps(p: Any) -> dict[str, grids.Sweep]:
    """The five sweeps of the chapter, with ``DEGREES``/``LENGTHS`` applied; every run of
    every sweep is validated (errors name the field) before any training."""
    changes = {"degree": {"degree": parse_ints(p.DEGREES)},
               "length": {"path_length": parse_ints(p.LENGTHS)}}
    out = {name: grid_of(name, p, **changes.get(name, {})) for name in SWEEP_NAMES}
    for s in out.values():
        s.configs()
    return out


def read_sweeps(sweeps_: Mapping[str, grids.Sweep], p: Any, device: str) -> tuple[dict, dict, dict]:
    """Each sweep's table: the runs at seed ``SEED`` trained (or loaded from the run cache)
    here, the other seeds' runs read from the committed table under ``TABLES_DIR`` when it
    holds them, computed by today's code (a run it lacks, or holds stale, is trained here).
    The sweeps of :data:`SHOWN_ONLY` are read whole from their tables.

    Returns ``(tables, seconds, disagreements)``: per sweep its table (``status`` says where
    each row came from: ``done``, ``cached`` or ``committed``), the seconds it took, and the
    runs trained here whose committed row holds other numbers
    (:func:`geomem_utils.sweep.tables.disagreements`)."""
    out, seconds, differ = {}, {}, {}
    for name, s in sweeps_.items():
        t0 = time.time()
        theirs = tables.committed(s, p.TABLES_DIR)
        out[name] = tables.table(s, device=device, reuse=theirs,
                                 train_seeds=[] if name in SHOWN_ONLY else [p.SEED])
        differ[name] = tables.disagreements(out[name], theirs)
        seconds[name] = round(time.time() - t0, 1)
    return out, seconds, differ


def size(p: Mapping[str, Any]) -> str:
    """What this chapter's verdicts are measured at, in words."""
    return (f"the {p['PROFILE']} grids of sweeps/degree.toml, length.toml, pos_init.toml and in_context.toml, "
            f"{p['N_SEEDS']} seeds each (seed {p['SEED']} trained in this run, the others read from "
            f"{p['TABLES_DIR']} where it holds them)")


CHAPTER = Chapter(
    stem="06_how_far_it_holds",
    title="Sweep the seeds, the sizes and the path length: how far the finding holds",
    claim="The in-weights path-star result holds at every seed and across graph sizes; in context the "
          "first hop stays at chance 1/d; learned positions initialised at N(0, 1), as in the authors' "
          "release, switch held-out generalisation off.",
    paper_ref="§2.3, Fig. 2; the authors' release (positional init)",
    specs={
        "N_SEEDS": integer({"smoke": 2, "ci": 3, "full": 3}, 1, 20, "seeds per grid point"),
        "DEGREES": int_list(None, 4, 100_000, "arms d of the degree sweep (None: the sweep file's)"),
        "LENGTHS": int_list(None, 3, 16, "path lengths l of the length sweep (None: the sweep file's)"),
        "TABLES_DIR": Spec(str, "bench/results/sweeps",
                           help="committed sweep tables: the runs of other seeds than SEED are read from them"),
    },
    size=size,
)


def summary(df: Any, by: str) -> dict[str, dict[str, float]]:
    """Per value of ``by``: the mean held-out exact match, first hop and navigation, for
    the results file."""
    means = df.groupby(by)[["final_exact", "first_hop", "navigation"]].mean()
    return {str(k): {c: float(v) for c, v in row.items()} for k, row in means.iterrows()}
