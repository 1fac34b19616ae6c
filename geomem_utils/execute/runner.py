"""Run one notebook: papermill in a kernel with a fixed number of threads.

:func:`run_notebook` checks the parameters against the notebook's ``parameters`` cell,
reuses the last run when its inputs are unchanged (:func:`geomem_utils.execute.inputs.reusable`),
otherwise deletes the old results file, executes the notebook with papermill (its kernel
on :func:`kernel_threads` threads, its peak memory measured), stamps the executed copy,
records the run in the run log and returns the results record, or raises
:class:`~geomem_utils.execute.inputs.NotebookFailed` naming the notebook. The kernel talks
to papermill over IPC sockets (:func:`kernel_manager_class`), not unencrypted TCP.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator

from geomem_utils.execute.inputs import (
    ROOT, NotebookFailed, check_overrides, finalise_executed, inputs_digest, parameters_cell,
    read_notebook, results_file, reusable, root_relative, scrub_paths, sha256_hex,
)
from geomem_utils.execute.report import PeakRSS, failure_report, progress_bar, record_run

#: The thread pools a kernel may start (torch's OpenMP, MKL, OpenBLAS under numpy, numba under UMAP).
THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS")


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


def kernel_manager_class() -> type:
    """The kernel manager papermill starts each notebook's kernel with: IPC transport on POSIX.

    Over TCP (jupyter_client's default) ipykernel prints "Kernel is running over TCP without
    encryption ..." to the terminal of every ``make book``, and any local user could connect
    to the kernel's ports. IPC uses Unix sockets in a private folder made for this one
    kernel (short enough for the socket path limit, never in the working directory, where
    two kernels would share names), removed with the kernel's connection file. Elsewhere
    (Windows) it is jupyter_client's manager as it is.
    """
    from jupyter_client import AsyncKernelManager
    from traitlets import default

    if os.name != "posix":
        return AsyncKernelManager

    class IPCKernelManager(AsyncKernelManager):
        @default("transport")
        def _transport_default(self) -> str:
            return "ipc"

        @default("ip")
        def _ip_default(self) -> str:  # the sockets are ip-<port>
            return os.path.join(tempfile.mkdtemp(prefix="geomem-kernel-"), "kernel")

        def cleanup_connection_file(self) -> None:  # called when the kernel is shut down, not restarted
            super().cleanup_connection_file()
            if self.transport == "ipc" and os.path.basename(os.path.dirname(self.ip)).startswith("geomem-kernel-"):
                shutil.rmtree(os.path.dirname(self.ip), ignore_errors=True)

    return IPCKernelManager


def run_notebook(
    path: Path, parameters: dict[str, Any], out_dir: Path, timeout: int = 1800,
    progress: bool | None | dict[str, Any] = None,
    force: bool | None = None, threads: int | None = None,
) -> dict[str, Any]:
    """Execute one notebook; return its results record. Raises NotebookFailed.

    Nothing is touched before the parameters are accepted. A notebook whose inputs are
    unchanged since its last good run (:func:`reusable`) is not executed again unless
    ``force`` (default: ``$GEOMEM_FORCE == "1"``). ``progress``: None shows it on a
    terminal only, True also as plain lines elsewhere, False never; a dict is papermill's
    progress as it is (a lane's reporter, :func:`~geomem_utils.execute.report.lane_progress`). The kernel runs on
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
                kernel_manager_class=kernel_manager_class(),
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
        stamp = {"inputs": digest, "results_sha256": sha256_hex(results_path.read_bytes())}
    try:
        finalise_executed(out, stamp)
    except (OSError, ValueError) as err:
        error = error or f"{stem}: could not finalise the executed notebook {out}: {err}"
    record_run(Path(out_dir), {
        "notebook": stem, "wall_s": round(wall, 2), "ok": bool(ok and error is None),
        "profile": parameters.get("PROFILE"),
        "started": dt.datetime.fromtimestamp(started, dt.timezone.utc).isoformat(timespec="seconds"),
        "error": scrub_paths(error.splitlines()[0]) if error else None, "peak_rss_mb": peak.mb,
        "threads": threads,
    })
    if error is not None:
        raise NotebookFailed(error)
    if record is None:
        raise NotebookFailed(f"{stem} ran but wrote no results file {root_relative(results_path)}")
    if not ok:
        raise NotebookFailed(f"{stem}: claim check failed")
    return record
