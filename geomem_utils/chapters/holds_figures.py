"""Views of sweep tables for ``06_how_far_it_holds``: the first hop against chance, and the
sweep tables measured elsewhere set next to the chapter's own runs.

Both only read tables (one row per run, columns as in :mod:`geomem_utils.sweep.grids`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from geomem_utils.sweep import tables
from geomem_utils.science.measures import chance_z
from geomem_utils.figures.plots import PALETTE


def first_hop_against_chance(ic: pd.DataFrame, deg: pd.DataFrame) -> go.Figure:
    """First-hop accuracy against chance 1/d, with 2 binomial standard errors: the
    in-context runs (forward targets, one colour per variant) and the in-weights runs
    of the ``degree`` sweep. Introduced in ``06_how_far_it_holds``."""
    fwd = ic[ic.variant != "reverse"].copy()
    fwd["se"] = np.sqrt(fwd.first_hop * (1 - fwd.first_hop) / fwd.n_test)
    weights = deg.assign(se=np.sqrt(deg.first_hop * (1 - deg.first_hop) / deg.n_test))
    parts = [(f"in context ({v})", p) for v, p in fwd.groupby("variant")]
    parts.append(("in weights (section 1)", weights))
    fig = go.Figure()
    for k, (label, part) in enumerate(parts):
        fig.add_trace(go.Scatter(
            x=part.chance, y=part.first_hop, mode="markers", name=label,
            error_y=dict(type="data", array=2 * part.se),
            marker=dict(size=9, color=PALETTE[k]),
            text=[f"G({r.degree}, {r.path_length}), seed {r.seed}" for r in part.itertuples()],
            hovertemplate="%{text}: %{y:.3f}<extra></extra>"))
    line = np.array([0.005, 1.0])
    fig.add_trace(go.Scatter(x=line, y=line, mode="lines", name="chance: accuracy = 1/d",
                             line=dict(dash="dot", color="#666")))
    fig.update_layout(title="First-hop accuracy against chance 1/d (error bars: 2 binomial standard errors)",
                      xaxis_title="chance 1/d", yaxis_title="first-hop accuracy", height=420)
    fig.update_xaxes(type="log")
    return fig


def in_context_table(ic: pd.DataFrame) -> pd.DataFrame:
    """The in-context runs, with how many binomial standard errors the first hop lies above 1/d."""
    cols = ["variant", "degree", "seed", "first_hop", "chance", "later_tokens", "final_exact", "steps"]
    z = [chance_z(r.first_hop, r.chance, int(r.n_test)) for r in ic.itertuples()]
    return ic[cols].assign(z_above_chance=z).round(2)


def committed_tables(folder: str | os.PathLike, profile: str,
                     mine: dict[str, pd.DataFrame]) -> pd.DataFrame | None:
    """One row per sweep table under ``folder`` (``*.csv`` with its ``*.json`` summary): the
    command, machine, date and torch that measured it, how many of its rows today's code
    computed (the others are stale), and, for a table of ``profile`` that this page read
    (``mine``: sweep name -> table), how many runs the page took from it and how many of the
    runs it trained itself the table also holds, with the same numbers. ``None`` when there
    is none."""
    from geomem_utils.files import science_fingerprint

    folder = Path(folder)
    stamp = science_fingerprint()
    rows = []
    for path in sorted(folder.glob("*.csv")) if folder.is_dir() else []:
        info = json.loads(path.with_suffix(".json").read_text())
        theirs = tables.read_table(path)
        ours = mine.get(info["sweep"]) if info["profile"] == profile else None
        taken = checked = "-"
        if ours is not None:
            taken = int((ours.status == "committed").sum())
            ran = ours[ours.status != "committed"]
            differ = len(tables.disagreements(ran, theirs))
            held = len(set(tables.keys(ran)) & set(tables.fresh_by_key(theirs))) if len(ran) else 0
            checked = f"{held - differ} of {held} equal"
        machine = info["machine"]
        current = int((theirs.get("stamp", pd.Series(dtype=str)) == stamp).sum())
        rows.append({"table": path.name, "command": info["command"],
                     "machine": f"{machine['processor'] or '?'}, {machine['cpus']} CPUs",
                     "date": info["started"], "torch": info["versions"]["torch"], "runs": len(theirs),
                     "by today's code": current, "read by this page": taken,
                     "trained here, in the table": checked})
    return pd.DataFrame(rows) if rows else None


def pauses_text(larger: pd.DataFrame) -> str:
    """What the laptop grid of the length sweep shows, in words: per setting (path length and
    pause tokens), the held-out exact match and first hop over the seeds, and what the models
    fit and navigate."""
    parts = []
    for (l_, k), t in larger.groupby(["path_length", "n_pause"]):
        parts.append(f"G({int(t.degree.iloc[0])}, {int(l_)}) with {int(k)} pause{'s' if k != 1 else ''}: held-out "
                     f"exact {tables.span(t.final_exact)}, first hop {tables.span(t.first_hop)}, navigation "
                     f"{tables.span(t.navigation)}")
    return (f"At {int(larger.steps.iloc[0]):,} steps, over seeds {int(larger.seed.min())}-{int(larger.seed.max())}: "
            + "; ".join(parts) + f". Every run fits its training paths (exact match at least "
            f"{larger.train_exact.min():.2f}).")
