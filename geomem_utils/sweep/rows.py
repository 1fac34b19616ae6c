"""One sweep run, one table row: what a Dask worker executes, and the rows as a table.

:func:`run_point` runs (or loads) one configuration of a grid point through the run cache
and returns its numbers (``METRICS``), cached as a row of their own so that a run's first
wall and CPU seconds survive; :func:`row_of` makes the tidy row (sweep, index, grid point,
configuration, numbers), :func:`frame` the table and :func:`write_table` its file, atomically.

The grids are :mod:`geomem_utils.sweep.grids`; the Dask engine that calls :func:`run_point` on
workers is :mod:`geomem_utils.sweep.cluster`; the runs themselves are
the kinds of :mod:`geomem_utils.runs.kinds` (a path-star or an in-context run), which know how
they train and what a row keeps of them.
"""

from __future__ import annotations

import datetime as _dt
import io
import os
import platform
import time
from dataclasses import asdict, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

if TYPE_CHECKING:
    from geomem_utils.sweep.grids import Sweep

#: Columns of every table, in this order (then the grid's and configuration's columns).
METRICS = ("status", "final_exact", "best_exact", "first_hop", "navigation", "train_exact", "later_tokens",
           "chance", "n_test", "steps", "train_s", "wall_s", "cpu_s", "device", "host", "date", "error", "stamp")

#: Numbers that only some kinds of run report (in context: ``v1_child``, the share of v1
#: answers that are a child of the start); a table of another kind has no such column.
KIND_METRICS = ("v1_child",)

#: Columns of a row that are not the configuration of its run (with those starting with
#: :data:`NOT_KEY_PREFIXES`: library versions, and the crossing steps of a run's positions).
NOT_KEY = ("sweep", "profile", "index", *METRICS, *KIND_METRICS)
NOT_KEY_PREFIXES = ("version_", "cross_")


def run_point(cfg: Any, device: str = "auto", threads: int = 1, cache_dir: str | None = None) -> dict[str, Any]:
    """Run (or load) one configuration and return its table row; what a Dask worker executes.

    The row is cached next to the run (``sweeprow-*.pt``), so the wall and CPU seconds of
    the run's first computation survive; ``status`` is ``"done"`` when this call trained
    the run, ``"cached"`` when the row was already there or the run was (a row recomputed
    from a cached run, e.g. after an edit outside the run's code: :func:`trained_now`). ``threads`` bounds torch's
    threads in the worker (two trainings on one core collapse under OpenMP's spinning).
    """
    import torch

    from geomem_utils.params import pick_device
    from geomem_utils.runs import kinds
    from geomem_utils.runs.cache import cached
    from geomem_utils.files import versions

    if cache_dir is not None:
        os.environ["GEOMEM_CACHE_DIR"] = str(cache_dir)
    torch.set_num_threads(max(1, int(threads)))
    dev = pick_device(device)
    kind = kinds.of(cfg)
    computed = []

    def compute() -> dict[str, Any]:
        wall0, cpu0 = time.perf_counter(), time.process_time()
        record = kind.train(cfg, dev)
        row = kind.table_row(cfg, record)
        computed.append(trained_now(time.perf_counter() - wall0, row.get("train_s")))
        row.update(wall_s=time.perf_counter() - wall0, cpu_s=time.process_time() - cpu0, device=dev,
                   host=platform.node(), date=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                   **{f"version_{k}": v for k, v in versions().items()})
        return row

    row = dict(cached({"kind": "sweep_row", "run_kind": kind.name, **asdict(cfg)}, compute, name="sweeprow", device=dev))
    row["status"] = "done" if computed and computed[0] else "cached"
    return row


def trained_now(took_s: float, train_s: Any) -> bool:
    """Whether a run was trained by the call that took ``took_s`` seconds rather than read from
    the run cache: its training loop alone took ``train_s`` (the record's), and a cached run
    loads in a small part of that. A record without its training time counts as trained."""
    try:
        train = float(train_s)
    except (TypeError, ValueError):
        return True
    return train != train or took_s >= 0.5 * train


def _config_columns(cfg: Any) -> dict[str, Any]:
    """The run's configuration as flat columns; ``model.*`` with the model config's defaults filled in."""
    from geomem_utils.runs.pathstar_config import model_defaults

    out = {}
    for f in fields(cfg):
        v = getattr(cfg, f.name)
        if f.name == "model":
            out.update({f"model.{k}": x for k, x in {**model_defaults(cfg.arch), **dict(v)}.items()})
        elif f.name == "snapshot_steps":
            continue
        else:
            out[f.name] = v
    return out


def row_of(sweep: Sweep, index: int, point: dict[str, Any], cfg: Any, result: dict[str, Any] | None,
           error: str = "") -> dict[str, Any]:
    """One tidy row: sweep, index, the grid point, the run's configuration, its numbers."""
    row: dict[str, Any] = {"sweep": sweep.name, "profile": sweep.profile, "index": index}
    row.update({k: point[k] for k in sweep.bundles})
    row.update(_config_columns(cfg))
    row.update({k: float("nan") for k in METRICS})
    row.update(status="failed", error=error, device="", host="", date="", stamp="")
    if result is not None:
        from geomem_utils.files import science_fingerprint

        row.update(result)
        # the code that computes the numbers today: the run cache keys a run by the code it
        # executes, so a row loaded or trained now is today's (a committed table's stamp)
        row.update(error="", stamp=science_fingerprint())
    return row


def _canon(v: Any) -> str:
    if isinstance(v, str):
        try:
            return repr(float(v))
        except ValueError:
            return v
    if isinstance(v, bool) or type(v).__name__ == "bool_":
        return str(bool(v))
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    return "nan" if f != f else repr(f)


def keys(df: "pd.DataFrame") -> list[tuple[str, ...]]:  # noqa: F821
    """Each row's run configuration, as a CSV file reads it back (``16`` and ``16.0`` alike,
    an empty cell as ``nan``): a committed table's rows and freshly made ones compare equal."""
    import pandas as pd

    cols = sorted(c for c in df if c not in NOT_KEY and not c.startswith(NOT_KEY_PREFIXES))
    back = pd.read_csv(io.StringIO(df[cols].to_csv(index=False)))
    return [tuple(f"{c}={_canon(v)}" for c, v in zip(cols, r)) for r in back.itertuples(index=False)]


def frame(rows: Iterable[dict[str, Any]]) -> "pd.DataFrame":  # noqa: F821
    import pandas as pd

    rows = sorted(rows, key=lambda r: r["index"])
    df = pd.DataFrame(rows)
    if df.empty:
        return df
    first = ["sweep", "profile", "index"]
    metrics = [c for c in (*METRICS, *KIND_METRICS) if c in df]
    versions_ = sorted(c for c in df if c.startswith("version_"))
    rest = [c for c in df if c not in first + metrics + versions_]
    return df[first + rest + metrics + versions_]


def write_table(rows: list[dict[str, Any]], path: str | os.PathLike) -> Path:
    """Write the rows (sorted by index) atomically as CSV (``.csv``) or Parquet (``.parquet``)."""
    import pandas as pd

    from geomem_utils.files import atomic_write_bytes

    path = Path(path)
    df = frame(rows)
    if path.suffix == ".parquet":
        buf = io.BytesIO()
        df.to_parquet(buf, index=False)
        atomic_write_bytes(path, buf.getvalue())
    else:
        atomic_write_bytes(path, df.to_csv(index=False).encode())
    return path
