"""Node.js for the tests that run the page's script (book/_assets/geomem-live.js) outside a browser."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest


def node() -> str:
    """The ``node`` binary; a failure (not a skip) when it is missing: the book's build needs it too."""
    path = shutil.which("node")
    if path is None:
        pytest.fail("Node.js is missing: the book's build needs it (npm) and so does this test "
                    "(apt-get install -y nodejs npm)")
    return path


def run_page(driver: str, query: dict[str, Any], script: Path | None = None) -> dict[str, Any]:
    """Run ``driver`` (JavaScript reading ``query`` as JSON on stdin, the page's script as
    ``process.argv[1]``) in Node.js; its JSON output. ``script``: another copy of the page's
    script (a planted bug), default the book's."""
    from geomem_utils.live import panels

    proc = subprocess.run([node(), "-e", driver, str(script or panels.SCRIPT)], input=json.dumps(query),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def planted(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of the page's script with ``old`` (which must occur exactly once) replaced by ``new``."""
    from geomem_utils.live import panels

    text = panels.SCRIPT.read_text()
    assert text.count(old) == 1, f"the plant's target occurs {text.count(old)} times: {old!r}"
    out = tmp_path / f"geomem-live-planted-{hashlib.sha1((old + new).encode()).hexdigest()[:10]}.js"
    out.write_text(text.replace(old, new))
    return out


def book_run(case: tuple, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, dict]:
    """The book's run (``runs.edge.edge_run``, seed 1) of ``case`` = (tiny graph, arch, steps, lr,
    width, model keywords, edge_run keywords), with the model's initial weights (``kept["init"]``,
    by state-dict name) and, with dropout, the masks PyTorch drew at every step (``kept["masks"]``)."""
    import torch

    from geomem_utils.runs import edge
    from geomem_utils.science import graphs

    name, arch, steps, lr, width, model_kw, run_kw = case
    kept: dict = {"masks": []}
    build = edge.build_model

    def watched(*args, **kwargs):
        model = build(*args, **kwargs)
        kept["init"] = {k: v.detach().clone() for k, v in model.state_dict().items()}
        if model_kw.get("dropout"):  # the units PyTorch kept, per step: (pairs, width) at u's position
            model.drop.register_forward_hook(lambda mod, inp, out: kept["masks"].append(
                (out[:, -1, :] != 0).to(torch.uint8).flatten().tolist()) if mod.training else None)
        return model

    monkeypatch.setattr(edge, "build_model", watched)
    with torch.random.fork_rng():
        run = edge.edge_run(graphs.tiny_graph(name), arch, steps, lr, seed=1, width=width, **model_kw, **run_kw)
    return run, kept
