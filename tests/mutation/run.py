"""`make mutate`: mutation testing of the science-critical code (issue 17), with mutmut 3.

    python tests/mutation/run.py [--sample N] [--per-function K] [--functions PAT ...]
                                 [--exclude FILE] [--jobs J] [--seed S] [--names FILE] [--report PATH]

mutmut ([tool.mutmut] in pyproject.toml) mutates the modules where a silent bug changes a
scientific result (graphs, tasks, the path-star run and its config, train, measures, params,
models/gpt.py) and, since issue 26, the modules that turn numbers into verdicts or serve
runs (findings.py, seeds.py, results.py, chapters/*_checks.py, runs/in_context.py,
runs/cache.py, sweep/rows.py). For each mutant it runs the fast unit tests that cover the
mutated function (never the notebooks, the browser or the book build): mutmut's stats run
executes the tests of ``pytest_add_cli_args_test_selection`` once and records which test
calls which mutated function, and each mutant then runs only the tests recorded for its
function (a function no selected test calls is "no tests", and counts as not killed). All ~3,300 mutants would
take several hours on the 2-core machine, so this script samples them: every function keeps at least
``--per-function`` mutants (or all it has), the rest of ``--sample`` is drawn in
proportion to the functions' sizes, with a fixed seed (the same code gives the same
sample). ``--functions`` restricts to names matching shell patterns (e.g. ``'*split_leaves'``;
``@tests/mutation/functions.txt`` reads them from a file: the 38 highest-value functions;
``'geomem_utils.findings.*'`` takes one module). ``--exclude FILE`` leaves out the mutants
listed in FILE (one a line, e.g. an earlier pass's ``mutants/selected.txt``): a held-out
sample drawn with another ``--seed`` after the tests were written for the first one.
The report (mutants, killed, survived, score) goes to ``--report``; every survivor is
looked up in tests/mutation/survivors.txt, where it is marked ``equivalent`` (no test can
kill it: the behaviour is the same) or ``justified`` (a real gap, with the reason it is
accepted), and the score counts killed over non-equivalent mutants.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
MUTMUT = Path(sys.executable).with_name("mutmut")
SURVIVORS = HERE / "survivors.txt"
STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 34: "skipped", 36: "timeout",
          -24: "timeout", 24: "timeout", 152: "timeout", 255: "timeout", -11: "segfault", -9: "segfault", None: "not checked"}


def function_of(name: str) -> str:
    """``geomem_utils.science.tasks.x_split_leaves__mutmut_7`` -> ``geomem_utils.science.tasks.split_leaves``."""
    module, _, func = re.sub(r"__mutmut_\d+$", "", name).rpartition(".")
    func = func.replace("xǁ", "").replace("ǁ", ".")
    return f"{module}.{func[2:] if func.startswith('x_') else func}"


def metas() -> dict[Path, dict]:
    return {p: json.loads(p.read_text()) for p in sorted((ROOT / "mutants").rglob("*.py.meta"))}


def all_mutants() -> list[str]:
    return sorted(k for m in metas().values() for k in m["exit_code_by_key"])


def generate(env: dict[str, str]) -> None:
    """Copy the sources into mutants/ and write every mutant (mutmut does this at the start
    of a run; a filter that matches nothing stops it right after, before any test runs)."""
    subprocess.run([str(MUTMUT), "run", "--max-children", "1", "no-such-mutant-just-generate"], cwd=ROOT, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)


def sample(names: list[str], n: int, per_function: int, seed: int) -> list[str]:
    by_func: dict[str, list[str]] = defaultdict(list)
    for name in names:
        by_func[function_of(name)].append(name)
    rng = random.Random(seed)
    chosen: list[str] = []
    rest: list[str] = []
    for func in sorted(by_func):
        group = sorted(by_func[func])
        rng.shuffle(group)
        chosen += group[:per_function]
        rest += group[per_function:]
    if n > len(chosen):
        rng.shuffle(rest)
        chosen += rest[: n - len(chosen)]
    return sorted(chosen)


def read_survivors() -> dict[str, tuple[str, str]]:
    out = {}
    if SURVIVORS.exists():
        for line in SURVIVORS.read_text().splitlines():
            if line.strip() and not line.startswith("#"):
                name, kind, reason = (line.split(None, 2) + ["", ""])[:3]
                out[name] = (kind, reason.strip())
    return out


def report(names: list[str], path: Path, command: str, pool: int | None = None) -> dict:
    codes = {k: v for m in metas().values() for k, v in m["exit_code_by_key"].items()}
    status = {n: STATUS.get(codes.get(n), "suspicious") for n in names}
    marks = read_survivors()
    counts = Counter(status.values())
    detected = ("killed", "timeout")  # a mutant that hangs the tests is caught by mutmut's timeout
    survivors = sorted(n for n, s in status.items() if s not in detected)
    equivalent = [n for n in survivors if marks.get(n, ("",))[0] == "equivalent"]
    unmarked = [n for n in survivors if n not in marks]
    killed = counts["killed"] + counts["timeout"]
    non_equivalent = len(names) - len(equivalent)
    score = killed / non_equivalent if non_equivalent else math.nan
    per_module: dict[str, Counter] = defaultdict(Counter)
    for n, s in status.items():
        per_module[n.split(".x")[0]][s] += 1
    lines = [
        "# Mutation testing report (`make mutate`, issue 17)", "",
        f"Command: `{command}`", "",
        f"- mutants run: {len(names)} (sampled from {pool if pool is not None else len(all_mutants())} "
        f"{'eligible mutants' if pool is not None else 'in the mutated modules'})",
        f"- killed: {killed} ({counts['timeout']} of them by timeout); not killed: {len(survivors)} "
        f"({', '.join(f'{k} {v}' for k, v in sorted(counts.items()) if k not in detected) or 'none'})",
        f"- equivalent (no test can tell): {len(equivalent)}",
        f"- **score: {killed} / {non_equivalent} non-equivalent mutants killed = {100 * score:.1f}%** (target >= 85%)",
        f"- survivors not yet marked in tests/mutation/survivors.txt: {len(unmarked)}", "",
        "| module | mutants | killed | not killed |", "|---|---:|---:|---:|",
    ]
    for mod, c in sorted(per_module.items()):
        k = c["killed"] + c["timeout"]
        lines.append(f"| {mod} | {sum(c.values())} | {k} | {sum(c.values()) - k} |")
    lines += ["", "## Survivors", "", "| mutant | status | verdict | why |", "|---|---|---|---|"]
    for n in survivors:
        kind, reason = marks.get(n, ("UNMARKED", ""))
        lines.append(f"| `{n}` | {status[n]} | {kind} | {reason} |")
    later = [n for n, (kind, _) in sorted(marks.items()) if kind == "killed-now" and n in status]
    if later:
        lines += ["", "## Killed by tests added for them (survivors of an earlier pass, rerun since)", "",
                  "| mutant | status now | test |", "|---|---|---|"]
        lines += [f"| `{n}` | {status[n]} | {marks[n][1]} |" for n in later]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    summary = {"mutants": len(names), "killed": killed, "survivors": survivors, "equivalent": len(equivalent),
               "score": score, "unmarked": unmarked}
    path.with_suffix(".json").write_text(json.dumps({**summary, "status": status}, indent=1, ensure_ascii=False))
    return summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sample", type=int, default=700, help="mutants to run in all (default 700: about an hour on 2 cores)")
    ap.add_argument("--per-function", type=int, default=2, help="at least this many mutants of every function")
    ap.add_argument("--functions", nargs="*", default=[], help="only functions matching these patterns")
    ap.add_argument("--names", type=Path, help="run exactly the mutants listed in this file (one a line)")
    ap.add_argument("--exclude", type=Path, action="append", default=[],
                    help="leave out the mutants listed in this file (one a line; repeatable)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--report", type=Path, default=HERE / "REPORT.md")
    ap.add_argument("--keep", action="store_true", help="keep mutants/ from an earlier run (results are reused)")
    ap.add_argument("--report-only", action="store_true")
    args = ap.parse_args(argv)
    args.functions = [q for p in args.functions for q in (Path(p[1:]).read_text().split() if p.startswith("@") else [p])]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}
    if not (args.keep or args.report_only):
        shutil.rmtree(ROOT / "mutants", ignore_errors=True)
    if not args.report_only:
        generate(env)
    names = all_mutants()
    if not names:
        print("mutmut wrote no mutants (see [tool.mutmut] in pyproject.toml)", file=sys.stderr)
        return 2
    excluded = {n for f in args.exclude for n in f.read_text().split()}
    if args.names:
        wanted = set(args.names.read_text().split())
        pool = [n for n in names if n in wanted and n not in excluded]
        chosen = sorted(pool)
    else:
        pool = [n for n in names if n not in excluded and
                (not args.functions or any(fnmatch.fnmatch(function_of(n), p) for p in args.functions))]
        chosen = sample(pool, args.sample, args.per_function, args.seed)
    (ROOT / "mutants" / "selected.txt").write_text("\n".join(chosen) + "\n")
    print(f"{len(chosen)} of {len(pool)} eligible mutants selected ({len(names)} in all, {len(excluded)} excluded)")
    if not args.report_only:
        subprocess.run([str(MUTMUT), "run", "--max-children", str(args.jobs), *chosen], cwd=ROOT, env=env, check=False)
    command = "python tests/mutation/run.py " + " ".join(argv if argv is not None else sys.argv[1:])
    summary = report(chosen, args.report, command.strip(), pool=len(pool))
    print(f"killed {summary['killed']} of {summary['mutants']}; score {100 * summary['score']:.1f}% of non-equivalent; "
          f"{len(summary['unmarked'])} survivors unmarked; report: {args.report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
