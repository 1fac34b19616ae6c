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

from geomem_utils.sweep.grids import Sweep, describe, load
from geomem_utils.sweep.rows import frame, row_of, run_point


def spread(df: "pd.DataFrame", by: str | list[str], columns: list[str], digits: int = 2) -> "pd.DataFrame":  # noqa: F821
    """Seeds as a spread: ``mean (min-max)`` of each column per group, and the number of runs."""
    import pandas as pd

    g = df.groupby(by)
    out = {c: [f"{m:.{digits}f} ({lo:.{digits}f}-{hi:.{digits}f})" for m, lo, hi in
               zip(g[c].mean(), g[c].min(), g[c].max())] for c in columns}
    return pd.DataFrame(out, index=g[columns[0]].mean().index).assign(runs=g.size().values)


def read_table(path: str | os.PathLike) -> "pd.DataFrame":  # noqa: F821
    """A sweep table back (one pandas call: ``pd.read_csv(path)``; Parquet by suffix)."""
    import pandas as pd

    path = Path(path)
    return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)


def table(name: str | Sweep, profile: str = "ci", device: str = "auto", progress: bool = False,
          folder: str | os.PathLike | None = None) -> "pd.DataFrame":  # noqa: F821
    """The sweep's table, computed serially in this process through the cache.

    What a notebook calls: runs that a ``make sweep`` (or an earlier build) finished are
    loaded, the missing ones trained here. A failed run raises (a notebook must not hide it).
    """
    sweep = name if isinstance(name, Sweep) else load(name, profile, folder)
    import torch

    threads = torch.get_num_threads()
    configs = sweep.configs()  # validated before any work
    rows = []
    for i, (point, cfg) in enumerate(configs):
        if progress:
            print(f"[{sweep.name} {i + 1}/{len(configs)}] {describe(point)}", flush=True)
        rows.append(row_of(sweep, i, point, cfg, run_point(cfg, device, threads)))
    return frame(rows)
