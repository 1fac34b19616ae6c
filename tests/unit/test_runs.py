"""Runs a user can trust on their own machine (issue 16).

1. The run cache is keyed by the code and the device: an edit of the package or a run
   made on another device is recomputed, never served.
2. No path of the build machine in an executed notebook; RESULTS_DIR is root-relative.
3. A run with other parameters writes into its own folder, never over the book's.
4. Results, logs, executed notebooks and cache entries are readable by others.
5. The executor skips a notebook whose inputs are unchanged (``--force`` re-executes).
6. Failures name the failing cell, the end of the traceback and the partial notebook.
7. The full profile on a CPU is refused with an estimate unless the user insists.
8. ``make lab``: jupytext's default viewer, the ``lab`` extra pinned.
9. Off this machine: DEVICE="mps" validated, peak memory without /proc.
10. The smoke and ci profiles state their device: DEVICE="auto" is the CPU there.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

import pytest
import torch

from geomem_utils.execute import (
    executor as execute, inputs as notebook_inputs, report as run_report, runner,
)
from geomem_utils.runs import pathstar, cache
from geomem_utils import files, params, results
from geomem_utils.validate import ConfigError
from throwaway import SETUP, cell, notebook, parameters

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable

# A throwaway chapter: a parameters cell, a check, finish(); seconds with a kernel.
THROWAWAY = notebook(
    "Throwaway",
    SETUP,
    parameters(),
    cell("""
P = resolve({"PROFILE": PROFILE, "SEED": SEED, "DEVICE": DEVICE, "RESULTS_DIR": RESULTS_DIR, "VALUE": VALUE},
            {"VALUE": Spec(float, 1.0)})
import os
print("working directory:", os.getcwd())
"""),
    cell("""
checks = [gm.results.check("value", P.VALUE, ">=", 0.5)]
gm.results.finish("91_runs", title="t", claim="c", paper_ref="-", checks=checks, params=P.as_dict(), started=STARTED)
"""),
)


def _env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", **extra}
    for name in ("GEOMEM_NOTEBOOKS", "GEOMEM_FORCE"):
        env.pop(name, None)
    return env


@pytest.fixture(autouse=True)
def cache_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GEOMEM_CACHE", raising=False)
    monkeypatch.delenv("GEOMEM_FORCE", raising=False)


# ============================================================================ 1. cache key

def _edited(pkg: Path, rel: str) -> None:
    f = pkg / rel
    f.write_text(f.read_text() + "\n# an edit\n")
    files.source_fingerprint.cache_clear()


def test_a_run_is_keyed_by_the_code_it_executes_and_a_notebook_by_the_whole_package(tmp_path: Path) -> None:
    pkg = tmp_path / "geomem_utils"
    shutil.copytree(files.PACKAGE, pkg, ignore=shutil.ignore_patterns("__pycache__"))
    runs = ("geomem_utils.runs.pathstar", "geomem_utils.runs.in_context", "geomem_utils.runs.edge")

    def prints() -> dict[str | None, str]:
        return {m: files.source_fingerprint(m, pkg) for m in (*runs, None)}

    files.source_fingerprint.cache_clear()
    before = prints()
    assert prints() == before  # stable
    for rel in ("figures/plots.py", "figures/render.py", "chapters/reasoning_checks.py", "execute/executor.py",
                "sweep/cli.py", "live/controls.py"):
        _edited(pkg, rel)  # a figure, a chapter's threshold, the executor: no run is re-keyed ...
        now = prints()
        assert {m: now[m] for m in runs} == {m: before[m] for m in runs}, rel
        assert now[None] != before[None], rel  # ... but every notebook executes again
        before = now
    for rel in ("science/train.py", "science/models/gpt.py", "validate.py"):
        _edited(pkg, rel)  # the science (a sub-package too) and the ground under it: every run is re-keyed
        now = prints()
        assert all(now[m] != before[m] for m in (*runs, None)), rel
        before = now
    _edited(pkg, "runs/pathstar_config.py")  # one run's own wing: that run only
    now = prints()
    assert now["geomem_utils.runs.pathstar"] != before["geomem_utils.runs.pathstar"]
    assert now["geomem_utils.runs.edge"] == before["geomem_utils.runs.edge"]
    files.source_fingerprint.cache_clear()
    assert cache.code_fingerprint() == files.source_fingerprint(None, files.PACKAGE)


def test_the_cache_keys_a_computation_by_the_module_that_defines_it(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from geomem_utils.runs import pathstar as ps

    assert cache.compute_module(ps.run_path_star) == "geomem_utils.runs.pathstar"
    assert cache.compute_module(lambda: None) is None  # a test's function: the whole package
    seen = []
    monkeypatch.setattr(cache, "code_fingerprint", lambda module=None: seen.append(module) or "x")
    def compute() -> dict:
        return {"x": torch.ones(1)}

    compute.__module__ = "geomem_utils.runs.pathstar"  # as if defined there
    cache.cached({"k": 1}, compute, tmp_path)
    cache.cached({"k": 1}, compute, tmp_path, code="geomem_utils.runs.edge")  # or named by the caller
    assert seen == ["geomem_utils.runs.pathstar", "geomem_utils.runs.edge"]


def test_an_edit_of_the_code_recomputes_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    compute = lambda: calls.append(1) or {"x": torch.ones(2)}  # noqa: E731
    cache.cached({"k": 1}, compute, tmp_path)
    cache.cached({"k": 1}, compute, tmp_path)
    assert len(calls) == 1  # served from the cache (so the next count means something)
    monkeypatch.setattr(cache, "code_fingerprint", lambda module=None: "edited-package")
    cache.cached({"k": 1}, compute, tmp_path)
    assert len(calls) == 2


def test_a_run_is_not_served_to_another_device(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    compute = lambda: calls.append(1) or {"x": torch.ones(2)}  # noqa: E731
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda *a: "Faked GPU")
    for device in ("cpu", "cpu", "cuda", "cuda", "mps", "cpu"):
        cache.cached({"k": 1}, compute, tmp_path, device=device)
    assert len(calls) == 3  # once per device; never one device's run for another
    keys = {cache.config_key({"k": 1}, d) for d in ("cpu", "cuda", "mps")}
    assert len(keys) == 3
    assert cache.run_context("cuda")["autocast"] == "bf16" and cache.run_context("cpu")["autocast"] == "off"
    # a device with an index ("cuda:1", as a sweep's worker names its GPU) is the same kind of device
    assert cache.run_context("cuda:1")["device"] == "cuda" and cache.run_context("cuda:1")["autocast"] == "bf16"
    assert cache.config_key({"k": 1}, "cuda:0") == cache.config_key({"k": 1}, "cuda:1") != cache.config_key({"k": 1}, "cpu")


def test_the_mamba_backend_is_in_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    from geomem_utils.science.models import mamba

    key = cache.config_key({"k": 1})
    monkeypatch.setattr(mamba, "resolve_backend", lambda b: "mamba_ssm")
    assert cache.config_key({"k": 1}) != key


def test_the_path_star_run_is_keyed_by_its_device_without_a_record_number(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def fake_cached(config, compute, *a, **kw):
        seen.update(config=config, **kw)
        return {}

    monkeypatch.setattr(pathstar, "cached", fake_cached)
    pathstar.run_path_star(pathstar.profile_run("smoke"), device="mps")
    assert seen["device"] == "mps"
    assert "record" not in seen["config"] and seen["config"]["kind"] == "path_star_run"


# ============================================================================ 2-5. the executor, with a kernel

@pytest.fixture(scope="module")
def throwaway(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("notebooks")
    (folder / "91_runs.md").write_text(THROWAWAY)
    return folder


def _cli(notebooks: Path, *args: str) -> tuple[int, str, float]:
    t0 = time.time()
    proc = subprocess.run([PY, "-m", "geomem_utils.execute", "91_runs", "--notebooks", str(notebooks),
                           "--timeout", "120", *args],
                          capture_output=True, text=True, cwd=ROOT, env=_env(), timeout=300)
    return proc.returncode, proc.stdout + proc.stderr, time.time() - t0


@pytest.fixture(scope="module")
def own_run(throwaway: Path):
    """``make run NB=91_runs ARGS="-p VALUE 0.75"``: other parameters than the book's."""
    folder = ROOT / "build" / "runs" / "91_runs-ci-VALUE=0.75"
    shutil.rmtree(folder, ignore_errors=True)
    old_mask = os.umask(0o022)
    try:
        rc, out, _ = _cli(throwaway, "-p", "VALUE", "0.75")
    finally:
        os.umask(old_mask)
    yield folder, rc, out
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.slow
def test_other_parameters_go_to_their_own_folder(own_run) -> None:
    folder, rc, out = own_run
    assert rc == 0, out
    assert "build/runs/91_runs-ci-VALUE=0.75" in out
    assert json.loads((folder / "results" / "91_runs.json").read_text())["params"]["VALUE"] == 0.75
    assert (folder / "executed" / "91_runs.ipynb").is_file() and (folder / "executed" / "_runs.json").is_file()
    for book in (ROOT / "build" / "executed" / "91_runs.ipynb", ROOT / "build" / "results" / "91_runs.json"):
        assert not book.exists(), f"a run with other parameters wrote the book's {book}"


def test_run_folders_are_named_after_their_parameters() -> None:
    assert execute.run_folder(["03_x"], "ci", {"DEGREE": 60, "SEED": 3}) == "build/runs/03_x-ci-DEGREE=60-SEED=3"
    assert execute.run_folder(["03_x"], "full", {}) == "build/runs/03_x-full"
    assert execute.run_folder(["03_x"], "ci", {"P": "a/../b c"}) == "build/runs/03_x-ci-P=a_.._b_c"
    long = execute.run_folder(["03_x"], "ci", {"NAME": "v" * 200})
    assert len(long) < 60 and long.startswith("build/runs/03_x-ci-")


@pytest.mark.slow
def test_no_machine_path_in_the_executed_notebook(own_run) -> None:
    folder, rc, out = own_run
    text = (folder / "executed" / "91_runs.ipynb").read_text()
    assert rc == 0, out
    assert str(ROOT) not in text, re.findall(rf".{{0,60}}{re.escape(str(ROOT))}.{{0,60}}", text)[:3]
    nb = json.loads(text)
    injected = [c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert 'RESULTS_DIR = "build/runs/91_runs-ci-VALUE=0.75/results"' in "".join(injected[0]["source"])
    assert "working directory: ." in text  # the kernel ran in the checkout, printed its path, scrubbed


def test_results_dir_reaches_the_kernel_relative_to_the_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """tests/book/test_notebooks.py passes an absolute RESULTS_DIR; the kernel gets it root-relative."""
    import papermill

    src = tmp_path / "91_runs.md"
    src.write_text(THROWAWAY)
    seen = {}
    monkeypatch.setattr(papermill, "execute_notebook", lambda nb, out, parameters, **kw: seen.update(parameters))
    with pytest.raises(notebook_inputs.NotebookFailed, match="wrote no results file"):
        runner.run_notebook(src, {"RESULTS_DIR": str(ROOT / "build" / "i16-nowhere")}, tmp_path / "ex")
    assert seen["RESULTS_DIR"] == "build/i16-nowhere"


def test_scrubbing_removes_the_checkout_in_raw_and_json_spelling() -> None:
    raw = f"x {ROOT}/build/results y {ROOT} z"
    assert notebook_inputs.scrub_paths(raw) == "x build/results y . z"
    escaped = json.dumps(raw)
    assert str(ROOT) not in notebook_inputs.scrub_paths(escaped)
    assert notebook_inputs.root_relative(ROOT / "build" / "results") == "build/results"
    assert notebook_inputs.root_relative("/elsewhere/r") == "/elsewhere/r"


@pytest.mark.slow
def test_results_logs_and_notebooks_are_readable_by_others(own_run) -> None:
    folder, rc, out = own_run
    assert rc == 0, out
    for f in ("results/91_runs.json", "executed/_runs.json", "executed/91_runs.ipynb"):
        assert stat.S_IMODE((folder / f).stat().st_mode) == 0o644, f
    for d in (folder, folder / "results", folder / "executed"):
        assert stat.S_IMODE(d.stat().st_mode) == 0o755, d


def test_atomic_writes_and_cache_entries_are_0644(tmp_path: Path) -> None:
    old_mask = os.umask(0o022)
    try:
        files.atomic_write_json(tmp_path / "sub" / "r.json", {"a": 1})
        cache.cached({"k": 1}, lambda: {"x": torch.ones(1)}, tmp_path / "cache")
    finally:
        os.umask(old_mask)
    written = [tmp_path / "sub" / "r.json", *(tmp_path / "cache").glob("*.pt")]
    assert len(written) == 2
    for f in written:
        assert stat.S_IMODE(f.stat().st_mode) == 0o644, f
    assert stat.S_IMODE((tmp_path / "sub").stat().st_mode) == 0o755


@pytest.mark.slow
def test_an_unchanged_notebook_is_not_executed_again(own_run, throwaway: Path) -> None:
    folder, rc, out = own_run
    assert rc == 0, out
    executed = folder / "executed" / "91_runs.ipynb"
    stamp = executed.stat().st_mtime_ns
    rc, out, _ = _cli(throwaway, "-p", "VALUE", "0.75")
    assert rc == 0 and "unchanged since its last run" in out, out
    assert executed.stat().st_mtime_ns == stamp
    # the results file edited by hand: no longer the run's, executed again
    record = json.loads((folder / "results" / "91_runs.json").read_text())
    (folder / "results" / "91_runs.json").write_text(json.dumps({**record, "checks": record["checks"] * 2}))
    rc, out, _ = _cli(throwaway, "-p", "VALUE", "0.75")
    assert rc == 0 and "unchanged" not in out and "PASS" in out, out
    # --force executes even when nothing changed
    rc, out, _ = _cli(throwaway, "-p", "VALUE", "0.75", "--force")
    assert rc == 0 and "unchanged" not in out and "PASS" in out, out


def _stamped(tmp_path: Path) -> tuple[Path, Path, Path, str]:
    """A notebook whose last good run is recorded: (source, executed, results, digest)."""
    src = tmp_path / "91_runs.md"
    src.write_text(THROWAWAY)
    res = tmp_path / "results" / "91_runs.json"
    res.parent.mkdir()
    res.write_text(json.dumps({"notebook": "91_runs", "passed": True, "enforced": True, "checks": [{}]}))
    out = tmp_path / "executed" / "91_runs.ipynb"
    out.parent.mkdir()
    out.write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    parameters = {"PROFILE": "ci", "RESULTS_DIR": str(res.parent)}
    digest = notebook_inputs.inputs_digest(src, parameters)
    notebook_inputs.finalise_executed(out, {"inputs": digest, "results_sha256": execute.sha256_hex(res.read_bytes())})
    return src, out, res, digest


def test_the_skip_sees_every_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src, out, res, digest = _stamped(tmp_path)
    parameters = {"PROFILE": "ci", "RESULTS_DIR": str(res.parent)}
    assert notebook_inputs.reusable("91_runs", out, res, digest) is not None  # reused as is ...
    assert notebook_inputs.inputs_digest(src, {**parameters, "PROFILE": "smoke"}) != digest  # ... not with other parameters,
    assert notebook_inputs.inputs_digest(src, {**parameters, "VALUE": 2.0}) != digest
    monkeypatch.setattr(notebook_inputs, "source_fingerprint", lambda: "edited")  # ... nor after an edit of the package,
    assert notebook_inputs.inputs_digest(src, parameters) != digest
    monkeypatch.undo()
    monkeypatch.setattr(notebook_inputs, "LOCK_FILES", ("requirements/constraints-lab.txt",))  # ... nor of the lock files,
    assert notebook_inputs.inputs_digest(src, parameters) != digest
    monkeypatch.undo()
    src.write_text(THROWAWAY + "\n")  # ... nor of the notebook.
    assert notebook_inputs.inputs_digest(src, parameters) != digest


@pytest.mark.parametrize("spoil", ["no results", "failed verdict", "no executed", "error output", "no stamp"])
def test_the_skip_needs_a_valid_executed_copy_and_results_file(tmp_path: Path, spoil: str) -> None:
    _, out, res, digest = _stamped(tmp_path)
    nb = json.loads(out.read_text())
    if spoil == "no results":
        res.unlink()
    elif spoil == "failed verdict":
        res.write_text(json.dumps({"notebook": "91_runs", "passed": False, "enforced": True, "checks": [{}]}))
    elif spoil == "no executed":
        out.unlink()
    elif spoil == "error output":
        nb["cells"] = [{"cell_type": "code", "outputs": [{"output_type": "error"}]}]
        out.write_text(json.dumps(nb))
    elif spoil == "no stamp":
        del nb["metadata"]["geomem"]
        out.write_text(json.dumps(nb))
    assert notebook_inputs.reusable("91_runs", out, res, digest) is None


def test_the_test_suite_and_the_book_stamp_the_same_inputs() -> None:
    """`make book` (CLI, RESULTS_DIR made root-relative) and tests/book/test_notebooks.py (an
    absolute RESULTS_DIR) must compute the same digest, or `make test` re-executes."""
    path = notebook_inputs.notebook_paths(["00_tasks"])[0]
    from_cli = {"PROFILE": "ci", "RESULTS_DIR": notebook_inputs.root_relative((ROOT / "build" / "results").resolve())}
    from_tests = {"PROFILE": "ci", "RESULTS_DIR": notebook_inputs.root_relative(str(ROOT / "build" / "results"))}
    assert notebook_inputs.inputs_digest(path, from_cli) == notebook_inputs.inputs_digest(path, from_tests)


# ============================================================================ 6. failure reports

def test_a_failure_names_the_cell_the_traceback_and_the_partial_notebook(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import papermill
    from papermill.exceptions import PapermillExecutionError

    src = tmp_path / "91_runs.md"
    src.write_text(THROWAWAY)

    def fail(nb, out, **kw):
        Path(out).write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
        tb = ["\x1b[0;31m---------------------------------------------------------------------------\x1b[0m",
              *[f"frame {i}" for i in range(40)], "\x1b[0;31mValueError\x1b[0m: degree too small"]
        raise PapermillExecutionError(7, 5, "g = gm.science.graphs.path_star(P.DEGREE, 5)\nline 2\nline 3\nline 4\nline 5\nline 6",
                                      "ValueError", "degree too small", tb)

    monkeypatch.setattr(papermill, "execute_notebook", fail)
    with pytest.raises(notebook_inputs.NotebookFailed) as info:
        runner.run_notebook(src, {"RESULTS_DIR": str(tmp_path / "r")}, tmp_path / "ex")
    msg = str(info.value)
    assert msg.splitlines()[0].startswith("91_runs failed after") and "ValueError: degree too small" in msg
    assert "cell 7 (In [5])" in msg and "| g = gm.science.graphs.path_star(P.DEGREE, 5)" in msg and "line 6" not in msg
    assert "frame 39" in msg and "frame 2\n" not in msg and "\x1b[" not in msg  # the end, no colour codes
    assert f"partially executed notebook: {tmp_path / 'ex' / '91_runs.ipynb'}" in msg
    runs = json.loads((tmp_path / "ex" / "_runs.json").read_text())["runs"]
    assert "ValueError: degree too small" in runs[0]["error"] and "\n" not in runs[0]["error"]


def test_progress_is_a_bar_on_a_terminal_and_lines_elsewhere(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_report.progress_bar("03_x", None) is False  # not a tty, not asked: quiet
    assert run_report.progress_bar("03_x", False) is False
    bar = run_report.progress_bar("03_x", True)
    assert bar["mininterval"] >= 30 and "cells" in bar["bar_format"] and "elapsed" in bar["bar_format"]
    from tqdm import tqdm

    with tqdm(total=4, **bar) as t:
        t.update(3)
    err = capsys.readouterr().err
    assert "\r" not in err and "[execute] 03_x: 3/4 cells" in err


# ============================================================================ 7. a long run is announced

def test_the_full_profile_on_a_cpu_is_refused_with_an_estimate(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(params, "mps_available", lambda: False)
    asked = []
    monkeypatch.setattr(pathstar, "estimate_seconds", lambda cfg, device: asked.append(device) or
                        {"seconds": 500 * 3600.0, "step_s": 90.0, "probe_batch": 16, "what": "gpt 12 x 384"})
    ch03 = notebook_inputs.notebook_paths(["03_implicit_reasoning"])
    msg = execute.long_run_guard(ch03, "full", {}, i_know=False)
    assert msg and "500 h" in msg and "-p DEVICE cpu" in msg and "--i-know" in msg
    assert execute.long_run_guard(ch03, "full", {"DEVICE": "cpu"}, i_know=False) is None  # insisted
    assert execute.long_run_guard(ch03, "full", {}, i_know=True) is None
    assert asked == ["cpu"] * 3
    assert execute.long_run_guard(ch03, "ci", {}, i_know=False) is None  # ci: no measurement at all
    assert execute.long_run_guard(notebook_inputs.notebook_paths(["00_tasks"]), "full", {}, False) is None
    assert asked == ["cpu"] * 3
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert execute.long_run_guard(ch03, "full", {}, i_know=False) is None  # a GPU: what the profile is for


def test_the_estimate_measures_steps_and_scales_them(one_thread) -> None:
    cfg = pathstar.profile_run("smoke")
    est = pathstar.estimate_seconds(cfg, "cpu", probe_batch=16, probe_steps=1)
    assert est["step_s"] > 0 and est["seconds"] == pytest.approx(est["step_s"] * cfg.steps)
    assert est["step_s"] >= 0.9 * est["seconds"] / cfg.steps and str(cfg.steps) in est["what"]


@pytest.mark.slow
def test_the_cli_refuses_the_full_profile_on_a_cpu_before_any_file(tmp_path: Path) -> None:
    if torch.cuda.is_available() or params.mps_available():
        pytest.skip("a GPU is here: the full profile is what it is for")
    proc = subprocess.run([PY, "-m", "geomem_utils.execute", "03_implicit_reasoning", "--profile", "full"],
                          capture_output=True, text=True, cwd=ROOT, env=_env(), timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 3 and "refused" in out and re.search(r"about [\d,]+ h on this cpu", out), out
    assert not (ROOT / "build" / "runs" / "03_implicit_reasoning-full").exists()


# ============================================================================ 8. make lab

def test_make_lab_sets_jupytext_as_the_default_viewer(tmp_path: Path) -> None:
    settings = tmp_path / "labconfig" / "default_setting_overrides.json"
    proc = subprocess.run(["make", "-s", "lab-settings", f"VENV={Path(sys.prefix)}", f"LAB_SETTINGS={settings}"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    viewers = json.loads(settings.read_text())["@jupyterlab/docmanager-extension:plugin"]["defaultViewers"]
    assert viewers["markdown"] == "Jupytext Notebook" and viewers["myst"] == "Jupytext Notebook"
    make = (ROOT / "Makefile").read_text()
    assert "$(VENV)/etc/jupyter/labconfig/default_setting_overrides.json" in make  # where Lab reads it (the venv)


def test_the_lab_extra_is_pinned() -> None:
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["lab"]
    pins = {}
    for f in ("constraints.txt", "constraints-lab.txt"):
        for line in (ROOT / "requirements" / f).read_text().splitlines():
            if "==" in line and not line.startswith("#"):
                name, version = line.split("==")
                pins[re.sub(r"[-_.]+", "-", name.strip().lower())] = version.strip()
    for req in extra:
        name = re.sub(r"[-_.]+", "-", re.split(r"[<>=!~\[; ]", req)[0].lower())
        assert name in pins, f"{req}: not pinned in requirements/constraints*.txt"


def test_a_kernel_in_notebooks_reads_and_writes_the_books_build(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT / "notebooks")  # where JupyterLab starts a chapter's kernel
    assert files.from_root("build/results") == ROOT / "build" / "results"
    assert cache.default_cache_dir() == ROOT / "build" / "cache"
    monkeypatch.setenv("GEOMEM_CACHE", "/elsewhere/cache")
    assert cache.default_cache_dir() == Path("/elsewhere/cache")


# ============================================================================ 9-10. devices and memory

def test_mps_is_accepted_where_available_and_refused_clearly_where_not(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(params, "mps_available", lambda: False)
    with pytest.raises(params.ParameterError, match="parameter DEVICE is 'mps' but"):
        params.pick_device("mps")
    monkeypatch.setattr(params, "mps_available", lambda: True)
    assert params.pick_device("mps") == "mps"
    assert params.resolve({"DEVICE": "mps"}).DEVICE == "mps"
    with pytest.raises(params.ParameterError, match="DEVICE"):
        params.resolve({"DEVICE": "tpu"})


def test_the_ci_profile_states_its_device(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)  # a GPU box
    assert params.resolve({"PROFILE": "ci", "DEVICE": "auto"}).DEVICE == "cpu"
    assert params.resolve({"PROFILE": "smoke"}).DEVICE == "cpu"
    assert params.pick_device("auto", "ci") == "cpu"
    assert params.resolve({"PROFILE": "full", "DEVICE": "auto"}).DEVICE == "auto"
    assert params.pick_device("auto", "full") == "cuda"
    assert params.resolve({"PROFILE": "ci", "DEVICE": "cuda"}).DEVICE == "cuda"  # asked for explicitly


def test_peak_memory_without_proc(monkeypatch: pytest.MonkeyPatch) -> None:
    """Off Linux there is no /proc: psutil sees a live kernel's memory, ``resource`` a reaped one."""
    pytest.importorskip("psutil")
    monkeypatch.setattr(run_report.PeakRSS, "_descendants_hwm_kb", staticmethod(lambda: pytest.fail("read /proc")))
    code = "import time; b = bytearray(80 * 2**20); b[::4096] = b'x' * len(b[::4096]); print(1, flush=True); time.sleep(3)"
    child = subprocess.Popen([PY, "-c", code], stdout=subprocess.PIPE)
    try:
        child.stdout.readline()  # allocated
        assert run_report.PeakRSS._descendants_rss_kb() >= 80 * 1024
    finally:
        child.kill()
        child.wait()
    with run_report.PeakRSS(interval=0.1, use_proc=False) as peak:
        subprocess.run([PY, "-c", code.replace("time.sleep(3)", "time.sleep(0.5)")], check=True, stdout=subprocess.PIPE)
    assert peak.mb is not None and peak.mb >= 80


# ============================================================================ 9. files a user needs

def test_license_and_citation_match_the_project() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT" and (ROOT / "LICENSE").read_text().startswith("MIT License")
    cff = (ROOT / "CITATION.cff").read_text()
    assert "2510.26745" in cff and all(n in cff for n in ("Noroozizadeh", "Nagarajan", "Rosenfeld", "Kumar"))
    assert "cff-version:" in cff and "preferred-citation:" in cff


def test_the_readme_tells_pip_and_cuda_users_what_to_run() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "--index-url https://download.pytorch.org/whl/cpu" in readme
    assert "--no-build-isolation" in readme and '".[cuda]"' in readme
    assert "geomem-utils[cuda]" not in readme
    from geomem_utils.science.models import mamba

    assert "geomem-utils[cuda]" not in Path(mamba.__file__).read_text()
    first_screen = readme.split("---")[0]
    assert re.findall(r"^make \w+", first_screen, re.M) == ["make book", "make test"]


def test_ensure_chromium_honours_the_skip_and_a_named_browser(tmp_path: Path) -> None:
    script = ROOT / "book" / "ensure_chromium.sh"
    run = lambda **env: subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=60,  # noqa: E731
                                       env={**_env(), **env})
    proc = run(GEOMEM_SKIP_BROWSER="1")
    assert proc.returncode == 0 and "skipped" in proc.stdout
    proc = run(GEOMEM_CHROMIUM=str(tmp_path / "no-such-chromium"))
    assert proc.returncode == 1 and "GEOMEM_CHROMIUM" in proc.stderr
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\necho fake\n")
    fake.chmod(0o755)
    proc = run(GEOMEM_CHROMIUM=str(fake))
    assert proc.returncode == 0 and str(fake) in proc.stdout


def test_the_browser_test_skips_where_no_chromium_can_be_had(monkeypatch: pytest.MonkeyPatch) -> None:
    sys.path.insert(0, str(ROOT / "tests" / "book"))
    try:
        import test_browser
    finally:
        sys.path.remove(str(ROOT / "tests" / "book"))
    monkeypatch.delenv("GEOMEM_CHROMIUM", raising=False)
    monkeypatch.setattr(test_browser, "CHROMIUM", "/nonexistent/chromium")
    monkeypatch.setattr(test_browser.shutil, "which", lambda name: None)  # no chromium on PATH, no apt-get
    with pytest.raises(pytest.skip.Exception, match="GEOMEM_CHROMIUM"):
        test_browser.find_chromium()
    monkeypatch.setattr(test_browser.shutil, "which", lambda name: "/usr/bin/apt-get" if name == "apt-get" else None)
    with pytest.raises(pytest.fail.Exception, match="ensure_chromium"):
        test_browser.find_chromium()  # where apt-get could install it, a missing browser is a failure


# ============================================================================ 11. the book's folders (issue 26)

def _snapshot(*folders: Path) -> dict[Path, int]:
    """Every entry under ``folders`` (not recursing into /) with its mtime: what a refused run must not change."""
    seen: dict[Path, int] = {}
    for folder in folders:
        if folder == Path("/"):
            seen.update({p: p.lstat().st_mtime_ns for p in folder.iterdir()})
        elif folder.exists():
            seen.update({p: p.stat().st_mtime_ns for p in [folder, *folder.rglob("*")]})
    return seen


@pytest.fixture
def no_kernel(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """``execute.main`` in this process with ``run_many`` recorded instead of run: a refused
    run never reaches it, an accepted one shows where it would write."""
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(execute, "run_many", lambda paths, params, out, *a, **kw: calls.append(
        {"stems": [p.stem for p in paths], "params": params, "out": Path(out)}) or {})
    return calls


BOOK_FOLDERS = (ROOT / "build" / "executed", ROOT / "build" / "results")


@pytest.mark.parametrize("args,named", [
    (["-p", "SEED", "3", "-p", "RESULTS_DIR", "build/results"], "-p RESULTS_DIR build/results"),
    (["-p", "RESULTS_DIR", str(ROOT / "build" / "results" / "sub")], "-p RESULTS_DIR"),
    (["--run-dir", "build"], "--run-dir build"),
    (["--run-dir", "build/runs/../.."], "--run-dir build/runs/../.."),
    (["--run-dir", "/"], "the filesystem root"),
    (["--run-dir", str(ROOT)], "the checkout"),
    (["--run-dir", str(ROOT.parent)], "a parent of the checkout"),
    (["--run-dir", "notebooks/mine"], "--run-dir notebooks/mine"),
    (["--run-dir", "build/runs"], "--run-dir build/runs"),
    (["--out", "build/executed"], "--out build/executed"),
    (["--results", "build/results", "-p", "VALUE", "0.75"], "--results build/results"),
    (["--out", "/", "--results", "/tmp"], "the filesystem root"),
    (["--profile", "ci", "-p", "PROFILE", "full"], "disagree"),
])
def test_every_way_into_the_books_folders_is_refused_before_any_work(
        throwaway: Path, no_kernel: list, args: list[str], named: str, capsys: pytest.CaptureFixture[str]) -> None:
    before = _snapshot(*BOOK_FOLDERS, ROOT / "build" / "runs", Path("/"))
    rc = execute.main(["91_runs", "--notebooks", str(throwaway), *args])
    err = capsys.readouterr().err
    assert rc != 0 and named in err, err
    assert no_kernel == [], "a refused run reached the kernel"
    assert _snapshot(*BOOK_FOLDERS, ROOT / "build" / "runs", Path("/")) == before, "a refused run touched a file"


def test_a_run_folder_outside_the_checkout_must_be_new_or_empty(throwaway: Path, no_kernel: list, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    full = tmp_path / "full"
    (full / "notes").mkdir(parents=True)
    assert execute.main(["91_runs", "--notebooks", str(throwaway), "--run-dir", str(full)]) == 1
    assert "not empty" in capsys.readouterr().err and no_kernel == []
    for folder in (tmp_path / "new", tmp_path / "empty", tmp_path / "again"):  # new, empty, a previous run's
        if folder.name == "empty":
            folder.mkdir()
        elif folder.name == "again":
            (folder / "executed").mkdir(parents=True)
            (folder / "results").mkdir()
        assert execute.main(["91_runs", "--notebooks", str(throwaway), "--run-dir", str(folder)]) == 0
        assert no_kernel[-1]["out"] == folder / "executed"
        assert no_kernel[-1]["params"]["RESULTS_DIR"] == str(folder / "results")


def test_the_book_is_written_with_book_and_other_folders_as_named(throwaway: Path, no_kernel: list,
                                                                   tmp_path: Path) -> None:
    argv = ["91_runs", "--notebooks", str(throwaway)]
    assert execute.main([*argv, "-p", "SEED", "3", "--book"]) == 0  # asked for: the book's folders
    assert no_kernel[-1]["out"] == ROOT / "build" / "executed"
    assert no_kernel[-1]["params"]["RESULTS_DIR"] == "build/results"
    assert execute.main([*argv, "--book", "--out", "build/executed", "--results", "build/results"]) == 0  # make book
    assert no_kernel[-1]["out"] == ROOT / "build" / "executed"
    assert execute.main(argv) == 0  # the book's own parameters, nothing named: still not the book
    assert no_kernel[-1]["out"] == ROOT / "build" / "runs" / "91_runs-ci" / "executed"
    assert execute.main([*argv, "-p", "SEED", "3", "-p", "RESULTS_DIR", str(tmp_path / "r")]) == 0
    assert no_kernel[-1]["params"]["RESULTS_DIR"] == str(tmp_path / "r")  # the parameter is the results folder ...
    assert no_kernel[-1]["out"] == ROOT / "build" / "runs" / "91_runs-ci-SEED=3" / "executed"  # ... not in the name
    assert execute.main([*argv, "--results", str(tmp_path / "r")]) == 0  # what --results does not name: the run folder
    assert no_kernel[-1]["out"] == ROOT / "build" / "runs" / "91_runs-ci" / "executed"
    assert execute.main([*argv, "--run-dir", "build/runs/mine"]) == 0
    assert no_kernel[-1]["params"]["RESULTS_DIR"] == "build/runs/mine/results"


# ============================================================================ 12. every guard sees every way in (issue 26)

@pytest.fixture
def cpu_only(monkeypatch: pytest.MonkeyPatch) -> list:
    """No CUDA, no MPS; the estimate recorded (the config it measured) instead of measured."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(params, "mps_available", lambda: False)
    asked: list = []
    monkeypatch.setattr(pathstar, "estimate_seconds", lambda cfg, device: asked.append(cfg) or
                        {"seconds": 500 * 3600.0, "step_s": 90.0, "probe_batch": 16, "what": f"gpt on G({cfg.degree})"})
    return asked


@pytest.mark.parametrize("how", [["--profile", "full"], ["-p", "PROFILE", "full"]])
def test_the_full_profile_is_refused_on_a_cpu_however_it_is_asked(how: list[str], cpu_only: list, no_kernel: list,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    rc = execute.main(["03_implicit_reasoning", *how])
    err = capsys.readouterr().err
    assert rc == 3 and "the full profile is sized for one GPU" in err and "500 h" in err, err
    assert no_kernel == [] and [c.degree for c in cpu_only] == [5000]
    assert execute.main(["03_implicit_reasoning", *how, "--i-know"]) == 0
    assert no_kernel[-1]["params"]["PROFILE"] == "full"
    assert no_kernel[-1]["out"] == ROOT / "build" / "runs" / "03_implicit_reasoning-full" / "executed"


def test_a_size_far_beyond_the_profile_gets_the_estimate_and_the_refusal(cpu_only: list, no_kernel: list,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    rc = execute.main(["03_implicit_reasoning", "-p", "DEGREE", "100000"])
    err = capsys.readouterr().err
    assert rc == 3 and "DEGREE 100,000 is 1,000x the ci profile's 100" in err and "500 h" in err, err
    assert "--i-know" in err and no_kernel == [] and [c.degree for c in cpu_only] == [100_000]
    insisted_on_the_cpu = ["-p", "DEGREE", "100000", "-p", "DEVICE", "cpu"]
    assert execute.main(["03_implicit_reasoning", *insisted_on_the_cpu]) == 3  # not a device matter
    assert execute.main(["03_implicit_reasoning", "-p", "DEGREE", "100000", "--i-know"]) == 0
    assert no_kernel[-1]["params"]["DEGREE"] == 100_000
    # a size of another run than the main one: refused by name, nothing to measure
    rc = execute.main(["03_implicit_reasoning", "-p", "ABL_STEPS", "100000"])
    err = capsys.readouterr().err
    assert rc == 3 and "ABL_STEPS 100,000 is 200x" in err and len(cpu_only) == 3, err
    # within the exercises' sizes: no measurement, no refusal
    assert execute.main(["03_implicit_reasoning", "-p", "DEGREE", "300"]) == 0 and len(cpu_only) == 3


@pytest.mark.parametrize("device", ["cuda", "mps"])
def test_a_missing_device_is_refused_before_any_work(device: str, cpu_only: list, no_kernel: list, throwaway: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["03_implicit_reasoning"], ["91_runs", "--notebooks", str(throwaway)]):
        rc = execute.main([*argv, "-p", "DEVICE", device])
        err = capsys.readouterr().err
        assert rc == 1 and f"parameter DEVICE is '{device}' but" in err, err
        assert no_kernel == []


# ============================================================================ 13. make quick (issue 26)

def test_no_test_sees_the_callers_profile() -> None:
    """`make quick` exports GEOMEM_PROFILE=smoke for the book's tests; no other test reads it."""
    assert "GEOMEM_PROFILE" not in os.environ


@pytest.mark.slow
def test_the_tests_pass_under_make_quicks_profile() -> None:
    """A sweep built with only a [ci] section (test_sweep.py) under GEOMEM_PROFILE=smoke, as `make quick` runs it."""
    tests = ["tests/unit/test_runs.py::test_no_test_sees_the_callers_profile",
             "tests/unit/test_sweep.py::test_slurm_cpu_job_runs_one_single_threaded_worker_per_core"]
    proc = subprocess.run([PY, "-m", "pytest", *tests, "-q", "-p", "no:cacheprovider"], cwd=ROOT,
                          env={**_env(), "GEOMEM_PROFILE": "smoke"}, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and "2 passed" in proc.stdout, proc.stdout[-3000:]


def test_the_smoke_notebooks_go_to_their_own_folder() -> None:
    from conftest import build_dirs_for

    book = {"executed": ROOT / "build" / "executed", "results": ROOT / "build" / "results"}
    assert build_dirs_for("ci") == book  # `make test` writes the book's folders ...
    quick = build_dirs_for("smoke")  # ... `make quick` its own
    assert quick == {"executed": ROOT / "build" / "quick" / "executed", "results": ROOT / "build" / "quick" / "results"}
    for folder in (*quick.values(), *build_dirs_for("full").values()):
        execute.check_destination(folder, str(folder), book=False)  # nowhere near the book's
    dry = subprocess.run(["make", "-n", "quick", f"VENV={Path(sys.prefix)}"], cwd=ROOT, capture_output=True, text=True,
                         timeout=60)
    assert "GEOMEM_PROFILE=smoke" in dry.stdout and "build/quick/executed" in dry.stdout, dry.stdout  # and says where
    ci = (ROOT / ".ci" / "run").read_text()
    smoke = ci.index('GEOMEM_PROFILE=smoke')
    assert ci.index("make test") < smoke and "tests/book" in ci[smoke:] and "notebooks" in ci[smoke:]


@pytest.mark.parametrize("variant", ["forward", "teacherless", "hardest"])
def test_a_tiny_in_context_run_gives_a_record_and_a_table_row_that_agree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                        variant: str) -> None:
    """A one-layer in-context run (under a second): its greedy answers agree with its
    teacher-forced ones where they must (the first token, whose prompt is the same either way;
    every token of the teacherless variant, whose one forward pass *is* its decoding), and the
    sweep's row reads its numbers from the record's right positions."""
    from geomem_utils.runs.in_context import InContextRun, run_in_context, table_row

    monkeypatch.setenv("GEOMEM_CACHE", str(tmp_path))
    cfg = InContextRun(variant=variant, degree=2, path_length=4, n_labels=10, width=16, n_layers=1, n_heads=1,
                       steps=30, batch=16, n_train=64, n_test=40, seed=0)
    rec = run_in_context(cfg)
    tf, greedy = rec["teacher_forced"], rec["greedy_per_position"]
    assert len(tf) == len(greedy) == 4 and rec["steps_run"] == 30 and rec["history"][-1]["step"] == 30
    assert greedy[0] == pytest.approx(tf[0]) and 0.0 <= rec["greedy_exact"] <= min(greedy)
    if variant == "teacherless":
        assert greedy == pytest.approx(tf)
    row = table_row(cfg, rec)
    assert row["first_hop"] == tf[1] and row["later_tokens"] == pytest.approx((tf[2] + tf[3]) / 2)
    assert row["final_exact"] == rec["greedy_exact"] and row["chance"] == 0.5 and row["n_test"] == 40
    assert row["steps"] == 30 and {"cross_1", "cross_2", "cross_3"} <= set(row)
    assert 0.0 <= rec["v1_child"] <= 1.0 and row["v1_child"] == rec["v1_child"]
    assert rec["v1_child"] >= tf[1]  # the right v1 is a child of the start
    again = run_in_context(cfg)  # served from the cache: the same record
    assert again["teacher_forced"] == tf and again["greedy_exact"] == rec["greedy_exact"]
    with pytest.raises(ConfigError, match="n_layers"):
        InContextRun(n_layers=0)
    import numpy as np

    with pytest.raises(ConfigError, match="lr"):  # a numpy scalar would key the cache apart from the same float
        InContextRun(lr=np.float32(1e-3))


def _in_context_example(n: int = 6):
    from geomem_utils.science import tasks

    b, vocab = tasks.in_context_bucket(3, 4, 12, n, seed=1)  # G(3, 4): 10 nodes, 9 edges
    first = int((b.targets[0] != tasks.IGNORE).nonzero()[0])
    return b, first


def test_hardest_only_keeps_the_loss_on_v1_alone() -> None:
    """The in-context v1-alone objective: of the forward target (start v1 ... goal) only v1,
    the token after the start, is trained; the prompt is untouched."""
    from geomem_utils.runs.in_context import hardest_only
    from geomem_utils.science import tasks

    b, first = _in_context_example()
    h = hardest_only(b)
    kept = h.targets != tasks.IGNORE
    assert kept.sum(1).tolist() == [1] * len(b) and kept[:, first + 1].all()
    assert torch.equal(h.targets[:, first + 1], b.targets[:, first + 1]) and torch.equal(h.inputs, b.inputs)
    assert torch.equal(b.inputs[:, first + 1], b.targets[:, first])  # the start is given as the input before v1


def test_v1_child_rate_reads_the_children_of_the_start_from_the_prompt() -> None:
    """``v1_child_rate``: the true v1 and the start's other children count, the start itself, the
    goal and a grandchild do not."""
    from geomem_utils.runs.in_context import v1_child_rate

    b, first = _in_context_example()
    start, v1, v2, goal = (b.targets[:, first + j] for j in range(4))
    edges = b.inputs[:, : 27].reshape(len(b), 9, 3)
    other = torch.tensor([next(int(e[2]) for e in row if int(e[1]) == int(s) and int(e[2]) != int(t))
                         for row, s, t in zip(edges, start, v1)])
    assert v1_child_rate(v1, b.inputs, start, 9) == 1.0
    assert v1_child_rate(other, b.inputs, start, 9) == 1.0
    for wrong in (start, v2, goal):
        assert v1_child_rate(wrong, b.inputs, start, 9) == 0.0
    half = torch.where(torch.arange(len(b)) % 2 == 0, v1, goal)
    assert v1_child_rate(half, b.inputs, start, 9) == 0.5


def test_an_in_context_v1_alone_run_trains_on_v1_and_refuses_a_stop_rule(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """``variant="hardest"`` trains on the forward task's v1 only (its look-ups carry no loss),
    so ``stop_at`` (which waits for the look-ups) is refused by name."""
    from geomem_utils.runs import in_context
    from geomem_utils.science import tasks

    seen = {}

    def fake_train(model, buckets, cfg, **kw):
        seen["trained"] = (buckets[0].targets != tasks.IGNORE).sum(1).unique().tolist()
        raise RuntimeError("stop here")

    monkeypatch.setenv("GEOMEM_CACHE", str(tmp_path))
    monkeypatch.setattr(in_context, "train", fake_train)
    cfg = in_context.InContextRun(variant="hardest", degree=2, path_length=4, n_labels=10, width=16, n_layers=1,
                                  n_heads=1, steps=5, batch=4, n_train=8, n_test=4)
    with pytest.raises(RuntimeError, match="stop here"):
        in_context.run_in_context(cfg)
    assert seen == {"trained": [1]}
    with pytest.raises(ConfigError, match="stop_at"):
        in_context.InContextRun(variant="hardest", stop_at=0.9)
    with pytest.raises(ConfigError, match="variant"):
        in_context.InContextRun(variant="backwards")


def test_an_in_context_run_trains_on_the_device_it_is_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The device reaches the training loop (a run for a GPU must not train on the CPU)."""
    from geomem_utils.runs import in_context

    seen = {}

    def fake_train(model, buckets, cfg, **kw):
        seen["device"] = cfg.device
        raise RuntimeError("stop here")

    monkeypatch.setenv("GEOMEM_CACHE", str(tmp_path))
    monkeypatch.setattr(in_context, "train", fake_train)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda *a: "Faked GPU")
    cfg = in_context.InContextRun(degree=2, path_length=4, n_labels=10, width=16, n_layers=1, n_heads=1, steps=5,
                                  batch=4, n_train=8, n_test=4)
    with pytest.raises(RuntimeError, match="stop here"):
        in_context.run_in_context(cfg, device="cuda")
    assert seen == {"device": "cuda"}


def test_an_in_context_run_stops_after_two_evaluations_in_a_row_with_the_look_ups_right(tmp_path: Path,
                                                                                      monkeypatch) -> None:
    """``stop_at``: training stops at the second evaluation *in a row* whose look-up tokens reach
    the level; a pass after a failure is not enough."""
    from geomem_utils.runs import in_context

    seen = []

    def fake_train(model, buckets, cfg, evaluate=None, stop_when=None, **kw):
        for tf in ([0, 0, 1, 1], [0, 0, 0, 1], [0, 0, 1, 1], [0, 0, 1, 1]):  # pass, fail, pass, pass
            seen.append(stop_when({"teacher_forced": tf}))
        raise RuntimeError("stop here")

    monkeypatch.setenv("GEOMEM_CACHE", str(tmp_path))
    monkeypatch.setattr(in_context, "train", fake_train)
    cfg = in_context.InContextRun(degree=2, path_length=4, n_labels=10, width=16, n_layers=1, n_heads=1, steps=5,
                                  batch=4, n_train=8, n_test=4, stop_at=0.95)
    with pytest.raises(RuntimeError, match="stop here"):
        in_context.run_in_context(cfg)
    assert seen == [False, False, False, True]
