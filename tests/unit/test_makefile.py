"""The Makefile's own recipes (issue 26): ``make lab`` wherever it runs, ``make clean`` keeps
the run cache, ``make sweep`` without NAME lists the grids.

Nothing here starts JupyterLab or installs anything: ``make -n`` prints the lab recipe, the
clean targets run in a throwaway folder, and ``make sweep`` runs with the venv stamp emptied
(``STAMP=``) and this interpreter as ``PY``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAKEFILE = ROOT / "Makefile"

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")


def _make(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", "-f", str(MAKEFILE), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def _lab_line(*args: str) -> str:
    run = _make("-n", "lab", *args)
    assert run.returncode == 0, run.stderr
    lines = [l for l in run.stdout.splitlines() if "jupyter lab notebooks" in l]
    assert len(lines) == 1, run.stdout
    return lines[0].split()


def test_lab_passes_allow_root_as_root_and_extra_arguments() -> None:
    assert "--allow-root" in _lab_line("LAB_UID=0")
    assert "--allow-root" not in _lab_line("LAB_UID=1000")
    # by default the check is `id -u`, i.e. whoever runs make
    assert ("--allow-root" in _lab_line()) == (os.getuid() == 0)
    line = _lab_line("LAB_UID=1000", "LAB_ARGS=--port 8890 --no-browser")
    assert line[-3:] == ["--port", "8890", "--no-browser"]


def test_clean_keeps_the_run_cache_and_clean_cache_removes_it(tmp_path: Path) -> None:
    for f in ("build/cache/pathstar-x.pt", "build/results/01.json", "build/executed/01.ipynb",
              "book/_build/html/index.html"):
        (tmp_path / f).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / f).write_text("x")
    run = _make("clean", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "build/cache/pathstar-x.pt").exists()
    assert not (tmp_path / "build/results").exists() and not (tmp_path / "build/executed").exists()
    assert not (tmp_path / "book/_build").exists()
    assert "kept the run cache build/cache" in run.stdout and "make clean-cache" in run.stdout
    run = _make("clean-cache", cwd=tmp_path)
    assert run.returncode == 0 and not (tmp_path / "build/cache").exists(), run.stderr
    run = _make("clean", cwd=tmp_path)  # nothing left: no message, no error
    assert run.returncode == 0 and "kept" not in run.stdout and not (tmp_path / "build").exists()


def test_make_sweep_without_a_name_lists_the_grids_and_succeeds() -> None:
    run = _make("-s", "sweep", "STAMP=", f"PY={sys.executable}")
    assert run.returncode == 0, run.stderr
    assert "degree:" in run.stdout and "make sweep NAME=" in run.stdout


def test_help_names_every_cleaning_target() -> None:
    run = _make("help")
    assert "make clean-cache" in run.stdout and "LAB_ARGS" in run.stdout
