"""The book's in-page training: retrain + redraw in headless Chromium (no kernel).

Opens the built book (``book/_build/html``, served on 127.0.0.1) in Debian's Chromium
driven by Playwright, the way ``tests/book/test_browser.py`` does, and times what a reader
pressing *retrain* waits for, as the page measures it itself (each panel records
``total_ms`` per retrain: training, the redraws while it trains, and the final draw):

- chapter 05's playground: the one-layer network and the associative model at the settings
  the panel gives them (the grid's: width, learning rate and steps of ``live.grid``);
- chapter 04's knob panel at its defaults (``chapters.puzzle.KNOB_PANEL``);
- chapter 02's Node2Vec panel at its defaults, for comparison.

Median of ``repeats`` presses after one warm-up press. Goal: at most 2 s for the defaults.
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
            cases = [("05_playground", "playground", "net"), ("05_playground", "playground", "assoc"),
                     ("04_memorization_puzzle", "knobs", None), ("02_spectral_bias", "node2vec", None)]
            opened = None
            for stem, kind, model in cases:
                if opened != stem:
                    page.goto(f"{base}/{stem}.html", wait_until="load", timeout=120_000)
                    opened = stem
                panel = page.query_selector(f'[data-geomem-live="{kind}"]')
                panel.scroll_into_view_if_needed()
                page.wait_for_function("p => p.geomemPanel && p.getAttribute('data-state') !== 'training'",
                                       arg=panel, timeout=120_000, polling=20)
                if model:
                    panel.query_selector('select[name="model"]').select_option(model)
                walls = _press(page, panel, repeats)
                last = panel.evaluate("p => p.geomemPanel.timings.slice(-1)[0]")
                settings = panel.evaluate("p => p.querySelector('.geomem-live-figure').layout.title.text")
                rows.append({"chapter": stem[:2], "panel": kind, "model": model or kind, "settings": settings,
                             "steps": last.get("steps"), "width": last.get("width"), "wall_s": spread(walls)})
            browser.close()
    finally:
        httpd.shutdown()
        httpd.server_close()
    return {"rows": rows, "repeats": repeats, "goal_s": GOAL_S, "browser": CHROMIUM,
            "note": "training, the redraws while it trains and the final draw"}
