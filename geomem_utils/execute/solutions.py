"""``make solutions``: run the code of every exercise's solution, so that solutions cannot rot.

A solution is a sphinx-exercise ``{solution} <exercise label>`` block right after its
exercise in ``notebooks/*.md``. Its runnable code is each ``{code-block}`` in it with
``:class: solution-code`` (``bash`` or ``python``); any other code in a solution is a
mistake that :func:`unmarked_code` reports. Each solution runs at the **smoke** profile
into its own folder ``build/runs/solutions/<label>/``, never into the book's
``build/executed`` or ``build/results``:

- a ``bash`` block runs with ``make`` standing for ``make ... PROFILE=smoke
  RUN_DIR=build/runs/solutions/<label> STAMP= PY=<this interpreter>`` (the Makefile's
  ``run`` and ``sweep`` targets write into ``RUN_DIR`` when it is set); the solutions are
  written at the book's sizes, so a ``make run`` size that the executor would refuse as
  far beyond smoke's (more than ten times its default, ``-p N2V_STEPS 100000``) runs at
  ten times smoke's default instead, and the run says so (:func:`smoke_args`): the
  solution shows the reader's command, the check runs its code path in seconds;
- a ``python`` block runs as a script from the repository root with
  ``GEOMEM_PROFILE=smoke`` (a block that trains long reads it and trains briefly).

Solutions run in two lanes (``--lanes``: two at a time, each block one thread), longest
first by the times the last run recorded in ``build/runs/solutions/_times.json``. Exits
non-zero naming every exercise whose code failed, with the end of its output.

    python -m geomem_utils.execute.solutions [LABEL ...] [--notebooks notebooks] [--lanes 2] [--list]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from geomem_utils.execute.inputs import ROOT

RUNS = "build/runs/solutions"
MARK = "solution-code"
_FENCE = re.compile(r"^(`{3,}|:{3,})\s*\{(\w[\w-]*)\}\s*(.*)$")
_PLAIN = re.compile(r"^(`{3,})\s*(\w*)\s*$")


@dataclass
class Block:
    """One runnable block of a solution: its language, code and line in the notebook."""

    language: str
    code: str
    line: int


@dataclass
class Solution:
    """A ``{solution}`` of notebook ``path`` (exercise ``label``): its runnable blocks and
    the lines of any code block in it that is not marked runnable."""

    label: str
    path: Path
    blocks: list[Block]
    unmarked: list[int]


def _close(lines: list[str], start: int, fence: str) -> int:
    """Index of the line that closes the fence opened at ``start``."""
    for j in range(start + 1, len(lines)):
        if lines[j].strip() == fence:
            return j
    raise ValueError(f"line {start + 1}: {fence} is never closed")


def _options(body: list[str]) -> tuple[dict[str, str], list[str]]:
    """A directive's ``:key: value`` lines and the rest of its body."""
    opts, i = {}, 0
    while i < len(body) and (m := re.match(r"^:([\w-]+):\s*(.*)$", body[i])):
        opts[m.group(1)] = m.group(2).strip()
        i += 1
    return opts, body[i:]


def solutions_of(path: Path) -> list[Solution]:
    """Every ``{solution}`` block of a MyST notebook, in page order."""
    lines = Path(path).read_text().splitlines()
    found, i = [], 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not (m and m.group(2) == "solution"):
            i += 1
            continue
        end = _close(lines, i, m.group(1))
        sol = Solution(m.group(3).strip(), Path(path), [], [])
        j = i + 1
        while j < end:
            if m_dir := _FENCE.match(lines[j]):
                fence, directive, language = m_dir.groups()
            elif m_code := _PLAIN.match(lines[j]):
                (fence, language), directive = m_code.groups(), ""
            else:
                j += 1
                continue
            stop = _close(lines, j, fence)
            opts, body = _options(lines[j + 1:stop])
            if directive == "code-block" and MARK in opts.get("class", "").split():
                sol.blocks.append(Block(language.strip(), "\n".join(body).strip() + "\n", j + 1))
            elif directive in ("", "code-block", "code", "code-cell"):
                sol.unmarked.append(j + 1)
            j = stop + 1
        found.append(sol)
        i = end + 1
    return found


def unmarked_code(solutions: list[Solution]) -> list[str]:
    """``path:line (label)`` of every code block in a solution that is not marked runnable."""
    return [f"{s.path.name}:{line} ({s.label})" for s in solutions for line in s.unmarked]


def all_solutions(notebooks: Path) -> list[Solution]:
    return [s for path in sorted(Path(notebooks).glob("[0-9][0-9]_*.md")) for s in solutions_of(path)]


def smoke_args(stem: str, args: str) -> tuple[str, list[str]]:
    """``make run``'s ``ARGS`` for notebook ``stem`` at smoke, and what was changed: each
    ``-p NAME VALUE`` that the executor would refuse as far beyond smoke's
    (:func:`geomem_utils.execute.executor.far_sizes`) set to ``FAR_BEYOND`` times smoke's
    default; everything else as given."""
    from geomem_utils.chapters import chapter
    from geomem_utils.execute.executor import FAR_BEYOND, far_sizes

    words = shlex.split(args)
    ch = chapter(stem)
    given = {}
    for i, w in enumerate(words[:-2]):
        if w == "-p" and words[i + 2].isdigit():
            given[words[i + 1]] = (i + 2, int(words[i + 2]))
    far = {name for name, _ in far_sizes(stem, {n: v for n, (_, v) in given.items()}, "smoke")} if ch else set()
    changed = []
    for name in sorted(far):
        at, value = given[name]
        words[at] = str(FAR_BEYOND * ch.specs[name].default_for("smoke"))
        changed.append(f"{name} {value} -> {words[at]}")
    return shlex.join(words), changed


def _make_wrapper(label: str) -> str:
    """A bash function ``make`` that runs the real make at smoke into the solution's folder;
    ``make run``'s ``ARGS`` go through :func:`smoke_args` (see the module's doc)."""
    extra = " ".join(shlex.quote(e) for e in
                     ["PROFILE=smoke", f"RUN_DIR={RUNS}/{label}", "STAMP=", f"PY={sys.executable}"])
    smoke = f"{shlex.quote(sys.executable)} -m geomem_utils.execute.solutions --smoke-args"
    return ('make() {\n'
            '  local a=() x nb=\n'
            '  for x in "$@"; do [[ $x == NB=* ]] && nb=${x#NB=}; done\n'
            '  for x in "$@"; do\n'
            f'    if [[ $1 == run && $x == ARGS=* ]]; then a+=("ARGS=$({smoke} "$nb" "${{x#ARGS=}}")")\n'
            '    else a+=("$x"); fi\n'
            '  done\n'
            f'  command make --no-print-directory "${{a[@]}}" {extra}\n'
            '}\n')


def run_block(label: str, block: Block, index: int, timeout: int) -> subprocess.CompletedProcess:
    """Run one block of the solution ``label`` at the smoke profile (see the module's doc)."""
    folder = ROOT / RUNS / label
    folder.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "GEOMEM_PROFILE": "smoke", "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    if block.language == "bash":
        script = folder / f"block{index}.sh"
        script.write_text("set -euo pipefail\n" + _make_wrapper(label) + block.code)
        cmd = ["bash", str(script)]
    elif block.language == "python":
        script = folder / f"block{index}.py"
        script.write_text(block.code)
        cmd = [sys.executable, str(script)]
    else:
        raise ValueError(f"{label}: a solution-code block must be bash or python, not {block.language!r}")
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m geomem_utils.execute.solutions", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("labels", nargs="*", help="exercise labels (default: every solution with code)")
    ap.add_argument("--notebooks", type=Path, default=ROOT / "notebooks")
    ap.add_argument("--list", action="store_true", help="list the solutions and their blocks, run nothing")
    ap.add_argument("--timeout", type=int, default=600, help="seconds per block")
    ap.add_argument("--lanes", type=int, default=2,
                    help="solutions run side by side (default 2), each block one thread (OMP_NUM_THREADS=1)")
    ap.add_argument("--smoke-args", nargs=2, metavar=("NB", "ARGS"),
                    help="print make run's ARGS for notebook NB at smoke (see smoke_args), run nothing")
    args = ap.parse_args(argv)
    if args.smoke_args:
        stem = args.smoke_args[0]
        out, changed = smoke_args(stem, args.smoke_args[1])
        for c in changed:
            print(f"solutions: {stem} at smoke: {c} (ten times smoke's default; the solution's "
                  f"size is for the reader's run)", file=sys.stderr)
        print(out)
        return 0
    found = all_solutions(args.notebooks)
    bad = unmarked_code(found)
    if bad:
        print(f"solutions: code not marked :class: {MARK}: {', '.join(bad)}", file=sys.stderr)
        return 1
    unknown = set(args.labels) - {s.label for s in found}
    if unknown:
        print(f"solutions: no solution for {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    chosen = [s for s in found if s.blocks and (not args.labels or s.label in args.labels)]
    if args.list:
        for s in found:
            print(f"{s.label}: {', '.join(b.language for b in s.blocks) or 'no code'} ({s.path.name})")
        return 0
    times_file = ROOT / RUNS / "_times.json"
    last = json.loads(times_file.read_text()) if times_file.is_file() else {}
    # longest first by the last recorded time, so that the lanes end together
    order = sorted(chosen, key=lambda s: -float(last.get(s.label, 0)))
    printing = threading.Lock()

    def one(s: Solution) -> tuple[str, bool, float]:
        t0, ok, notes = time.time(), True, []
        for k, block in enumerate(s.blocks):
            try:
                proc = run_block(s.label, block, k, args.timeout)
                ok, tail = proc.returncode == 0, (proc.stdout + proc.stderr)[-1500:]
                notes += [line.split(" at smoke: ", 1)[1] for line in proc.stderr.splitlines()
                          if line.startswith("solutions: ") and " at smoke: " in line]
            except subprocess.TimeoutExpired:
                ok, tail = False, f"timed out after {args.timeout} s"
            if not ok:
                with printing:
                    print(f"solutions: FAILED {s.label} ({s.path.name}, line {block.line}):\n{tail}",
                          file=sys.stderr, flush=True)
                break
        seconds = time.time() - t0
        note = f" (at smoke: {'; '.join(notes)})" if notes else ""
        with printing:
            print(f"solutions: {s.label}: {'ok' if ok else 'FAILED'} in {seconds:.0f} s{note}", flush=True)
        return s.label, ok, seconds

    start = time.time()
    with ThreadPoolExecutor(max_workers=max(1, args.lanes)) as pool:
        done = list(pool.map(one, order))
    failed = [label for label, ok, _ in done if not ok]
    times_file.parent.mkdir(parents=True, exist_ok=True)
    times_file.write_text(json.dumps({**last, **{label: round(t, 1) for label, _, t in done}},
                                     indent=1, sort_keys=True) + "\n")
    print(f"solutions: {len(chosen) - len(failed)}/{len(chosen)} ran in {time.time() - start:.0f} s "
          f"in {args.lanes} lane(s) (smoke profile, into {RUNS}/)", flush=True)
    if failed:
        print(f"solutions: failed exercises: {', '.join(l for l in (s.label for s in chosen) if l in failed)}",
              file=sys.stderr)
        return 1
    return 0

if __name__ == "__main__":
    raise SystemExit(main())
