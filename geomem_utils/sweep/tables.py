"""A sweep's table as a notebook reads it: computed serially here, or read from a file.

Notebooks call :func:`table`: what is missing runs serially in their own process (never a
cluster), through the run cache, and the table is the one ``python -m geomem_utils.sweep
NAME`` writes after running the grid through Dask; :func:`spread` shows seeds as a spread
and :func:`read_table` reads a committed table back. The grids are
:mod:`geomem_utils.sweep.grids`, one run's row :mod:`geomem_utils.sweep.rows`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from geomem_utils.sweep.grids import Sweep, describe, load
from geomem_utils.sweep.rows import frame, keys, row_of, run_point


#: Where the committed sweep tables live (relative to the repository root): measured by
#: ``make sweep ... ARGS="--out bench/results/sweeps"``, each row stamped with the code that
#: computed it (:func:`geomem_utils.files.science_fingerprint`).
COMMITTED = "bench/results/sweeps"

#: The numbers of a row that a rerun of the same configuration must reproduce.
MEASURED = ("final_exact", "first_hop", "navigation", "train_exact")


def spread(df: "pd.DataFrame", by: str | list[str], columns: list[str], digits: int = 2) -> "pd.DataFrame":  # noqa: F821
    """Seeds as a spread: ``mean (min-max)`` of each column per group, and the number of runs."""
    import pandas as pd

    g = df.groupby(by)
    out = {c: [f"{m:.{digits}f} ({lo:.{digits}f}-{hi:.{digits}f})" for m, lo, hi in
               zip(g[c].mean(), g[c].min(), g[c].max())] for c in columns}
    return pd.DataFrame(out, index=g[columns[0]].mean().index).assign(runs=g.size().values)


def span(values: Any, fmt: str = ".2f") -> str:
    """The range of ``values`` in words: ``"0.56-1.00"`` (``"-0.24 to 0.00"`` where a sign would
    read as the dash), or one number when both ends print alike."""
    lo, hi = f"{min(values):{fmt}}", f"{max(values):{fmt}}"
    return lo if lo == hi else f"{lo} to {hi}" if "-" in lo + hi else f"{lo}-{hi}"


def read_table(path: str | os.PathLike) -> "pd.DataFrame":  # noqa: F821
    """A sweep table back (one pandas call: ``pd.read_csv(path)``; Parquet by suffix)."""
    import pandas as pd

    path = Path(path)
    return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)


def committed(sweep: Sweep, folder: str | os.PathLike | None = None) -> "pd.DataFrame | None":  # noqa: F821
    """The committed table of ``sweep`` (its name and profile) under ``folder`` (default
    :data:`COMMITTED`), or ``None`` when there is none."""
    from geomem_utils.files import from_root

    path = from_root(folder or COMMITTED) / f"{sweep.name}-{sweep.profile}.csv"
    return read_table(path) if path.is_file() else None


def fresh(df: "pd.DataFrame | None", stamp: str | None = None) -> "pd.DataFrame | None":  # noqa: F821
    """The rows of ``df`` computed by today's code (their ``stamp``), that did not fail."""
    from geomem_utils.files import science_fingerprint

    if df is None or df.empty or "stamp" not in df:
        return None
    stamp = stamp or science_fingerprint()
    return df[(df["stamp"] == stamp) & (df["status"] != "failed")]


def complete(sweep: Sweep, folder: str | os.PathLike | None = None) -> "pd.DataFrame | None":  # noqa: F821
    """The committed table of ``sweep`` when it holds every run of the grid, each computed by
    today's code (:func:`fresh`); ``None`` otherwise. What a chapter reads a larger grid it never
    trains from (``make sweep NAME=... PROFILE=laptop``)."""
    t = fresh(committed(sweep, folder))
    return t if t is not None and len(t) == len(sweep.points()) else None


def complete_grid(name: str, profile: str, folder: str | os.PathLike | None = None) -> "pd.DataFrame | None":  # noqa: F821
    """:func:`complete` for the grid ``sweeps/NAME.toml`` at ``profile``; ``None`` also where the
    grid has no such profile."""
    try:
        sweep = load(name, profile)
    except (KeyError, ValueError):
        return None
    return complete(sweep, folder)


def fresh_by_key(df: "pd.DataFrame | None") -> dict[tuple[str, ...], dict]:  # noqa: F821
    """The rows of ``df`` that today's code computed (:func:`fresh`), by their run's
    configuration (:func:`geomem_utils.sweep.rows.keys`)."""
    ok = fresh(df)
    return dict(zip(keys(ok), ok.to_dict("records"))) if ok is not None and len(ok) else {}


def other_rows(previous: "pd.DataFrame | None", planned: list[tuple[str, ...]], start: int) -> list[dict]:  # noqa: F821
    """The rows of a table already on disk whose runs are not in this grid (``planned``: the
    grid's keys), renumbered from ``start``: kept as they are, with their own stamps."""
    if previous is None or previous.empty:
        return []
    wanted = set(planned)
    rest = [r for k, r in zip(keys(previous), previous.to_dict("records")) if k not in wanted]
    return [{**r, "index": start + j} for j, r in enumerate(rest)]


def table(name: str | Sweep, profile: str = "ci", device: str = "auto", progress: bool = False,
          folder: str | os.PathLike | None = None, reuse: "pd.DataFrame | None" = None,  # noqa: F821
          train_seeds: "list[int] | None" = None) -> "pd.DataFrame":  # noqa: F821
    """The sweep's table, computed serially in this process through the cache.

    What a notebook calls: runs that a ``make sweep`` (or an earlier build) finished are
    loaded, the missing ones trained here. A failed run raises (a notebook must not hide it).
    ``reuse``: a committed table (:func:`committed`); a run of the grid whose row it holds,
    computed by today's code (:func:`fresh`), is taken from it (status ``committed``) unless
    its seed is in ``train_seeds``, which are always run here (the book trains seed 0 and
    reads the others; :func:`disagreements` then compares the two).
    """
    sweep = name if isinstance(name, Sweep) else load(name, profile, folder)
    import torch

    threads = torch.get_num_threads()
    configs = sweep.configs()  # validated before any work
    planned = [row_of(sweep, i, point, cfg, None) for i, (point, cfg) in enumerate(configs)]
    have = fresh_by_key(reuse)
    rows = []
    for i, ((point, cfg), key) in enumerate(zip(configs, keys(frame(planned)))):
        if key in have and getattr(cfg, "seed", None) not in (train_seeds or ()):
            rows.append({**have[key], "sweep": sweep.name, "profile": sweep.profile, "index": i,
                         "status": "committed"})
            continue
        if progress:
            print(f"[{sweep.name} {i + 1}/{len(configs)}] {describe(point)}", flush=True)
        rows.append(row_of(sweep, i, point, cfg, run_point(cfg, device, threads)))
    return frame(rows)


def disagreements(mine: "pd.DataFrame", theirs: "pd.DataFrame | None") -> list[str]:  # noqa: F821
    """Runs of ``mine`` trained here whose committed row (same configuration, today's code)
    holds other numbers (:data:`MEASURED`, within :func:`geomem_utils.seeds.agree`): a stale
    table, or a run that is not the one committed. One readable line each."""
    from geomem_utils.seeds import agree

    have = fresh_by_key(theirs)
    if not have:
        return []
    out = []
    ran = mine[mine.status != "committed"]
    for key, row in zip(keys(ran), ran.to_dict("records")):
        if key in have:
            bad = [f"{c} {row[c]:.3g} here, {have[key][c]:.3g} committed" for c in MEASURED
                   if c in row and not agree(float(row[c]), float(have[key][c]))]
            if bad:
                out.append(f"{row['sweep']} run {row['index']} (seed {row.get('seed')}): {'; '.join(bad)}")
    return out
