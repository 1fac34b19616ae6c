"""The command line of sweeps: ``python -m geomem_utils.sweep NAME``.

Runs the grid of ``sweeps/NAME.toml`` (:mod:`geomem_utils.sweep.grids`) on a Dask ``LocalCluster``
(one single-threaded worker process per core), on an existing cluster (``--scheduler
tcp://HOST:PORT``) or on Slurm through dask-jobqueue (``--slurm``); ``--workers 0`` runs
serially in this process. It writes one tidy table (one row per run) atomically to
``OUT/NAME-PROFILE.csv`` with ``OUT/NAME-PROFILE.json`` next to it, and exits 1, naming them,
when a run failed. The engine is :mod:`geomem_utils.sweep.cluster`; each run's row,
:mod:`geomem_utils.sweep.rows`.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

from geomem_utils.sweep import grids
from geomem_utils.sweep.grids import load, profiles_of, sweeps_dir
from geomem_utils.sweep.tables import table
from geomem_utils.sweep.cluster import local_workers, machine, run_sweep, slurm_cluster
from geomem_utils.sweep.rows import write_table
from geomem_utils.validate import ConfigError


def report(summary: dict[str, Any], stream: Any = None) -> int:
    """Print the outcome; the exit code: 0, or 1 naming the failed runs."""
    stream = stream or sys.stdout
    print(f"sweep {summary['sweep']} [{summary['profile']}]: {summary['n_runs']} runs, {summary['done']} done, "
          f"{summary['cached']} cached, {summary['failed']} failed in {summary['wall_s']:.1f} s; "
          f"table {summary['table']}", file=stream)
    for f in summary["failed_runs"]:
        print(f"FAILED run {f['index']} ({f['point']}): {f['error']}", file=stream)
    return 1 if summary["failed_runs"] else 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m geomem_utils.sweep", description=grids.__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("name", nargs="?", help="the sweep: sweeps/NAME.toml")
    p.add_argument("--profile", default=os.environ.get("GEOMEM_PROFILE", "ci"),
                   help="the sweep file's section: smoke, ci, full, or another named grid (default ci)")
    p.add_argument("--list", action="store_true", help="list the sweeps and their grids, run nothing")
    p.add_argument("--sweeps", default=None, help="folder of the sweep files (default sweeps/ or $GEOMEM_SWEEPS)")
    p.add_argument("--out", default="build/sweeps", help="folder of the table and summary")
    p.add_argument("--format", default="csv", choices=("csv", "parquet"))
    p.add_argument("--device", default="auto", help="cpu, cuda or auto (on each worker)")
    p.add_argument("--threads", type=int, default=1, help="torch threads per run (default 1)")
    p.add_argument("--cache-dir", default=None,
                   help="run cache shared by the workers (default $GEOMEM_CACHE_DIR, $GEOMEM_CACHE or build/cache)")
    g = p.add_argument_group("where the runs go (default: a LocalCluster on this machine)")
    g.add_argument("--workers", type=int, default=None,
                   help="LocalCluster worker processes (default: one per core); 0: serially in this process")
    g.add_argument("--scheduler", default=None, help="address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786")
    g.add_argument("--slurm", action="store_true", help="start workers as Slurm jobs through dask-jobqueue")
    g.add_argument("--partition", default=None)
    g.add_argument("--account", default=None)
    g.add_argument("--cores", type=int, default=8, help="cores per Slurm job (one single-threaded worker each)")
    g.add_argument("--memory", default="16GB", help="memory per Slurm job")
    g.add_argument("--walltime", default="02:00:00")
    g.add_argument("--gpus", type=int, default=0, help="GPUs per Slurm job (one worker per GPU)")
    g.add_argument("--jobs", type=int, default=1, help="Slurm jobs to start")
    g.add_argument("--dry-run", action="store_true", help="with --slurm: print the job script and exit")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    folder = args.sweeps
    if args.list:
        for path in sorted((Path(folder) if folder else sweeps_dir()).glob("*.toml")):
            spec = tomllib.loads(path.read_text())
            print(f"{path.stem}: {spec.get('description', '')}")
            for prof in profiles_of(spec):
                s = load(path.stem, prof, folder)
                print(f"  [{prof}] {len(s.points())} runs: " + ", ".join(f"{k}={v}" for k, v in s.grid.items()))
        return 0
    if not args.name:
        _parser().error("give a sweep NAME (see --list)")
    if args.scheduler and args.slurm:
        _parser().error("--scheduler and --slurm are exclusive")
    for name in ("threads", "jobs", "cores"):
        if getattr(args, name) < 1:
            _parser().error(f"--{name.replace('_', '-')} must be >= 1")
    if args.workers is not None and args.workers < 0:
        _parser().error("--workers must be >= 0")
    if args.format == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            _parser().error("--format parquet needs pyarrow (pip install pyarrow); the default is csv")
    try:
        sweep = load(args.name, args.profile, folder)
        n = len(sweep.configs())  # validate every point before starting anything
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    cache = args.cache_dir
    if cache:
        os.environ["GEOMEM_CACHE_DIR"] = cache
    command = "python -m geomem_utils.sweep " + " ".join(sys.argv[1:] if argv is None else argv)
    if args.workers == 0:  # serially, in this process
        t0 = time.time()
        df = table(sweep, device=args.device, progress=True)
        out = Path(args.out)
        write_table(df.to_dict("records"), out / f"{sweep.name}-{sweep.profile}.{args.format}")
        summary = {"sweep": sweep.name, "profile": sweep.profile, "n_runs": n, "done": int((df.status == "done").sum()),
                   "cached": int((df.status == "cached").sum()), "failed": 0, "failed_runs": [],
                   "wall_s": time.time() - t0, "table": str(out / f"{sweep.name}-{sweep.profile}.{args.format}"),
                   "command": command, "scheduler": "serial", "machine": machine(), "complete": True,
                   "started": _dt.datetime.fromtimestamp(t0, _dt.timezone.utc).isoformat(timespec="seconds")}
        from geomem_utils.files import atomic_write_json, versions

        atomic_write_json(out / f"{sweep.name}-{sweep.profile}.json", {**summary, "versions": versions()})
        return report(summary)

    import dask
    from dask.distributed import Client, LocalCluster

    # Dask's sampling profiler wakes every 10 ms in each worker: on a busy CPU that costs the
    # training about as much as it gets. Off for the workers this process starts (for an
    # existing cluster: DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False in the workers' environment).
    dask.config.set({"distributed.worker.profile.enabled": False})
    cluster = None
    if args.slurm:
        cluster = slurm_cluster(args.partition, args.cores, args.memory, args.walltime, args.gpus, args.jobs,
                                args.account)
        if args.dry_run:
            print(cluster.job_script())
            cluster.close()
            return 0
        cluster.scale(jobs=args.jobs)
        client = Client(cluster)
    elif args.scheduler:
        client = Client(args.scheduler)
    else:
        workers = args.workers or local_workers()
        cluster = LocalCluster(n_workers=min(workers, n), threads_per_worker=1, processes=True,
                               dashboard_address=None, host="127.0.0.1")
        client = Client(cluster)
    print(f"sweep {sweep.name} [{sweep.profile}]: {n} runs on {client}", file=sys.stderr)
    try:
        _, summary = run_sweep(sweep, client, args.out, args.device, args.threads, cache, command=command,
                               fmt=args.format)
    except KeyboardInterrupt:
        print(f"interrupted: finished runs are cached; rerun the same command to resume", file=sys.stderr)
        return 130
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return report(summary)
