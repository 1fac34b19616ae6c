"""Notebooks side by side: the executor's lanes and the cache's lock.

1. Two processes that ask the cache for the same run compute it once; the second waits
   for the first and loads its entry. A holder killed mid-run never blocks the next.
2. ``run_many`` runs notebooks ``jobs`` at a time, each kernel on ``GEOMEM_THREADS``
   threads (1 by default), longest first by the last recorded wall times; a bad thread
   count or job count is refused before any kernel starts.
3. Side by side, one status line per lane (notebook, cell n/N, elapsed): redrawn in place on
   a terminal, printed every ``status_every`` seconds elsewhere (CI logs).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from geomem_utils.execute import (
    executor as execute, inputs as notebook_inputs, report as run_report, runner,
)
from throwaway import cell, notebook

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable

# A notebook that sleeps and records, in its results file, when it ran and on how many threads.
SLEEPER = notebook(
    "Sleeper",
    cell("""
PROFILE = "ci"
RESULTS_DIR = "build/results"
""", "parameters"),
    cell("""
import os, time
import torch
import geomem_utils as gm
started = time.time()
time.sleep(4)
threads = torch.get_num_threads()
checks = [gm.results.check("one thread", threads, "==", 1)]
gm.results.finish("STEM", title="t", claim="c", paper_ref="-", checks=checks, started=started,
                  params={"PROFILE": PROFILE, "RESULTS_DIR": RESULTS_DIR},
                  extra={"threads": threads, "omp": os.environ.get("OMP_NUM_THREADS"), "start": started,
                         "end": time.time()})
"""),
)


def _sleepers(folder: Path, stems: list[str]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for stem in stems:
        path = folder / f"{stem}.md"
        path.write_text(SLEEPER.replace("STEM", stem))
        paths.append(path)
    return paths


# ============================================================================ 1. the cache's lock

_ASK = """
import json, sys, time
from pathlib import Path
from geomem_utils.runs.cache import cached
log = Path(sys.argv[1])
def compute():
    with log.open("a") as f:
        f.write("computed\\n")
    time.sleep(float(sys.argv[2]))
    return {"value": 42}
print(json.dumps(cached({"what": "shared run"}, compute, cache_dir=sys.argv[3], name="lock")))
"""


def _ask(tmp_path: Path, sleep: float) -> subprocess.Popen:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    env.pop("GEOMEM_CACHE", None)
    return subprocess.Popen([PY, "-c", _ASK, str(tmp_path / "log"), str(sleep), str(tmp_path / "cache")],
                            stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)


def test_two_processes_asking_for_one_run_compute_it_once(tmp_path: Path) -> None:
    first = _ask(tmp_path, 3.0)
    time.sleep(1.0)  # the first one holds the lock and computes
    second = _ask(tmp_path, 3.0)
    outs = [p.communicate(timeout=120)[0] for p in (first, second)]
    assert [json.loads(o) for o in outs] == [{"value": 42}] * 2
    assert (tmp_path / "log").read_text().splitlines() == ["computed"], "the shared run was computed twice"


def test_a_killed_holder_never_blocks_the_next(tmp_path: Path) -> None:
    holder = _ask(tmp_path, 600.0)
    deadline = time.time() + 60
    while not (tmp_path / "log").exists():  # it holds the lock and computes
        assert time.time() < deadline and holder.poll() is None
        time.sleep(0.1)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    t0 = time.time()
    out = _ask(tmp_path, 0.0).communicate(timeout=120)[0]
    assert json.loads(out) == {"value": 42}
    assert time.time() - t0 < 60
    assert (tmp_path / "log").read_text().splitlines() == ["computed"] * 2  # recomputed: nothing was stored


# ============================================================================ 2. lanes


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GEOMEM_THREADS", "GEOMEM_FORCE", "GEOMEM_NOTEBOOKS", *runner.THREAD_VARS):
        monkeypatch.delenv(name, raising=False)


def test_two_lanes_run_side_by_side_on_one_thread_each(tmp_path: Path, clean_env: None,
                                                     capfd: pytest.CaptureFixture[str]) -> None:
    """Two notebooks overlap on one thread each, both rows survive the shared log, and each
    lane reports its cells (one status line per lane; here every second, off a terminal)."""
    paths = _sleepers(tmp_path / "nb", ["91_a", "92_b"])
    res = tmp_path / "results"
    seen = []
    t0 = time.time()
    out = execute.run_many(paths, {"PROFILE": "ci", "RESULTS_DIR": str(res)}, tmp_path / "ex", jobs=2,
                           report=lambda stem, record, error, s: seen.append((stem, error)),
                           progress=True, status_every=1.0)
    wall = time.time() - t0
    assert sorted(seen) == [("91_a", None), ("92_b", None)]
    assert list(out) == ["91_a", "92_b"] and all(r["passed"] for r in out.values())
    extra = {s: json.loads((res / f"{s}.json").read_text())["extra"] for s in out}
    assert {e["threads"] for e in extra.values()} == {1} and {e["omp"] for e in extra.values()} == {"1"}
    a, b = extra["91_a"], extra["92_b"]
    assert a["start"] < b["end"] and b["start"] < a["end"], f"the two notebooks did not overlap (wall {wall:.0f} s)"
    runs = json.loads((tmp_path / "ex" / "_runs.json").read_text())["runs"]
    assert sorted(r["notebook"] for r in runs) == ["91_a", "92_b"]  # both rows survive the shared log
    assert {r["threads"] for r in runs} == {1}
    err = capfd.readouterr().err
    lines = re.findall(r"\[execute\] lane ([12]): (9[12]_[ab]), cell (\d+)/(\d+), 0:0\d elapsed", err)
    assert {stem for _, stem, _, _ in lines} == {"91_a", "92_b"}, err
    assert {lane for lane, _, _, _ in lines} == {"1", "2"} and any(int(n) >= 1 for _, _, n, _ in lines), err


def test_geomem_threads_reaches_the_kernel(tmp_path: Path, clean_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEOMEM_THREADS", "2")
    [path] = _sleepers(tmp_path / "nb", ["93_c"])
    out = execute.run_many([path], {"PROFILE": "ci", "RESULTS_DIR": str(tmp_path / "r")}, tmp_path / "ex", jobs=1)
    assert isinstance(out["93_c"], notebook_inputs.NotebookFailed)  # its check asks for one thread
    extra = json.loads((tmp_path / "r" / "93_c.json").read_text())["extra"]
    assert extra["threads"] == 2 and extra["omp"] == "2"
    assert os.environ.get("OMP_NUM_THREADS") is None, "the kernel's thread count leaked into this process"


def test_the_thread_count_is_an_input_of_the_skip(tmp_path: Path) -> None:
    [path] = _sleepers(tmp_path / "nb", ["94_d"])
    params = {"PROFILE": "ci", "RESULTS_DIR": "build/results"}
    assert notebook_inputs.inputs_digest(path, params, 1) != notebook_inputs.inputs_digest(path, params, 2)


@pytest.mark.parametrize("args,env,named", [
    (["--jobs", "0"], {}, "--jobs"),
    ([], {"GEOMEM_THREADS": "two"}, "GEOMEM_THREADS"),
    ([], {"GEOMEM_THREADS": "0"}, "GEOMEM_THREADS"),
])
def test_a_bad_job_or_thread_count_is_refused_before_any_kernel(tmp_path: Path, args: list[str],
                                                                env: dict[str, str], named: str) -> None:
    _sleepers(tmp_path / "nb", ["95_e"])
    proc = subprocess.run([PY, "-m", "geomem_utils.execute", "--notebooks", str(tmp_path / "nb"), "--out",
                           str(tmp_path / "ex"), "--results", str(tmp_path / "r"), *args],
                          capture_output=True, text=True, cwd=ROOT, env={**os.environ, **env}, timeout=120)
    assert proc.returncode == 1 and named in proc.stderr
    assert not (tmp_path / "ex").exists() and not (tmp_path / "r").exists()


def test_longest_first_by_the_last_recorded_times(tmp_path: Path) -> None:
    paths = [tmp_path / f"{s}.md" for s in ("00_a", "01_b", "02_c", "03_d")]
    (tmp_path / "ex").mkdir()
    (tmp_path / "ex" / "_runs.json").write_text(json.dumps({"runs": [
        {"notebook": "00_a", "wall_s": 5.0}, {"notebook": "01_b", "wall_s": 200.0}, {"notebook": "02_c", "wall_s": 60.0}]}))
    order = [p.stem for p in execute.longest_first(paths, tmp_path / "ex")]
    assert order == ["03_d", "01_b", "02_c", "00_a"]  # never timed counts as the longest


def test_without_a_run_log_the_committed_cold_build_orders_the_lanes(tmp_path: Path) -> None:
    times = run_report.last_wall_times(tmp_path / "nowhere")
    book = json.loads((ROOT / "bench" / "results" / "book.json").read_text())
    assert times == {r["notebook"]: r["wall_s"] for r in book["result"]["cold"]["notebooks"]}
    assert len(times) >= 6


# ============================================================================ 3. progress in the lanes (issue 26)

def test_the_lanes_print_one_line_each_periodically_off_a_terminal() -> None:
    import io

    now = [1000.0]
    out = io.StringIO()
    status = run_report.LaneStatus(out, tty=False, every=30.0, clock=lambda: now[0])
    status.update("03_x", 0, 0, 1000.0)
    status.update("04_y", 2, 40, 1000.0)
    status.show()
    assert out.getvalue() == ""  # not before the period
    now[0] = 1031.0
    status.update("03_x", 12, 58, 1000.0)
    status.show()
    assert out.getvalue().splitlines() == ["[execute] lane 1: 03_x, cell 12/58, 0:31 elapsed",
                                           "[execute] lane 2: 04_y, cell 2/40, 0:31 elapsed"]
    now[0] = 1040.0
    status.show()
    assert len(out.getvalue().splitlines()) == 2  # once per period
    status.finish("03_x")
    status.update("03_x", 13, 58, 1000.0)  # a late report of a finished notebook
    status.update("05_z", 1, 9, 1035.0)  # takes the free lane
    now[0] = 1000.0 + 3725
    status.show()
    assert out.getvalue().splitlines()[2:] == ["[execute] lane 1: 05_z, cell 1/9, 1:01:30 elapsed",
                                               "[execute] lane 2: 04_y, cell 2/40, 1:02:05 elapsed"]
    assert "\r" not in out.getvalue() and "\x1b" not in out.getvalue()


def test_the_lanes_are_redrawn_in_place_on_a_terminal() -> None:
    import io

    out = io.StringIO()
    status = run_report.LaneStatus(out, tty=True, clock=lambda: 10.0)
    status.update("03_x", 1, 5, 0.0)
    status.show()
    status.update("03_x", 2, 5, 0.0)
    status.show()
    assert out.getvalue() == ("[execute] lane 1: 03_x, cell 1/5, 0:10 elapsed\n" + "\x1b[1A\x1b[2K"
                              + "[execute] lane 1: 03_x, cell 2/5, 0:10 elapsed\n")
