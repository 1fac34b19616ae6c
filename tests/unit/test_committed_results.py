"""Committed results name no folder of the machine that made them (issue 26).

``bench/results/`` is published with the repository: a path such as ``/work/wt/i13/build/cache``
in a sweep summary tells a reader nothing and leaks the maker's layout. Summaries write
paths relative to the repository root (:func:`geomem_utils.sweep.cluster.shown_path`); this
test reads every committed file there (``git ls-files``) for an absolute home, work or
temporary path.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: An absolute path under a machine's own folders; not a URL's path (``https://x/home/``).
MACHINE_PATH = re.compile(r"(?<![\w/.:~-])/(?:work|root|home|tmp|Users)/[^\s\"',)]*")


def machine_paths(text: str) -> list[str]:
    return MACHINE_PATH.findall(text)


def test_the_pattern_finds_machine_paths_and_nothing_else() -> None:
    assert machine_paths('"cache_dir": "/work/wt/i13/build/cache"') == ["/work/wt/i13/build/cache"]
    assert machine_paths("in /tmp/pytest-1/x and /home/me/geomem, /root/.cache, /Users/me/g") == [
        "/tmp/pytest-1/x", "/home/me/geomem", "/root/.cache", "/Users/me/g"]
    assert machine_paths('"table": "build/sweeps/degree-ci.csv", https://example.org/home/x, a/tmp/b') == []


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(), reason="needs a git checkout")
def test_committed_results_name_no_machine_path() -> None:
    files = subprocess.run(["git", "ls-files", "bench/results"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split()
    assert files, "no committed file under bench/results"
    found = {}
    for name in files:
        path = ROOT / name
        if not path.is_file():  # deleted in the working tree, not yet committed
            continue
        hits = machine_paths(path.read_text(errors="replace"))
        if hits:
            found[name] = sorted(set(hits))[:3]
    assert not found, f"machine paths in committed results (write them root-relative): {found}"
