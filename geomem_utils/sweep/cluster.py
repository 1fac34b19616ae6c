"""Sweeps through Dask: a grid's runs on a LocalCluster, an existing cluster or Slurm.

:func:`run_sweep` submits every point of a :class:`geomem_utils.sweep.grids.Sweep` to a Dask
client; each worker executes :func:`geomem_utils.sweep.rows.run_point`, so a cluster's runs
and a notebook's serial :func:`geomem_utils.sweep.grids.table` share the cache. A failed run is
recorded and does not stop the others; the table (``OUT/NAME-PROFILE.csv``) and its JSON
summary are rewritten atomically as runs finish. :func:`slurm_cluster` starts workers as
Slurm jobs through dask-jobqueue, :func:`local_workers` sizes a LocalCluster.

The command line that picks the cluster (``python -m geomem_utils.sweep NAME``) is
:mod:`geomem_utils.sweep.cli`.
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import shlex
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from geomem_utils.files import from_root, repo_root
from geomem_utils.sweep.grids import Sweep, describe
from geomem_utils.sweep.rows import frame, keys, row_of, run_point, write_table
from geomem_utils.sweep.tables import fresh_by_key, other_rows, read_table


def local_workers() -> int:
    """One worker per core this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def shown_path(path: str | os.PathLike) -> str:
    """``path`` as a summary shows it: relative to the repository root when inside it (a
    committed summary names no folder of the machine that made it), else as it is."""
    path = from_root(path)
    try:
        return str(path.relative_to(repo_root()))
    except ValueError:
        return str(path)


def activation(env_setup: str | None = None) -> list[str]:
    """The job script's lines that give a Slurm job this checkout's environment: ``cd`` into
    the checkout (on the shared filesystem a cluster's nodes see), then ``env_setup``
    (default ``source .venv/bin/activate``, relative to the checkout; e.g.
    ``module load cuda; source .venv/bin/activate`` where the nodes need a module). The
    workers then start as plain ``python``, not the submitting machine's venv interpreter."""
    return [f"cd {shlex.quote(str(repo_root()))}", env_setup or "source .venv/bin/activate"]


def slurm_cluster(partition: str | None, cores: int, memory: str, walltime: str, gpus: int, jobs: int,
                  account: str | None = None, python: str = "python", env_setup: str | None = None) -> Any:
    """A dask-jobqueue ``SLURMCluster`` whose every worker runs one run at a time.

    A CPU job (``gpus`` = 0) runs ``cores`` single-threaded worker processes. A GPU job
    (``gpus`` = 1) books one GPU (``--gres=gpu:1``) and ``cores`` CPUs for one
    single-threaded worker: one run per GPU, never eight runs sharing one (``--nthreads``
    follows dask-jobqueue's ``cores / processes``, so the worker's ``cores`` is 1 and the
    job's CPUs are ``job_cpu``). More GPUs: more jobs (``jobs``, passed to ``scale``).
    """
    from dask_jobqueue import SLURMCluster

    if gpus not in (0, 1):
        raise ValueError(f"gpus must be 0 or 1 (one worker per single-GPU job), got {gpus}")
    if gpus:
        shape = {"cores": 1, "processes": 1, "job_cpu": cores, "job_extra_directives": ["--gres=gpu:1"]}
    else:
        shape = {"cores": cores, "processes": cores, "job_extra_directives": []}
    return SLURMCluster(queue=partition, account=account, memory=memory, walltime=walltime, python=python,
                        job_script_prologue=["export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1", *activation(env_setup)],
                        scheduler_options={"dashboard_address": None}, **shape)


def run_sweep(sweep: Sweep, client: Any, out: str | os.PathLike = "build/sweeps", device: str = "auto",
              threads: int = 1, cache_dir: str | os.PathLike | None = None, progress: bool = True,
              command: str = "", fmt: str = "csv") -> tuple["pd.DataFrame", dict[str, Any]]:  # noqa: F821
    """Run every grid point on ``client``'s cluster; write the table and its JSON summary.

    ``out`` and ``cache_dir``, when relative, are taken from the repository root.
    A run that raises (or whose worker dies) is recorded as ``failed`` with its error and
    does not stop the others. The table is rewritten atomically as runs finish, so a
    killed sweep leaves a consistent partial table (and the cache, which a rerun reuses).

    A table already at the output path is added to, not replaced: a run whose row it holds,
    computed by today's code (the row's ``stamp``), is kept (status ``committed``) and not
    run again, even on a machine whose cache is empty; its other rows (another grid's, or
    stale ones, which say so by their stamp) stay. A grid too long for one sitting is so
    committed in pieces.
    """
    from dask.distributed import as_completed
    from tqdm.auto import tqdm

    from geomem_utils.runs.cache import default_cache_dir
    from geomem_utils.files import atomic_write_json, versions

    configs = sweep.configs()  # every point validated before any work starts
    # Relative paths from the repository root, as everywhere (not from this process's working
    # directory): the workers get the absolute path.
    cache = from_root(cache_dir) if cache_dir is not None else default_cache_dir()
    out = from_root(out)
    table_path = out / f"{sweep.name}-{sweep.profile}.{fmt}"
    summary_path = out / f"{sweep.name}-{sweep.profile}.json"
    started = time.time()
    trained_before = last_training(summary_path)
    previous = read_table(table_path) if table_path.is_file() else None
    planned = keys(frame([row_of(sweep, i, p, c, None) for i, (p, c) in enumerate(configs)]))
    have = fresh_by_key(previous)
    rows: dict[int, dict[str, Any]] = {i: {**have[k], "sweep": sweep.name, "profile": sweep.profile, "index": i,
                                           "status": "committed"} for i, k in enumerate(planned) if k in have}
    others = other_rows(previous, planned, len(configs))
    counts = {"done": 0, "cached": 0, "failed": 0, "kept": len(rows)}
    futures = {client.submit(run_point, cfg, device, threads, str(cache), pure=False,
                             key=f"{sweep.name}-{sweep.profile}-{i}-{time.time_ns()}"): i
               for i, (_, cfg) in enumerate(configs) if i not in rows}
    bar = tqdm(total=len(configs), initial=len(rows), desc=f"sweep {sweep.name} [{sweep.profile}]", disable=not progress,
               file=sys.stderr, dynamic_ncols=True)
    summary: dict[str, Any] = {}

    def write(final: bool) -> None:
        write_table(list(rows.values()) + others, table_path)
        failed = [rows[i] for i in sorted(rows) if rows[i]["status"] == "failed"]
        summary.clear()
        summary.update({
            "sweep": sweep.name, "profile": sweep.profile, "kind": sweep.kind, "description": sweep.description,
            "grid": sweep.grid, "fixed": sweep.fixed, "bundles": sweep.bundles, "command": command,
            "complete": final and len(rows) == len(configs), "n_runs": len(configs), "finished": len(rows),
            **counts, "other_rows": len(others), "failed_runs": [{"index": r["index"], "point": describe(configs[r["index"]][0]),
                                       "error": r["error"]} for r in failed],
            "table": shown_path(table_path), "cache_dir": shown_path(cache),
            "scheduler": str(getattr(client, "scheduler", "")),
            "workers": len(client.scheduler_info().get("workers", {})), "threads_per_run": threads,
            "machine": machine(),
            "started": _dt.datetime.fromtimestamp(started, _dt.timezone.utc).isoformat(timespec="seconds"),
            "wall_s": round(time.time() - started, 2), "versions": versions(),
        })
        if not counts["done"] and trained_before:
            summary["trained"] = trained_before
        atomic_write_json(summary_path, summary)

    last = 0.0
    try:
        for fut in as_completed(list(futures)):
            i = futures[fut]
            point, cfg = configs[i]
            if fut.status == "finished":
                rows[i] = row_of(sweep, i, point, cfg, fut.result())
            else:
                err = fut.exception()
                tb = "".join(traceback.format_exception(type(err), err, err.__traceback__)) if err else ""
                rows[i] = row_of(sweep, i, point, cfg, None, error=f"{type(err).__name__}: {err}"[:2000])
                if tb:
                    print(f"\nrun {i} ({describe(point)}) failed:\n{tb}", file=sys.stderr)
            counts[rows[i]["status"]] += 1
            bar.set_postfix(counts, refresh=False)
            bar.update(1)
            if time.time() - last > 1.0:
                write(final=False)
                last = time.time()
    except KeyboardInterrupt:
        client.cancel(list(futures))
        bar.close()
        write(final=False)
        raise
    bar.close()
    write(final=True)
    return frame(list(rows.values())), summary


#: What a summary keeps of the invocation that trained its runs (:func:`last_training`).
TRAINING_KEYS = ("command", "started", "wall_s", "workers", "done", "machine")


def last_training(summary_path: Path) -> dict[str, Any] | None:
    """The invocation that last trained runs of a table, from the summary at ``summary_path``
    (``None`` when there is none): that summary's own when it trained any, else the one it
    carried. An invocation that trains nothing (rows re-stamped from cached runs) carries it
    as ``trained``, so a table keeps the wall time its runs cost."""
    import json

    try:
        previous = json.loads(Path(summary_path).read_text())
    except (OSError, ValueError):
        return None
    if int(previous.get("done") or 0) > 0:
        return {k: previous.get(k) for k in TRAINING_KEYS}
    return previous.get("trained")


def machine() -> dict[str, Any]:
    """Where the client ran: host, platform, CPU model and count, GPU (for a table's label)."""
    cpu = platform.processor()
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                   if l.startswith("model name")) or cpu
    except (OSError, StopIteration):
        pass
    gpu = ""
    try:
        import torch

        gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else ""
    except Exception:  # noqa: BLE001 - a label, never a failure
        pass
    return {"host": platform.node(), "platform": platform.platform(), "processor": cpu,
            "cpus": os.cpu_count(), "gpu": gpu}
