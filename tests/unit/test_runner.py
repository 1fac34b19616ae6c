"""The kernel the executor starts (issue 26): IPC sockets, so ipykernel's warning "Kernel is
running over TCP without encryption ..." never reaches the terminal of ``make book``.

One test starts a real kernel (a one-cell notebook through papermill, a few seconds) in a
fresh process and reads that process's stderr, where the kernel's own log goes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from geomem_utils.execute import runner

ROOT = Path(__file__).resolve().parents[2]
WARNING = "Kernel is running over TCP without encryption"

pytestmark = pytest.mark.skipif(os.name != "posix", reason="IPC kernels are POSIX only")


def test_the_kernel_manager_uses_ipc_in_a_private_folder_per_kernel() -> None:
    cls = runner.kernel_manager_class()
    a, b = cls(kernel_name="python3"), cls(kernel_name="python3")
    assert a.transport == b.transport == "ipc"
    assert os.path.isabs(a.ip) and os.path.dirname(a.ip) != os.path.dirname(b.ip)
    assert len(a.ip) + len("-65535") < 100  # Unix socket paths are limited to ~104 bytes
    for km in (a, b):
        km.cleanup_connection_file()
        assert not os.path.exists(os.path.dirname(km.ip))


def test_run_notebook_hands_the_ipc_manager_to_papermill(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import papermill

    seen: dict = {}

    def fake(nb, out, parameters, **kw):
        seen.update(kw)
        Path(parameters["RESULTS_DIR"], "90_kernel.json").write_text(json.dumps({"passed": True}))

    from throwaway import SETUP, notebook, parameters

    src = tmp_path / "90_kernel.md"
    src.write_text(notebook("Start a kernel", SETUP, parameters()))
    monkeypatch.setattr(papermill, "execute_notebook", fake)
    runner.run_notebook(src, {"RESULTS_DIR": str(tmp_path)}, tmp_path / "ex", force=True)
    assert seen["kernel_manager_class"]().transport == "ipc"


_KERNEL = """
import sys, nbformat, papermill as pm
from geomem_utils.execute.runner import kernel_manager_class
nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)")])
nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
nbformat.write(nb, sys.argv[1] + "/in.ipynb")
pm.execute_notebook(sys.argv[1] + "/in.ipynb", sys.argv[1] + "/out.ipynb", kernel_name="python3", cwd=sys.argv[1],
                    progress_bar=False, kernel_manager_class=kernel_manager_class())
print(nbformat.read(sys.argv[1] + "/out.ipynb", 4).cells[0].outputs[0]["text"].strip())
"""


def test_a_real_kernel_says_nothing_about_tcp(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-c", _KERNEL, str(tmp_path)], cwd=tmp_path, capture_output=True,
                         text=True, timeout=180, env={**os.environ, "TMPDIR": str(tmp_path)})
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.strip().splitlines()[-1] == "42"
    assert WARNING not in run.stderr, run.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.ipynb", "out.ipynb"], "kernel sockets left behind"
