"""The whole book at the ci profile: every notebook's run time, cache cold and warm.

Runs the book's executor (``python -m geomem_utils.execute --profile ci --keep-going``)
twice into a scratch folder: first with ``GEOMEM_CACHE`` pointing to a fresh, empty
cache (cold: every training run computed), then again with the same cache (warm). Reads
each run's ``_runs.json`` (wall time, verdict and peak memory per notebook) and adds the
CPU time of everything the executor started (``RUSAGE_CHILDREN``). About 15+ minutes:
opt-in with ``python -m bench.run --book``.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .common import ROOT, loadavg


def _execute(out: Path, results: Path, cache: Path, stems: list[str], timeout_s: float) -> dict[str, Any]:
    env = {**os.environ, "GEOMEM_CACHE": str(cache)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load = loadavg()
    t0 = time.perf_counter()
    cmd = [sys.executable, "-m", "geomem_utils.execute", *stems, "--profile", "ci", "--keep-going",
           "--out", str(out), "--results", str(results)]
    try:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout_s)
        lines = (proc.stdout + proc.stderr).strip().splitlines()
        code, tail = proc.returncode, [ln for ln in lines if ln.startswith("[execute]")][-8:]
    except subprocess.TimeoutExpired:
        code, tail = None, [f"timed out after {timeout_s:.0f} s"]
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    runs_path = out / "_runs.json"
    runs = json.loads(runs_path.read_text()).get("runs", []) if runs_path.exists() else []
    return {
        "exit_code": code, "wall_s": round(wall, 1),
        "cpu_s": round((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 1),
        "loadavg_start": load, "loadavg_end": loadavg(), "tail": tail,
        "notebooks": [{k: r.get(k) for k in ("notebook", "wall_s", "ok", "peak_rss_mb", "error")} for r in runs],
    }


def whole_book(stems: list[str] | None = None, timeout_s: float = 3600, keep: Path | None = None) -> dict[str, Any]:
    """Execute the book cold then warm; per-notebook wall time, verdict, peak RSS."""
    stems = stems or []
    with tempfile.TemporaryDirectory(prefix="geomem-bench-book-") as tmp:
        base = Path(keep) if keep else Path(tmp)
        cache = base / "cache"
        cache.mkdir(parents=True, exist_ok=True)
        cold = _execute(base / "cold", base / "cold-results", cache, stems, timeout_s)
        warm = _execute(base / "warm", base / "warm-results", cache, stems, timeout_s)
    total = {name: round(sum(r["wall_s"] or 0 for r in rec["notebooks"]), 1) for name, rec in (("cold", cold), ("warm", warm))}
    peaks = [r["peak_rss_mb"] for r in cold["notebooks"] + warm["notebooks"] if r.get("peak_rss_mb") is not None]
    return {"profile": "ci", "cold": cold, "warm": warm, "notebook_wall_s": total,
            "max_peak_rss_mb": max(peaks) if peaks else None, "goal_cold_s": 600, "goal_rss_mb": 4096}
