"""The executor: the only thing that runs the book's notebooks.

``python -m geomem_utils.execute [STEM ...] --profile ci -p NAME VALUE ...`` reads each
``notebooks/STEM.md`` (jupytext MyST), checks the given parameters against the names and
literal types of its ``parameters`` cell *before starting a kernel*, executes it with
papermill into ``build/executed/STEM.ipynb`` and records its wall time in
``build/executed/_runs.json``. It exits non-zero, naming the notebook, when a parameter
is rejected, a cell fails, or the notebook's claim check fails; the notebook's old
results file is deleted first, so a failed run never leaves a stale verdict behind.
Notebooks are looked up in ``notebooks/`` (or ``--notebooks DIR`` / ``$GEOMEM_NOTEBOOKS``).
"""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import json
import os
import platform
import sys
import threading
import time
from pathlib import Path
from typing import Any

from .results import atomic_write_json

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"


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


def _children_maxrss_kb() -> int:
    try:
        import resource  # not on Windows
    except ImportError:
        return 0
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


class PeakRSS:
    """Peak resident memory (MiB) of this process's descendants (the kernel) during a block.

    Samples the high-water mark ``VmHWM`` of every descendant in ``/proc`` every
    ``interval`` seconds, and takes ``RUSAGE_CHILDREN``'s ``ru_maxrss`` when it rose during
    the block (a reaped kernel). ``mb`` stays None where neither is available (not Linux).
    """

    def __init__(self, interval: float = 0.25) -> None:
        self.interval, self.mb = interval, None
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

    def _poll(self) -> None:
        while not self._stop.wait(self.interval):
            kb = self._descendants_hwm_kb()
            if kb:
                self.mb = max(self.mb or 0.0, kb / 1024)

    def __enter__(self) -> "PeakRSS":
        self._before = _children_maxrss_kb()
        if Path("/proc/self/status").exists():
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        after = _children_maxrss_kb()  # KiB on Linux
        if after > self._before and platform.system() == "Linux":
            self.mb = max(self.mb or 0.0, after / 1024)
        if self.mb is not None:
            self.mb = round(self.mb, 1)


def results_file(stem: str, parameters: dict[str, Any]) -> Path:
    """Where the notebook will write its results: ``RESULTS_DIR/STEM.json``.

    A relative ``RESULTS_DIR`` is taken from ``ROOT``, the kernel's working directory.
    """
    folder = Path(str(parameters.get("RESULTS_DIR") or "build/results"))
    return (folder if folder.is_absolute() else ROOT / folder) / f"{stem}.json"


def run_notebook(
    path: Path, parameters: dict[str, Any], out_dir: Path, timeout: int = 1800, progress: bool = False
) -> dict[str, Any]:
    """Execute one notebook; return its results record. Raises NotebookFailed."""
    import papermill as pm

    stem = path.stem
    results_path = results_file(stem, parameters)
    # A stale verdict must never survive a failed run, not even one whose parameters are
    # rejected before the kernel starts.
    results_path.unlink(missing_ok=True)
    nb = read_notebook(path)
    check_overrides(stem, parameters_cell(nb), parameters)
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"{stem}.ipynb"
    started = time.time()
    error: str | None = None
    peak = PeakRSS()
    try:
        with peak:
            pm.execute_notebook(
                nb, str(out), parameters=parameters, kernel_name="python3", cwd=str(ROOT),
                execution_timeout=timeout, progress_bar=progress, log_output=False,
            )
    except Exception as err:  # noqa: BLE001 - reported with the notebook's name below
        error = f"{type(err).__name__}: {str(err).strip().splitlines()[-1] if str(err).strip() else ''}"
        ename = getattr(err, "ename", None)
        if ename:
            error = f"{ename}: {getattr(err, 'evalue', '')}"
    wall = time.time() - started
    record = None
    if results_path.exists():
        try:
            record = json.loads(results_path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            error = error or f"unreadable results file {results_path}: {err}"
    ok = error is None and record is not None and (record.get("passed") or not record.get("enforced", True))
    _record_run(out_dir, {
        "notebook": stem, "wall_s": round(wall, 2), "ok": bool(ok), "profile": parameters.get("PROFILE"),
        "started": dt.datetime.fromtimestamp(started, dt.timezone.utc).isoformat(timespec="seconds"),
        "error": error, "peak_rss_mb": peak.mb,
    })
    if error is not None:
        raise NotebookFailed(f"{stem} failed after {wall:.0f} s: {error}")
    if record is None:
        raise NotebookFailed(f"{stem} ran but wrote no results file {results_path}")
    if not ok:
        raise NotebookFailed(f"{stem}: claim check failed")
    return record


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("stems", nargs="*", help="notebook stems (default: all, in order)")
    ap.add_argument("--profile", default="ci", choices=("smoke", "ci", "full"))
    ap.add_argument("-p", "--param", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"))
    ap.add_argument("--out", default="build/executed")
    ap.add_argument("--results", default="build/results")
    ap.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    ap.add_argument("--keep-going", action="store_true", help="run the remaining notebooks after a failure")
    ap.add_argument("--notebooks", default=None, help="folder of the notebooks (default: $GEOMEM_NOTEBOOKS or notebooks/)")
    args = ap.parse_args(argv)
    overrides = {name: parse_value(value) for name, value in args.param}
    params = {"PROFILE": args.profile, "RESULTS_DIR": str(Path(args.results).resolve()), **overrides}
    failures: list[str] = []
    try:
        paths = notebook_paths(args.stems, args.notebooks)
    except NotebookFailed as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for path in paths:
        t0 = time.time()
        print(f"[execute] {path.stem} (profile {params['PROFILE']}) ...", flush=True)
        try:
            record = run_notebook(path, params, Path(args.out), args.timeout)
            verdict = "PASS" if record["passed"] else "recorded (not enforced)"
            print(f"[execute] {path.stem}: {verdict} in {time.time() - t0:.0f} s", flush=True)
        except NotebookFailed as err:
            print(f"[execute] FAILED {err}", file=sys.stderr, flush=True)
            failures.append(path.stem)
            if not args.keep_going:
                break
    if failures:
        print(f"[execute] failed notebooks: {', '.join(failures)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
