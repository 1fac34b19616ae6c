"""The executor: the only thing that runs the book's notebooks.

``python -m geomem_utils.execute [STEM ...] --profile ci -p NAME VALUE ...`` reads each
``notebooks/STEM.md`` (jupytext MyST), checks the given parameters against the names and
literal types of its ``parameters`` cell *before anything is touched* (a refused run
changes no file), executes it with papermill and records its wall time in the output
folder's ``_runs.json``.

- **Own folder for every run but the book's.** ``make book`` passes ``--book`` and writes
  ``build/executed/STEM.ipynb`` and ``build/results/STEM.json``. Any other run (other ``-p``
  values, another profile, or the book's own parameters without ``--book``) writes its
  executed notebook and results into ``build/runs/<name>/executed`` and ``.../results``
  (named after its notebook, profile and parameters, or ``--run-dir DIR``), never over the
  book's folders. ``book/build_book.py --executed .../executed --results .../results``
  builds a book from it. Every way of naming a folder (``--run-dir``, ``--out``,
  ``--results``, ``-p RESULTS_DIR``) is checked before anything runs
  (:func:`check_destination`): the book's folders only with ``--book``; a run folder inside
  ``build/runs/`` or a new or empty folder outside the checkout; never ``/``, the checkout
  or a parent of it.
- **Skips what is unchanged.** A notebook whose inputs (its source, the parameters, the
  package's source fingerprint, ``requirements/constraints.txt`` and ``pyproject.toml``) are
  those of its executed copy, and whose executed copy and results file are present and
  valid, is not executed again (``--force`` or ``GEOMEM_FORCE=1`` re-executes).
- **Failures are readable.** A failing notebook is reported with the failing cell's first
  lines, the end of its traceback and the path of the partially executed notebook; the
  notebook's old results file is deleted before it runs, so a failed run never leaves a
  stale verdict behind. On a terminal each notebook shows its progress (cells done / total,
  elapsed); elsewhere (CI logs) one line at most every minute. Side by side, one line per
  lane (notebook, cell n/N, elapsed): in place on a terminal, every 30 s elsewhere.
- **No machine paths.** ``RESULTS_DIR`` is passed relative to the repository root, and the
  checkout's path is scrubbed from the executed notebook (outputs and metadata).
- **Two notebooks at a time, one thread each.** ``--jobs N`` (default: one per core, at
  most two) runs N notebooks side by side in worker processes, longest first by their
  last recorded wall time. Every kernel gets ``--threads`` torch/BLAS threads (default 1,
  ``$GEOMEM_THREADS``): the book's numbers then do not depend on the machine's core count,
  and two trainings never share a core under OpenMP's spinning. A run that two notebooks
  need is trained once (the cache locks it, :func:`geomem_utils.runs.cache.file_lock`).
- **Told before a long run.** At the ``full`` profile on a machine without CUDA, the
  executor measures a few training steps of the profile's main run, says how long the
  run would take, and refuses unless ``-p DEVICE cpu`` (or ``mps``) is given explicitly or
  ``--i-know``. A size more than :data:`FAR_BEYOND` times its profile's default (``-p
  DEGREE 100000`` at ci) is refused the same way, with the same estimate, unless
  ``--i-know``. These checks read the resolved parameters, however they were given
  (``--profile full`` or ``-p PROFILE full``), and ``-p DEVICE cuda`` (or ``mps``) on a
  machine without one is refused, all before a kernel starts.

Exits non-zero, naming the notebook, when a parameter is rejected, a cell fails, or the
notebook's claim check fails. Notebooks are looked up in ``notebooks/`` (or
``--notebooks DIR`` / ``$GEOMEM_NOTEBOOKS``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any, Callable

from geomem_utils.execute.inputs import (
    ROOT, NotebookFailed, check_overrides, notebook_paths, parameters_cell, parse_value,
    read_notebook, root_relative, sha256_hex,
)
from geomem_utils.execute.report import LaneStatus, lane_progress, last_wall_times
from geomem_utils.execute.runner import kernel_threads, run_notebook
from geomem_utils.files import from_root

#: What the book is built from; other parameters go to RUNS/<name>/ (see run_folder).
BOOK_PROFILE, BOOK_EXECUTED, BOOK_RESULTS, RUNS = "ci", "build/executed", "build/results", "build/runs"
#: Most notebooks run at once by default: two lanes of one thread fill two cores; more lanes
#: mostly wait for the runs they share.
MAX_DEFAULT_JOBS = 2


def default_jobs() -> int:
    """Notebooks run at once by default: one per core this process may use, at most
    :data:`MAX_DEFAULT_JOBS`."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_DEFAULT_JOBS))


def longest_first(paths: list[Path], out_dir: Path) -> list[Path]:
    """``paths`` longest first by :func:`last_wall_times` (a notebook never timed counts as
    the longest), so that two lanes end close together; ties keep the book's order."""
    times = last_wall_times(out_dir)
    return sorted(paths, key=lambda p: -times.get(p.stem, float("inf")))


#: In a worker process: the queue its notebooks report their cells on (None: no lane status).
_LANES: Any = None


def _lane_init(queue: Any) -> None:
    """A worker process's initializer: where its notebooks report progress (:class:`LaneStatus`)."""
    global _LANES
    _LANES = queue


def _run_in_worker(path: Path, parameters: dict[str, Any], out_dir: Path, timeout: int, force: bool | None,
                   threads: int) -> tuple[dict[str, Any] | None, str | None, float]:
    """One notebook in a worker process: (record, None, seconds) or (None, error, seconds)."""
    t0 = time.time()
    progress = lane_progress(path.stem, _LANES) if _LANES is not None else False
    try:
        return run_notebook(path, parameters, out_dir, timeout, progress=progress, force=force,
                            threads=threads), None, time.time() - t0
    except NotebookFailed as err:
        return None, str(err), time.time() - t0


def _drain(queue: Any, status: LaneStatus) -> None:
    """Every report the workers have queued, into ``status``."""
    import queue as queues

    while True:
        try:
            status.update(*queue.get_nowait())
        except queues.Empty:
            return


def run_many(
    paths: list[Path], parameters: dict[str, Any], out_dir: Path, jobs: int = 1, timeout: int = 1800,
    progress: bool | None = None, force: bool | None = None, keep_going: bool = True,
    report: Callable[[str, dict[str, Any] | None, str | None, float], None] | None = None,
    status_every: float = 30.0,
) -> dict[str, dict[str, Any] | NotebookFailed]:
    """Execute notebooks, ``jobs`` at a time; return each stem's record or its NotebookFailed.

    ``jobs == 1`` runs them in this process in the given order. Otherwise a pool of
    ``jobs`` worker processes (``concurrent.futures``) takes them longest first
    (:func:`longest_first`); runs they share are computed once, under the cache's lock.
    Each kernel gets :func:`kernel_threads` threads either way, so the numbers are the
    same. ``report(stem, record, error, seconds)`` is called as each one ends. Without
    ``keep_going`` no notebook starts after a failure. ``progress`` as for
    :func:`~geomem_utils.execute.runner.run_notebook`; side by side it is one line per lane
    (:class:`LaneStatus`: in place on a terminal, every ``status_every`` seconds elsewhere).
    """
    threads = kernel_threads()
    outcome: dict[str, dict[str, Any] | NotebookFailed] = {}
    status: LaneStatus | None = None

    def done(stem: str, record: dict[str, Any] | None, error: str | None, seconds: float) -> None:
        outcome[stem] = record if error is None else NotebookFailed(error)
        if status is not None:
            status.finish(stem)
            status.clear()
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

    context = multiprocessing.get_context("spawn")
    lanes = None
    if progress is True or (progress is None and sys.stderr.isatty()):
        lanes, status = context.Queue(), LaneStatus(every=status_every)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    with cf.ProcessPoolExecutor(max_workers=min(jobs, len(paths)), mp_context=context, initializer=_lane_init,
                                initargs=(lanes,)) as pool:
        futures = {pool.submit(_run_in_worker, path, parameters, Path(out_dir), timeout, force, threads): path
                   for path in longest_first(paths, Path(out_dir))}
        pending = set(futures)
        while pending:
            finished, pending = cf.wait(pending, timeout=0.5 if status else None, return_when=cf.FIRST_COMPLETED)
            if status is not None and lanes is not None:
                _drain(lanes, status)
            for future in finished:
                if future.cancelled():
                    continue
                record, error, seconds = future.result()
                done(futures[future].stem, record, error, seconds)
                if error is not None and not keep_going:
                    for f in futures:
                        f.cancel()  # those not started yet
            if status is not None:
                status.show()
    return {p.stem: outcome[p.stem] for p in paths if p.stem in outcome}


def run_folder(stems: list[str], profile: str, overrides: dict[str, Any]) -> str:
    """``build/runs/<notebook>-<profile>[-NAME=VALUE...]``: the folder of a run with other
    parameters than the book's; a hash replaces the parameters when they are long."""
    who = stems[0] if len(stems) == 1 else "book" if not stems else "-".join(stems)[:40]
    slug = "-".join(f"{k}={v}" for k, v in sorted(overrides.items()))
    slug = re.sub(r"[^A-Za-z0-9=._+-]+", "_", slug)
    name = f"{who}-{profile}" + (f"-{slug}" if slug else "")
    if len(name) > 96:
        name = f"{who}-{profile}-" + sha256_hex(json.dumps(overrides, sort_keys=True, default=str).encode())[:10]
    return f"{RUNS}/{name}"


def uses_main_run(path: Path) -> bool:
    """Whether a notebook trains the profile's shared path-star run (what the estimate measures)."""
    return "profile_run(" in Path(path).read_text()


#: A size parameter above this many times its profile's default is "far beyond the profile":
#: refused like the full profile on a CPU (the exercises stay within 3x).
FAR_BEYOND = 10
#: The chapters' size parameters (counts, lengths, widths, steps), compared with their profile's default.
SIZE_NAMES = re.compile(r"DEGREE|LENGTH|WIDTH|LAYERS|HEADS|NODES|LABELS|PAUSE|D_STATE|BATCH|EXAMPLES|DIM|STEPS|SEEDS")
#: The chapter parameters that size the profile's main run (lower-cased: its PathStarRun fields).
MAIN_RUN_SIZES = ("DEGREE", "PATH_LENGTH", "N_PAUSE")


def resolved_parameters(path: Path, profile: str, overrides: dict[str, Any]) -> Any:
    """The chapter's resolved parameters at ``profile`` with ``overrides`` (its specs fill the
    profile's defaults), or None for a notebook without a companion module: what the guards
    read, so that ``-p PROFILE full`` and ``--profile full`` are one and the same run."""
    from geomem_utils.chapters import validate_overrides

    return validate_overrides(path.stem, parameters_cell(read_notebook(path)), {**overrides, "PROFILE": profile})


def far_sizes(stem: str, p: Any, profile: str) -> list[tuple[str, str]]:
    """``(NAME, why)`` for each integer size parameter of chapter ``stem`` that is more than
    :data:`FAR_BEYOND` times its ``profile`` default in the resolved parameters ``p``."""
    from geomem_utils.chapters import chapter

    ch = chapter(stem)
    out: list[tuple[str, str]] = []
    for name, spec in (ch.specs.items() if ch is not None else ()):
        value = p[name] if name in p else None
        try:
            default = spec.default_for(profile)
        except KeyError:
            continue
        numbers = [v for v in (value, default) if isinstance(v, int) and not isinstance(v, bool)]
        if not SIZE_NAMES.search(name) or len(numbers) != 2 or default <= 0:
            continue
        if value > FAR_BEYOND * default:
            out.append((name, f"{stem}: {name} {value:,} is {value / default:,.0f}x "
                              f"the {profile} profile's {default:,}"))
    return out


def _duration(seconds: float) -> str:
    return f"{seconds / 3600:,.0f} h" if seconds >= 3600 else f"{max(1.0, seconds / 60):,.0f} min"


def long_run_guard(paths: list[Path], profile: str, overrides: dict[str, Any], i_know: bool) -> str | None:
    """A refusal (the message) or None when the run may start; reads each chapter's resolved
    parameters (:func:`resolved_parameters`).

    At the ``full`` profile on a machine without CUDA: an estimate of the main run's time
    (measured steps) and, unless the device was asked for explicitly or ``--i-know``, a
    refusal. A size far beyond its profile's (:func:`far_sizes`) is refused on any device
    unless ``--i-know``, with the same measured estimate when it sizes the main run.
    """
    far: list[tuple[str, str]] = []
    main_p: Any = None
    main = False
    for path in paths:
        p = resolved_parameters(path, profile, overrides)
        if p is not None:
            far += far_sizes(path.stem, p, profile)
        if not main and uses_main_run(path):
            main, main_p = True, p
    if not far and (profile != "full" or not main):
        return None
    from geomem_utils.params import ParameterError, pick_device

    try:
        device = pick_device(str(overrides.get("DEVICE", "auto")), profile)
    except ParameterError as err:
        return str(err)
    if not far and device == "cuda":
        return None
    text = None
    if main and (not far or any(name in MAIN_RUN_SIZES for name, _ in far)):
        from geomem_utils.runs.pathstar import estimate_seconds
        from geomem_utils.runs.pathstar_config import profile_run

        sizes = {n.lower(): main_p[n] for n in MAIN_RUN_SIZES if main_p is not None and main_p.get(n) is not None}
        cfg = profile_run(profile, seed=int(overrides.get("SEED", 0)), **sizes)
        est = estimate_seconds(cfg, device)
        text = (f"its main run ({est['what']}) would take about {_duration(est['seconds'])} on this {device} "
                f"({est['step_s']:.2f} s per step of {cfg.batch_size} measured on {est['probe_batch']} sequences, "
                f"x {cfg.steps:,} steps; evaluations not counted)")
    if far:
        why = "; ".join(w for _, w in far)
        text = f"{why}: far beyond what the profile is sized for" + (f"; {text}" if text else "")
        if i_know:
            print(f"[execute] warning: {text}. Starting anyway, as asked.", file=sys.stderr, flush=True)
            return None
        return f"{text}.\n  Insist with --i-know, or ask for a size within {FAR_BEYOND}x the profile's."
    text = f"the full profile is sized for one GPU; {text}"
    explicit = "DEVICE" in overrides
    if explicit or i_know:
        print(f"[execute] warning: {text}. Starting anyway, as asked.", file=sys.stderr, flush=True)
        return None
    return (f"{text}.\n  Run it on a GPU (-p DEVICE cuda), or insist: -p DEVICE {device} (or --i-know); "
            "the ci profile reproduces every claim on a laptop CPU in minutes.")


def run_profile(flag: str | None, overrides: dict[str, Any]) -> str:
    """The run's one profile: ``--profile`` or ``-p PROFILE`` (popped from ``overrides``), else
    :data:`BOOK_PROFILE`; both given and different is refused (the guards and the run folder
    must read the profile the kernel runs)."""
    from geomem_utils.params import COMMON, ParameterError, check_value

    param = overrides.pop("PROFILE", None)
    if flag is not None and param is not None and flag != param:
        raise NotebookFailed(f"--profile {flag} and -p PROFILE {param} disagree; give the profile once")
    try:
        return check_value("PROFILE", param if param is not None else flag or BOOK_PROFILE, COMMON["PROFILE"])
    except ParameterError as err:
        raise NotebookFailed(str(err)) from None


def check_device(overrides: dict[str, Any], profile: str) -> None:
    """``-p DEVICE cuda`` (or ``mps``) on a machine without one: refused here, not by the kernel."""
    if "DEVICE" in overrides:
        from geomem_utils.params import ParameterError, pick_device

        try:
            pick_device(str(overrides["DEVICE"]), profile)
        except ParameterError as err:
            raise NotebookFailed(str(err)) from None


def check_destination(path: Path, what: str, book: bool, run_dir: bool = False) -> None:
    """Refuse (NotebookFailed naming ``what``, the option that chose ``path``) a folder the run
    may not write: the filesystem root, the checkout or a parent of it; the book's
    ``build/executed`` or ``build/results`` (or a folder inside them) without ``--book``; inside
    the checkout, anything outside ``build/`` (a run folder: outside ``build/runs/``); outside
    it, a run folder that holds anything but a previous run's ``executed/`` and ``results/``
    (a rerun there reuses it). Called before any file is touched."""
    root, p = ROOT.resolve(), Path(path).expanduser().resolve()
    if p == Path(p.anchor) or p == root or p in root.parents:
        where = ("the filesystem root" if p == Path(p.anchor) else "the checkout" if p == root
                 else "a parent of the checkout")
        raise NotebookFailed(f"{what} is {where} ({p}); name a folder inside {RUNS}/ or a new one outside the checkout")
    for folder in (BOOK_EXECUTED, BOOK_RESULTS):
        if not book and (p == root / folder or (root / folder) in p.parents):
            raise NotebookFailed(f"{what} is the book's {folder}/, which only `make book` and `make test` write; "
                                 f"add --book to write there, or leave it out (other runs go to {RUNS}/)")
    if p.is_relative_to(root):
        inside = root / (RUNS if run_dir else "build")
        if not p.is_relative_to(inside) or (run_dir and p == inside):
            raise NotebookFailed(f"{what} is {root_relative(p)}/ in the checkout; a run's folder lies inside "
                                 f"{root_relative(inside)}/ (or is a new folder outside the checkout)")
    elif run_dir and p.exists() and (not p.is_dir() or {c.name for c in p.iterdir()} - {"executed", "results"}):
        raise NotebookFailed(f"{what} ({p}) is not empty; name a new or empty folder (or a previous run's)")


def destinations(args: argparse.Namespace, stems: list[str], profile: str, overrides: dict[str, Any],
                 results_param: str | None) -> tuple[Path, Path, Path | None]:
    """(executed folder, results folder, run folder or None) of a run, each checked
    (:func:`check_destination`). The book's folders only with ``--book`` (what ``make book``
    passes), even for the book's own parameters; otherwise what ``--out``, ``--results`` /
    ``-p RESULTS_DIR`` do not name goes into the run folder (``--run-dir`` or :func:`run_folder`)."""
    if (args.results is not None and results_param is not None
            and from_root(results_param).resolve() != Path(args.results).resolve()):
        raise NotebookFailed(f"--results {args.results} and -p RESULTS_DIR {results_param} disagree; give it once")
    if args.run_dir is not None:
        check_destination(Path(args.run_dir), f"--run-dir {args.run_dir}", args.book, run_dir=True)
    book = args.book  # only make book / make test (or a user who says --book) write the book's folders
    folder = None
    if args.run_dir is not None or not book:
        folder = Path(args.run_dir).resolve() if args.run_dir else ROOT / run_folder(stems, profile, overrides)
    out = Path(args.out).resolve() if args.out else folder / "executed" if folder else ROOT / BOOK_EXECUTED
    if results_param is not None:
        results, said = from_root(results_param).resolve(), f"-p RESULTS_DIR {results_param}"
    else:
        results, said = (Path(args.results).resolve() if args.results else folder / "results" if folder
                         else ROOT / BOOK_RESULTS), f"--results {args.results}"
    if args.out is not None:
        check_destination(out, f"--out {args.out}", args.book)
    if args.results is not None or results_param is not None:
        check_destination(results, said, args.book)
    return out, results, folder


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m geomem_utils.execute", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("stems", nargs="*", help="notebook stems (default: all, in order)")
    ap.add_argument("--profile", default=None, choices=("smoke", "ci", "full"),
                    help=f"the parameters' profile (default: -p PROFILE, else {BOOK_PROFILE})")
    ap.add_argument("-p", "--param", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"))
    ap.add_argument("--out", default=None, help=f"executed notebooks (default: {BOOK_EXECUTED}, or the run folder)")
    ap.add_argument("--results", default=None, help=f"results files (default: {BOOK_RESULTS}, or the run folder)")
    ap.add_argument("--run-dir", default=None,
                    help=f"folder of a run with other parameters (default: {RUNS}/<name>; "
                         "else a new folder outside the checkout)")
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
        profile = run_profile(args.profile, overrides)
        for path in paths:  # every notebook's names and types, before anything runs or is touched
            cell = parameters_cell(read_notebook(path))
            check_overrides(path.stem, cell, {**overrides, **({"PROFILE": profile} if "PROFILE" in cell else {})})
        check_device(overrides, profile)
        results_param = overrides.pop("RESULTS_DIR", None)
        threads = kernel_threads()
        if args.jobs is not None and args.jobs < 1:
            raise NotebookFailed(f"--jobs must be a positive integer, got {args.jobs}")
        out, results, folder = destinations(args, [p.stem for p in paths] if args.stems else [], profile, overrides,
                                            None if results_param is None else str(results_param))
    except NotebookFailed as err:
        print(f"[execute] FAILED {err}", file=sys.stderr)
        return 1 if paths_known(args) else 2
    refusal = long_run_guard(paths, profile, overrides, args.i_know)
    if refusal:
        print(f"[execute] refused: {refusal}", file=sys.stderr, flush=True)
        return 3
    if folder is not None and (out, results) == (folder / "executed", folder / "results"):
        print(f"[execute] not the book's run: writing to {root_relative(folder)}/ "
              f"(only make book, make test or --book write {BOOK_EXECUTED} and {BOOK_RESULTS})", flush=True)
    elif (out, results) != (ROOT / BOOK_EXECUTED, ROOT / BOOK_RESULTS):
        print(f"[execute] writing executed notebooks to {root_relative(out)}/ and results to {root_relative(results)}/",
              flush=True)
    params = {"PROFILE": profile, "RESULTS_DIR": root_relative(results), **overrides}
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
    run_many(paths, params, out, jobs, args.timeout, progress=not args.quiet, force=args.force or None,
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

