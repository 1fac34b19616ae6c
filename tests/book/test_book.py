"""The book's rendering path and page generators (fast; no browser, no Sphinx build).

- ``geomem_utils.figures.render``: figures carry both the plotly JSON mimetype (JupyterLab) and a
  library-free ``text/html`` form (the book), with no network reference;
- ``book/build_book.py``: scorecard, run-time page and table of contents are generated
  from the results files and the run log only.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLOTLY_MIME = "application/vnd.plotly.v1+json"


# --------------------------------------------------------------------------------------
# geomem_utils.figures.render
# --------------------------------------------------------------------------------------


@pytest.fixture()
def rendering():
    go = pytest.importorskip("plotly.graph_objects")
    import plotly.io as pio

    from geomem_utils.figures.render import RENDERER_NAME, setup_book_rendering

    before = (pio.renderers.default, pio.templates.default)
    setup_book_rendering()
    yield go, pio, pio.renderers[RENDERER_NAME]
    pio.renderers.default, pio.templates.default = before


def _slider_figure(go):
    frames = [go.Frame(data=[go.Scatter(x=[0, 1, 2], y=[0, k, 2 * k])], name=str(k)) for k in range(3)]
    steps = [
        {"args": [[str(k)], {"frame": {"duration": 0}, "mode": "immediate"}], "label": str(k), "method": "animate"}
        for k in range(3)
    ]
    return go.Figure(data=frames[0].data, frames=frames, layout={"sliders": [{"steps": steps}]})


def test_bundle_has_both_mimetypes(rendering) -> None:
    go, _, renderer = rendering
    fig = go.Figure(go.Scatter(x=[1, 2, 3], y=[3, 1, 2]))
    bundle = renderer.to_mimebundle(fig.to_dict())
    assert set(bundle) == {PLOTLY_MIME, "text/html"}
    assert bundle[PLOTLY_MIME]["data"][0]["y"] == [3, 1, 2]
    json.dumps(bundle[PLOTLY_MIME])  # JSON-compatible (numpy arrays converted)
    html = bundle["text/html"]
    assert 'class="plotly-graph-div"' in html and "Plotly.newPlot(" in html


def test_html_loads_nothing_from_the_network(rendering) -> None:
    go, _, renderer = rendering
    for fig in (go.Figure(go.Scatter(x=[1], y=[1])), _slider_figure(go)):
        html = renderer.to_mimebundle(fig.to_dict())["text/html"]
        assert not re.search(r"<script[^>]*\bsrc\s*=", html, re.I), "must not load a script"
        assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", html, re.I)
        assert "cdn.plot.ly" not in html and "mathjax" not in html.lower()


def test_sliders_and_frames_survive_without_autoplay(rendering) -> None:
    go, _, renderer = rendering
    bundle = renderer.to_mimebundle(_slider_figure(go).to_dict())
    html = bundle["text/html"]
    assert "Plotly.addFrames" in html and '"sliders"' in html
    assert "Plotly.animate" not in html  # auto_play=False: opens on the first frame
    assert len(bundle[PLOTLY_MIME]["frames"]) == 3


def test_div_ids_are_unique_on_a_page(rendering) -> None:
    go, _, renderer = rendering
    fig = go.Figure(go.Scatter(x=[1], y=[1])).to_dict()
    ids = {re.search(r'id="([^"]+)"', renderer.to_mimebundle(fig)["text/html"]).group(1) for _ in range(3)}
    assert len(ids) == 3


def test_setup_is_idempotent_and_sets_defaults(rendering) -> None:
    _, pio, renderer = rendering
    from geomem_utils.figures.render import RENDERER_NAME, TEMPLATE, setup_book_rendering

    setup_book_rendering()
    assert pio.renderers[RENDERER_NAME] is renderer
    assert pio.renderers.default == RENDERER_NAME
    assert pio.templates.default == TEMPLATE


def test_import_has_no_side_effects() -> None:
    code = (
        "import geomem_utils.figures.render, sys\n"
        "assert 'plotly' not in sys.modules, 'importing render imported plotly'\n"
        "import plotly.io as pio\n"
        "assert 'geomem' not in pio.renderers and pio.renderers.default != 'geomem'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


# --------------------------------------------------------------------------------------
# book/build_book.py
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bb():
    spec = importlib.util.spec_from_file_location("build_book", ROOT / "book" / "build_book.py")
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(mod)
    return mod


def _result(stem: str, passed: bool, value: float = 0.97) -> dict:
    return {
        "notebook": stem, "title": f"Title of {stem}", "claim": "a claim", "paper_ref": "Fig. 3",
        "passed": passed,
        "checks": [{"name": "acc", "value": value, "threshold": 0.9, "op": ">=", "passed": passed,
                    "paper": "up to 100% | exact"}],
        "params": {"PROFILE": "ci", "SEED": 0}, "profile": "ci", "runtime_s": 12.5,
        "date": "2025-11-25T10:00:00+00:00", "versions": {"torch": "2.13.0"}, "extra": {},
    }


@pytest.fixture()
def fake_build(tmp_path):
    executed, results, out = tmp_path / "executed", tmp_path / "results", tmp_path / "out"
    for d in (executed, results, out):
        d.mkdir()
    for stem in ("00_tasks", "01_geometry_emerges", "07_extra"):
        (executed / f"{stem}.ipynb").write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    (results / "00_tasks.json").write_text(json.dumps(_result("00_tasks", True)))
    (results / "01_geometry_emerges.json").write_text(json.dumps(_result("01_geometry_emerges", False, 0.5)))
    (executed / "_runs.json").write_text(json.dumps({
        "runs": [
            {"notebook": "00_tasks", "wall_s": 10.0, "ok": True, "profile": "ci", "started": "2025-11-25T09:00:00"},
            {"notebook": "00_tasks", "wall_s": 12.0, "ok": True, "profile": "ci", "started": "2025-11-25T10:00:00"},
            {"notebook": "01_geometry_emerges", "wall_s": 30.0, "ok": False, "profile": "ci", "started": "2025-11-25T10:01:00"},
        ],
        "machine": {"cpu_count": 2, "platform": "Linux-test"},
    }))
    return executed, results, out


def test_chapters_in_book_order_with_stubs(bb, fake_build) -> None:
    executed, _, out = fake_build
    stems = bb.copy_notebooks(executed, out)
    assert stems == ["00_tasks", "01_geometry_emerges", "07_extra"]
    assert (out / "00_tasks.ipynb").is_file()
    # chapters not executed get an orphan stub, so links from the intro resolve
    stub = (out / "03_implicit_reasoning.md").read_text()
    assert "orphan: true" in stub and "not been executed" in stub
    assert not (out / "00_tasks.md").exists()


def test_toc_lists_only_executed_chapters(bb, fake_build, tmp_path) -> None:
    bb.write_toc(["00_tasks", "02_spectral_bias"], tmp_path)
    toc = (tmp_path / "_toc.yml").read_text()
    files = re.findall(r"file: (\S+)", toc)
    assert files == ["_generated/00_tasks", "_generated/02_spectral_bias",
                     "_generated/scorecard", "_generated/runtimes", "reproducibility"]
    assert "root: intro" in toc
    bb.write_toc([], tmp_path)
    assert re.findall(r"file: (\S+)", (tmp_path / "_toc.yml").read_text()) == [
        "_generated/scorecard", "_generated/runtimes", "reproducibility"]


def test_scorecard_comes_from_results_only(bb, fake_build) -> None:
    executed, results, out = fake_build
    stems = bb.copy_notebooks(executed, out)
    bb.write_scorecard(bb._load_results(results), stems, out)
    page = (out / "scorecard.md").read_text()
    assert "1 of 2 checks pass" in page
    chapters = page[page.index("## Chapters"):]
    rows = [line for line in chapters.splitlines() if line.startswith("| ")]
    row00 = next(r for r in rows if "00_tasks <00_tasks>" in r)
    row01 = next(r for r in rows if "01_geometry_emerges <01_geometry_emerges>" in r)
    assert "pass" in row00 and "fail" in row01
    # a chapter without a results file is shown as such
    assert any("07_extra" in r and "no results file" in r for r in rows)
    assert any("04_memorization_puzzle" in r and "no results file" in r for r in rows)
    # per-check rows: the paper's statement (pipes escaped), the value, op + threshold
    assert "up to 100% \\| exact" in page and "| 0.97 |" in page and ">= 0.9" in page
    assert "`SEED=0`" in page and "Profile `ci`" in page


def test_scorecard_leads_with_the_findings_and_keeps_machinery_apart(bb, fake_build) -> None:
    from geomem_utils import findings as fd

    executed, results, out = fake_build
    r01 = _result("01_geometry_emerges", True)
    r01["checks"] = [
        {"name": "nav", "value": 40.0, "threshold": 10, "op": ">=", "passed": True, "paper": "1-step", "kind": "finding"},
        {"name": "frozen nav", "value": 1.0, "threshold": 5, "op": "<=", "passed": True, "paper": "null",
         "kind": "control"},
    ]
    recs = [fd.verdict(f.id, fd.REPRODUCED, "0.9-1.0, seeds 0-2", "dark diagonal", checks=["nav"])
            for f in fd.for_chapter("01_geometry_emerges")]
    recs[-1] = fd.verdict("geometry.mamba_stronger_edges_only", fd.NOT_REPRODUCED, "Mamba 0.51 vs Transformer 0.62",
                          "Mamba stronger")
    r01["findings"] = recs
    (results / "01_geometry_emerges.json").write_text(json.dumps(r01))
    stems = bb.copy_notebooks(executed, out)
    loaded = bb._load_results(results)
    bb.write_scorecard(loaded, stems, out)
    page = (out / "scorecard.md").read_text()
    n01 = len(recs)
    head = f"**Of the paper's {len(fd.REGISTER)} findings: {n01 - 1} reproduced, 0 partly reproduced, " \
           f"1 not reproduced at this size, 0 not tested here, {len(fd.REGISTER) - n01} without a verdict"
    assert head in page
    # the findings table comes first, the machinery last and on its own
    assert page.index("## The paper's findings") < page.index("## Chapters") < page.index("## The book's machinery")
    findings_part = page[page.index("## The paper's findings"):page.index("## Chapters")].replace("<wbr>", "")
    assert "Mamba 0.51 vs Transformer 0.62" in findings_part and "not reproduced at this size" in findings_part
    assert "spectral.ce_vanishes" in findings_part and "no verdict (chapter not executed)" in findings_part
    machinery = page[page.index("## The book's machinery"):]
    assert "frozen nav" in machinery and "null control" in machinery and "| nav |" not in machinery
    evidence = page[page.index("## Evidence"):page.index("## The book's machinery")]
    assert "| nav |" in evidence and "frozen nav" not in evidence
    # the landing page's list: every finding of a chapter that is not reproduced, one line each
    bb.write_findings_summary(loaded, out)
    summary = (out / "findings_summary.md").read_text()
    assert head in summary
    assert "Mamba's geometry is stronger" in summary and "not reproduced at this size" in summary
    assert "geometry emerges" not in summary.lower()
    assert "01_geometry_emerges </_generated/01_geometry_emerges>" in summary
    assert sum(1 for line in summary.splitlines() if line.startswith("  - ")) == len(fd.REGISTER) - n01 + 1


def test_unreadable_results_file_is_reported(bb, tmp_path) -> None:
    (tmp_path / "02_spectral_bias.json").write_text("{not json")
    results = bb._load_results(tmp_path)
    bb.write_scorecard(results, [], tmp_path)
    assert "unreadable results file" in (tmp_path / "scorecard.md").read_text()


def test_runtimes_page(bb, fake_build) -> None:
    executed, results, out = fake_build
    bb.write_runtimes(executed / "_runs.json", bb._load_results(results), out)
    page = (out / "runtimes.md").read_text()
    row00 = next(r for r in page.splitlines() if r.startswith("| 00_tasks"))
    assert "| 12 |" in row00  # the latest run of 00_tasks
    assert "42.0 s" in page  # 12 + 30
    assert "took **90 s**" in page  # 10:00:00 to 10:01:00 + 30 s: the span, not the sum
    assert "| 10:00 |" in row00
    assert "Linux-test" in page and "| torch | 2.13.0 |" in page
    for pkg in ("numpy", "plotly", "jupyter-book", "mambapy"):
        assert f"| {pkg} |" in page


def test_config_needs_no_cdn() -> None:
    """The book's configuration names no http(s) URL except in comments and text."""
    cfg = (ROOT / "book" / "_config.yml").read_text()
    code = "\n".join(line.split("#", 1)[0] for line in cfg.splitlines())
    assert not re.search(r"https?://", code)
    assert 'execute_notebooks: "off"' in cfg
