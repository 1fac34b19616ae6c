"""The Makefile's own recipes (issue 26): ``make lab`` wherever it runs.

Nothing here starts JupyterLab or installs anything: ``make -n`` prints the lab recipe.
"""

from __future__ import annotations

import os
import shutil
import subprocess
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
