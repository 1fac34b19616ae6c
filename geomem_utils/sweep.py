"""Sweeps: one finding across seeds, graph sizes, path lengths and recipes, through Dask.

A sweep is a named grid in ``sweeps/NAME.toml``: for each profile (``smoke``, ``ci``,
``full``, or any other named section) a ``grid`` (every combination of its values is one
run), ``fixed`` overrides and *bundles*: a grid key whose values name tables of overrides
(``recipe = ["gpt", "mamba"]`` with ``[ci.recipe.mamba]``)::

    kind = "path_star"                      # or "in_context"
    description = "..."
    [ci]
    fixed = {steps = 500, batch_size = 128}
    grid = {degree = [20, 40, 80], recipe = ["gpt", "mamba"], seed = [0, 1, 2]}
    [ci.recipe.gpt]
    [ci.recipe.mamba]
    arch = "mamba"
    lr = 3e-2

A path-star run is ``experiments.profile_run(base, **fixed, **bundles, **point)`` (``base``:
the section's profile, or ``base = "ci"``); a key ``model.NAME`` sets one model keyword
(``model.pos_init_std = [1.0, 0.02]``). An in-context run is
``in_context.InContextRun(**fixed, **bundles, **point)``. Every run is validated
before any work starts (errors name the field) and goes through the run cache, so a
killed sweep resumes where it stopped and sweeps that share runs share them.

``python -m geomem_utils.sweep NAME`` runs the grid on a Dask ``LocalCluster`` (one
single-threaded worker process per core), on an existing cluster (``--scheduler
tcp://HOST:PORT``) or on Slurm through dask-jobqueue (``--slurm``); ``--workers 0`` runs
serially in this process. It writes one tidy table (one row per run) atomically to
``OUT/NAME-PROFILE.csv`` with ``OUT/NAME-PROFILE.json`` next to it, and exits 1, naming
them, when a run failed. Notebooks call :func:`table`, which runs what is missing serially
in their own process (never a cluster).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import io
import itertools
import os
import platform
import sys
import time
import tomllib
import traceback
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Iterable

from .validate import ConfigError, show

ROOT = Path(__file__).resolve().parent.parent
SWEEPS = ROOT / "sweeps"
PROFILES = ("smoke", "ci", "full")
KINDS = ("path_star", "in_context")
#: Columns of every table, in this order (then the grid's and configuration's columns).
METRICS = ("status", "final_exact", "best_exact", "first_hop", "navigation", "train_exact", "later_tokens",
           "chance", "n_test", "steps", "train_s", "wall_s", "cpu_s", "device", "host", "date", "error")


def sweeps_dir() -> Path:
    return Path(os.environ.get("GEOMEM_SWEEPS") or SWEEPS)


@dataclass(frozen=True)
class Sweep:
    """One named grid at one profile."""

    name: str
    profile: str
    kind: str = "path_star"
    description: str = ""
    grid: dict[str, list[Any]] = field(default_factory=dict)
    fixed: dict[str, Any] = field(default_factory=dict)
    bundles: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # grid key -> value -> overrides
    base: str = ""  # the profile whose chapter run a path-star point starts from (default: profile, else ci)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ConfigError(f"sweep {self.name!r}: kind must be one of {list(KINDS)}, got {show(self.kind)}")
        if not isinstance(self.profile, str) or not self.profile:
            raise ConfigError(f"sweep {self.name!r}: profile must be a section name, got {show(self.profile)}")
        if self.base and self.base not in PROFILES:
            raise ConfigError(f"sweep {self.name!r} [{self.profile}]: base must be one of {list(PROFILES)}, "
                                 f"got {show(self.base)}")
        if not self.grid:
            raise ConfigError(f"sweep {self.name!r} [{self.profile}]: the grid is empty")
        for key, values in self.grid.items():
            if not isinstance(values, list) or not values:
                raise ConfigError(f"sweep {self.name!r} [{self.profile}]: grid.{key} must be a non-empty list, "
                                     f"got {show(values)}")
        for key, table in self.bundles.items():
            for v in self.grid.get(key, []):
                if v not in table:
                    raise ConfigError(f"sweep {self.name!r} [{self.profile}]: grid.{key} names {v!r}, "
                                         f"which is not among [{self.profile}.{key}.*]: {sorted(table)}")

    def points(self) -> list[dict[str, Any]]:
        """Every combination of the grid's values, in the grid's order (last key fastest)."""
        keys = list(self.grid)
        return [dict(zip(keys, combo)) for combo in itertools.product(*(self.grid[k] for k in keys))]

    def config(self, point: dict[str, Any]) -> Any:
        """The run configuration of one grid point (validated: errors name the field)."""
        kw = dict(self.fixed)
        for key, v in point.items():
            kw.update(self.bundles[key][v] if key in self.bundles else {key: v})
        model = {k.removeprefix("model."): kw.pop(k) for k in [k for k in kw if k.startswith("model.")]}
        where = f"sweep {self.name!r} [{self.profile}] at {describe(point)}"
        try:
            if self.kind == "in_context":
                from .in_context import InContextRun

                if model:
                    raise ConfigError("model.* keys are for path_star sweeps; set width/n_layers/mlp directly")
                return InContextRun(**kw)
            from .experiments import PROFILE_RUNS, PathStarRun, profile_run

            if model:  # model.NAME keys change one keyword of the recipe's (or the profile's) model
                base = dict(kw.get("model") or PROFILE_RUNS[self.base_profile].get("model") or PathStarRun.model)
                defaults = model_defaults(kw.get("arch", "gpt"))
                # a keyword at the model's default is left out, so that equal runs share one cache entry
                kw["model"] = {**base, **{k: v for k, v in model.items()
                                          if k in base or k not in defaults or defaults[k] != v}}
            kw = {k: tuple(v) if isinstance(v, list) else v for k, v in kw.items()}
            return profile_run(self.base_profile, **kw)
        except ConfigError as err:
            raise ConfigError(f"{where}: {err}") from None
        except TypeError as err:  # an unknown field name
            raise ConfigError(f"{where}: {err}") from None

    @property
    def base_profile(self) -> str:
        return self.base or (self.profile if self.profile in PROFILES else "ci")

    def configs(self) -> list[tuple[dict[str, Any], Any]]:
        return [(p, self.config(p)) for p in self.points()]


def model_defaults(arch: str) -> dict[str, Any]:
    """The default keywords of a sequence model's config (``{}`` for the shallow models)."""
    from .models import GPTConfig, MambaConfig

    cls = {"gpt": GPTConfig, "mamba": MambaConfig}.get(arch)
    return {} if cls is None else {f.name: f.default for f in fields(cls)
                                   if f.name not in ("vocab_size", "block_size")}


def describe(point: dict[str, Any]) -> str:
    return " ".join(f"{k}={v}" for k, v in point.items())


def load(name: str, profile: str = "ci", folder: str | os.PathLike | None = None) -> Sweep:
    """Read ``FOLDER/NAME.toml`` (default ``sweeps/``) at one profile."""
    folder = Path(folder) if folder is not None else sweeps_dir()
    path = folder / f"{name}.toml"
    if not path.exists():
        have = sorted(p.stem for p in folder.glob("*.toml"))
        raise ConfigError(f"unknown sweep {name!r}: no {path}; available: {have}")
    try:
        spec = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"sweep {name!r}: {path} is not valid TOML ({err})") from None
    if profile not in profiles_of(spec):
        raise ConfigError(f"sweep {name!r} has no [{profile}] section; it has {profiles_of(spec)}")
    sec = spec[profile]
    grid = dict(sec.get("grid", {}))
    bundles = {k: {n: dict(t) for n, t in v.items()} for k, v in sec.items() if k in grid and isinstance(v, dict)}
    unknown = sorted(set(sec) - {"grid", "fixed", "base", "note"} - set(bundles))
    if unknown:
        raise ConfigError(f"sweep {name!r} [{profile}]: unknown key(s) {unknown}; allowed: grid, fixed, base, "
                             "note, and tables of overrides named by a grid key")
    return Sweep(name=name, profile=profile, kind=spec.get("kind", "path_star"), description=spec.get("description", ""),
                 grid=grid, fixed=dict(sec.get("fixed", {})), bundles=bundles, base=sec.get("base", ""))


def profiles_of(spec: dict[str, Any]) -> list[str]:
    """The profiles (sections) of a sweep file: smoke, ci, full and any other named grid."""
    return [k for k, v in spec.items() if isinstance(v, dict)]


# ---------------------------------------------------------------------------- one run

def _metrics(cfg: Any, record: dict[str, Any]) -> dict[str, Any]:
    """The table's numbers of one finished run, from its record."""
    from .in_context import InContextRun

    if isinstance(cfg, InContextRun):
        tf = list(record["teacher_forced"])
        later = tf[cfg.lookup_positions] if cfg.variant != "reverse" else tf[1:]
        return {"final_exact": record["greedy_exact"], "best_exact": float("nan"),
                "first_hop": tf[cfg.first_hop_position], "navigation": float("nan"), "train_exact": float("nan"),
                "later_tokens": float(sum(later) / len(later)), "chance": 1 / cfg.degree, "n_test": cfg.n_test,
                "steps": record["steps_run"], "train_s": record["wall_s"]}
    final, hist = record["final"], record["history"]
    return {"final_exact": final["test_exact"], "best_exact": max(r["test_exact"] for r in hist),
            "first_hop": final["test_first_hop"], "navigation": final["navigation"],
            "train_exact": final["train_exact"], "later_tokens": float("nan"), "chance": 1 / cfg.degree,
            "n_test": len(record["test_ids"]), "steps": final["step"], "train_s": record["wall_s"]}


def _train(cfg: Any, device: str) -> dict[str, Any]:
    from .in_context import InContextRun, run_in_context

    if isinstance(cfg, InContextRun):
        return run_in_context(cfg, device=device)
    from .experiments import run_path_star

    return run_path_star(cfg, device=device, progress=False)


def run_point(cfg: Any, device: str = "auto", threads: int = 1, cache_dir: str | None = None) -> dict[str, Any]:
    """Run (or load) one configuration and return its table row; what a Dask worker executes.

    The row is cached next to the run (``sweeprow-*.pt``), so the wall and CPU seconds of
    the run's first computation survive; ``status`` is ``"done"`` when this call trained
    or measured it, ``"cached"`` when the row was already there. ``threads`` bounds torch's
    threads in the worker (two trainings on one core collapse under OpenMP's spinning).
    """
    import torch

    from .params import pick_device
    from .run_cache import cached
    from .results import versions

    if cache_dir is not None:
        os.environ["GEOMEM_CACHE_DIR"] = str(cache_dir)
    torch.set_num_threads(max(1, int(threads)))
    dev = pick_device(device)
    computed = []

    def compute() -> dict[str, Any]:
        computed.append(True)
        wall0, cpu0 = time.perf_counter(), time.process_time()
        record = _train(cfg, dev)
        row = _metrics(cfg, record)
        row.update(wall_s=time.perf_counter() - wall0, cpu_s=time.process_time() - cpu0, device=dev,
                   host=platform.node(), date=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                   **{f"version_{k}": v for k, v in versions().items()})
        return row

    kind = "in_context" if type(cfg).__name__ == "InContextRun" else "path_star"
    row = dict(cached({"kind": "sweep_row", "run_kind": kind, **asdict(cfg)}, compute, name="sweeprow", device=dev))
    row["status"] = "done" if computed else "cached"
    return row


def _config_columns(cfg: Any) -> dict[str, Any]:
    """The run's configuration as flat columns; ``model.*`` with the model config's defaults filled in."""
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
    row.update(status="failed", error=error, device="", host="", date="")
    if result is not None:
        row.update(result)
        row["error"] = ""
    return row


# ---------------------------------------------------------------------------- the table

def write_table(rows: list[dict[str, Any]], path: str | os.PathLike) -> Path:
    """Write the rows (sorted by index) atomically as CSV (``.csv``) or Parquet (``.parquet``)."""
    import pandas as pd

    from .results import atomic_write_bytes

    path = Path(path)
    df = frame(rows)
    if path.suffix == ".parquet":
        buf = io.BytesIO()
        df.to_parquet(buf, index=False)
        atomic_write_bytes(path, buf.getvalue())
    else:
        atomic_write_bytes(path, df.to_csv(index=False).encode())
    return path


def frame(rows: Iterable[dict[str, Any]]) -> "pd.DataFrame":  # noqa: F821
    import pandas as pd

    rows = sorted(rows, key=lambda r: r["index"])
    df = pd.DataFrame(rows)
    if df.empty:
        return df
    first = ["sweep", "profile", "index"]
    metrics = [c for c in METRICS if c in df]
    versions_ = sorted(c for c in df if c.startswith("version_"))
    rest = [c for c in df if c not in first + metrics + versions_]
    return df[first + rest + metrics + versions_]


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


# ---------------------------------------------------------------------------- Dask

def local_workers() -> int:
    """One worker per core this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def slurm_cluster(partition: str | None, cores: int, memory: str, walltime: str, gpus: int, jobs: int,
                  account: str | None = None, python: str | None = None) -> Any:
    """A dask-jobqueue ``SLURMCluster``: one job per node share, ``cores`` single-threaded
    worker processes per job (one per GPU when ``gpus`` > 0)."""
    from dask_jobqueue import SLURMCluster

    extra = [f"--gres=gpu:{gpus}"] if gpus else []
    processes = max(1, gpus) if gpus else cores
    return SLURMCluster(queue=partition, account=account, cores=cores, processes=processes, memory=memory,
                        walltime=walltime, job_extra_directives=extra, python=python or sys.executable,
                        job_script_prologue=["export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1"],
                        scheduler_options={"dashboard_address": None})


def run_sweep(sweep: Sweep, client: Any, out: str | os.PathLike = "build/sweeps", device: str = "auto",
              threads: int = 1, cache_dir: str | os.PathLike | None = None, progress: bool = True,
              command: str = "", fmt: str = "csv") -> tuple["pd.DataFrame", dict[str, Any]]:  # noqa: F821
    """Run every grid point on ``client``'s cluster; write the table and its JSON summary.

    A run that raises (or whose worker dies) is recorded as ``failed`` with its error and
    does not stop the others. The table is rewritten atomically as runs finish, so a
    killed sweep leaves a consistent partial table (and the cache, which a rerun reuses).
    """
    from dask.distributed import as_completed
    from tqdm.auto import tqdm

    from .run_cache import default_cache_dir
    from .results import atomic_write_json, versions

    configs = sweep.configs()  # every point validated before any work starts
    cache = Path(cache_dir if cache_dir is not None else default_cache_dir()).resolve()
    out = Path(out)
    table_path = out / f"{sweep.name}-{sweep.profile}.{fmt}"
    summary_path = out / f"{sweep.name}-{sweep.profile}.json"
    started = time.time()
    futures = {client.submit(run_point, cfg, device, threads, str(cache), pure=False,
                             key=f"{sweep.name}-{sweep.profile}-{i}-{time.time_ns()}"): i
               for i, (_, cfg) in enumerate(configs)}
    rows: dict[int, dict[str, Any]] = {}
    counts = {"done": 0, "cached": 0, "failed": 0}
    bar = tqdm(total=len(configs), desc=f"sweep {sweep.name} [{sweep.profile}]", disable=not progress,
               file=sys.stderr, dynamic_ncols=True)
    summary: dict[str, Any] = {}

    def write(final: bool) -> None:
        write_table(list(rows.values()), table_path)
        failed = [rows[i] for i in sorted(rows) if rows[i]["status"] == "failed"]
        summary.clear()
        summary.update({
            "sweep": sweep.name, "profile": sweep.profile, "kind": sweep.kind, "description": sweep.description,
            "grid": sweep.grid, "fixed": sweep.fixed, "bundles": sweep.bundles, "command": command,
            "complete": final and len(rows) == len(configs), "n_runs": len(configs), "finished": len(rows),
            **counts, "failed_runs": [{"index": r["index"], "point": describe(configs[r["index"]][0]),
                                       "error": r["error"]} for r in failed],
            "table": str(table_path), "cache_dir": str(cache), "scheduler": str(getattr(client, "scheduler", "")),
            "workers": len(client.scheduler_info().get("workers", {})), "threads_per_run": threads,
            "machine": machine(),
            "started": _dt.datetime.fromtimestamp(started, _dt.timezone.utc).isoformat(timespec="seconds"),
            "wall_s": round(time.time() - started, 2), "versions": versions(),
        })
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
    p = argparse.ArgumentParser(prog="python -m geomem_utils.sweep", description=__doc__.split("\n\n")[0],
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
        from .results import atomic_write_json, versions

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


if __name__ == "__main__":
    sys.exit(main())
