"""The sweep runner (geomem_utils/sweep/grids.py: grids and the notebooks' tables; sweep_rows.py:
one run, one row; sweep_cluster.py: Dask execution, resume, failures; sweep_cli.py: the
command line).

Runs are tiny (G(6, 4), a 1-layer width-32 GPT, tens of steps), so the whole file costs
seconds of training; most of its time is starting Dask workers (separate processes).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
import golden  # tests/support: the approved words of the chapter's records
import torch

from geomem_utils.runs import pathstar
from geomem_utils import files
from geomem_utils.sweep import (
    grids as sweep, cli as sweep_cli, cluster as sweep_cluster, rows as sweep_rows, tables as sweep_tables,
)
from geomem_utils.validate import ConfigError

ROOT = Path(__file__).resolve().parents[2]

TINY = """
kind = "path_star"
description = "a test grid"
[ci]
grid = {{seed = {seeds}}}
[ci.fixed]
degree = 6
path_length = 4
steps = {steps}
eval_every = 10
warmup_steps = 5
batch_size = 32
snapshot_steps = []
model = {{n_layers = 1, width = 32, n_heads = 2}}
"""


def _sweep_dir(tmp_path: Path, steps: int = 30, seeds: str = "[0, 1]", name: str = "tiny") -> Path:
    folder = tmp_path / "sweeps"
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.toml").write_text(TINY.format(steps=steps, seeds=seeds))
    return folder


def _env(cache: Path) -> dict[str, str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "GEOMEM_CACHE_DIR": str(cache)}
    env.pop("GEOMEM_CACHE", None)
    return env


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "geomem_utils.sweep", *args]


def test_grid_points_configs_and_validation(tmp_path) -> None:
    folder = _sweep_dir(tmp_path, seeds="[0, 1, 2]")
    s = sweep.load("tiny", "ci", folder)
    assert [p["seed"] for p in s.points()] == [0, 1, 2]
    cfg = s.config({"seed": 2})
    assert isinstance(cfg, pathstar.PathStarRun) and cfg.seed == 2 and cfg.degree == 6
    assert dict(cfg.model) == {"n_layers": 1, "width": 32, "n_heads": 2} and cfg.snapshot_steps == ()
    # model.NAME changes one keyword of the model; recipes bundle overrides
    s2 = sweep.Sweep("t", "ci", grid={"model.pos_init_std": [1.0], "recipe": ["m"]},
                     fixed={"degree": 6, "path_length": 4}, bundles={"recipe": {"m": {"lr": 3e-3}}})
    cfg2 = s2.config(s2.points()[0])
    assert dict(cfg2.model)["pos_init_std"] == 1.0 and dict(cfg2.model)["width"] == 128 and cfg2.lr == 3e-3
    # a model keyword at its default is left out: the run is the same run (one cache entry)
    s3 = replace(s2, grid={"model.pos_init_std": [0.02], "recipe": ["m"]})
    assert s3.config(s3.points()[0]) == replace(cfg2, model=pathstar.PathStarRun.model)
    # bad values are refused before any work, naming the field and the grid point
    with pytest.raises(ConfigError, match="degree"):
        sweep.Sweep("t", "ci", grid={"degree": [6, -3]}, fixed={"path_length": 4}).configs()
    with pytest.raises(ConfigError, match="not_a_field"):
        sweep.Sweep("t", "ci", grid={"not_a_field": [1]}).configs()
    with pytest.raises(ConfigError, match="recipe"):
        sweep.Sweep("t", "ci", grid={"recipe": ["nope"]}, bundles={"recipe": {"gpt": {}}})
    with pytest.raises(ConfigError, match="unknown sweep"):
        sweep.load("nope", "ci", folder)
    assert subprocess.run(_cli("nope", "--sweeps", str(folder)), capture_output=True, cwd=ROOT).returncode == 2


@pytest.mark.parametrize("name", sorted(p.stem for p in (ROOT / "sweeps").glob("*.toml")))
def test_the_books_sweeps_are_valid_at_every_profile(name) -> None:
    import tomllib

    spec = tomllib.loads((ROOT / "sweeps" / f"{name}.toml").read_text())
    profiles = [p for p in sweep.PROFILES if p in spec]
    assert "ci" in profiles and "full" in profiles, profiles
    for profile in profiles:
        assert sweep.load(name, profile).configs()  # every point builds a valid configuration


def test_cache_dir_alias(monkeypatch, tmp_path) -> None:
    from geomem_utils.runs.cache import default_cache_dir

    monkeypatch.delenv("GEOMEM_CACHE", raising=False)
    monkeypatch.setenv("GEOMEM_CACHE_DIR", str(tmp_path / "shared"))
    assert default_cache_dir() == tmp_path / "shared"
    monkeypatch.delenv("GEOMEM_CACHE_DIR")
    monkeypatch.setenv("GEOMEM_CACHE", str(tmp_path / "old"))
    assert default_cache_dir() == tmp_path / "old"


def test_a_failed_run_is_recorded_and_the_others_finish(monkeypatch, tmp_path, capsys) -> None:
    from dask.distributed import Client, LocalCluster

    monkeypatch.setenv("GEOMEM_CACHE_DIR", str(tmp_path / "cache"))
    import dataclasses

    from geomem_utils.runs import kinds

    real = kinds.KINDS["path_star"]

    def planted(cfg, device):  # a run that raises inside the worker
        if cfg.seed == 1:
            raise RuntimeError("planted failure")
        return real.train(cfg, device)

    monkeypatch.setitem(kinds.KINDS, "path_star", dataclasses.replace(real, train=planted))
    s = sweep.load("tiny", "ci", _sweep_dir(tmp_path, seeds="[0, 1, 2]"))
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        df, summary = sweep_cluster.run_sweep(s, client, tmp_path / "out", progress=False)
    assert list(df.status) == ["done", "failed", "done"]
    assert "planted failure" in df.error[1] and df.final_exact.notna().tolist() == [True, False, True]
    assert summary["failed"] == 1 and summary["complete"]
    assert sweep_cli.report(summary) == 1
    assert "FAILED run 1 (seed=1): RuntimeError: planted failure" in capsys.readouterr().out
    stored = pd.read_csv(tmp_path / "out" / "tiny-ci.csv")
    assert list(stored.status) == ["done", "failed", "done"]
    assert json.loads((tmp_path / "out" / "tiny-ci.json").read_text())["failed_runs"][0]["index"] == 1


def test_a_killed_sweep_resumes_without_recomputing_finished_runs(tmp_path) -> None:
    folder, out, cache = _sweep_dir(tmp_path, steps=300, seeds="[0, 1, 2, 3, 4]"), tmp_path / "out", tmp_path / "cache"
    cmd = _cli("tiny", "--sweeps", str(folder), "--out", str(out), "--workers", "1")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=_env(cache), start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    table = out / "tiny-ci.csv"
    deadline = time.time() + 120
    try:
        while time.time() < deadline:  # wait until some, not all, runs are in the table
            if table.exists() and len(pd.read_csv(table)) >= 1:
                break
            assert proc.poll() is None, "the sweep ended before it could be killed"
            time.sleep(0.1)
        else:
            pytest.fail("no run finished in time")
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the client and its LocalCluster's worker, at once
        proc.wait()
    first = pd.read_csv(table)  # a killed sweep leaves a readable, consistent table
    assert 1 <= len(first) < 5 and set(first.status) == {"done"}
    entries = {p: p.stat().st_mtime_ns for p in cache.glob("pathstar-*.pt")}
    assert len(entries) >= len(first)
    rerun = subprocess.run(cmd, cwd=ROOT, env=_env(cache), capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    second = pd.read_csv(table)
    assert len(second) == 5 and set(second.status) <= {"done", "cached", "committed"}
    # the rows the killed run wrote are kept from its table, not run again
    assert (second.set_index("seed").loc[first.seed, "status"] == "committed").all()
    assert (second.status == "done").sum() <= 5 - len(first)
    assert all(p.stat().st_mtime_ns == t for p, t in entries.items()), "a finished run was recomputed"
    summary = json.loads((out / "tiny-ci.json").read_text())
    assert summary["complete"] and summary["kept"] == len(first)


def _fake_runs(monkeypatch) -> list[int]:
    """run_point replaced by a recorder: the seeds it was asked to run (no training)."""
    calls: list[int] = []

    def fake(cfg, device="auto", threads=1, cache_dir=None):
        calls.append(cfg.seed)
        return {"status": "done", "final_exact": 0.5 + cfg.seed / 100, "first_hop": 0.9, "navigation": 1.0,
                "train_exact": 1.0, "chance": 1 / 6, "n_test": 4, "steps": 30, "cross_1": 20.0, "cross_2": 10.0}

    monkeypatch.setattr(sweep_tables, "run_point", fake)
    return calls


def test_a_row_reads_back_from_csv_with_the_same_configuration(tmp_path, monkeypatch) -> None:
    _fake_runs(monkeypatch)
    s = sweep.Sweep("t", "ci", grid={"recipe": ["gpt", "mamba"], "seed": [0]},
                    fixed={"degree": 6, "path_length": 4, "steps": 30, "snapshot_steps": []},
                    bundles={"recipe": {"gpt": {}, "mamba": {"arch": "mamba", "lr": 3e-2,
                                                             "model": {"n_layers": 1, "width": 32}}}})
    df = sweep_tables.table(s)
    df.to_csv(tmp_path / "t.csv", index=False)
    back = pd.read_csv(tmp_path / "t.csv")
    assert sweep_rows.keys(back) == sweep_rows.keys(df) and len(set(sweep_rows.keys(df))) == 2
    assert set(df.stamp) == {files.science_fingerprint()}
    # another configuration is another key
    other = sweep_tables.table(replace(s, fixed={**s.fixed, "degree": 7}))
    assert not set(sweep_rows.keys(other)) & set(sweep_rows.keys(df))


def test_a_notebook_trains_its_seed_and_reads_the_others_from_a_committed_table(tmp_path, monkeypatch) -> None:
    calls = _fake_runs(monkeypatch)
    s = sweep.load("tiny", "ci", _sweep_dir(tmp_path, seeds="[0, 1, 2]"))
    committed = sweep_tables.table(s)
    assert calls == [0, 1, 2]
    calls.clear()
    mine = sweep_tables.table(s, reuse=committed, train_seeds=[0])
    assert calls == [0] and list(mine.status) == ["done", "committed", "committed"]
    assert list(mine.final_exact) == list(committed.final_exact)
    assert sweep_tables.disagreements(mine, committed) == []
    # a committed row with other numbers at the seed trained here is named
    planted = committed.copy()
    planted.loc[planted.seed == 0, "first_hop"] = 0.2
    lines = sweep_tables.disagreements(mine, planted)
    assert len(lines) == 1 and "seed 0" in lines[0] and "first_hop" in lines[0]
    # a stale row (other code) is not read: its run is trained here
    calls.clear()
    stale = committed.copy()
    stale.loc[stale.seed == 2, "stamp"] = "0" * 16
    again = sweep_tables.table(s, reuse=stale, train_seeds=[0])
    assert calls == [0, 2] and list(again.status) == ["done", "committed", "done"]
    assert sweep_tables.disagreements(again, stale) == []


def test_a_rerun_into_a_table_computes_only_the_rows_it_lacks(tmp_path, monkeypatch, capsys) -> None:
    """A grid committed in pieces: the second invocation (another machine: an empty cache)
    keeps the first one's rows, runs the missing ones, and keeps another grid's rows."""
    calls = _fake_runs(monkeypatch)
    out = tmp_path / "out"
    folder = _sweep_dir(tmp_path, seeds="[0, 1]")
    base = ["tiny", "--sweeps", str(folder), "--out", str(out), "--workers", "0"]
    assert sweep_cli.main(base) == 0 and calls == [0, 1]
    other = _sweep_dir(tmp_path, seeds="[7]", name="tiny")  # the same file, another grid
    assert sweep_cli.main(["tiny", "--sweeps", str(other), "--out", str(out), "--workers", "0"]) == 0
    assert calls == [0, 1, 7]
    _sweep_dir(tmp_path, seeds="[0, 1, 2]")
    calls.clear()
    assert sweep_cli.main(base) == 0 and calls == [2]
    t = pd.read_csv(out / "tiny-ci.csv")
    assert sorted(t.seed) == [0, 1, 2, 7] and list(t.status[:3]) == ["committed", "committed", "done"]
    summary = json.loads((out / "tiny-ci.json").read_text())
    assert summary["kept"] == 2 and summary["other_rows"] == 1
    assert "2 kept from the table" in capsys.readouterr().out


def test_a_real_cluster_gives_the_serial_runs_bit_for_bit(tmp_path, monkeypatch, one_thread) -> None:
    """`--scheduler` against `dask scheduler` and `dask worker` started as separate processes."""
    folder, out = _sweep_dir(tmp_path, steps=30, seeds="[0, 1]"), tmp_path / "out"
    env = _env(tmp_path / "cluster-cache")
    sched_file = tmp_path / "scheduler.json"
    procs = [subprocess.Popen([sys.executable, "-m", "dask", "scheduler", "--host", "127.0.0.1", "--port", "0",
                               "--no-dashboard", "--scheduler-file", str(sched_file)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        deadline = time.time() + 60
        while not sched_file.exists() and time.time() < deadline:
            time.sleep(0.1)
        address = json.loads(sched_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        procs.append(subprocess.Popen([sys.executable, "-m", "dask", "worker", "--scheduler-file", str(sched_file),
                                       "--nworkers", "1", "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1"],
                                      env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        run = subprocess.run(_cli("tiny", "--sweeps", str(folder), "--out", str(out), "--scheduler", address),
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr[-3000:]
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=30)
    df = pd.read_csv(out / "tiny-ci.csv")
    assert list(df.status) == ["done", "done"] and df.host.notna().all()
    # the same runs, serially in this process, with another cache
    monkeypatch.setenv("GEOMEM_CACHE_DIR", str(tmp_path / "serial-cache"))
    s = sweep.load("tiny", "ci", folder)
    for point, cfg in s.configs():
        serial = pathstar.run_path_star(cfg, progress=False)
        key = sorted((tmp_path / "cluster-cache").glob("pathstar-*.pt"))
        remote = [torch.load(p, weights_only=True)["result"] for p in key]
        match = [r for r in remote if torch.equal(r["test_ids"], serial["test_ids"])
                 and r["history"][0] == serial["history"][0]]
        assert len(match) == 1, "no cluster run matches the serial run's first evaluation"
        r = match[0]
        assert r["history"] == serial["history"]
        assert torch.equal(r["embedding"], serial["embedding"])
        assert all(torch.equal(r["model_state"][k], v) for k, v in serial["model_state"].items())
        row = df[df.seed == cfg.seed].iloc[0]
        assert row.final_exact == serial["final"]["test_exact"] and row.navigation == serial["final"]["navigation"]


def _job_script(tmp_path: Path, *flags: str) -> str:
    pytest.importorskip("dask_jobqueue")
    run = subprocess.run(_cli("tiny", "--sweeps", str(_sweep_dir(tmp_path)), "--slurm", "--dry-run", *flags),
                         cwd=ROOT, env=_env(tmp_path / "c"), capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    return run.stdout


def _worker_line(script: str) -> list[str]:
    lines = [l for l in script.splitlines() if "distributed.cli.dask_worker" in l]
    assert len(lines) == 1, script
    return lines[0].split()


def _flag(words: list[str], flag: str) -> str | None:
    return words[words.index(flag) + 1] if flag in words else None


def test_slurm_gpu_job_runs_one_single_threaded_worker_on_its_gpu(tmp_path) -> None:
    """`--gpus 1`: one worker per single-GPU job, one thread (one run per GPU at a time), the
    job's CPUs booked for it; the job enters the checkout and activates its environment."""
    script = _job_script(tmp_path, "--partition", "gpu", "--cores", "4", "--memory", "32GB",
                         "--walltime", "04:00:00", "--gpus", "1")
    for line in ("#SBATCH -p gpu", "#SBATCH -t 04:00:00", "#SBATCH --gres=gpu:1", "#SBATCH --cpus-per-task=4",
                 "OMP_NUM_THREADS=1", f"cd {ROOT}\n", "\nsource .venv/bin/activate\n"):
        assert line in script, (line, script)
    assert script.index(f"cd {ROOT}") < script.index("source .venv/bin/activate") < script.index("dask_worker")
    worker = _worker_line(script)
    assert worker[0] == "python", "the worker must be the activated environment's python, not this machine's path"
    assert _flag(worker, "--nthreads") == "1" and _flag(worker, "--nworkers") in (None, "1")


def test_slurm_cpu_job_runs_one_single_threaded_worker_per_core(tmp_path) -> None:
    script = _job_script(tmp_path, "--cores", "4", "--env-setup", "module load cuda; source env/bin/activate")
    assert "--gres" not in script and "#SBATCH --cpus-per-task=4" in script
    assert f"cd {ROOT}\nmodule load cuda; source env/bin/activate\n" in script
    worker = _worker_line(script)
    assert _flag(worker, "--nthreads") == "1" and _flag(worker, "--nworkers") == "4"


def test_more_than_one_gpu_per_job_is_refused(tmp_path, capsys) -> None:
    rc = sweep_cli.main(["tiny", "--sweeps", str(_sweep_dir(tmp_path)), "--slurm", "--gpus", "2"])
    err = capsys.readouterr().err
    assert rc == 2 and "--gpus 2" in err and "--jobs" in err


#: The numbers of a row that a run's state decides (not its timings, host or date).
NUMBERS = ("final_exact", "best_exact", "first_hop", "navigation", "train_exact", "chance", "n_test", "steps")

_ALONE = """
import json, sys
from geomem_utils.sweep import grids, rows
cfg = grids.load("tiny", "ci", sys.argv[1]).configs()[int(sys.argv[2])][1]
row = rows.run_point(cfg, "cpu")
print(json.dumps({k: row[k] for k in sys.argv[3:]}))
"""


def test_runs_back_to_back_in_one_process_give_the_numbers_of_fresh_processes(tmp_path, monkeypatch) -> None:
    """A Dask worker (or one Slurm GPU worker) runs one run after another in one process:
    nothing a run leaves behind (the global RNG, torch's threads, a module's state) may
    change the next one's numbers. Two runs back to back here, each alone in a fresh
    process there, the cache off in both."""
    monkeypatch.setenv("GEOMEM_CACHE", "off")
    monkeypatch.delenv("GEOMEM_CACHE_DIR", raising=False)
    folder = _sweep_dir(tmp_path, steps=20, seeds="[0, 1]")
    configs = [cfg for _, cfg in sweep.load("tiny", "ci", folder).configs()]
    env = {**_env(tmp_path / "unused"), "GEOMEM_CACHE": "off"}
    env.pop("GEOMEM_CACHE_DIR")
    fresh = [subprocess.Popen([sys.executable, "-c", _ALONE, str(folder), str(i), *NUMBERS], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in range(len(configs))]  # the fresh processes run while this one runs both
    together = [sweep_rows.run_point(cfg, "cpu") for cfg in configs]
    for i, row in enumerate(together):
        out, err = fresh[i].communicate(timeout=300)
        assert fresh[i].returncode == 0, err[-3000:]
        alone = json.loads(out.splitlines()[-1])
        mine = json.loads(json.dumps({k: row[k] for k in NUMBERS}))  # the same float spelling
        assert mine == alone, (i, mine, alone)
    assert not (tmp_path / "unused").exists()


def test_a_row_recomputed_from_a_cached_run_is_not_a_trained_run(tmp_path, monkeypatch) -> None:
    """``status``: ``done`` only where the call trained the run. With its row gone from the cache
    (as after an edit outside the run's code), the run is read from the run cache: the row
    comes back ``cached`` with the same numbers, so a sweep's summary never counts a re-stamp
    as training."""
    monkeypatch.setenv("GEOMEM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("GEOMEM_CACHE", raising=False)
    cfg = sweep.load("tiny", "ci", _sweep_dir(tmp_path, steps=60, seeds="[0]")).configs()[0][1]
    first = sweep_rows.run_point(cfg, "cpu")
    assert first["status"] == "done"
    for row_entry in (tmp_path / "cache").glob("sweeprow-*.pt"):
        row_entry.unlink()
    again = sweep_rows.run_point(cfg, "cpu")
    assert again["status"] == "cached" and {k: again[k] for k in NUMBERS} == {k: first[k] for k in NUMBERS}
    assert sweep_rows.run_point(cfg, "cpu")["status"] == "cached"
    assert sweep_rows.trained_now(2.0, 3.0) and not sweep_rows.trained_now(0.1, 3.0)
    assert sweep_rows.trained_now(0.1, float("nan")) and sweep_rows.trained_now(0.1, None)


def _no_work(monkeypatch) -> None:
    """Anything that would run a run or start a cluster fails the test."""
    def refuse(*a, **k):
        raise AssertionError("the command did work it should have refused or only described")

    monkeypatch.setattr(sweep_cli, "run_sweep", refuse)
    monkeypatch.setattr(sweep_cli, "table", refuse)
    monkeypatch.setattr(sweep_cli, "connect", refuse)
    import dask.distributed

    monkeypatch.setattr(dask.distributed, "LocalCluster", refuse)


def test_dry_run_prints_the_runs_and_runs_nothing(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("GEOMEM_CACHE_DIR", str(tmp_path / "env-cache"))
    _no_work(monkeypatch)
    folder = _sweep_dir(tmp_path, seeds="[0, 1, 2]")
    for where in ([], ["--workers", "0"], ["--scheduler", "tcp://127.0.0.1:1"]):
        rc = sweep_cli.main(["tiny", "--sweeps", str(folder), "--dry-run", "--out", "build/i26-nowhere", *where])
        out = capsys.readouterr().out
        assert rc == 0, out
        assert "dry run" in out and [l.strip() for l in out.splitlines() if l.strip().startswith("run ")] == [
            "run 0: seed=0", "run 1: seed=1", "run 2: seed=2"]
        assert f"cache: {tmp_path / 'env-cache'}" in out
        assert f"table: {ROOT / 'build' / 'i26-nowhere' / 'tiny-ci.csv'}" in out
    assert not (ROOT / "build" / "i26-nowhere").exists()


@pytest.mark.parametrize("flags", [["--partition", "gpu"], ["--gpus", "1"], ["--cores", "4"], ["--jobs", "2"],
                                   ["--memory", "8GB"], ["--walltime", "01:00:00"], ["--account", "a"],
                                   ["--env-setup", "true"], ["--workers", "2", "--slurm"], ["--device", "foo"],
                                   ["--threads", "0"]])
def test_a_flag_that_cannot_apply_is_refused_in_one_line(tmp_path, monkeypatch, capsys, flags) -> None:
    _no_work(monkeypatch)
    monkeypatch.setattr(sweep_cli, "slurm_cluster", lambda *a, **k: pytest.fail("no Slurm cluster"))
    rc = sweep_cli.main(["tiny", "--sweeps", str(_sweep_dir(tmp_path)), "--out", str(tmp_path / "out"), *flags])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1, err
    assert flags[0] in err and (flags[1] in err or flags[0] != "--device")
    assert not (tmp_path / "out").exists()


def test_a_scheduler_that_does_not_answer_is_one_line_within_seconds(tmp_path) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    folder = _sweep_dir(tmp_path)
    for address, says in ((f"tcp://127.0.0.1:{port}", "no Dask scheduler answered within 1 s"),
                          ("nonsense", "not a Dask address")):
        t0 = time.time()
        run = subprocess.run(_cli("tiny", "--sweeps", str(folder), "--scheduler", address, "--connect-timeout", "1"),
                             cwd=ROOT, env=_env(tmp_path / "c"), capture_output=True, text=True, timeout=120)
        assert run.returncode == 2 and len(run.stderr.strip().splitlines()) == 1, run.stderr[-3000:]
        assert says in run.stderr and address in run.stderr
        assert time.time() - t0 < 30


@pytest.mark.parametrize("workers", ["0", "1"])
def test_relative_cache_and_out_are_taken_from_the_repository_root(tmp_path, monkeypatch, workers) -> None:
    """`--cache-dir c --out o` means ROOT/c and ROOT/o whether this process runs the runs
    (--workers 0) or Dask workers do, wherever the command is started (here: elsewhere/)."""
    from geomem_utils import files

    root, elsewhere = tmp_path / "root", tmp_path / "elsewhere"
    root.mkdir()
    elsewhere.mkdir()
    monkeypatch.setattr(files, "repo_root", lambda: root)
    monkeypatch.setattr(sweep_cluster, "repo_root", lambda: root)
    monkeypatch.setenv("GEOMEM_CACHE_DIR", str(tmp_path / "not-this-cache"))
    monkeypatch.chdir(elsewhere)
    folder = _sweep_dir(tmp_path, steps=20, seeds="[0]")
    rc = sweep_cli.main(["tiny", "--sweeps", str(folder), "--cache-dir", "c", "--out", "o", "--workers", workers])
    assert rc == 0
    assert list((root / "c").glob("pathstar-*.pt")) and (root / "o" / "tiny-ci.csv").exists()
    assert not any(elsewhere.iterdir()) and not (tmp_path / "not-this-cache").exists()
    summary = json.loads((root / "o" / "tiny-ci.json").read_text())
    assert summary["cache_dir"] == "c" and summary["table"] == "o/tiny-ci.csv"
    # again: every row is kept or read from the cache, nothing trains; the summary says so and
    # carries the invocation that trained the runs (its wall time is what they cost)
    for row_entry in (root / "c").glob("sweeprow-*.pt"):
        row_entry.unlink()
    (root / "o" / "tiny-ci.csv").unlink()
    assert sweep_cli.main(["tiny", "--sweeps", str(folder), "--cache-dir", "c", "--out", "o", "--workers", workers]) == 0
    again = json.loads((root / "o" / "tiny-ci.json").read_text())
    assert again["done"] == 0 and again["cached"] == 1
    assert again["trained"] == {k: summary.get(k) for k in sweep_cluster.TRAINING_KEYS}
    assert again["trained"]["done"] == 1 and again["trained"]["wall_s"] == summary["wall_s"]
    assert sweep_cli.main(["tiny", "--sweeps", str(folder), "--cache-dir", "c", "--out", "o", "--workers", workers]) == 0
    assert json.loads((root / "o" / "tiny-ci.json").read_text())["trained"] == again["trained"]  # carried on


def _tables(exact_40: float, nav: float, released: float):
    rows = [dict(degree=d, path_length=5, seed=s, final_exact=(exact_40 if d == 40 else 0.9),
                 first_hop=(exact_40 if d == 40 else 0.9), navigation=nav, chance=1 / d, status="done")
            for d in (20, 40) for s in range(3)]
    pos = [dict(degree=40, seed=s, final_exact=(released if std == 1.0 else 0.9), chance=1 / 40, status="done",
                **{"model.pos_init_std": std}) for std in (1.0, 0.02) for s in range(3)]
    return dict(degree=pd.DataFrame(rows), pos_init=pd.DataFrame(pos))


def test_chapter_06_checks_fail_when_the_finding_is_false() -> None:
    from geomem_utils.chapters.holds_checks import holds_checks

    assert all(c.passed for c in holds_checks(**_tables(0.9, 0.9, 0.0)))
    planted = {  # each planted falsehood fails its own check
        "lowest of 3 seeds": _tables(0.3, 0.9, 0.0),  # one size fails at some seed
        "navigation": _tables(0.9, 0.2, 0.0),  # no geometry
        "N(0, 1)": _tables(0.9, 0.9, 0.6),  # the pitfall does not bite
    }
    for name, tables in planted.items():
        failed = [c.name for c in holds_checks(**tables) if not c.passed]
        assert failed and all(name in f for f in failed), (name, failed)
    with pytest.raises(ValueError, match="failed runs"):
        t = _tables(0.9, 0.9, 0.0)
        t["degree"].loc[0, "status"] = "failed"
        holds_checks(**t)


def _length(exact_6: float) -> pd.DataFrame:
    return pd.DataFrame([dict(degree=20, path_length=l, seed=s, final_exact=(exact_6 if l == 6 else 0.8),
                              train_exact=1.0, navigation=1.0, steps=300, status="done")
                         for l in (5, 6) for s in range(3)])


def _laptop(exact_8: float) -> pd.DataFrame:
    """The laptop grid of the length sweep: G(100, l), one pause or as many as path nodes."""
    return pd.DataFrame([dict(degree=100, path_length=l, n_pause=k, seed=s, final_exact=(exact_8 if l == 8 else 0.0),
                              first_hop=(exact_8 if l == 8 else 0.0), train_exact=1.0, navigation=0.9, steps=1000,
                              batch_size=256, status="committed")
                         for l, k in ((6, 1), (6, 6), (8, 8)) for s in range(3)])


def test_chapter_06_judges_path_length_at_the_largest_size_with_ci_beside_it(monkeypatch) -> None:
    """Where the laptop grid is committed whole, ``scale.path_length`` is judged on its longest
    paths alone (the ci grid is stated, not mixed in), and the verdict names its size."""
    from geomem_utils import findings as fd
    from geomem_utils.chapters import holds, holds_figures
    from geomem_utils.chapters.holds_checks import holds_checks, holds_findings, length_check

    t = _tables(0.9, 0.9, 0.0)
    for exact_8, exact_ci, want in ((0.9, 0.0, fd.REPRODUCED), (0.0, 0.9, fd.NOT_REPRODUCED)):
        big = _laptop(exact_8)
        checks = holds_checks(**t) + [length_check(big)]
        rec = holds_findings(checks, t["degree"], _length(exact_ci), t["pos_init"], larger={"length": big},
                             sizes={"length": holds.larger_size("length", big)})[1]
        assert rec["id"] == "scale.path_length" and rec["verdict"] == want, (exact_8, rec)
        assert rec["checks"] == ["GPT held-out exact match at G(100, 8), lowest of 3 seeds"]
        assert "at the largest size measured:" in rec["ours"] and "G(100, 8) with 8 pauses" in rec["ours"]
        assert f"at ci size: {exact_ci:.2f}-{exact_ci:.2f} held-out exact at G(20, 6)" in rec["ours"]
        assert rec["size"].startswith("GPT 2 x 128 on G(100, 8) with 8 pauses, 1,000 steps at batch 256, seeds 0-2")
    # the same for the degree sweep: judged on the laptop grid's largest d, the ci grid beside it
    big_deg = pd.DataFrame([dict(degree=d, path_length=5, n_pause=1, seed=s_, final_exact=(0.2 if d == 500 else 0.9),
                                 first_hop=0.9, navigation=0.8, chance=1 / d, steps=1000, batch_size=256,
                                 status="committed") for d in (100, 200, 500) for s_ in range(3)])
    checks = holds_checks(degree=big_deg, pos_init=t["pos_init"]) + [length_check(_length(0.0))]
    rec = holds_findings(checks, t["degree"], _length(0.0), t["pos_init"], larger={"degree": big_deg},
                         sizes={"degree": holds.larger_size("degree", big_deg)})[0]
    assert rec["id"] == "scale.seeds_and_sizes" and rec["verdict"] == fd.PARTLY  # exact 0.2 < 0.5 at d = 500
    assert rec["ours"].startswith("at the largest size measured: lowest held-out exact 0.20")
    assert "G(500, 5) (d = 100, 200, 500" in rec["ours"] and "at ci size: lowest held-out exact 0.90" in rec["ours"]
    assert rec["size"].startswith("GPT 2 x 128 on G(500, 5) with 1 pause, 1,000 steps")
    assert "degree-laptop" in rec["detail"]
    # without it, the ci grid decides and no size is forced
    ci_only = holds_findings(holds_checks(**t) + [length_check(_length(0.0))], t["degree"], _length(0.0))[1]
    assert "largest size" not in ci_only["ours"] and "size" not in ci_only
    assert holds.larger_size("length", None) == ""
    text = holds_figures.pauses_text(_laptop(0.9))
    assert "G(100, 6) with 1 pause: held-out exact 0.00" in text and "G(100, 8) with 8 pauses: held-out exact 0.90" in text
    # a table that lacks a run of its grid, or holds one computed by other code, is not read
    grid = holds.grids.load("length", holds.LARGER["length"])
    whole = pd.concat([_laptop(0.9)] * 2).iloc[: len(grid.points())].assign(stamp="today")
    assert len(whole) == len(grid.points())
    monkeypatch.setattr(holds.tables, "committed", lambda sweep, folder=None: whole)
    monkeypatch.setattr(holds.tables, "fresh", lambda df, stamp=None: df[df.stamp == "today"])
    assert holds.larger_table("length") is not None
    monkeypatch.setattr(holds.tables, "committed", lambda sweep, folder=None: whole.iloc[1:])
    assert holds.larger_table("length") is None
    monkeypatch.setattr(holds.tables, "committed", lambda sweep, folder=None: whole.assign(stamp="old"))
    assert holds.larger_table("length") is None


def test_chapter_06_findings_follow_their_checks() -> None:
    """The two findings of 06: reproduced only when their evidence passes, and the long-path
    finding comes out 'not reproduced at this size' on a run that fits its training paths
    but answers no held-out long path (what the ci budget measures today)."""
    from geomem_utils import findings as fd
    from geomem_utils.chapters.holds_checks import committed_check, holds_checks, holds_findings, length_check

    def verdicts(exact_40: float, exact_6: float, released: float = 0.0) -> dict[str, str]:
        t = _tables(exact_40, 0.9, released)
        checks = holds_checks(**t) + [length_check(_length(exact_6))]
        out = holds_findings(checks, t["degree"], _length(exact_6), t["pos_init"])
        assert not fd.problems("06_how_far_it_holds", out, [c.__dict__ for c in checks]) or exact_40 < 0.5 or released
        assert all(f["seeds"] == [0, 1, 2] for f in out)  # each sweep spans its own seeds
        return {f["id"]: f["verdict"] for f in out}

    assert verdicts(0.9, 0.9) == {"scale.seeds_and_sizes": fd.REPRODUCED, "scale.path_length": fd.REPRODUCED,
                                  "scale.position_init": fd.REPRODUCED}
    assert verdicts(0.9, 0.9, released=0.6)["scale.position_init"] == fd.NOT_REPRODUCED
    assert verdicts(0.9, 0.0)["scale.path_length"] == fd.NOT_REPRODUCED
    t = _tables(0.9, 0.9, 0.0)
    checks = holds_checks(**t) + [length_check(_length(0.0))]
    golden.check("06_how_far_it_holds", holds_findings(checks, t["degree"], _length(0.0), t["pos_init"]),
                 checks + [committed_check({"degree": [], "length": []}),
                           committed_check({"degree": ["run 0 (seed 0): final_exact 0.8 here, 0.4 committed"]})])
    # without the pos_init sweep, its finding is not tested and says so
    unmeasured = holds_findings(checks, t["degree"], _length(0.0))[-1]
    assert unmeasured["id"] == "scale.position_init" and unmeasured["verdict"] == fd.NOT_TESTED
    assert unmeasured["ours"] == "not measured" and "pos_init sweep was not run" in unmeasured["detail"]
    assert verdicts(0.3, 0.9)["scale.seeds_and_sizes"] == fd.PARTLY  # exact match fails, first hop and navigation hold
    for table in ("degree", "pos_init"):  # a table with a failed run is refused by its name
        t = _tables(0.9, 0.9, 0.0)
        t[table].loc[0, "status"] = "failed"
        with pytest.raises(ValueError, match=f"^the {table} table is empty or has failed runs$"):
            holds_checks(**t)
    with pytest.raises(ValueError, match="failed runs"):
        bad = _length(0.9)
        bad.loc[0, "status"] = "failed"
        length_check(bad)


def test_chapter_06_fails_its_build_when_a_run_differs_from_its_committed_row() -> None:
    from geomem_utils.chapters.holds_checks import committed_check

    ok = committed_check({"degree": [], "length": []})
    assert ok.passed and ok.kind == "machinery" and ok.value == 0
    bad = committed_check({"degree": ["degree run 0 (seed 0): final_exact 0.8 here, 0.4 committed"], "length": []})
    assert not bad.passed and bad.value == 1 and "final_exact 0.8 here" in bad.name
