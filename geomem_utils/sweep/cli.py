"""The command line of sweeps: ``python -m geomem_utils.sweep NAME``.

Runs the grid of ``sweeps/NAME.toml`` (:mod:`geomem_utils.sweep.grids`) on a Dask ``LocalCluster``
(one single-threaded worker process per core), on an existing cluster (``--scheduler
tcp://HOST:PORT``) or on Slurm through dask-jobqueue (``--slurm``); ``--workers 0`` runs
serially in this process. It writes one tidy table (one row per run) atomically to
``OUT/NAME-PROFILE.csv`` with ``OUT/NAME-PROFILE.json`` next to it, and exits 1, naming them,
when a run failed. ``--dry-run`` prints what would run and runs nothing. A usage error (a
Slurm flag without ``--slurm``, an unknown device, a scheduler that does not answer within
``--connect-timeout`` seconds) is one line on stderr and exit code 2, before any work.
``--out`` and ``--cache-dir`` are taken from the repository root when relative
(:func:`geomem_utils.files.from_root`), for the workers and for ``--workers 0`` alike.
The engine is :mod:`geomem_utils.sweep.cluster`; each run's row, :mod:`geomem_utils.sweep.rows`.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import re
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

from geomem_utils.files import from_root
from geomem_utils.params import DEVICES, pick_device
from geomem_utils.runs.cache import default_cache_dir
from geomem_utils.sweep import grids
from geomem_utils.sweep.grids import Sweep, describe, load, profiles_of, sweeps_dir
from geomem_utils.sweep.tables import other_rows, read_table, table
from geomem_utils.sweep.cluster import last_training, local_workers, machine, run_sweep, shown_path, slurm_cluster
from geomem_utils.sweep.rows import keys, write_table
from geomem_utils.validate import ConfigError


def report(summary: dict[str, Any], stream: Any = None) -> int:
    """Print the outcome; the exit code: 0, or 1 naming the failed runs."""
    stream = stream or sys.stdout
    print(f"sweep {summary['sweep']} [{summary['profile']}]: {summary['n_runs']} runs, {summary['done']} done, "
          f"{summary['cached']} cached, {summary.get('kept', 0)} kept from the table, {summary['failed']} failed in {summary['wall_s']:.1f} s; "
          f"table {summary['table']}", file=stream)
    for f in summary["failed_runs"]:
        print(f"FAILED run {f['index']} ({f['point']}): {f['error']}", file=stream)
    return 1 if summary["failed_runs"] else 0


PROG = "python -m geomem_utils.sweep"

#: The flags that only mean something for Slurm jobs, with their defaults there. They
#: default to None so that one given without ``--slurm`` is refused, not silently ignored.
SLURM_DEFAULTS: dict[str, Any] = {"partition": None, "account": None, "cores": 8, "memory": "16GB",
                                  "walltime": "02:00:00", "gpus": 0, "jobs": 1, "env_setup": None}


class UsageError(Exception):
    """A command line that cannot run: one line on stderr, exit code 2, before any work."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        """argparse's own errors as one line too (not the usage block), exit code 2."""
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog=PROG, description=grids.__doc__.split("\n\n")[0],
                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("name", nargs="?", help="the sweep: sweeps/NAME.toml")
    p.add_argument("--profile", default=os.environ.get("GEOMEM_PROFILE", "ci"),
                   help="the sweep file's section: smoke, ci, full, or another named grid (default ci)")
    p.add_argument("--list", action="store_true", help="list the sweeps and their grids, run nothing")
    p.add_argument("--sweeps", default=None, help="folder of the sweep files (default sweeps/ or $GEOMEM_SWEEPS)")
    p.add_argument("--out", default="build/sweeps",
                   help="folder of the table and summary; a relative path is taken from the repository root "
                        "(default build/sweeps)")
    p.add_argument("--format", default="csv", choices=("csv", "parquet"))
    p.add_argument("--device", default="auto", help="cpu, cuda, mps or auto (on each worker)")
    p.add_argument("--threads", type=int, default=1, help="torch threads per run (default 1)")
    p.add_argument("--cache-dir", default=None,
                   help="run cache shared by the workers (default $GEOMEM_CACHE_DIR, $GEOMEM_CACHE or build/cache); "
                        "a relative path is taken from the repository root, for Dask workers and --workers 0 alike")
    p.add_argument("--dry-run", action="store_true",
                   help="print what would run (the runs, the cache, the output) and run nothing; "
                        "with --slurm: print the job script")
    g = p.add_argument_group("where the runs go (default: a LocalCluster on this machine)")
    g.add_argument("--workers", type=int, default=None,
                   help="LocalCluster worker processes (default: one per core); 0: serially in this process")
    g.add_argument("--scheduler", default=None, help="address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786")
    g.add_argument("--connect-timeout", type=float, default=5.0,
                   help="seconds to wait for --scheduler to answer (default 5)")
    g.add_argument("--slurm", action="store_true", help="start workers as Slurm jobs through dask-jobqueue")
    sl = p.add_argument_group("Slurm jobs (only with --slurm)")
    sl.add_argument("--partition", default=None)
    sl.add_argument("--account", default=None)
    sl.add_argument("--cores", type=int, default=None,
                    help="CPUs per Slurm job: a CPU job runs one single-threaded worker per core, a GPU job "
                         "books them for its one worker (default 8)")
    sl.add_argument("--memory", default=None, help="memory per Slurm job (default 16GB)")
    sl.add_argument("--walltime", default=None, help="default 02:00:00")
    sl.add_argument("--gpus", type=int, default=None,
                    help="GPUs per Slurm job: 0 (default), or 1: one single-threaded worker on the job's GPU, "
                         "one run per GPU at a time (more GPUs: more --jobs)")
    sl.add_argument("--jobs", type=int, default=None, help="Slurm jobs to start (default 1)")
    sl.add_argument("--env-setup", default=None, metavar="SHELL",
                    help="how a job gets the environment, run after `cd` into this checkout "
                         "(default: source .venv/bin/activate), e.g. 'module load cuda; source .venv/bin/activate'")
    return p


def _check(args: argparse.Namespace) -> None:
    """Refuse a command line that cannot do what it says (UsageError), before any work;
    fill in the Slurm defaults."""
    if not args.name:
        raise UsageError("give a sweep NAME (see --list)")
    if args.scheduler and args.slurm:
        raise UsageError("--scheduler and --slurm are exclusive")
    given = [f"--{k.replace('_', '-')}" for k in SLURM_DEFAULTS if getattr(args, k) is not None]
    if given and not args.slurm:
        verb, them = ("only applies", "it") if len(given) == 1 else ("only apply", "them")
        raise UsageError(f"{', '.join(given)} {verb} to Slurm jobs: add --slurm, or leave {them} out")
    for k, v in SLURM_DEFAULTS.items():
        if getattr(args, k) is None:
            setattr(args, k, v)
    if args.workers is not None and (args.scheduler or args.slurm):
        raise UsageError("--workers sizes the LocalCluster on this machine: not with --scheduler or --slurm")
    for name in ("threads", "jobs", "cores"):
        if getattr(args, name) < 1:
            raise UsageError(f"--{name} must be >= 1")
    if args.gpus not in (0, 1):
        raise UsageError(f"--gpus {args.gpus}: a Slurm job runs one worker on one GPU (--gpus 1); "
                         f"--jobs N starts N of them")
    if args.workers is not None and args.workers < 0:
        raise UsageError("--workers must be >= 0")
    if args.connect_timeout <= 0:
        raise UsageError("--connect-timeout must be > 0")
    if args.device not in DEVICES:
        raise UsageError(f"--device {args.device!r} is not a device: one of {', '.join(DEVICES)}")
    if not (args.scheduler or args.slurm):  # the runs happen on this machine: it must have the device
        try:
            pick_device(args.device)
        except ConfigError as err:
            reason = re.sub(r"^parameter DEVICE is '\w+' but ", "", str(err))
            raise UsageError(f"--device {args.device}: {reason}") from None
    if args.format == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise UsageError("--format parquet needs pyarrow (pip install pyarrow); the default is csv") from None


def _where(args: argparse.Namespace, n: int) -> str:
    """Where the runs would go, in words."""
    if args.slurm:
        return f"on Slurm: {args.jobs} job(s) on partition {args.partition or '(default)'}"
    if args.scheduler:
        return f"on the Dask scheduler at {args.scheduler}"
    if args.workers == 0:
        return "serially in this process"
    return f"on a LocalCluster of {min(args.workers or local_workers(), n)} single-threaded worker(s)"


def dry_run(sweep: Sweep, args: argparse.Namespace, cache: Path, out: Path, stream: Any = None) -> int:
    """Print what the command would run, and where its results would go; run nothing."""
    stream = stream or sys.stdout
    configs = sweep.configs()
    print(f"sweep {sweep.name} [{sweep.profile}] (dry run, nothing runs): {len(configs)} runs "
          f"{_where(args, len(configs))}, device {args.device}, {args.threads} thread(s) per run", file=stream)
    print(f"cache: {cache}", file=stream)
    print(f"table: {out / f'{sweep.name}-{sweep.profile}.{args.format}'} (summary .json next to it)", file=stream)
    for i, (point, _) in enumerate(configs):
        print(f"  run {i}: {describe(point)}", file=stream)
    return 0


def _fail(message: object) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return 2


def _list(folder: str | None) -> int:
    for path in sorted((Path(folder) if folder else sweeps_dir()).glob("*.toml")):
        spec = tomllib.loads(path.read_text())
        print(f"{path.stem}: {spec.get('description', '')}")
        for prof in profiles_of(spec):
            s = load(path.stem, prof, folder)
            print(f"  [{prof}] {len(s.points())} runs: " + ", ".join(f"{k}={v}" for k, v in s.grid.items()))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    folder = args.sweeps
    if args.list:
        return _list(folder)
    try:
        _check(args)
        sweep = load(args.name, args.profile, folder)
        n = len(sweep.configs())  # validate every point before starting anything
    except (UsageError, ConfigError) as err:
        return _fail(err)
    # One meaning everywhere: a relative --cache-dir / --out is taken from the repository root,
    # whether this process runs the runs (--workers 0) or Dask workers started elsewhere do.
    cache = from_root(args.cache_dir) if args.cache_dir else None
    if cache is not None:
        os.environ["GEOMEM_CACHE_DIR"] = str(cache)
    out = from_root(args.out)
    if args.dry_run and not args.slurm:
        return dry_run(sweep, args, cache or default_cache_dir(), out)
    command = "python -m geomem_utils.sweep " + " ".join(sys.argv[1:] if argv is None else argv)
    if args.workers == 0:  # serially, in this process
        t0 = time.time()
        table_path = out / f"{sweep.name}-{sweep.profile}.{args.format}"
        trained_before = last_training(out / f"{sweep.name}-{sweep.profile}.json")
        previous = read_table(table_path) if table_path.is_file() else None
        df = table(sweep, device=args.device, progress=True, reuse=previous)
        others = other_rows(previous, keys(df), n)
        write_table(df.to_dict("records") + others, table_path)
        summary = {"sweep": sweep.name, "profile": sweep.profile, "n_runs": n, "done": int((df.status == "done").sum()),
                   "cached": int((df.status == "cached").sum()), "kept": int((df.status == "committed").sum()),
                   "other_rows": len(others), "failed": 0, "failed_runs": [],
                   "wall_s": time.time() - t0, "table": shown_path(table_path),
                   "cache_dir": shown_path(cache or default_cache_dir()),
                   "command": command, "scheduler": "serial", "machine": machine(), "complete": True,
                   "started": _dt.datetime.fromtimestamp(t0, _dt.timezone.utc).isoformat(timespec="seconds")}
        if not summary["done"] and trained_before:
            summary["trained"] = trained_before
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
                                args.account, env_setup=args.env_setup)
        if args.dry_run:
            print(cluster.job_script())
            cluster.close()
            return 0
        cluster.scale(jobs=args.jobs)
        client = Client(cluster)
    elif args.scheduler:
        try:
            client = connect(args.scheduler, args.connect_timeout)
        except UsageError as err:
            return _fail(err)
    else:
        workers = args.workers or local_workers()
        cluster = LocalCluster(n_workers=min(workers, n), threads_per_worker=1, processes=True,
                               dashboard_address=None, host="127.0.0.1")
        client = Client(cluster)
    print(f"sweep {sweep.name} [{sweep.profile}]: {n} runs on {client}", file=sys.stderr)
    try:
        _, summary = run_sweep(sweep, client, out, args.device, args.threads, cache, command=command,
                               fmt=args.format)
    except KeyboardInterrupt:
        print(f"interrupted: finished runs are cached; rerun the same command to resume", file=sys.stderr)
        return 130
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return report(summary)


def connect(address: str, timeout: float) -> Any:
    """A client of the scheduler at ``address``, or a one-line UsageError: a malformed address
    at once, one that does not answer after ``timeout`` seconds (Dask's own default waits
    30 s and ends in a long traceback)."""
    from dask.distributed import Client

    try:
        return Client(address, timeout=timeout)
    except ValueError as err:
        raise UsageError(f"--scheduler {address!r} is not a Dask address ({err}); e.g. tcp://HOST:8786") from None
    except OSError as err:
        raise UsageError(f"--scheduler {address}: no Dask scheduler answered within {timeout:g} s ({err}); "
                         f"is it running (dask scheduler --port 8786) and reachable from here?") from None
