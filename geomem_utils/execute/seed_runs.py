"""Run chapters at more seeds and commit their check values: the seed tables every verdict rests on.

    make seeds NB=03_implicit_reasoning SEEDS="1 2"          # two runs side by side, one thread each
    make seeds NB="01_geometry_emerges 02_spectral_bias" SEEDS="1 2"
    python -m geomem_utils.execute.seed_runs 01_geometry_emerges --seeds 0 --from build/results

Each (chapter, seed) is executed by the executor at the book's parameters (``--profile``,
default ci) with ``-p SEED s`` into its own run folder, ``build/runs/seeds/STEM-seedS/``
(never the book's folders), two at a time; its results file's check values become the
seed's row of ``bench/results/seeds/STEM.json`` (:func:`geomem_utils.seeds.add`), stamped
with the code fingerprint, date, run time and machine. ``--from DIR`` takes the row from a
results file already there (the book's own seed 0, ``build/results``) instead of running.
A notebook whose verdicts fail still writes its results file, and its row is recorded: the
table is a measurement, whichever way it goes. Rows accumulate across invocations, so a
table can be committed in pieces.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from geomem_utils import seeds as seed_tables
from geomem_utils.chapters import MODULES
from geomem_utils.files import repo_root


def run_folder(stem: str, seed: int) -> Path:
    return repo_root() / "build" / "runs" / "seeds" / f"{stem}-seed{seed}"


def execute(stem: str, seed: int, profile: str, threads: int = 1) -> tuple[int, Path]:
    """Execute ``stem`` at ``seed`` into its run folder; the exit code and the results file."""
    folder = run_folder(stem, seed)
    env = {**os.environ, "GEOMEM_THREADS": str(threads)}
    cmd = [sys.executable, "-m", "geomem_utils.execute", stem, "--profile", profile, "-p", "SEED", str(seed),
           "--run-dir", str(folder.relative_to(repo_root())), "--jobs", "1", "--quiet"]
    rc = subprocess.run(cmd, cwd=repo_root(), env=env).returncode
    return rc, folder / "results" / f"{stem}.json"


def record(stem: str, results: Path, profile: str) -> str:
    if not results.is_file():
        return f"{stem}: no results file at {results} (the notebook failed before its claim check)"
    rec = json.loads(results.read_text())
    if rec.get("profile") != profile:
        return f"{stem}: {results} is at the {rec.get('profile')} profile, not {profile}"
    table = seed_tables.add(stem, rec)
    seed = rec["params"]["SEED"]
    return f"{stem}: seed {seed} -> {seed_tables.FOLDER}/{stem}.json (seeds {', '.join(table['rows'])})"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m geomem_utils.execute.seed_runs",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("stems", nargs="+", help="notebook stems with findings")
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--profile", default="ci")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="runs side by side (one thread each)")
    ap.add_argument("--from", dest="source", default=None,
                    help="take each row from DIR/STEM.json (a results folder) instead of running")
    args = ap.parse_args(argv)
    unknown = [s for s in args.stems if s not in MODULES]
    if unknown:
        print(f"unknown notebook(s) {unknown}; one of {sorted(MODULES)}", file=sys.stderr)
        return 2
    if args.source:
        for stem in args.stems:
            print(record(stem, Path(args.source) / f"{stem}.json", args.profile), flush=True)
        return 0
    pairs = [(stem, seed) for stem in args.stems for seed in args.seeds]
    failed = 0
    t0 = time.time()
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {pool.submit(execute, stem, seed, args.profile): (stem, seed) for stem, seed in pairs}
        for fut in as_completed(futures):
            stem, seed = futures[fut]
            rc, results = fut.result()
            failed += rc != 0
            print(f"[{time.time() - t0:.0f} s] {stem} seed {seed}: exit {rc}; " + record(stem, results, args.profile),
                  flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
