"""The book's in-page training: retrain + redraw in headless Chromium (no kernel).

Opens the built book (``book/_build/html``, served on 127.0.0.1) in Debian's Chromium
driven by Playwright, the way ``tests/book/test_browser.py`` does, and times what a reader
pressing *retrain* waits for, as the page measures it itself (each panel records
``total_ms`` per retrain: training, the redraws while it trains, and the final draw):

- chapter 05's playground: the one-layer network, the associative model, the Transformer and
  Mamba at the settings the panel gives them (the grid's: width, learning rate and steps of
  ``live.grid``), and the Transformer and Mamba at their family's default length
  (``runs.playground.DEFAULTS``: 500 and 200 steps), also at m = 64;
- chapter 04's knob panel at its defaults (``chapters.puzzle.KNOB_PANEL``);
- chapter 02's Node2Vec panel at its defaults, for comparison.

Median of ``repeats`` presses after one warm-up press. Goal: at most 2 s for the defaults.
The same Transformer and Mamba runs are also timed in Node.js (:func:`node_times`: training
alone, no drawing), the spikes that decided whether each could retrain in the page.
Opt-in (it needs the built site and Chromium): ``python -m bench.run --only live``.
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from typing import Any

from .common import ROOT, spread

SITE = ROOT / "book" / "_build" / "html"
CHROMIUM = os.environ.get("GEOMEM_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
GOAL_S = 2.0


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass


def _press(page: Any, panel: Any, repeats: int) -> list[float]:
    """Press the panel's retrain button 1 + repeats times; the page's own timings of the last repeats."""
    button = panel.query_selector('button[name="retrain"]')
    before = len(panel.evaluate("p => p.geomemPanel.timings"))
    for _ in range(1 + repeats):
        button.click()
        page.wait_for_function("p => p.getAttribute('data-state') !== 'training'", arg=panel, timeout=120_000,
                               polling=10)
    times = panel.evaluate("p => p.geomemPanel.timings")[before:]
    return [t["total_ms"] / 1000 for t in times[-repeats:]]


def live_page(repeats: int = 7) -> dict[str, Any]:
    """Median retrain + redraw (seconds, as the page measures it) of each panel's default run."""
    if not (SITE / "index.html").is_file():
        raise SystemExit(f"the built book is missing ({SITE}): build it first (make book)")
    from playwright.sync_api import sync_playwright

    handler = functools.partial(_Quiet, directory=str(SITE))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}/_generated"
    rows = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            cases = [("05_playground", "playground", "net", None), ("05_playground", "playground", "assoc", None),
                     ("05_playground", "playground", "gpt", None),
                     ("05_playground", "playground", "gpt", {"steps": PG_STEPS.index(500)}),
                     ("05_playground", "playground", "gpt", {"steps": PG_STEPS.index(500), "width": PG_WIDTHS.index(64)}),
                     ("05_playground", "playground", "mamba", None),
                     ("05_playground", "playground", "mamba", {"steps": PG_STEPS.index(200)}),
                     ("05_playground", "playground", "mamba", {"steps": PG_STEPS.index(200), "width": PG_WIDTHS.index(64)}),
                     ("04_memorization_puzzle", "knobs", None, None), ("02_spectral_bias", "node2vec", None, None)]
            opened = None
            for stem, kind, model, moved in cases:
                if opened != stem:
                    page.goto(f"{base}/{stem}.html", wait_until="load", timeout=120_000)
                    opened = stem
                panel = page.query_selector(f'[data-geomem-live="{kind}"]')
                panel.scroll_into_view_if_needed()
                page.wait_for_function("p => p.geomemPanel && p.getAttribute('data-state') !== 'training'",
                                       arg=panel, timeout=120_000, polling=20)
                if model:
                    panel.query_selector('select[name="model"]').select_option(model)
                    page.wait_for_function("p => p.getAttribute('data-state') !== 'training'", arg=panel,
                                           timeout=120_000, polling=20)
                for name, index in (moved or {}).items():  # set a retrain control without its change event
                    panel.query_selector(f'input[name="{name}"]').evaluate("(c, i) => { c.value = i; "
                                                                           "c.dispatchEvent(new Event('input')); }", index)
                walls = _press(page, panel, repeats)
                last = panel.evaluate("p => p.geomemPanel.timings.slice(-1)[0]")
                settings = panel.evaluate("p => p.querySelector('.geomem-live-figure').layout.title.text")
                rows.append({"chapter": stem[:2], "panel": kind, "model": model or kind, "settings": settings,
                             "steps": last.get("steps"), "width": last.get("width"), "wall_s": spread(walls),
                             "default": moved is None})  # the panel's own setting, as a reader first sees it
            browser.close()
    finally:
        httpd.shutdown()
        httpd.server_close()
    return {"rows": rows, "node": node_times(repeats), "repeats": repeats, "goal_s": GOAL_S, "browser": CHROMIUM,
            "note": "training, the redraws while it trains and the final draw"}


#: The playground panel's steps and widths (geomem-live.js's PG_STEPS, PG_WIDTHS).
PG_STEPS = [5, 10, 20, 30, 50, 100, 200, 300, 500, 1000, 2000]
PG_WIDTHS = [4, 8, 16, 32, 64, 128, 256, 512]

#: Trains a page family (t.page: pageTransformer or pageMamba, chapter 05's recipe) repeats + 1
#: times in Node.js; prints the wall milliseconds of the last repeats.
_NODE_DRIVER = r"""
const L = require(process.argv[1]);
const t = JSON.parse(process.argv[2]), tiny = {n: t.n, edges: t.edges}, out = [];
for (let r = 0; r <= t.repeats; r++) {
  const tr = L[t.page](tiny, {width: t.width, init_std: 0.02, seed: r, tied: true, self_edges: false,
                                      lr: 0.01, steps: t.steps, weight_decay: 0}, {schedule: "cosine", gradClip: 1.0});
  const t0 = performance.now();
  tr.advance(t.steps);
  if (r > 0) out.push(performance.now() - t0);
}
process.stdout.write(JSON.stringify(out));
"""


def node_times(repeats: int = 7) -> list[dict[str, Any]]:
    """The page's Transformer and Mamba trained in Node.js (no drawing) on the tiny star at the
    panel's default steps (50 and 30), the family's (500 and 200), also at m = 64: median wall
    seconds of ``repeats``."""
    import json
    import shutil
    import subprocess

    from geomem_utils.live.panels import SCRIPT
    from geomem_utils.science.graphs import tiny_graph

    g = tiny_graph("star")
    rows = []
    for model, width, steps in (("gpt", 32, 50), ("gpt", 32, 500), ("gpt", 64, 500), ("gpt", 32, 2000),
                                ("mamba", 32, 30), ("mamba", 32, 200), ("mamba", 64, 200)):
        page = {"gpt": "pageTransformer", "mamba": "pageMamba"}[model]
        proc = subprocess.run([shutil.which("node") or "node", "-e", _NODE_DRIVER, str(SCRIPT),
                               json.dumps({"n": g.n_nodes, "edges": g.edges.tolist(), "width": width, "steps": steps,
                                           "repeats": repeats, "page": page})],
                              capture_output=True, text=True, check=True, timeout=600)
        rows.append({"model": model, "graph": g.name, "width": width, "steps": steps,
                     "wall_s": spread([ms / 1000 for ms in json.loads(proc.stdout)])})
    return rows
