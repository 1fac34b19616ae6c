"""Load every page of the built book in headless Chromium, with no network.

The book must already be built (``python book/build_book.py``; ``make book`` does it).
A missing build is a failure, not a skip: set ``GEOMEM_SKIP_BROWSER=1`` to skip on purpose.

Per page, over a local http server on 127.0.0.1 (and the main checks again via file://):
no console errors or uncaught exceptions, no failed request, no request to any host but
127.0.0.1; every plotly figure drew its SVG, figures with sliders drew them, embedded
widgets rendered, math typeset. The scorecard lists every notebook with a results file.
Screenshots land in ``book/_build/screenshots/``.

Drives Debian's ``/usr/bin/chromium`` (``book/ensure_chromium.sh`` installs it), or the
browser named by ``GEOMEM_CHROMIUM``, with Playwright's Python package; Playwright's own
browser download is never used. Where there is neither a Chromium nor apt-get (macOS),
the test is skipped with a line that says how to run it.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "book" / "_build" / "html"
SHOTS = ROOT / "book" / "_build" / "screenshots"
MANIFEST = ROOT / "book" / "_generated" / "manifest.json"
CHROMIUM = os.environ.get("GEOMEM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [  # --headless is added by Playwright (headless=True)
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
# Console messages of type "error" that are not errors of the book (none known today).
IGNORED_CONSOLE = [re.compile(p) for p in ()]
PAGE_TIMEOUT_MS = 30_000


def _require_site() -> Path:
    if os.environ.get("GEOMEM_SKIP_BROWSER") == "1":
        pytest.skip("GEOMEM_SKIP_BROWSER=1")
    if not (SITE / "index.html").is_file():
        pytest.fail(
            f"the built book is missing ({SITE}/index.html). Build it first: "
            "`python book/build_book.py` (or `make book`). "
            "Set GEOMEM_SKIP_BROWSER=1 to skip this test on purpose."
        )
    return SITE


def find_chromium() -> str:
    """The browser to drive: ``$GEOMEM_CHROMIUM`` (must exist), else Debian's
    ``/usr/bin/chromium`` or a Chromium/Chrome on the PATH. None of them: a failure where
    apt-get could install it (``make test`` runs ``book/ensure_chromium.sh``), a skip that
    says how to run the test where it cannot (macOS, no apt-get)."""
    if os.environ.get("GEOMEM_CHROMIUM"):
        if not Path(CHROMIUM).is_file():
            pytest.fail(f"GEOMEM_CHROMIUM={CHROMIUM} does not exist")
        return CHROMIUM
    for candidate in (CHROMIUM, *(shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome"))):
        if candidate and Path(candidate).is_file():
            return candidate
    if shutil.which("apt-get") is None:
        pytest.skip("no Chromium here and no apt-get to install it: browser test skipped; "
                    "set GEOMEM_CHROMIUM=/path/to/chromium (or Chrome) to run it")
    pytest.fail(f"{CHROMIUM} is missing: run `bash book/ensure_chromium.sh` (or set GEOMEM_CHROMIUM, "
                "or GEOMEM_SKIP_BROWSER=1 to skip on purpose)")


def _pages(site: Path) -> list[str]:
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    # index.html is only a meta-refresh redirect to intro.html (checked statically).
    return [p for p in pages
            if p != "index.html" and not p.startswith(("_static/", "_sources/", "_images/"))]


# --------------------------------------------------------------------------------------
# Static checks on the HTML (no browser)
# --------------------------------------------------------------------------------------

_ASSET = re.compile(
    r"<(?:script|link|img|iframe|source|video|audio)\b[^>]*?\b(?:src|href)\s*=\s*[\"']"
    r"((?:[a-z][a-z0-9+.-]*:)?//[^\"']*)",
    re.IGNORECASE,
)
_CSS_URL = re.compile(r"@import\s+[\"']?(?:https?:)?//|url\(\s*[\"']?(?:https?:)?//", re.I)


def test_no_external_assets_in_html() -> None:
    """No page loads a script, style, image or frame from another host."""
    site = _require_site()
    bad = []
    for page in _pages(site):
        text = (site / page).read_text(errors="replace")
        for m in _ASSET.finditer(text):
            tag = text[m.start() : m.start() + 10].lower()
            # <a href> is not matched; <link rel="canonical"/"alternate"> would not load,
            # but keep the rule simple: no external URL in any asset-bearing tag.
            bad.append(f"{page}: {tag}... {m.group(1)}")
    for css in site.rglob("*.css"):
        if _CSS_URL.search(css.read_text(errors="replace")):
            bad.append(f"{css.relative_to(site)}: external url() or @import")
    assert not bad, "external assets:\n" + "\n".join(bad)


def test_index_redirects_to_intro() -> None:
    site = _require_site()
    assert 'url=intro.html' in (site / "index.html").read_text()


# --------------------------------------------------------------------------------------
# Browser
# --------------------------------------------------------------------------------------


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    log: list[tuple[str, str]]

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib signature
        pass

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        self.log.append((self.headers.get("Host", ""), self.path))
        super().do_GET()


@pytest.fixture(scope="module")
def server():
    site = _require_site()
    log: list[tuple[str, str]] = []
    handler = functools.partial(type("H", (_QuietHandler,), {"log": log}), directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", log
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    _require_site()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(
            "the Python package `playwright` is missing (pip install playwright; "
            "do NOT run `playwright install`: the test drives Debian's chromium)"
        )
    chromium = find_chromium()
    # Playwright gives the browser a fresh temporary profile (its --user-data-dir) itself.
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


# Runs in the page once it has loaded: what drew and what did not.
_INSPECT = r"""
() => {
  const figs = [...document.querySelectorAll('.plotly-graph-div')];
  const widgetViews = document.querySelectorAll(
      'script[type="application/vnd.jupyter.widget-view+json"]');
  return {
    title: document.title,
    text: document.body ? document.body.innerText : '',
    rows: [...document.querySelectorAll('tr')].map(r => r.innerText.replace(/\s+/g, ' ')),
    figures: figs.map(d => ({
      id: d.id,
      svg: d.querySelectorAll('.main-svg').length,
      sliders: ((d.layout || {}).sliders || []).length,
      sliderDrawn: d.querySelectorAll('.slider-container').length,
      frames: (d._transitionData && d._transitionData._frames || []).length,
    })),
    widgetViews: widgetViews.length,
    widgetsDrawn: document.querySelectorAll('.jupyter-widgets.widget-inline-hbox, '
        + '.jupyter-widgets.widget-box, .jupyter-widgets.widget-container, '
        + '.jupyter-widgets.widget-output, .jupyter-widgets').length,
    widgetErrors: document.querySelectorAll('.jupyter-widgets-error-widget, '
        + '.widget-error').length,
    mathSource: document.querySelectorAll('span.math, div.math').length,
    mathDrawn: document.querySelectorAll('mjx-container').length,
    hasMathJax: typeof window.MathJax === 'object' && !!window.MathJax.version,
  };
}
"""

_READY = """
() => {
  const figs = [...document.querySelectorAll('.plotly-graph-div')];
  if (!figs.every(d => d.querySelector('.main-svg'))) return false;
  const views = document.querySelectorAll(
      'script[type="application/vnd.jupyter.widget-view+json"]').length;
  if (views && document.querySelectorAll('.jupyter-widgets').length < views) return false;
  const math = document.querySelectorAll('span.math, div.math').length;
  if (math && typeof window.MathJax === 'object' && window.MathJax.startup
      && window.MathJax.startup.promise) {
    if (!window.__geomemMathDone) {
      window.MathJax.startup.promise.then(() => { window.__geomemMathDone = true; });
      return false;
    }
  } else if (math) { return false; }
  return true;
}
"""


class _Visitor:
    """One browser context (shared cache) for a series of pages; a fresh tab per page.

    Every request whose origin is not ``allowed_origin`` (``None``: only file://) is
    recorded and aborted, so a page that needs the network fails visibly.
    """

    def __init__(self, browser, allowed_origin: str | None) -> None:
        self.allowed_origin = allowed_origin
        self.external: list[str] = []
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.context.route("**/*", self._route)

    def _route(self, r) -> None:
        u = urlparse(r.request.url)
        if u.scheme in ("data", "blob", "about"):
            local = True
        elif self.allowed_origin is None:
            local = u.scheme == "file"
        else:
            local = f"{u.scheme}://{u.netloc}" == self.allowed_origin
        if local:
            r.continue_()
        else:
            self.external.append(r.request.url)
            r.abort()

    def load(self, url: str, shot: Path | None = None) -> dict:
        """Open ``url``; return what drew plus every problem seen."""
        problems: list[str] = []
        self.external = []
        page = self.context.new_page()
        page.on("console", lambda m: m.type == "error" and problems.append(
            f"console: {m.text} @ {m.location.get('url')}"))
        page.on("pageerror", lambda e: problems.append(f"uncaught: {e}"))
        page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url} ({r.failure})"))
        page.on("response", lambda r: r.status >= 400 and problems.append(f"HTTP {r.status}: {r.url}"))
        try:
            page.goto(url, wait_until="load", timeout=PAGE_TIMEOUT_MS)
            try:
                page.wait_for_function(_READY, timeout=PAGE_TIMEOUT_MS, polling=100)
                page.wait_for_load_state("networkidle", timeout=PAGE_TIMEOUT_MS)
            except Exception as err:  # the checks below say what did not draw
                problems.append(f"page not ready after {PAGE_TIMEOUT_MS} ms: {type(err).__name__}")
            info = page.evaluate(_INSPECT)
            if shot is not None:
                shot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(shot), full_page=True)
        finally:
            page.close()
        info["problems"] = [p for p in problems if not any(rx.search(p) for rx in IGNORED_CONSOLE)]
        info["external"] = list(self.external)
        return info

    def close(self) -> None:
        self.context.close()


def _check_page(page: str, info: dict) -> list[str]:
    errs = [f"{page}: {p}" for p in info["problems"]]
    errs += [f"{page}: blocked external request {u}" for u in info["external"]]
    for fig in info["figures"]:
        if fig["svg"] == 0:
            errs.append(f"{page}: plotly figure {fig['id']} drew no SVG")
        if fig["sliders"] and fig["sliderDrawn"] < fig["sliders"]:
            errs.append(f"{page}: figure {fig['id']} has {fig['sliders']} slider(s), drew {fig['sliderDrawn']}")
    if info["widgetViews"] and info["widgetsDrawn"] < info["widgetViews"]:
        errs.append(f"{page}: {info['widgetViews']} widget view(s), {info['widgetsDrawn']} drawn")
    if info["widgetErrors"]:
        errs.append(f"{page}: {info['widgetErrors']} widget(s) show an error")
    if info["mathSource"] and info["mathDrawn"] == 0:
        errs.append(f"{page}: {info['mathSource']} math element(s), none typeset by MathJax")
    return errs


def _shot_name(page: str) -> str:
    return page.replace("/", "__").removesuffix(".html") + ".png"


def test_pages_render_over_http(server, browser) -> None:
    base, log = server
    site = _require_site()
    failures, summary = [], []
    shutil.rmtree(SHOTS, ignore_errors=True)
    visitor = _Visitor(browser, base)
    for page in _pages(site):
        info = visitor.load(f"{base}/{page}", SHOTS / _shot_name(page))
        failures += _check_page(page, info)
        summary.append(
            f"{page}: {len(info['figures'])} figures, {info['widgetViews']} widgets, "
            f"{info['mathDrawn']} math"
        )
    visitor.close()
    print("\n".join(summary))
    hosts = {host for host, _ in log}
    assert all(h.startswith("127.0.0.1:") for h in hosts), f"unexpected Host headers {hosts}"
    assert not failures, "\n".join(failures)


def test_pages_render_from_file_url(browser) -> None:
    """The same checks when the HTML is opened straight from disk (file://).

    Only the landing page and the executed chapters (the pages with figures, widgets and
    math); the generated pages are plain HTML and were checked over http.
    """
    site = _require_site()
    failures = []
    visitor = _Visitor(browser, None)
    chapters = [p for p in _pages(site) if re.match(r"_generated/\d\d_", p)
                and (ROOT / "book" / "_generated" / (Path(p).stem + ".ipynb")).is_file()]
    for page in ["intro.html"] + chapters:
        info = visitor.load((site / page).as_uri())
        failures += _check_page(page, info)
    visitor.close()
    assert not failures, "\n".join(failures)


def test_chapter_pages_have_their_figures(server, browser) -> None:
    """A chapter whose executed notebook has plotly outputs shows as many figures."""
    base, _ = server
    site = _require_site()
    failures = []
    visitor = _Visitor(browser, base)
    for page in sorted((site / "_generated").glob("[0-9][0-9]_*.html")):
        src = ROOT / "book" / "_generated" / (page.stem + ".ipynb")
        if not src.is_file():
            continue  # an orphan stub: chapter not executed
        nb = json.loads(src.read_text())
        expected = sum(
            1
            for cell in nb.get("cells", [])
            for out in cell.get("outputs", [])
            if "application/vnd.plotly.v1+json" in out.get("data", {})
            and "text/html" in out.get("data", {})
        )
        rel = page.relative_to(site).as_posix()
        info = visitor.load(f"{base}/{rel}")
        if len(info["figures"]) < expected:
            failures.append(f"{rel}: {expected} plotly outputs in the notebook, {len(info['figures'])} on the page")
    visitor.close()
    assert not failures, "\n".join(failures)


def test_scorecard_lists_every_results_file(server, browser) -> None:
    base, _ = server
    _require_site()
    if not MANIFEST.is_file():
        pytest.fail(f"{MANIFEST} is missing: build the book with book/build_book.py")
    manifest = json.loads(MANIFEST.read_text())
    results_dir = Path(os.environ.get("GEOMEM_RESULTS_DIR", manifest["results_dir"]))
    stems = sorted(p.stem for p in results_dir.glob("*.json")) if results_dir.is_dir() else []
    assert set(stems) <= set(manifest["results"]), (
        f"results files {sorted(set(stems) - set(manifest['results']))} are newer than the "
        "book build: rebuild the book"
    )
    visitor = _Visitor(browser, base)
    info = visitor.load(f"{base}/_generated/scorecard.html")
    visitor.close()
    text = info["text"]
    missing = [s for s in stems if s not in text]
    assert not missing, f"scorecard does not list {missing}"
    for stem in stems:
        data = json.loads((results_dir / f"{stem}.json").read_text())
        if data.get("passed") is False:
            rows = [row for row in info["rows"] if stem in row and "fail" in row]
            assert rows, f"scorecard does not show {stem} as failed"
