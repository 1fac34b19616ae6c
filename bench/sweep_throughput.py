"""Sweep throughput: runs per hour per core of the committed sweep tables.

Read, not timed again: each committed table (``bench/results/sweeps/NAME-PROFILE.csv``) and
the summary of the invocation that last trained its runs (``.json``, or the ``trained`` entry
it carries when a later invocation only re-stamped the rows from cached runs: its wall time,
its workers and how many runs it trained). Two rates per table:

- the invocation's: runs it trained / (wall hours x workers), everything a sweep pays for
  (Dask, evaluations, the rows of other runs loaded from the cache while it waits);
- the training's: 3600 / the median of the rows' ``train_s`` (the training loop alone,
  one core each), over the rows that trained (not those loaded from the run cache).

Both on this 2-core machine, with whatever else ran beside (the summary gives the date).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from .common import RESULTS

SWEEPS = RESULTS / "sweeps"


def sweep_throughput(folder: Path = SWEEPS) -> dict[str, Any]:
    rows = []
    for path in sorted(Path(folder).glob("*.csv")):
        summary = json.loads(path.with_suffix(".json").read_text())
        # the invocation that trained the runs (a later one may only have re-stamped the rows)
        info = summary if int(summary.get("done") or 0) or not summary.get("trained") else summary["trained"]
        table = pd.read_csv(path)
        trained = table[table.train_s > 1.0] if "train_s" in table else table.iloc[:0]  # loaded runs take well under 1 s
        done, workers, wall = int(info.get("done") or 0), int(info.get("workers") or 1), float(info.get("wall_s") or 0)
        rows.append({
            "table": path.name, "kind": summary.get("kind") or ("in_context" if "variant" in table else "path_star"), "runs": len(table), "trained_by_last": done,
            "workers": workers, "wall_s": wall,
            "runs_per_hour_per_core": round(done / (wall / 3600) / workers, 1) if done and wall > 0 else None,
            "train_s_median": round(float(trained.train_s.median()), 1) if len(trained) else None,
            "training_runs_per_hour_per_core": round(3600 / float(trained.train_s.median()), 1) if len(trained) else None,
            "started": info.get("started"),
        })
    return {"rows": rows, "folder": str(Path(folder).relative_to(RESULTS.parent.parent))
            if Path(folder).is_relative_to(RESULTS.parent.parent) else str(folder)}
