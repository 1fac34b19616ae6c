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
import shutil
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
                     "_generated/scorecard", "_generated/runtimes", "reproducibility", "instructors"]
    assert "root: intro" in toc
    bb.write_toc([], tmp_path)
    assert re.findall(r"file: (\S+)", (tmp_path / "_toc.yml").read_text()) == [
        "_generated/scorecard", "_generated/runtimes", "reproducibility", "instructors"]


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
    # checks passed as n/m, no "pass" word beside the count; a failed chapter says so
    assert "| 1/1 |" in row00 and "pass" not in row00
    assert "0/1" in row01 and "chapter failed" in row01
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
    mamba = next(i for i, r in enumerate(recs) if r["id"] == "geometry.mamba_stronger_edges_only")
    recs[mamba] = fd.verdict("geometry.mamba_stronger_edges_only", fd.NOT_REPRODUCED, "Mamba 0.51 vs Transformer 0.62",
                             "Mamba stronger")
    r01["findings"] = recs
    (results / "01_geometry_emerges.json").write_text(json.dumps(r01))
    stems = bb.copy_notebooks(executed, out)
    loaded = bb._load_results(results)
    bb.write_scorecard(loaded, stems, out)
    page = (out / "scorecard.md").read_text()
    n01 = len(recs)
    n_paper = sum(1 for f in fd.REGISTER if not getattr(f, "extension", False))
    head = f"**At the book's sizes, of the paper's {n_paper} findings: {n01 - 1} reproduced, 0 partly reproduced, " \
           f"1 not reproduced at this size, 0 not tested here, {n_paper - n01} without a verdict"
    assert head in page
    # the findings table comes first, the machinery last and on its own
    assert page.index("## The paper's findings") < page.index("## Chapters") < page.index("## The book's machinery")
    findings_part = page[page.index("## The paper's findings"):page.index("## Chapters")].replace("<wbr>", "")
    assert "Mamba 0.51 vs Transformer 0.62" in findings_part and "not reproduced at this size" in findings_part
    assert "spectral.ce_vanishes" in findings_part and "no verdict (chapter not executed)" in findings_part
    machinery = page[page.index("## The book's machinery"):]
    assert "frozen nav" in machinery and "null control" in machinery and "| nav |" not in machinery
    evidence = page[page.index("## Evidence, notebook"):page.index("## The book's machinery")]
    assert "| nav |" in evidence and "frozen nav" not in evidence
    # a results file from before the seeded schema: this run's numbers, no seed-table warnings
    by_seed = page[page.index("## Evidence by seed"):page.index("## Chapters")].replace("<wbr>", "")
    row = next(line for line in by_seed.splitlines() if line.startswith("| geometry.heatmap"))
    assert "this run only (seed 0)" in row and "nav: 40 (needs >= 10); passes" in row
    assert "no committed seed table" not in page and "stale seed table" not in page
    # the landing page's list: every finding of a chapter that is not reproduced, one line each
    bb.write_findings_summary(loaded, out)
    summary = (out / "findings_summary.md").read_text()
    assert head in summary
    assert "Mamba's geometry is stronger" in summary and "not reproduced at this size" in summary
    assert "geometry emerges" not in summary.lower()
    assert "01_geometry_emerges </_generated/01_geometry_emerges>" in summary
    assert sum(1 for line in summary.splitlines() if line.startswith("  - ")) == len(fd.REGISTER) - n01 + 1


# --- the scorecard of the seeded results (each verdict on >= 3 seeds, with its size) ---------

RULE_TEXT = "Synthetic rule: every verdict rests on 3 seeds and names its size."
CH03 = "03_implicit_reasoning"
EXTENSION = "reasoning.geometry_predicts_heldout"
OUR_SIZE = "GPT 2 x 128 on G(100, 5), 1,000 steps, 25 held-out leaves (ci profile)"


def _seeded_result(fresh: bool = True, same_config: bool = True, this_run: dict | None = None) -> dict:
    """A results file of chapter 03 in the seeded schema: one verdict per finding the register
    gives it, each with its size, seeds, per-seed readings and per-check spread."""
    from geomem_utils import findings as fd

    r = _result(CH03, True)
    r["checks"] = [
        {"name": "held-out exact", "value": 0.88, "threshold": 0.5, "op": ">=", "passed": True, "paper": "100%",
         "kind": "finding"},
        {"name": "nav vs held-out", "value": 0.71, "threshold": 0.3, "op": ">=", "passed": True, "paper": "-",
         "kind": "finding"},
    ]
    r["size"] = OUR_SIZE
    r["rule"] = RULE_TEXT
    r["seed_table"] = {"path": f"bench/results/seeds/{CH03}.json", "command": f"make seeds NB={CH03} SEEDS='1 2'",
                       "seeds": [0, 1, 2], "runtime_s": {"0": 160.2, "1": 158.0, "2": 170.1},
                       "fresh": fresh, "same_config": same_config}
    recs = []
    for f in fd.for_chapter(CH03):
        check = "nav vs held-out" if f.id == EXTENSION else "held-out exact"
        rec = fd.verdict(f.id, fd.REPRODUCED, f"ours-{f.id}", f"paper-{f.id}", checks=[check])
        rec.update(extension=f.extension or f.id == EXTENSION, size=OUR_SIZE, paper_size="GPT 12 x 384 on G(10^4, 5)",
                   seeds=[0, 1, 2], by_seed={"0": fd.REPRODUCED, "1": fd.REPRODUCED, "2": fd.REPRODUCED},
                   holds={check: {"passed": 3, "of": 3, "values": {"0": 0.92, "1": 0.88, "2": 0.96}}},
                   this_run=None)
        recs.append(rec)
    heldout = next(x for x in recs if x["id"] == "reasoning.heldout_paths")
    heldout.update(verdict=fd.PARTLY, detail="exact match holds; the first hop alone does not",
                   by_seed={"0": fd.REPRODUCED, "1": fd.PARTLY, "2": fd.REPRODUCED},
                   holds={"held-out exact": {"passed": 2, "of": 3, "values": {"0": 0.92, "1": 0.41, "2": 0.96}}},
                   this_run=this_run)
    r["findings"] = recs
    return r


@pytest.fixture()
def seeded(bb, tmp_path, monkeypatch):
    """Write the scorecard and the landing page's summary of a seeded chapter 03; returns a
    function (keyword arguments as :func:`_seeded_result`) giving the two pages' text."""
    from geomem_utils import findings as fd

    monkeypatch.setattr(fd, "RULE", RULE_TEXT, raising=False)

    def write(**kw) -> tuple[str, str]:
        results, out = tmp_path / "results", tmp_path / "out"
        for d in (results, out):
            shutil.rmtree(d, ignore_errors=True)
            d.mkdir()
        (results / f"{CH03}.json").write_text(json.dumps(_seeded_result(**kw)))
        loaded = bb._load_results(results)
        bb.write_scorecard(loaded, [], out)
        bb.write_findings_summary(loaded, out)
        return (out / "scorecard.md").read_text().replace("<wbr>", ""), (out / "findings_summary.md").read_text()

    return write


def _section(page: str, start: str, end: str) -> str:
    return page[page.index(start):page.index(end)]


def _row(part: str, finding_id: str) -> str:
    return next(line for line in part.splitlines()
                if line.startswith("| ") and re.search(rf"(\| |<br>){re.escape(finding_id)}( \||<br>)", line))


def test_scorecard_prints_the_rule_once_at_the_top(seeded, monkeypatch) -> None:
    from geomem_utils import findings as fd

    page, _ = seeded()
    assert page.count(RULE_TEXT) == 1
    assert page.index(RULE_TEXT) < page.index("At the book's sizes") < page.index("## The paper's findings")
    # without geomem_utils.findings.RULE the results file's own record of the rule is printed
    monkeypatch.delattr(fd, "RULE", raising=False)
    page, _ = seeded()
    assert page.count(RULE_TEXT) == 1 and page.index(RULE_TEXT) < page.index("## The paper's findings")


def test_headline_counts_the_paper_and_the_extensions_apart(seeded) -> None:
    from geomem_utils import findings as fd

    page, summary = seeded()
    n_paper = sum(1 for f in fd.REGISTER if not f.extension)
    n_own = sum(1 for f in fd.REGISTER if f.extension)
    n03 = sum(1 for f in fd.for_chapter(CH03) if not f.extension)  # the paper's findings chapter 03 records
    own03 = sum(1 for f in fd.for_chapter(CH03) if f.extension)
    head = (f"**At the book's sizes, of the paper's {n_paper} findings: {n03 - 1} reproduced, 1 partly reproduced, "
            f"0 not reproduced at this size, 0 not tested here, {n_paper - n03} without a verdict.**")
    assert head in page and head in summary
    own = f"{n_own} finding" + ("" if n_own == 1 else "s")
    assert f"**Of the book's own {own} (extensions of the paper): {own03} reproduced" in page


def test_finding_row_shows_size_seeds_command_and_time(seeded) -> None:
    page, summary = seeded()
    verdicts = _row(_section(page, "## The paper's findings", "## The book's own findings"), "reasoning.heldout_paths")
    assert "partly reproduced" in verdicts and "§2.3, Fig. 2" in verdicts
    # our size next to the paper's, in one cell
    assert f"**ours:** {OUR_SIZE}<br>**paper:** GPT 12 x 384 on G(10^4, 5) |" in verdicts
    assert "ours-reasoning.heldout_paths" in verdicts and "paper-reasoning.heldout_paths" in verdicts
    assert "the first hop alone does not" in verdicts
    seeds = _row(_section(page, "## Evidence by seed", "## Chapters"), "reasoning.heldout_paths")
    assert "0 ✓, 1 ◐, 2 ✓" in seeds
    # the spread over the seeds (min to max) with the criterion, and how many seeds pass
    assert "held-out exact: 0.41 to 0.96 (needs >= 0.5); 2/3 seeds pass" in seeds
    # the command that reproduces it and its measured time: median a seed and the sum, named as such
    assert f"`make seeds NB={CH03} SEEDS='1 2'`" in seeds
    assert "median 2.7 min a seed; 8.1 min for all 3 seeds (sum)" in seeds
    # the landing page's line names the size the verdict was measured at
    assert f"**partly reproduced** at {OUR_SIZE}" in summary


def test_extensions_have_their_own_table_after_the_papers(seeded) -> None:
    page, summary = seeded()
    paper = _section(page, "## The paper's findings", "## The book's own findings")
    own = _section(page, "## The book's own findings", "## Evidence by seed")
    assert f"<br>{EXTENSION}<br>" not in paper and f"<br>{EXTENSION}<br>" in own
    assert "<br>reasoning.heldout_paths<br>" in paper and "<br>reasoning.heldout_paths<br>" not in own
    assert "the book's own" in _row(_section(page, "## Evidence by seed", "## Chapters"), EXTENSION)


def test_chapters_table_counts_checks_as_n_of_m(seeded) -> None:
    page, _ = seeded()
    row = next(line for line in _section(page, "## Chapters", "## Evidence, notebook").splitlines()
               if line.startswith(f"| `{CH03}`"))
    assert "| 2/2 |" in row and "pass" not in row
    assert OUR_SIZE in row and f"make seeds NB={CH03}" in row


@pytest.mark.parametrize("kw, flag", [({"fresh": False}, "stale seed table"),
                                      ({"same_config": False}, "config differs from the seed table")])
def test_stale_or_other_config_seed_table_is_flagged_on_the_row(seeded, kw, flag) -> None:
    page, _ = seeded()
    assert flag not in page
    page, _ = seeded(**kw)
    for part in (_section(page, "## The paper's findings", "## The book's own findings"),
                 _section(page, "## Evidence by seed", "## Chapters")):
        assert flag in _row(part, "reasoning.heldout_paths")
    assert flag in _section(page, "## Chapters", "## Evidence, notebook")


def test_this_runs_seed_is_shown_beside_the_committed_verdict(seeded) -> None:
    page, _ = seeded(this_run={"seed": 5, "verdict": "not reproduced at this size"})
    row = _row(_section(page, "## The paper's findings", "## The book's own findings"), "reasoning.heldout_paths")
    assert "◐ **partly reproduced**<br>this run, seed 5: ✗ not reproduced at this size (differs)" in row


def test_scorecard_text_never_says_spec(seeded) -> None:
    page, summary = seeded()
    assert not re.search(r"\bspec\b", page + summary, re.I)


def test_unreadable_results_file_is_reported(bb, tmp_path) -> None:
    (tmp_path / "02_spectral_bias.json").write_text("{not json")
    results = bb._load_results(tmp_path)
    bb.write_scorecard(results, [], tmp_path)
    assert "unreadable results file" in (tmp_path / "scorecard.md").read_text()


def _landing_extra(trained_acc: float, frozen_p: float) -> dict:
    import numpy as np

    heat = np.full((5, 5), 1.0)
    np.fill_diagonal(heat, 0.25)
    return {"graph": "G(20, 5)",
            "final": {"test_exact": {"edges_and_paths": trained_acc, "frozen": 0.0},
                      "train_exact": {"edges_and_paths": 1.0, "frozen": 1.0}},
            "contrast": {"edges_and_paths": {"p_value": 0.001}, "frozen": {"p_value": 0.5}},
            "path_contrast": {"edges_and_paths": {"p_value": 0.001}, "frozen": {"p_value": frozen_p}},
            "path_heat": {"edges_and_paths": heat.tolist(), "frozen": np.ones((5, 5)).tolist()}}


@pytest.mark.parametrize("acc, p", [(0.88, 0.66), (0.52, 0.31)])
def test_landing_figure_is_drawn_from_chapter_01s_results(bb, tmp_path, acc, p) -> None:
    """The landing page's figure and caption come from chapter 01's results file: its
    matrices, its held-out accuracy and p-values (two sets of numbers, two pages), drawn
    with no library in the page, with alt text and a link to the chapter."""
    r = {**_result("01_geometry_emerges", True), "extra": _landing_extra(acc, p)}
    bb.write_landing({"01_geometry_emerges": r}, tmp_path)
    page = (tmp_path / "landing.md").read_text()
    assert page.startswith("```{raw} html\n<figure") and "Plotly.newPlot(" in page
    assert "<script src" not in page and "cdn" not in page.lower()
    assert f"{acc:.0%} of held-out paths right" in page and f"p = {p:.2g}" in page
    other = {**r, "extra": {**r["extra"], "path_heat": {k: [[0.5] * 5] * 5 for k in r["extra"]["path_heat"]}}}
    (tmp_path / "other").mkdir()
    bb.write_landing({"01_geometry_emerges": other}, tmp_path / "other")
    assert (tmp_path / "other" / "landing.md").read_text() != page  # the matrices are drawn
    alt = re.search(r'aria-label="([^"]+)"', page)
    assert alt and "G(20, 5)" in alt.group(1) and f"{acc:.0%}" in alt.group(1)
    assert "{doc}`chapter 1 </_generated/01_geometry_emerges>`" in page
    # without chapter 01's results: no figure, a line that says where it comes from
    bb.write_landing({}, tmp_path)
    page = (tmp_path / "landing.md").read_text()
    assert "Plotly" not in page and "01_geometry_emerges" in page and "make book" in page


def test_landing_page_opens_with_the_figure() -> None:
    """intro.md includes the generated figure before its first section."""
    intro = (ROOT / "book" / "intro.md").read_text()
    assert "{include} _generated/landing.md" in intro
    assert intro.index("_generated/landing.md") < intro.index("\n## ")


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
