"""Run the benchmarks and write ``bench/results/*.json`` and ``bench/results/README.md``.

    python -m bench.run                       # default sections (about 10 min on 2 idle cores)
    python -m bench.run --only tta throughput # some sections
    python -m bench.run --book                # + the whole book, cache cold and warm (~15+ min)
    python -m bench.run --largest             # + the largest path-star to 90% in 10 min
    python -m bench.run --compile             # + torch.compile's cost and gain
    python -m bench.run --recipes             # + faster ci recipes? (a proposal, ~5 min)
    python -m bench.run --only live           # the in-page retrain + redraw in headless Chromium (built book)
    python -m bench.run --only sweeps         # runs per hour per core of the committed sweep tables (reads files)
    python -m bench.run --report              # only rebuild README.md from the JSON files

Threads: ``--threads 2`` (the default). OpenMP's default wait policy (idle threads spin)
is the fastest on an idle machine and collapses on a busy one (the ``threads`` section
measures both), so ``--omp-wait-policy auto`` (the default) sets ``OMP_WAIT_POLICY=PASSIVE``
when the 1-minute load average at the start exceeds half the CPUs, and leaves OpenMP's
default otherwise; every record says which. Never run two benchmarks at once.
"""

from __future__ import annotations

import os
import sys


def _choose_wait_policy(argv: list[str]) -> None:
    """Set ``OMP_WAIT_POLICY`` from ``--omp-wait-policy`` before torch loads OpenMP."""
    choice = "auto"
    for i, a in enumerate(argv):
        if a == "--omp-wait-policy" and i + 1 < len(argv):
            choice = argv[i + 1]
        elif a.startswith("--omp-wait-policy="):
            choice = a.split("=", 1)[1]
    if "OMP_WAIT_POLICY" in os.environ or choice == "default":
        return
    try:
        busy = os.getloadavg()[0] > 0.5 * (os.cpu_count() or 1)
    except (OSError, AttributeError):  # no load average on this OS
        busy = False
    if choice == "passive" or (choice == "auto" and busy):
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"


# OpenMP reads its settings once, when torch loads it: before any torch import.
if __name__ == "__main__":
    _choose_wait_policy(sys.argv[1:])

import argparse  # noqa: E402
import time  # noqa: E402
from typing import Any, Callable  # noqa: E402

DEFAULT = ("threads", "throughput", "profile", "tta", "mamba", "widgets")
OPT_IN = ("book", "largest", "compile", "recipes", "live", "sweeps")


def _sections(args: argparse.Namespace) -> dict[str, Callable[[], dict[str, Any]]]:
    from . import (book, compile as comp, live_page, mamba_scan, profile_step, recipes, sweep_throughput, threads,
                   throughput, tta, widgets)
    from .common import matmul_peak

    def run_tta() -> dict[str, Any]:
        rows, big = [], []
        for fast in (False, True):  # the book's default, then the opt-in head at targets only
            rows += [tta.time_to_accuracy(100, seed=s, eval_every=25, head_at_targets_only=fast) for s in args.seeds]
            for d in args.degrees:
                big.append(tta.time_to_accuracy(d, steps=args.big_steps, eval_every=50, deadline_s=args.deadline,
                                                budget_clock=args.budget_clock, head_at_targets_only=fast))
        return {"chapter_run": rows, "larger": big, "goal_s": 20}

    def run_throughput() -> dict[str, Any]:
        peak = matmul_peak()
        out = {"peak": peak, "runs": [throughput.throughput(100, steps=args.steps, repeats=args.repeats, peak=peak)]}
        if not args.quick:
            out["runs"].append(throughput.throughput(1000, steps=max(5, args.steps // 2), repeats=args.repeats,
                                                     peak=peak))
        return out

    def run_mamba() -> dict[str, Any]:
        return {"scan": mamba_scan.scan_lengths(repeats=args.repeats),
                "path_star_step": mamba_scan.mamba_vs_gpt(steps=5 if args.quick else 10)}

    def run_largest() -> dict[str, Any]:
        rows = []
        for d in args.largest_degrees:
            r = tta.time_to_accuracy(d, steps=args.largest_steps, eval_every=100, deadline_s=600,
                                     budget_clock=args.budget_clock, head_at_targets_only=args.largest_fast_head)
            rows.append(r)
            print(f"[bench] largest: G({d}, 5) reached={r['reached']} best={r['best']}", flush=True)
            if not r["reached"]:
                break
        ok = [r for r in rows if r["reached"]]
        return {"rows": rows, "largest_reached": ok[-1]["graph"] if ok else None, "budget_s": 600,
                "budget_clock": args.budget_clock, "head_at_targets_only": args.largest_fast_head}

    return {
        "threads": lambda: threads.thread_settings(steps=10 if args.quick else 30),
        "throughput": run_throughput,
        "profile": lambda: {"runs": [profile_step.step_profile(d, steps=10 if args.quick else 20)
                                     for d in ((100,) if args.quick else (100, 1000))]},
        "tta": run_tta,
        "mamba": run_mamba,
        "widgets": lambda: widgets.widget_latency(repeats=args.repeats if not args.quick else 1),
        "book": lambda: book.whole_book(),
        "largest": run_largest,
        "compile": lambda: comp.compile_cost(),
        "recipes": lambda: recipes.recipes(tuple(args.seeds)),
        "live": lambda: live_page.live_page(repeats=2 if args.quick else 7),
        "sweeps": lambda: sweep_throughput.sweep_throughput(),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", nargs="+", choices=DEFAULT + OPT_IN, help="run only these sections")
    ap.add_argument("--book", action="store_true", help="also run the whole book cold and warm (~15+ min)")
    ap.add_argument("--largest", action="store_true", help="also search the largest G(d, 5) reaching 90%% in 10 min")
    ap.add_argument("--compile", action="store_true", help="also time torch.compile")
    ap.add_argument("--recipes", action="store_true", help="also try faster ci recipes (lr, schedule; ~5 min)")
    ap.add_argument("--live", action="store_true", help="also time the in-page retrains in headless Chromium "
                                                         "(needs the built book)")
    ap.add_argument("--sweeps", action="store_true", help="also read the committed sweep tables' throughput")
    ap.add_argument("--report", action="store_true", help="only rebuild README.md from the JSON files")
    ap.add_argument("--quick", action="store_true", help="fewer steps and repeats (a smoke run of the bench)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--omp-wait-policy", choices=("auto", "default", "passive"), default="auto",
                    help="auto: PASSIVE when the machine is busy at the start (an OMP_WAIT_POLICY set in the "
                         "environment wins)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--steps", type=int, default=40, help="timed steps per throughput repeat")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="seeds of the G(100, 5) time to accuracy")
    ap.add_argument("--degrees", type=int, nargs="*", default=[500, 1000], help="larger path-stars to time")
    ap.add_argument("--big-steps", type=int, default=3000, help="schedule length (budget) for the larger graphs")
    ap.add_argument("--deadline", type=float, default=240.0, help="seconds per larger graph")
    ap.add_argument("--budget-clock", choices=("wall", "cpu"), default="wall")
    ap.add_argument("--largest-degrees", type=int, nargs="+", default=[1000, 2000, 3000, 5000])
    ap.add_argument("--largest-steps", type=int, default=5000)
    ap.add_argument("--largest-fast-head", action="store_true",
                    help="search with TrainConfig(head_at_targets_only=True)")
    ap.add_argument("--out", default=None, help="results folder (default bench/results)")
    args = ap.parse_args(argv)
    if args.quick:
        args.repeats, args.steps, args.seeds, args.degrees = 2, 10, args.seeds[:1], []

    import torch

    from . import report
    from .common import RESULTS, environment, write_record
    from pathlib import Path

    out = Path(args.out) if args.out else RESULTS
    if args.report:
        report.write_readme(out)
        return 0
    torch.set_num_threads(args.threads)
    chosen = list(args.only or DEFAULT) + [s for s in OPT_IN if getattr(args, s) and s not in (args.only or ())]
    sections = _sections(args)
    for name in chosen:
        env = environment()
        print(f"[bench] {name} (load {env['loadavg']}, {env['torch_threads']} threads) ...", flush=True)
        t0 = time.perf_counter()
        result = sections[name]()
        record_name = "largest_fast_head" if name == "largest" and args.largest_fast_head else name
        path = write_record(record_name, {"section": name, "env": env, "bench_wall_s": round(time.perf_counter() - t0, 1),
                                   "result": result}, out)
        print(f"[bench] {name}: {time.perf_counter() - t0:.0f} s -> {path}", flush=True)
    report.write_readme(out)
    print(f"[bench] wrote {out / 'README.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
