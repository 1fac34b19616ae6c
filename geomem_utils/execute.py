"""The executor: the only thing that runs the book's notebooks.

``python -m geomem_utils.execute [STEM ...] --profile ci -p NAME VALUE ...`` reads each
``notebooks/STEM.md`` (jupytext MyST), checks the given parameters against the names and
literal types of its ``parameters`` cell *before anything is touched* (a refused run
changes no file), executes it with papermill into ``build/executed/STEM.ipynb`` and
records its wall time in ``build/executed/_runs.json``.

- **Own folder for other parameters.** A run with any ``-p`` or a profile other than
  ``ci`` writes its executed notebook and results into ``build/runs/<name>/executed`` and
  ``.../results`` (named after its notebook, profile and parameters, or ``--run-dir DIR``),
  never over the book's ``build/executed`` and ``build/results``, unless ``--book`` asks
  for exactly that. ``book/build_book.py --executed .../executed --results .../results``
  builds a book from it.
- **Skips what is unchanged.** A notebook whose inputs (its source, the parameters, the
  package's source fingerprint, ``requirements/constraints.txt`` and ``pyproject.toml``) are
  those of its executed copy, and whose executed copy and results file are present and
  valid, is not executed again (``--force`` or ``GEOMEM_FORCE=1`` re-executes).
- **Failures are readable.** A failing notebook is reported with the failing cell's first
  lines, the end of its traceback and the path of the partially executed notebook; the
  notebook's old results file is deleted before it runs, so a failed run never leaves a
  stale verdict behind. On a terminal each notebook shows its progress (cells done / total,
  elapsed); elsewhere (CI logs) one line at most every minute.
- **No machine paths.** ``RESULTS_DIR`` is passed relative to the repository root, and the
  checkout's path is scrubbed from the executed notebook (outputs and metadata).
- **Two notebooks at a time, one thread each.** ``--jobs N`` (default: one per core, at
  most two) runs N notebooks side by side in worker processes, longest first by their
  last recorded wall time. Every kernel gets ``--threads`` torch/BLAS threads (default 1,
  ``$GEOMEM_THREADS``): the book's numbers then do not depend on the machine's core count,
  and two trainings never share a core under OpenMP's spinning. A run that two notebooks
  need is trained once (the cache locks it, :func:`geomem_utils.results.file_lock`).
- **Told before a long run.** At the ``full`` profile on a machine without CUDA, the
  executor measures a few training steps of the profile's main run, says how long the
  run would take, and refuses unless ``-p DEVICE cpu`` (or ``mps``) is given explicitly or
  ``--i-know``.

Exits non-zero, naming the notebook, when a parameter is rejected, a cell fails, or the
notebook's claim check fails. Notebooks are looked up in ``notebooks/`` (or
``--notebooks DIR`` / ``$GEOMEM_NOTEBOOKS``).
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import datetime as dt
import hashlib
import json
import os
import platform
import re
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator

from .results import atomic_write_bytes, atomic_write_json, code_fingerprint, file_lock

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
#: What the book is built from; other parameters go to RUNS/<name>/ (see run_folder).
BOOK_PROFILE, BOOK_EXECUTED, BOOK_RESULTS, RUNS = "ci", "build/executed", "build/results", "build/runs"
#: The environment the skip check compares (with the notebook, its parameters and the code).
LOCK_FILES = ("requirements/constraints.txt", "pyproject.toml")
#: The thread pools a kernel may start (torch's OpenMP, MKL, OpenBLAS under numpy, numba under UMAP).
THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS")
#: Most notebooks run at once by default: two lanes of one thread fill two cores; more lanes
#: mostly wait for the runs they share.
MAX_DEFAULT_JOBS = 2


class NotebookFailed(RuntimeError):
    """A notebook raised, or its parameters were rejected."""


def notebooks_dir() -> Path:
    """Where notebooks are looked up: ``$GEOMEM_NOTEBOOKS`` when set, else ``ROOT/notebooks``."""
    return Path(os.environ.get("GEOMEM_NOTEBOOKS") or NOTEBOOKS)


def notebook_paths(stems: list[str] | None = None, folder: str | os.PathLike | None = None) -> list[Path]:
    """The notebooks to run: all of ``FOLDER/NN_*.md`` in order, or the named stems.

    ``folder`` defaults to :func:`notebooks_dir` (``ROOT/notebooks``).
    """
    folder = Path(folder) if folder is not None else notebooks_dir()
    available = sorted(p for p in folder.glob("[0-9][0-9]_*.md"))
    if not stems:
        return available
    by_stem = {p.stem: p for p in available}
    out = []
    for s in stems:
        s = Path(s).stem
        if s not in by_stem:
            raise NotebookFailed(f"unknown notebook {s!r}; available: {sorted(by_stem)}")
        out.append(by_stem[s])
    return out


def read_notebook(path: Path):
    import jupytext

    return jupytext.read(path)


def parameters_cell(nb) -> dict[str, Any]:
    """Names and literal defaults of the cell tagged ``parameters``."""
    cells = [c for c in nb.cells if c.cell_type == "code" and "parameters" in c.metadata.get("tags", [])]
    if len(cells) != 1:
        raise NotebookFailed(f"expected exactly one cell tagged 'parameters', found {len(cells)}")
    out: dict[str, Any] = {}
    for node in ast.parse(cells[0].source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            out[node.targets[0].id] = ast.literal_eval(node.value)
        elif not isinstance(node, ast.Expr):  # docstrings / bare comments are fine
            raise NotebookFailed("the parameters cell must hold only NAME = literal lines")
    return out


def check_overrides(stem: str, defaults: dict[str, Any], overrides: dict[str, Any]) -> None:
    """Unknown names and values whose type contradicts the default's are rejected here."""
    for name, value in overrides.items():
        if name not in defaults:
            raise NotebookFailed(f"{stem}: unknown parameter {name}; the notebook's parameters are {sorted(defaults)}")
        default = defaults[name]
        if default is None or value is None:
            continue
        ok = isinstance(value, type(default)) and not (isinstance(value, bool) and not isinstance(default, bool))
        if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
            ok = True
        if not ok:
            raise NotebookFailed(
                f"{stem}: parameter {name} must be {type(default).__name__} like its default {default!r}, "
                f"got {type(value).__name__} {value!r}"
            )


def parse_value(text: str) -> Any:
    """``-p NAME VALUE``: a Python literal when it parses as one, else the string."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _record_run(out_dir: Path, row: dict[str, Any]) -> None:
    with file_lock(out_dir / "._runs.lock"):  # notebooks running side by side share the log
        _update_run_log(out_dir, row)


def _update_run_log(out_dir: Path, row: dict[str, Any]) -> None:
    log_path = out_dir / "_runs.json"
    log: dict[str, Any] = {"runs": []}
    if log_path.exists():
        try:
            log = json.loads(log_path.read_text())
        except json.JSONDecodeError:
            log = {"runs": []}
    runs = [r for r in log.get("runs", []) if r.get("notebook") != row["notebook"]]
    runs.append(row)
    log = {
        "runs": sorted(runs, key=lambda r: r["notebook"]),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version()},
    }
    atomic_write_json(log_path, log)


def _children_maxrss_mb() -> float:
    """``RUSAGE_CHILDREN``'s ``ru_maxrss`` in MiB (KiB on Linux, bytes on macOS); 0 where absent."""
    try:
        import resource  # not on Windows
    except ImportError:
        return 0.0
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return rss / 2**20 if sys.platform == "darwin" else rss / 1024


class PeakRSS:
    """Peak resident memory (MiB) of this process's descendants (the kernel) during a block.

    Polls every ``interval`` seconds: the high-water mark ``VmHWM`` of each descendant in
    ``/proc`` on Linux, else (macOS, Windows) the resident size of each descendant through
    ``psutil``; and takes ``RUSAGE_CHILDREN``'s ``ru_maxrss`` when it rose during the block
    (a reaped kernel; ``resource``, not on Windows). ``mb`` stays None when nothing could
    be measured.
    """

    def __init__(self, interval: float = 0.25, use_proc: bool | None = None) -> None:
        self.interval, self.mb = interval, None
        self.use_proc = Path("/proc/self/status").exists() if use_proc is None else use_proc
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    @staticmethod
    def _descendants_hwm_kb() -> int:
        parent: dict[int, int] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                parent[int(stat.parent.name)] = int(fields[1])
            except (OSError, IndexError, ValueError):
                continue
        mine, frontier = set(), {os.getpid()}
        while frontier:
            frontier = {p for p, pp in parent.items() if pp in frontier and p not in mine}
            mine |= frontier
        peak = 0
        for pid in mine:
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]))
            except (OSError, ValueError, IndexError):
                continue
        return peak

    @staticmethod
    def _descendants_rss_kb() -> int:
        try:
            import psutil
        except ImportError:
            return 0
        peak = 0
        try:
            children = psutil.Process().children(recursive=True)
        except psutil.Error:
            return 0
        for child in children:
            try:
                peak = max(peak, child.memory_info().rss // 1024)
            except psutil.Error:
                continue
        return peak

    def _poll(self) -> None:
        probe = self._descendants_hwm_kb if self.use_proc else self._descendants_rss_kb
        while not self._stop.wait(self.interval):
            kb = probe()
            if kb:
                self.mb = max(self.mb or 0.0, kb / 1024)

    def __enter__(self) -> "PeakRSS":
        self._before = _children_maxrss_mb()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        after = _children_maxrss_mb()
        if after > self._before:
            self.mb = max(self.mb or 0.0, after)
        if self.mb is not None:
            self.mb = round(self.mb, 1)


def root_relative(path: str | os.PathLike) -> str:
    """``path`` relative to the repository root when it lies inside it (POSIX spelling), else as given.

    What the executor passes as ``RESULTS_DIR``: the kernel resolves it against the root
    (:func:`geomem_utils.results.from_root`), and no path of the build machine ends up in
    the executed notebook.
    """
    p = Path(path)
    if not p.is_absolute():
        return p.as_posix()
    try:
        return p.resolve().relative_to(ROOT.resolve()).as_posix() or "."
    except ValueError:
        return str(path)


def results_file(stem: str, parameters: dict[str, Any]) -> Path:
    """Where the notebook will write its results: ``RESULTS_DIR/STEM.json``.

    A relative ``RESULTS_DIR`` is taken from ``ROOT``, as the kernel does.
    """
    folder = Path(str(parameters.get("RESULTS_DIR") or "build/results"))
    return (folder if folder.is_absolute() else ROOT / folder) / f"{stem}.json"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def inputs_digest(path: Path, parameters: dict[str, Any], threads: int = 1) -> str:
    """A hash of what a notebook's execution depends on: its source, its parameters (the
    profile among them), the kernel's thread count, the package's source fingerprint and
    the lock files."""
    lock = {name: _sha256((ROOT / name).read_bytes()) if (ROOT / name).exists() else None for name in LOCK_FILES}
    blob = json.dumps({"source": _sha256(Path(path).read_bytes()), "parameters": parameters, "threads": threads,
                       "code": code_fingerprint(), "lock": lock, "python": platform.python_version()},
                      sort_keys=True, default=str)
    return _sha256(blob.encode())[:24]


def _valid_record(record: Any, stem: str) -> bool:
    return (isinstance(record, dict) and record.get("notebook") == stem and bool(record.get("checks"))
            and bool(record.get("passed") or not record.get("enforced", True)))


def reusable(stem: str, out: Path, results_path: Path, digest: str) -> dict[str, Any] | None:
    """The results record of a previous run with the same inputs, when its executed notebook
    and results file are present and valid (the results file unchanged since that run, its
    checks passed or not enforced, the notebook executed to the end without an error); else None."""
    try:
        nb = json.loads(out.read_text())
        stamp = nb["metadata"]["geomem"]
        data = results_path.read_bytes()
        record = json.loads(data)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if stamp.get("inputs") != digest or stamp.get("results_sha256") != _sha256(data):
        return None
    if nb["metadata"].get("papermill", {}).get("exception"):
        return None
    if any(o.get("output_type") == "error" for c in nb.get("cells", []) for o in c.get("outputs", [])):
        return None
    return record if _valid_record(record, stem) else None


def _scrub_paths(text: str) -> str:
    """Remove the build machine's paths: the checkout becomes relative, the interpreter's
    prefix (a venv or conda env outside the checkout) becomes ``<env>``, the home ``~``."""
    pairs = [(str(ROOT) + os.sep, ""), (str(ROOT), ".")]
    if not Path(sys.prefix).resolve().is_relative_to(ROOT):
        pairs.append((str(Path(sys.prefix)), "<env>"))
    home = str(Path.home())
    if len(home) > 1:
        pairs.append((home + os.sep, "~" + os.sep))
    for old, new in pairs:
        for o, n in ((old, new), (json.dumps(old)[1:-1], json.dumps(new)[1:-1])):  # raw and JSON-escaped
            text = text.replace(o, n)
    return text


def finalise_executed(out: Path, stamp: dict[str, Any] | None) -> None:
    """Scrub machine paths from the executed notebook and, after a good run, stamp its
    inputs and results file (what :func:`reusable` compares next time)."""
    if not out.exists():
        return
    nb = json.loads(_scrub_paths(out.read_text()))
    meta = nb.setdefault("metadata", {})
    if stamp is None:
        meta.pop("geomem", None)
    else:
        meta["geomem"] = stamp
    atomic_write_bytes(out, (json.dumps(nb, indent=1, ensure_ascii=False) + "\n").encode())


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def failure_report(stem: str, err: BaseException, wall: float, out: Path, head: int = 4, tail: int = 12) -> str:
    """``STEM failed after N s: Ename: evalue`` then the failing cell's first lines, the end
    of the traceback and the partially executed notebook's path."""
    ename = getattr(err, "ename", None)
    if ename:
        first = f"{ename}: {getattr(err, 'evalue', '')}"
    else:
        text = str(err).strip()
        first = f"{type(err).__name__}: {text.splitlines()[-1] if text else ''}"
    lines = [f"{stem} failed after {wall:.0f} s: {first}"]
    source = getattr(err, "source", None)
    if source:
        src = source.splitlines()
        where = f"cell {getattr(err, 'cell_index', '?')}"
        if getattr(err, "exec_count", None) is not None:
            where += f" (In [{err.exec_count}])"
        lines.append(f"  failing {where}:")
        lines += [f"    | {line}" for line in src[:head]] + (["    | ..."] if len(src) > head else [])
    tb = getattr(err, "traceback", None)
    if tb:
        tb_lines = [ln for ln in _ANSI.sub("", "\n".join(tb)).splitlines() if ln.strip()]
        lines.append("  end of the traceback:")
        lines += [f"    {line}" for line in tb_lines[-tail:]]
    if out.exists():
        lines.append(f"  partially executed notebook: {root_relative(out)}")
    return "\n".join(lines)


class _LineProgress:
    """A file for tqdm where it is not a terminal: each refresh becomes one plain line."""

    def write(self, text: str) -> None:
        text = _ANSI.sub("", text).replace("\r", "").strip()
        if text:
            print(text, file=sys.stderr, flush=True)

    def flush(self) -> None:
        pass


def progress_bar(stem: str, enabled: bool | None = None) -> dict[str, Any] | bool:
    """papermill's per-notebook progress (cells done / total, elapsed): a live bar on a
    terminal, a line at most every minute elsewhere (readable CI logs), or none."""
    if enabled is False:
        return False
    if sys.stderr.isatty():
        return {"desc": f"[execute] {stem}", "file": sys.stderr, "leave": False,
                "bar_format": "{desc}: {bar:20} {n_fmt}/{total_fmt} cells, {elapsed} elapsed"}
    if enabled is None:
        return False
    return {"desc": f"[execute] {stem}", "file": _LineProgress(), "mininterval": 60, "ascii": True,
            "bar_format": "{desc}: {n_fmt}/{total_fmt} cells, {elapsed} elapsed"}


def kernel_threads() -> int:
    """Threads of each notebook's kernel: ``$GEOMEM_THREADS``, else 1 (the book's numbers)."""
    text = os.environ.get("GEOMEM_THREADS", "1")
    if not text.isdigit() or int(text) < 1:
        raise NotebookFailed(f"GEOMEM_THREADS must be a positive integer, got {text!r}")
    return int(text)


@contextlib.contextmanager
def kernel_env(values: dict[str, str]) -> Iterator[None]:
    """Environment variables set for the block (the kernel papermill starts inherits them),
    restored after it."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def run_notebook(
    path: Path, parameters: dict[str, Any], out_dir: Path, timeout: int = 1800, progress: bool | None = None,
    force: bool | None = None, threads: int | None = None,
) -> dict[str, Any]:
    """Execute one notebook; return its results record. Raises NotebookFailed.

    Nothing is touched before the parameters are accepted. A notebook whose inputs are
    unchanged since its last good run (:func:`reusable`) is not executed again unless
    ``force`` (default: ``$GEOMEM_FORCE == "1"``). ``progress``: None shows it on a
    terminal only, True also as plain lines elsewhere, False never. The kernel runs on
    ``threads`` threads (default :func:`kernel_threads`).
    """
    import papermill as pm

    stem = path.stem
    nb = read_notebook(path)
    check_overrides(stem, parameters_cell(nb), parameters)
    parameters = dict(parameters)
    if parameters.get("RESULTS_DIR"):
        parameters["RESULTS_DIR"] = root_relative(parameters["RESULTS_DIR"])
    results_path = results_file(stem, parameters)
    out = Path(out_dir) / f"{stem}.ipynb"
    threads = kernel_threads() if threads is None else int(threads)
    digest = inputs_digest(path, parameters, threads)
    if force is None:
        force = os.environ.get("GEOMEM_FORCE") == "1"
    if not force:
        record = reusable(stem, out, results_path, digest)
        if record is not None:
            print(f"[execute] {stem}: unchanged since its last run, reusing {root_relative(out)} "
                  f"(--force or GEOMEM_FORCE=1 to execute it again)", flush=True)
            return record
    # A stale verdict must never survive a failed run.
    results_path.unlink(missing_ok=True)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    started = time.time()
    error: str | None = None
    peak = PeakRSS()
    try:
        with peak, kernel_env({name: str(threads) for name in THREAD_VARS}):
            pm.execute_notebook(
                nb, str(out), parameters=parameters, kernel_name="python3", cwd=str(ROOT),
                execution_timeout=timeout, progress_bar=progress_bar(stem, progress), log_output=False,
            )
    except Exception as err:  # noqa: BLE001 - reported with the notebook's name below
        error = failure_report(stem, err, time.time() - started, out)
    wall = time.time() - started
    record = None
    if results_path.exists():
        try:
            record = json.loads(results_path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            error = error or f"{stem}: unreadable results file {results_path}: {err}"
    ok = error is None and record is not None and (record.get("passed") or not record.get("enforced", True))
    stamp = None
    if ok:
        stamp = {"inputs": digest, "results_sha256": _sha256(results_path.read_bytes())}
    try:
        finalise_executed(out, stamp)
    except (OSError, ValueError) as err:
        error = error or f"{stem}: could not finalise the executed notebook {out}: {err}"
    _record_run(Path(out_dir), {
        "notebook": stem, "wall_s": round(wall, 2), "ok": bool(ok and error is None),
        "profile": parameters.get("PROFILE"),
        "started": dt.datetime.fromtimestamp(started, dt.timezone.utc).isoformat(timespec="seconds"),
        "error": _scrub_paths(error.splitlines()[0]) if error else None, "peak_rss_mb": peak.mb,
        "threads": threads,
    })
    if error is not None:
        raise NotebookFailed(error)
    if record is None:
        raise NotebookFailed(f"{stem} ran but wrote no results file {root_relative(results_path)}")
    if not ok:
        raise NotebookFailed(f"{stem}: claim check failed")
    return record


def default_jobs() -> int:
    """Notebooks run at once by default: one per core this process may use, at most
    :data:`MAX_DEFAULT_JOBS`."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_DEFAULT_JOBS))


def last_wall_times(out_dir: Path) -> dict[str, float]:
    """Each notebook's last recorded wall time: from ``OUT/_runs.json``, else from the
    committed cold build of ``bench/results/book.json``; {} when neither is readable."""
    for path, rows in ((Path(out_dir) / "_runs.json", lambda d: d["runs"]),
                       (ROOT / "bench" / "results" / "book.json", lambda d: d["result"]["cold"]["notebooks"])):
        try:
            times = {r["notebook"]: float(r["wall_s"]) for r in rows(json.loads(path.read_text()))}
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if times:
            return times
    return {}


def longest_first(paths: list[Path], out_dir: Path) -> list[Path]:
    """``paths`` longest first by :func:`last_wall_times` (a notebook never timed counts as
    the longest), so that two lanes end close together; ties keep the book's order."""
    times = last_wall_times(out_dir)
    return sorted(paths, key=lambda p: -times.get(p.stem, float("inf")))


def _run_in_worker(path: Path, parameters: dict[str, Any], out_dir: Path, timeout: int, force: bool | None,
                   threads: int) -> tuple[dict[str, Any] | None, str | None, float]:
    """One notebook in a worker process: (record, None, seconds) or (None, error, seconds)."""
    t0 = time.time()
    try:
        return run_notebook(path, parameters, out_dir, timeout, progress=False, force=force,
                            threads=threads), None, time.time() - t0
    except NotebookFailed as err:
        return None, str(err), time.time() - t0


def run_many(
    paths: list[Path], parameters: dict[str, Any], out_dir: Path, jobs: int = 1, timeout: int = 1800,
    progress: bool | None = None, force: bool | None = None, keep_going: bool = True,
    report: Callable[[str, dict[str, Any] | None, str | None, float], None] | None = None,
) -> dict[str, dict[str, Any] | NotebookFailed]:
    """Execute notebooks, ``jobs`` at a time; return each stem's record or its NotebookFailed.

    ``jobs == 1`` runs them in this process in the given order. Otherwise a pool of
    ``jobs`` worker processes (``concurrent.futures``) takes them longest first
    (:func:`longest_first`); runs they share are computed once, under the cache's lock.
    Each kernel gets :func:`kernel_threads` threads either way, so the numbers are the
    same. ``report(stem, record, error, seconds)`` is called as each one ends. Without
    ``keep_going`` no notebook starts after a failure.
    """
    threads = kernel_threads()
    outcome: dict[str, dict[str, Any] | NotebookFailed] = {}

    def done(stem: str, record: dict[str, Any] | None, error: str | None, seconds: float) -> None:
        outcome[stem] = record if error is None else NotebookFailed(error)
        if report is not None:
            report(stem, record, error, seconds)

    if jobs <= 1 or len(paths) <= 1:
        for path in paths:
            t0 = time.time()
            try:
                record = run_notebook(path, parameters, out_dir, timeout, progress=progress, force=force,
                                      threads=threads)
                done(path.stem, record, None, time.time() - t0)
            except NotebookFailed as err:
                done(path.stem, None, str(err), time.time() - t0)
                if not keep_going:
                    break
        return outcome
    import concurrent.futures as cf
    import multiprocessing

    Path(out_dir).mkdir(parents=True, exist_ok=True)
    with cf.ProcessPoolExecutor(max_workers=min(jobs, len(paths)), mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(_run_in_worker, path, parameters, Path(out_dir), timeout, force, threads): path
                   for path in longest_first(paths, Path(out_dir))}
        for future in cf.as_completed(futures):
            record, error, seconds = future.result()
            done(futures[future].stem, record, error, seconds)
            if error is not None and not keep_going:
                for f in futures:
                    f.cancel()  # those not started yet
    return {p.stem: outcome[p.stem] for p in paths if p.stem in outcome}


def run_folder(stems: list[str], profile: str, overrides: dict[str, Any]) -> str:
    """``build/runs/<notebook>-<profile>[-NAME=VALUE...]``: the folder of a run with other
    parameters than the book's; a hash replaces the parameters when they are long."""
    who = stems[0] if len(stems) == 1 else "book" if not stems else "-".join(stems)[:40]
    slug = "-".join(f"{k}={v}" for k, v in sorted(overrides.items()))
    slug = re.sub(r"[^A-Za-z0-9=._+-]+", "_", slug)
    name = f"{who}-{profile}" + (f"-{slug}" if slug else "")
    if len(name) > 96:
        name = f"{who}-{profile}-" + _sha256(json.dumps(overrides, sort_keys=True, default=str).encode())[:10]
    return f"{RUNS}/{name}"


def uses_main_run(path: Path) -> bool:
    """Whether a notebook trains the profile's shared path-star run (what the estimate measures)."""
    return "profile_run(" in Path(path).read_text()


def long_run_guard(paths: list[Path], profile: str, overrides: dict[str, Any], i_know: bool) -> str | None:
    """At the ``full`` profile on a machine without CUDA: an estimate of the main run's time
    (measured steps) and, unless the device was asked for explicitly or ``--i-know``, a
    refusal (the message); None when the run may start."""
    if profile != "full" or not any(uses_main_run(p) for p in paths):
        return None
    from .params import ParameterError, pick_device

    try:
        device = pick_device(str(overrides.get("DEVICE", "auto")), profile)
    except ParameterError as err:
        return str(err)
    if device == "cuda":
        return None
    from .experiments import estimate_seconds, profile_run

    cfg = profile_run(profile, seed=int(overrides.get("SEED", 0)))
    est = estimate_seconds(cfg, device)
    hours = est["seconds"] / 3600
    text = (f"the full profile is sized for one GPU; its main run ({est['what']}) would take about "
            f"{hours:,.0f} h on this {device} ({est['step_s']:.2f} s per step of {cfg.batch_size} measured on "
            f"{est['probe_batch']} sequences, x {cfg.steps:,} steps; evaluations not counted)")
    explicit = "DEVICE" in overrides
    if explicit or i_know:
        print(f"[execute] warning: {text}. Starting anyway, as asked.", file=sys.stderr, flush=True)
        return None
    return (f"{text}.\n  Run it on a GPU (-p DEVICE cuda), or insist: -p DEVICE {device} (or --i-know); "
            "the ci profile reproduces every claim on a laptop CPU in minutes.")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("stems", nargs="*", help="notebook stems (default: all, in order)")
    ap.add_argument("--profile", default=BOOK_PROFILE, choices=("smoke", "ci", "full"))
    ap.add_argument("-p", "--param", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"))
    ap.add_argument("--out", default=None, help=f"executed notebooks (default: {BOOK_EXECUTED}, or the run folder)")
    ap.add_argument("--results", default=None, help=f"results files (default: {BOOK_RESULTS}, or the run folder)")
    ap.add_argument("--run-dir", default=None, help=f"folder of a run with other parameters (default: {RUNS}/<name>)")
    ap.add_argument("--book", action="store_true",
                    help="write into the book's build/executed and build/results even with other parameters")
    ap.add_argument("--force", action="store_true", help="execute even notebooks whose inputs are unchanged")
    ap.add_argument("--i-know", action="store_true", help="start a run far beyond its profile's device budget")
    ap.add_argument("--quiet", action="store_true", help="no progress (cells done / total, elapsed) while a notebook runs")
    ap.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    ap.add_argument("--keep-going", action="store_true", help="run the remaining notebooks after a failure")
    ap.add_argument("--jobs", type=int, default=None,
                    help=f"notebooks run at once (default: one per core, at most {MAX_DEFAULT_JOBS})")
    ap.add_argument("--notebooks", default=None, help="folder of the notebooks (default: $GEOMEM_NOTEBOOKS or notebooks/)")
    args = ap.parse_args(argv)
    overrides = {name: parse_value(value) for name, value in args.param}
    try:
        paths = notebook_paths(args.stems, args.notebooks)
        for path in paths:  # every notebook's names and types, before anything runs or is touched
            check_overrides(path.stem, parameters_cell(read_notebook(path)), overrides)
        threads = kernel_threads()
        if args.jobs is not None and args.jobs < 1:
            raise NotebookFailed(f"--jobs must be a positive integer, got {args.jobs}")
    except NotebookFailed as err:
        print(f"[execute] FAILED {err}", file=sys.stderr)
        return 1 if paths_known(args) else 2
    refusal = long_run_guard(paths, args.profile, overrides, args.i_know)
    if refusal:
        print(f"[execute] refused: {refusal}", file=sys.stderr, flush=True)
        return 3
    out, results = args.out, args.results
    default_params = not overrides and args.profile == BOOK_PROFILE
    if out is None and results is None and (args.run_dir or not (default_params or args.book)):
        folder = Path(args.run_dir or ROOT / run_folder([p.stem for p in paths] if args.stems else [],
                                                        args.profile, overrides))
        out, results = str(folder / "executed"), str(folder / "results")  # the book's layout: build_book.py reads it
        print(f"[execute] other parameters than the book's: writing to {root_relative(folder)}/ "
              f"(--book writes into {BOOK_EXECUTED} and {BOOK_RESULTS})", flush=True)
    out, results = out or str(ROOT / BOOK_EXECUTED), results or str(ROOT / BOOK_RESULTS)
    params = {"PROFILE": args.profile, "RESULTS_DIR": root_relative(Path(results).resolve()), **overrides}
    jobs = args.jobs if args.jobs is not None else default_jobs()
    failures: list[str] = []

    def report(stem: str, record: dict[str, Any] | None, error: str | None, seconds: float) -> None:
        if error is not None:
            print(f"[execute] FAILED {error}", file=sys.stderr, flush=True)
            failures.append(stem)
        else:
            verdict = "PASS" if record and record["passed"] else "recorded (not enforced)"
            print(f"[execute] {stem}: {verdict} in {seconds:.0f} s", flush=True)

    print(f"[execute] {', '.join(p.stem for p in paths)} (profile {params['PROFILE']}; "
          f"{min(jobs, len(paths))} at a time, {threads} thread(s) each) ...", flush=True)
    run_many(paths, params, Path(out), jobs, args.timeout, progress=not args.quiet, force=args.force or None,
             keep_going=args.keep_going, report=report)
    if failures:
        print(f"[execute] failed notebooks: {', '.join(failures)}", file=sys.stderr)
        return 1
    return 0


def paths_known(args: argparse.Namespace) -> bool:
    """Whether the stems named existed (exit 1: a refused parameter) or not (exit 2: usage)."""
    try:
        notebook_paths(args.stems, args.notebooks)
        return True
    except NotebookFailed:
        return False


if __name__ == "__main__":
    sys.exit(main())
