"""Reliability: reproducible runs, a crash-safe cache, checks that can fail, refused sizes.

1. Determinism: two processes given the same seed produce the same numbers, bit for bit,
   for every model family (GPT, Mamba, one-layer net, associative net, Node2Vec).
2. The run cache and results files survive a writer killed with SIGKILL inside a write:
   no entry is ever partial, a corrupt or foreign entry (a pickled object included) is
   detected, reported and recomputed, and the next run recomputes exactly what is missing.
3. Checks can fail: ``finish`` raises and records ``passed: false``; NaN and inf never pass;
   the executor deletes a stale verdict before running and exits non-zero (CLI) when a
   claim check fails or a parameter is refused.
4. Absurd sizes are refused up front, with a memory estimate, by the notebooks' Specs,
   by the package, and through the executor, quickly.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import geomem_utils
from geomem_utils import chapters, files, params, results
from geomem_utils.runs import pathstar, cache as run_cache
from geomem_utils.science import graphs
from geomem_utils.execute import inputs, runner
from geomem_utils.validate import ConfigError
from throwaway import SETUP, cell, notebook, parameters

ROOT = Path(__file__).resolve().parents[2]
SUPPORT = Path(__file__).resolve().parents[1] / "support"
PY = sys.executable


def _env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONHASHSEED": "0", **extra}
    env.pop("GEOMEM_NOTEBOOKS", None)
    return env


# ============================================================================ 1. determinism

@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict]:
    """The same short trainings of every family, in two separate processes (seeds 0 and 1)."""
    out = tmp_path_factory.mktemp("determinism")
    runs = []
    for name in ("a", "b"):
        path = out / f"{name}.npz"
        subprocess.run([PY, str(SUPPORT / "determinism_worker.py"), str(path), "--threads", "1", "--seeds", "0,1"],
                       check=True, cwd=ROOT, env=_env(), timeout=300)
        with np.load(path) as z:
            runs.append({k: z[k] for k in z.files})
    return runs[0], runs[1]


@pytest.mark.parametrize("family", ["gpt", "mamba", "net", "assoc", "node2vec"])
def test_same_seed_same_numbers_in_two_processes(two_runs: tuple[dict, dict], family: str) -> None:
    a, b = two_runs
    keys = [k for k in a if k.startswith(f"{family}/")]
    assert {k.split("/")[2] for k in keys} >= {"losses", "embedding"}
    for k in keys:
        assert a[k].dtype == b[k].dtype and a[k].shape == b[k].shape, k
        assert a[k].tobytes() == b[k].tobytes(), f"{k} differs between two processes with the same seed"
        assert np.isfinite(a[k]).all(), k


@pytest.fixture(scope="module")
def other_hash_seed_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Seed 0 again, in a process whose str hashes differ (PYTHONHASHSEED=4242, not 0)."""
    path = tmp_path_factory.mktemp("hashseed") / "c.npz"
    subprocess.run([PY, str(SUPPORT / "determinism_worker.py"), str(path), "--threads", "1", "--seeds", "0"],
                   check=True, cwd=ROOT, env=_env(PYTHONHASHSEED="4242"), timeout=300)
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


@pytest.mark.parametrize("family", ["gpt", "mamba", "net", "assoc", "node2vec"])
def test_same_numbers_whatever_the_hash_seed(two_runs: tuple[dict, dict], other_hash_seed_run: dict, family: str) -> None:
    """Set or dict-of-str order must not reach the numbers (data order, splits, init, cache key)."""
    a, c = two_runs[0], other_hash_seed_run
    keys = [k for k in c if k.startswith(f"{family}/0/")]
    assert {k.split("/")[2] for k in keys} >= {"losses", "embedding"}
    for k in keys:
        assert a[k].tobytes() == c[k].tobytes(), f"{k} depends on PYTHONHASHSEED"
    assert json.loads(bytes(c["meta"]).decode())["key"] != ""


def test_the_hash_seed_reaches_the_worker() -> None:
    """The comparison above has teeth: the two processes really hash strings differently."""
    probe = [PY, "-c", "print(hash('geomem'))"]
    h0, h1 = (subprocess.run(probe, capture_output=True, text=True, env=_env(PYTHONHASHSEED=v), check=True).stdout
              for v in ("0", "4242"))
    assert h0 != h1


@pytest.mark.parametrize("family", ["gpt", "mamba", "net", "assoc", "node2vec"])
def test_another_seed_other_numbers(two_runs: tuple[dict, dict], family: str) -> None:
    """The comparison above has teeth: a different seed changes the embedding and the losses."""
    a, _ = two_runs
    for what in ("embedding", "losses"):
        assert a[f"{family}/0/{what}"].tobytes() != a[f"{family}/1/{what}"].tobytes(), what


def test_cache_key_is_the_same_in_both_processes(two_runs: tuple[dict, dict]) -> None:
    a, b = two_runs
    meta_a, meta_b = (json.loads(bytes(r["meta"]).decode()) for r in (a, b))
    assert meta_a["key"] == meta_b["key"] and meta_a["threads"] == 1


# ============================================================================ 2. cache and results

@pytest.fixture(autouse=True)
def cache_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests pass their own cache folders: a GEOMEM_CACHE=off of the caller must not switch it off."""
    monkeypatch.delenv("GEOMEM_CACHE", raising=False)


def test_cache_key_covers_the_whole_config_and_the_version(monkeypatch: pytest.MonkeyPatch) -> None:
    base = {"a": 1, "model": {"width": 128, "layers": (2, 3)}, "lr": 1e-3}
    key = run_cache.config_key(base)
    assert run_cache.config_key({"lr": 1e-3, "model": {"layers": (2, 3), "width": 128}, "a": 1}) == key  # order-free
    for changed in ({**base, "a": 2}, {**base, "model": {"width": 128, "layers": (2, 4)}}, {**base, "lr": 1e-3 + 1e-12},
                    {**base, "extra": None}, {**base, "lr": float("nan")}, {**base, "lr": None}):
        assert run_cache.config_key(changed) != key, changed
    assert run_cache.config_key({"x": float("nan")}) != run_cache.config_key({"x": None})  # distinct since non-finite fix
    assert run_cache.config_key({"x": float("inf")}) != run_cache.config_key({"x": float("-inf")})
    monkeypatch.setattr(files, "__version__", "999.0")
    assert run_cache.config_key(base) != key
    monkeypatch.undo()
    monkeypatch.setattr(torch, "__version__", "0.0.1+other")
    assert run_cache.config_key(base) != key


def test_a_new_package_version_recomputes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    compute = lambda: calls.append(1) or {"x": torch.ones(2)}  # noqa: E731
    run_cache.cached({"k": 1}, compute, tmp_path)
    run_cache.cached({"k": 1}, compute, tmp_path)
    monkeypatch.setattr(files, "__version__", geomem_utils.__version__ + ".post1")
    run_cache.cached({"k": 1}, compute, tmp_path)
    assert len(calls) == 2


class _Planted:
    """A pickled object whose unpickling would create a file: proof that code ran."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _foreign_entries(tmp_path: Path) -> dict[str, bytes]:
    marker = str(tmp_path / "code_ran")
    planted = io.BytesIO()
    torch.save({"key": "x", "result": _Planted(marker)}, planted)
    other = io.BytesIO()
    torch.save({"key": run_cache.config_key({"other": 1}), "config": {"other": 1}, "result": {"x": torch.zeros(1)}}, other)
    not_a_dict = io.BytesIO()
    torch.save([1, 2, 3], not_a_dict)
    good = io.BytesIO()
    torch.save({"key": run_cache.config_key({"k": 1}), "config": {"k": 1}, "result": {"x": torch.zeros(3)}}, good)
    return {
        "garbage": b"\x00not a torch file",
        "empty": b"",
        "truncated": good.getvalue()[: len(good.getvalue()) // 2],
        "foreign key": other.getvalue(),
        "not a dict": not_a_dict.getvalue(),
        "pickled object": planted.getvalue(),
    }


@pytest.mark.parametrize("kind", ["garbage", "empty", "truncated", "foreign key", "not a dict", "pickled object"])
def test_corrupt_or_foreign_entry_is_recomputed_with_a_warning(tmp_path: Path, kind: str) -> None:
    cache = tmp_path / "cache"
    calls = []

    def compute() -> dict[str, Any]:
        calls.append(1)
        return {"x": torch.arange(3.0), "n": 7}

    first = run_cache.cached({"k": 1}, compute, cache)
    entry = next(cache.glob("run-*.pt"))
    entry.write_bytes(_foreign_entries(tmp_path)[kind])
    with pytest.warns(UserWarning, match="unreadable or foreign"):
        again = run_cache.cached({"k": 1}, compute, cache)
    assert len(calls) == 2 and torch.equal(again["x"], first["x"]) and again["n"] == 7
    assert not (tmp_path / "code_ran").exists(), "a cache entry ran code while loading"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the rewritten entry loads cleanly
        run_cache.cached({"k": 1}, compute, cache)
    assert len(calls) == 2


def test_the_planted_pickle_would_run_code_without_weights_only(tmp_path: Path) -> None:
    """The test above has teeth: loading that entry the unsafe way does run its code."""
    data = _foreign_entries(tmp_path)["pickled object"]
    torch.load(io.BytesIO(data), weights_only=False)
    assert (tmp_path / "code_ran").exists()


def test_a_result_that_cannot_load_back_is_not_cached(tmp_path: Path) -> None:
    calls = []
    compute = lambda: calls.append(1) or {"x": np.zeros(3)}  # noqa: E731 - numpy: not weights_only-loadable
    with pytest.warns(UserWarning, match="cannot be cached"):
        out = run_cache.cached({"k": 1}, compute, tmp_path)
    assert isinstance(out["x"], np.ndarray) and not list(tmp_path.glob("*.pt"))


def test_a_failed_cache_write_keeps_the_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(path, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(run_cache, "atomic_write_bytes", refuse)
    with pytest.warns(UserWarning, match="could not write cache entry"):
        out = run_cache.cached({"k": 1}, lambda: {"x": torch.ones(1)}, tmp_path)
    assert torch.equal(out["x"], torch.ones(1))


def test_cache_off_always_computes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEOMEM_CACHE", "off")
    calls = []
    for _ in range(2):
        run_cache.cached({"k": 1}, lambda: calls.append(1) or {"x": torch.ones(1)}, tmp_path)
    assert len(calls) == 2 and not list(tmp_path.iterdir())


# ---------------------------------------------------------------------------- SIGKILL inside a write
#
# The writer is killed *inside* a write, deterministically: a forked child patches the
# system calls of the atomic write (``tempfile.mkstemp``, ``os.fsync``, ``os.replace``) so
# that it SIGKILLs itself at a chosen point of the write of a chosen file: after the data
# went into the temporary file but before it was synced ("mid-write"), or after the sync
# but before the rename ("before-rename"). No timing is involved: every kill lands inside
# a write, and the test proves it (the child died of SIGKILL, its temporary file is there,
# the target is not).

N_ENTRIES, PAYLOAD = 8, 4096  # floats per entry: 16 KiB, small so that the test stays fast
KILLS_PER_CASE = 6
KILL_POINTS = ("mid-write", "before-rename")


def _entry_config(i: int) -> dict[str, Any]:
    return {"kind": "sigkill-test", "entry": i, "payload": PAYLOAD}


def _entry_path(cache: Path, i: int) -> Path:
    return cache / f"kill-{run_cache.config_key(_entry_config(i))}.pt"


def _compute(i: int) -> dict[str, Any]:
    return {"x": torch.full((PAYLOAD,), float(i)), "i": i}


def _naive_write(path: str | os.PathLike, data: bytes) -> None:
    """What atomic_write_bytes replaces: write in place, in pieces (the test's counter-example)."""
    with open(path, "wb") as f:
        for start in range(0, len(data), max(1, len(data) // 8)):
            f.write(data[start: start + max(1, len(data) // 8)])
            f.flush()
            os.fsync(f.fileno())


def _writer(cache: Path, res: Path, todo: list[int]) -> None:
    """The body of a child process: compute, cache and record the entries in ``todo``."""
    warnings.simplefilter("ignore")
    for i in todo:
        out = run_cache.cached(_entry_config(i), lambda i=i: _compute(i), cache, name="kill")
        results.finish(f"nb{i:03d}", title="t", claim="c", paper_ref="-", checks=[results.check("i", out["i"], ">=", 0)],
                       params={"PROFILE": "ci", "RESULTS_DIR": str(res), "SEED": i}, started=time.time())


def _arm_kill(target: Path, point: str, naive: bool) -> None:
    """In the child: SIGKILL this process at ``point`` of the write of ``target``."""
    die = lambda: os.kill(os.getpid(), signal.SIGKILL)  # noqa: E731
    real_mkstemp, real_fsync, real_replace = tempfile.mkstemp, os.fsync, os.replace
    armed = {"fd": None}

    def mkstemp(*args: Any, **kw: Any) -> tuple[int, str]:
        fd, name = real_mkstemp(*args, **kw)
        if Path(name).name.startswith(f".{target.name}."):
            armed["fd"] = fd
        return fd, name

    def fsync(fd: int) -> None:
        if point == "mid-write" and armed["fd"] is not None:
            die()
        real_fsync(fd)

    def replace(src: Any, dst: Any, *args: Any, **kw: Any) -> None:
        if point == "before-rename" and Path(dst) == target:
            die()
        real_replace(src, dst, *args, **kw)

    tempfile.mkstemp, os.fsync, os.replace = mkstemp, fsync, replace  # this child only
    if naive:

        def naive_write(path: str | os.PathLike, data: bytes) -> None:
            if Path(path) != target:
                return _naive_write(path, data)
            with open(path, "wb") as f:  # the first piece, then the kill
                f.write(data[: max(1, len(data) // 8)])
                f.flush()
                die()

        # where each writer looks it up: results files in files, cache entries in the run cache
        files.atomic_write_bytes = run_cache.atomic_write_bytes = naive_write  # type: ignore[assignment]


def _bad_files(cache: Path, res: Path) -> tuple[list[Path], set[int], set[int]]:
    """Files that are partial, corrupt or inconsistent; the complete cache entries and results files."""
    bad, complete, recorded = [], set(), set()
    for f in cache.glob("kill-*.pt"):
        try:
            entry = torch.load(f, map_location="cpu", weights_only=True)
            i = int(entry["result"]["i"])
            assert f == _entry_path(cache, i) and entry["key"] in f.name
            x = entry["result"]["x"]
            assert x.shape == (PAYLOAD,) and bool((x == i).all())
            complete.add(i)
        except Exception:  # noqa: BLE001 - anything unreadable counts
            bad.append(f)
    for f in res.glob("*.json"):
        try:
            record = json.loads(f.read_text())
            assert record["notebook"] == f.stem and record["passed"] is True and record["checks"]
            recorded.add(int(f.stem[2:]))
        except Exception:  # noqa: BLE001
            bad.append(f)
    return bad, complete, recorded


def _kill_inside_writes(tmp_path: Path, what: str, point: str, n_kills: int, naive: bool = False) -> dict[str, Any]:
    """Fork a writer ``n_kills`` times, each killed inside the write of one cache entry or results file."""
    cache, res = tmp_path / "cache", tmp_path / "results"
    cache.mkdir(exist_ok=True), res.mkdir(exist_ok=True)
    landed, found_bad = 0, []
    for k in range(n_kills):
        _, complete, recorded = _bad_files(cache, res)
        todo = [i for i in range(N_ENTRIES) if i not in complete or i not in recorded]
        victim = todo[k % min(3, len(todo))]  # sometimes the first write of the run, sometimes a later one
        target = _entry_path(cache, victim) if what == "cache" else res / f"nb{victim:03d}.json"
        before = set(cache.glob(".*.tmp")) | set(res.glob(".*.tmp"))
        pid = os.fork()
        if pid == 0:  # the child: write until it kills itself; never return into pytest
            try:
                _arm_kill(target, point, naive)
                _writer(cache, res, todo)
            finally:
                os._exit(0)
        _, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, "the writer was not killed in the write"
        bad, complete, recorded = _bad_files(cache, res)
        found_bad.append(bad)
        new_tmp = (set(cache.glob(".*.tmp")) | set(res.glob(".*.tmp"))) - before
        if naive:
            landed += target.exists()
            continue
        assert not target.exists(), f"{target.name} exists although its write was killed"
        assert [p.name.startswith(f".{target.name}.") for p in new_tmp] == [True], new_tmp
        landed += 1
        # Everything the writer finished before the victim is complete; the victim is missing.
        done_first = set(todo[: todo.index(victim)])
        assert done_first <= complete and done_first <= recorded
        assert (victim not in complete) if what == "cache" else (victim in complete and victim not in recorded)
    return {"landed": landed, "bad": found_bad, "cache": cache, "res": res}


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork (POSIX)")
@pytest.mark.parametrize("point", KILL_POINTS)
@pytest.mark.parametrize("what", ["cache", "results"])
def test_sigkill_inside_a_write_never_leaves_a_partial_file(tmp_path: Path, what: str, point: str) -> None:
    out = _kill_inside_writes(tmp_path, what, point, KILLS_PER_CASE)
    assert out["landed"] == KILLS_PER_CASE, "a kill did not land inside the write"
    assert all(not bad for bad in out["bad"]), [b for b in out["bad"] if b]
    cache, res = out["cache"], out["res"]
    _, complete, _ = _bad_files(cache, res)
    assert 0 < len(complete) < N_ENTRIES
    # The next run recomputes exactly the missing entries, and then nothing.
    calls: list[int] = []
    for i in range(N_ENTRIES):
        run_cache.cached(_entry_config(i), lambda i=i: calls.append(i) or _compute(i), cache, name="kill")
    assert sorted(calls) == sorted(set(range(N_ENTRIES)) - complete)
    _writer(cache, res, list(range(N_ENTRIES)))
    bad, complete, recorded = _bad_files(cache, res)
    assert not bad and complete == recorded == set(range(N_ENTRIES))
    # The killed writers left their temporary files (never an entry); the sweep removes them.
    assert len(list(cache.glob(".*.tmp")) + list(res.glob(".*.tmp"))) == KILLS_PER_CASE
    run_cache.sweep_temp_files(cache, older_than_s=0)
    run_cache.sweep_temp_files(res, older_than_s=0)
    assert not list(cache.glob(".*.tmp")) and not list(res.glob(".*.tmp"))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork (POSIX)")
@pytest.mark.parametrize("what", ["cache", "results"])
def test_sigkill_check_can_fail_with_a_naive_writer(tmp_path: Path, what: str) -> None:
    """The same harness catches in-place writes: every kill leaves a partial file behind."""
    out = _kill_inside_writes(tmp_path, what, "mid-write", 3, naive=True)
    assert out["landed"] == 3 and all(out["bad"]), out["bad"]


def test_sweep_keeps_fresh_temp_files(tmp_path: Path) -> None:
    old, fresh = tmp_path / ".a.pt.x1.tmp", tmp_path / ".b.pt.x2.tmp"
    old.write_bytes(b"1"), fresh.write_bytes(b"2")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    assert run_cache.sweep_temp_files(tmp_path) == [old] and fresh.exists()


# ============================================================================ 3. checks that can fail

def _finish(tmp_path: Path, checks: list[results.Check], profile: str = "ci", name: str = "nb") -> dict:
    return results.finish(name, title="t", claim="c", paper_ref="-", checks=checks,
                          params={"PROFILE": profile, "RESULTS_DIR": str(tmp_path)}, started=time.time())


@pytest.mark.parametrize("profile", ["ci", "full"])
def test_finish_raises_and_records_a_failed_check(tmp_path: Path, profile: str) -> None:
    checks = [results.check("good", 1.0, ">=", 0.5), results.check("bad", 0.2, ">=", 0.5, paper="Fig. 1")]
    with pytest.raises(results.ClaimCheckFailed, match=r"bad: 0\.2 not >= 0\.5"):
        _finish(tmp_path, checks, profile)
    record = json.loads((tmp_path / "nb.json").read_text())
    assert record["passed"] is False and record["enforced"] is True
    assert [c["passed"] for c in record["checks"]] == [True, False]


def test_finish_at_smoke_records_but_does_not_raise(tmp_path: Path) -> None:
    record = _finish(tmp_path, [results.check("bad", 0.2, ">=", 0.5)], "smoke")
    assert record["passed"] is False and record["enforced"] is False


def test_finish_without_a_profile_is_enforced(tmp_path: Path) -> None:
    with pytest.raises(results.ClaimCheckFailed, match=r"nb: claim check failed \(bad: 0 not > 1\)"):
        results.finish("nb", title="t", claim="c", paper_ref="-", checks=[results.check("bad", 0, ">", 1)],
                       params={"RESULTS_DIR": str(tmp_path)}, started=time.time())


@pytest.mark.parametrize("op", sorted(results.OPS))
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("threshold", [-1e9, 0.0, 1e9, math.inf, -math.inf])
def test_a_non_finite_value_never_passes(op: str, value: float, threshold: float) -> None:
    assert not results.check("x", value, op, threshold).passed


@pytest.mark.parametrize("op,value,threshold,passed", [(">=", 1, 1, True), (">", 1, 1, False), ("<=", 1, 1, True),
                                                       ("<", 1, 1, False), ("==", 1, 1, True), ("==", 1, 2, False),
                                                       (">=", torch.tensor(0.7), 0.5, True), (">=", 0.5, math.nan, False)])
def test_check_ops(op: str, value: Any, threshold: float, passed: bool) -> None:
    assert results.check("x", value, op, threshold).passed is passed


def test_check_rejects_what_is_not_a_number() -> None:
    with pytest.raises(ValueError, match="op"):
        results.check("x", 1.0, "=>", 1.0)
    with pytest.raises(TypeError, match="'x'"):
        results.check("x", "high", ">=", 1.0)


# ---------------------------------------------------------------------------- the executor, without a kernel

THROWAWAY = notebook(
    "Check a throwaway claim",
    SETUP,
    parameters("DEGREE = None", "ARMS = None", "WORK_S = 0.0"),
    cell("""
P = resolve(
    {"PROFILE": PROFILE, "SEED": SEED, "DEVICE": DEVICE, "RESULTS_DIR": RESULTS_DIR,
     "VALUE": VALUE, "DEGREE": DEGREE, "ARMS": ARMS, "WORK_S": WORK_S},
    {
        "VALUE": Spec(float, 1.0),
        "DEGREE": Spec(int, {"ci": 4, "full": 5000}, lambda v: 2 <= v <= 100_000, "an integer in [2, 100000]"),
        "ARMS": Spec(int, 3, lambda v: v >= 1, "a positive integer"),  # no upper bound: the package refuses
        "WORK_S": Spec(float, 0.0, lambda v: 0 <= v <= 600, "in [0, 600] seconds"),
    },
)
"""),
    cell("""
g = gm.science.graphs.path_star(P.DEGREE, 5, seed=P.SEED)
h = gm.science.graphs.path_star(P.ARMS, 5, seed=P.SEED)
time.sleep(P.WORK_S)  # stands for a long training that a refused parameter must never reach
"""),
    cell("""
checks = [gm.results.check("value", P.VALUE, ">=", 0.5), gm.results.check("nodes", g.n_nodes + h.n_nodes, ">", 0)]
gm.results.finish("{stem}", title="t", claim="c", paper_ref="-", checks=checks, params=P.as_dict(), started=STARTED)
"""),
)


@pytest.fixture
def notebook_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "notebooks"
    folder.mkdir()
    (folder / "90_throwaway.md").write_text(THROWAWAY.replace("{stem}", "90_throwaway"))
    return folder


def test_notebooks_can_be_looked_up_elsewhere(notebook_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert [p.stem for p in inputs.notebook_paths(folder=notebook_dir)] == ["90_throwaway"]
    monkeypatch.setenv("GEOMEM_NOTEBOOKS", str(notebook_dir))
    assert [p.stem for p in inputs.notebook_paths(["90_throwaway"])] == ["90_throwaway"]
    monkeypatch.delenv("GEOMEM_NOTEBOOKS")
    assert "00_tasks" in [p.stem for p in inputs.notebook_paths()]
    with pytest.raises(inputs.NotebookFailed, match="unknown notebook"):
        inputs.notebook_paths(["90_throwaway"])


class _FakePapermill:
    """Stands in for papermill.execute_notebook: records what the executor saw, writes what it is told."""

    def __init__(self, results_path: Path, write: str | None, raise_error: bool = False) -> None:
        self.results_path, self.write, self.raise_error = results_path, write, raise_error
        self.saw_stale: bool | None = None

    def __call__(self, nb, out, parameters, **kw):
        self.saw_stale = self.results_path.exists()
        if self.write is not None:
            self.results_path.write_text(self.write)
        if self.raise_error:
            raise RuntimeError("a cell raised\nValueError: boom")


def _record(passed: bool, enforced: bool = True) -> str:
    return json.dumps({"notebook": "90_throwaway", "passed": passed, "enforced": enforced, "checks": [{}]})


@pytest.mark.parametrize("write,raise_error,expect", [
    (None, True, "boom"),  # a cell fails before finish()
    (None, False, "wrote no results file"),  # the notebook forgot finish()
    (_record(False), False, "claim check failed"),  # finish() recorded a failure
    ("{not json", False, "unreadable results file"),  # cannot happen with atomic writes, but never trusted
    (_record(True), True, "boom"),  # a cell after finish() fails: still a failure
])
def test_a_failed_run_never_leaves_a_stale_verdict(notebook_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   write: str | None, raise_error: bool, expect: str) -> None:
    import papermill

    res = tmp_path / "results"
    res.mkdir()
    stale = res / "90_throwaway.json"
    stale.write_text(_record(True))  # yesterday's passing verdict
    fake = _FakePapermill(stale, write, raise_error)
    monkeypatch.setattr(papermill, "execute_notebook", fake)
    with pytest.raises(inputs.NotebookFailed, match=expect):
        runner.run_notebook(notebook_dir / "90_throwaway.md", {"PROFILE": "ci", "RESULTS_DIR": str(res)}, tmp_path / "ex")
    assert fake.saw_stale is False, "the stale verdict was still there when the notebook started"
    if write is None:
        assert not stale.exists()
    runs = json.loads((tmp_path / "ex" / "_runs.json").read_text())["runs"]
    assert runs[0]["notebook"] == "90_throwaway" and runs[0]["ok"] is False


def test_a_refused_parameter_touches_no_file(notebook_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A typo (``-p SEEDD 1``) is refused before anything is written or deleted: the last
    good results file stays, byte for byte, and no executed notebook or run log appears."""
    import papermill

    good = tmp_path / "90_throwaway.json"
    good.write_text(_record(True))
    before = good.read_bytes(), good.stat().st_mtime_ns
    monkeypatch.setattr(papermill, "execute_notebook", lambda *a, **k: pytest.fail("the kernel must not start"))
    for bad in ({"SEEDD": 1}, {"NOPE": 1}, {"SEED": "zero"}, {"VALUE": True}):
        with pytest.raises(inputs.NotebookFailed, match="SEEDD|NOPE|SEED|VALUE"):
            runner.run_notebook(notebook_dir / "90_throwaway.md", {"RESULTS_DIR": str(tmp_path), **bad}, tmp_path / "ex")
        assert (good.read_bytes(), good.stat().st_mtime_ns) == before
        assert not (tmp_path / "ex").exists()


@pytest.mark.parametrize("write,passed", [(_record(True), True), (_record(False, enforced=False), False)])
def test_a_good_run_returns_its_record(notebook_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       write: str, passed: bool) -> None:
    import papermill

    fake = _FakePapermill(tmp_path / "90_throwaway.json", write)
    monkeypatch.setattr(papermill, "execute_notebook", fake)
    record = runner.run_notebook(notebook_dir / "90_throwaway.md", {"RESULTS_DIR": str(tmp_path)}, tmp_path / "ex")
    assert record["passed"] is passed


def test_a_relative_results_dir_is_read_where_the_kernel_writes_it() -> None:
    assert inputs.results_file("x", {"RESULTS_DIR": "build/results"}) == ROOT / "build" / "results" / "x.json"
    assert inputs.results_file("x", {"RESULTS_DIR": "/tmp/r"}) == Path("/tmp/r/x.json")
    assert inputs.results_file("x", {}) == ROOT / "build" / "results" / "x.json"


# ---------------------------------------------------------------------------- the CLI, with a real kernel

def _cli(notebook_dir: Path, tmp_path: Path, *args: str, timeout: int = 240) -> tuple[int, str, float, Path]:
    res = tmp_path / "results"
    t0 = time.time()
    proc = subprocess.run(
        [PY, "-m", "geomem_utils.execute", "90_throwaway", "--notebooks", str(notebook_dir),
         "--out", str(tmp_path / "executed"), "--results", str(res), "--timeout", "120", *args],
        capture_output=True, text=True, cwd=ROOT, env=_env(), timeout=timeout,
    )
    return proc.returncode, proc.stdout + proc.stderr, time.time() - t0, res / "90_throwaway.json"


@pytest.mark.parametrize("args,named", [(("-p", "NOPE", "1"), "NOPE"), (("-p", "SEED", '"zero"'), "SEED"),
                                        (("-p", "VALUE", "True"), "VALUE")])
def test_cli_refuses_a_bad_parameter_before_the_kernel(notebook_dir: Path, tmp_path: Path, args: tuple, named: str) -> None:
    rc, out, _, results_path = _cli(notebook_dir, tmp_path, *args)
    assert rc == 1 and f"parameter {named}" in out and "FAILED 90_throwaway" in out
    assert not results_path.exists()


@pytest.mark.slow
def test_cli_exit_codes_with_a_kernel(notebook_dir: Path, tmp_path: Path) -> None:
    # A passing run exits 0 (so the non-zero codes below mean something) ...
    rc, out, _, results_path = _cli(notebook_dir, tmp_path)
    assert rc == 0 and "PASS" in out, out
    assert json.loads(results_path.read_text())["passed"] is True
    # ... a claim check that fails exits 1 and records passed=false ...
    rc, out, _, results_path = _cli(notebook_dir, tmp_path, "-p", "VALUE", "0.1")
    assert rc == 1 and "ClaimCheckFailed" in out and "value: 0.1 not >= 0.5" in out, out
    assert json.loads(results_path.read_text())["passed"] is False
    # ... and a value that resolve() refuses inside the kernel exits 1 and leaves no verdict.
    rc, out, _, results_path = _cli(notebook_dir, tmp_path, "-p", "DEGREE", '"many"')
    assert rc == 1 and "ParameterTypeError" in out and "parameter DEGREE" in out, out
    assert not results_path.exists()


# ============================================================================ 4. absurd sizes

@pytest.mark.slow
def test_cli_refuses_an_absurd_size_quickly(notebook_dir: Path, tmp_path: Path) -> None:
    # The notebook's Spec has an upper bound: refused by resolve(), before 60 s of "training".
    rc, out, wall, results_path = _cli(notebook_dir, tmp_path, "-p", "DEGREE", str(10**7), "-p", "WORK_S", "60.0")
    assert rc == 1 and "parameter DEGREE must be an integer in [2, 100000], got 10000000" in out, out
    assert wall < 45 and not results_path.exists()
    # No bound in the Spec: the graph constructor refuses it, with a memory estimate.
    rc, out, wall, _ = _cli(notebook_dir, tmp_path, "-p", "ARMS", str(10**7), "-p", "WORK_S", "60.0")
    assert rc == 1 and re.search(r"ConfigError: path_star\(degree=10000000.*would need [\d,.]+ GiB", out), out
    assert wall < 45


def test_package_refuses_absurd_sizes_with_an_estimate() -> None:
    for call in (lambda: graphs.path_star(10**7, 5), lambda: graphs.tree_star(10, 30),
                 lambda: pathstar.PathStarRun(degree=10**7), lambda: pathstar.profile_run("ci", degree=10**7)):
        t0 = time.perf_counter()
        with pytest.raises(ConfigError, match=r"nodes \(limit 2,000,000\).*GiB"):
            call()
        assert time.perf_counter() - t0 < 1.0
    with pytest.raises(ConfigError, match=r"parameters .*GiB"):
        pathstar.PathStarRun(degree=1000, model=(("n_layers", 400), ("width", 4096)))
    with pytest.raises(ValueError, match="TrainConfig.steps"):
        pathstar.PathStarRun(steps=10**9)


# ---------------------------------------------------------------------------- the chapters' own Specs

SIZE_NAMES = re.compile(r"DEGREE|LENGTH|WIDTH|LAYERS|HEADS|NODES|LABELS|PAUSE|D_STATE|BATCH|EXAMPLES|DIM")


@pytest.mark.parametrize("stem", list(chapters.MODULES))
def test_every_chapter_bounds_its_sizes(stem: str) -> None:
    """A chapter given an absurd size (e.g. DEGREE 10**7) refuses it in resolve(), by name."""
    specs = chapters.chapter(stem).specs
    sizes = [n for n, s in specs.items() if SIZE_NAMES.search(n)
             and int in (s.kind if isinstance(s.kind, tuple) else (s.kind,))]
    for name in sizes:
        with pytest.raises(params.ParameterError, match=rf"parameter {name}\b"):
            params.resolve({name: 10**7}, {name: specs[name]})
