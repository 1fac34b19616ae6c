"""What every benchmark shares: the machine's description, clocks, medians, the CPU's
measured matmul peak, and the results folder.

Two clocks are read everywhere: wall time (what a reader waits) and this process's CPU
time (user + system over all its threads). On a shared machine the wall clock is inflated
by other processes while CPU time is not, so a record holds both, with the load average
at its start and end (``os.getloadavg``: runnable processes, to compare with ``cpus``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import resource
import statistics
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import torch

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def cpu_model() -> str:
    """The CPU's marketing name from /proc/cpuinfo (or platform.processor())."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def loadavg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (OSError, AttributeError):  # not on every OS
        return None


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, MiB (Linux reports KiB)."""
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(kb / (1024 if platform.system() != "Darwin" else 1024 * 1024), 1)


def environment() -> dict[str, Any]:
    """The machine and software a record was measured on, with the load at the time."""
    return {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
        "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY"),
        "loadavg": loadavg(),
    }


@dataclass
class Lap:
    """Wall and CPU seconds of one timed block."""

    wall_s: float = 0.0
    cpu_s: float = 0.0


@contextmanager
def clock() -> Iterator[Lap]:
    """``with clock() as lap: ...`` then ``lap.wall_s``, ``lap.cpu_s``."""
    lap = Lap()
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        yield lap
    finally:
        lap.wall_s = time.perf_counter() - t0
        lap.cpu_s = time.process_time() - c0


def median(xs: list[float]) -> float:
    return float(statistics.median(xs)) if xs else float("nan")


def spread(xs: list[float]) -> dict[str, float]:
    """Median, min and max of repeated measurements (rounded for the record)."""
    return {"median": round(median(xs), 6), "min": round(min(xs), 6), "max": round(max(xs), 6), "n": len(xs)}


def repeat(fn: Callable[[], Lap], repeats: int) -> list[Lap]:
    return [fn() for _ in range(repeats)]


def matmul_peak(n: int = 2048, repeats: int = 5, inner: int = 4) -> dict[str, Any]:
    """GFLOP/s of an ``n x n`` float32 matmul (2 n^3 flops) at the current thread count.

    The CPU's practical peak for the dense work a training step does: the denominator of
    the model-FLOP utilisation. Median over ``repeats`` of ``inner`` products each, by wall
    time and by CPU time (the CPU-time figure is per thread-second).
    """
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b  # warm-up (allocations, MKL's thread pool)
    walls, cpus = [], []
    for _ in range(repeats):
        with clock() as lap:
            for _ in range(inner):
                a @ b
        walls.append(lap.wall_s / inner)
        cpus.append(lap.cpu_s / inner)
    flops = 2.0 * n**3
    return {
        "n": n, "threads": torch.get_num_threads(),
        "gflops_wall": round(flops / median(walls) / 1e9, 1),
        "gflops_per_cpu_s": round(flops / median(cpus) / 1e9, 1),
        "repeats": repeats,
    }


def write_record(name: str, record: dict[str, Any], folder: Path | None = None) -> Path:
    """Write ``bench/results/<name>.json`` atomically (a reader never sees half a file)."""
    from geomem_utils.files import atomic_write_json

    folder = folder or RESULTS
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    record = {**record, "loadavg_end": loadavg(), "peak_rss_mb": peak_rss_mb()}
    atomic_write_json(path, record)
    return path


def read_records(folder: Path | None = None) -> dict[str, dict[str, Any]]:
    folder = folder or RESULTS
    out = {}
    for p in sorted(folder.glob("*.json")):
        try:
            out[p.stem] = json.loads(p.read_text())
        except (OSError, json.JSONDecodeError):
            continue
    return out
