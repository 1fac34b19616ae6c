"""The findings recorded by the executed notebooks against the register (after stage 1 of
`make test`, which leaves every chapter's results file in build/results).

Fails when a verdict is recorded for a finding the register does not list, when a finding of
the register has no verdict in its chapter's results file, or when a finding reproduced
today stops reproducing (a regression; "not reproduced" findings are reported, not failed).
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

from geomem_utils import findings as fd

pytestmark = pytest.mark.results


def _results(build_dirs) -> dict[str, dict]:
    files = sorted(build_dirs["results"].glob("[0-9][0-9]_*.json"))
    if not files:
        pytest.fail("no results files in build/results: run the notebook tests first (make test)", pytrace=False)
    return {p.stem: json.loads(p.read_text()) for p in files}


@pytest.mark.notebooks
def test_every_finding_has_exactly_one_verdict_and_every_verdict_a_finding(build_dirs) -> None:
    results = _results(build_dirs)
    chapters = {f.chapter for f in fd.REGISTER}
    missing_chapters = sorted(chapters - set(results))
    assert not missing_chapters, f"chapters with findings but no results file: {missing_chapters}"
    recorded = [(stem, f["id"]) for stem, r in results.items() for f in r.get("findings", [])]
    ids = [i for _, i in recorded]
    assert len(ids) == len(set(ids)), f"findings recorded twice: {sorted({i for i in ids if ids.count(i) > 1})}"
    unknown = sorted(set(ids) - set(fd.BY_ID))
    assert not unknown, f"verdicts recorded for findings missing from the register: {unknown}"
    misplaced = [(s, i) for s, i in recorded if fd.BY_ID[i].chapter != s]
    assert not misplaced, f"verdicts recorded by the wrong chapter: {misplaced}"
    absent = sorted(set(fd.BY_ID) - set(ids))
    assert not absent, f"findings of the register with no verdict in any results file: {absent}"
    for stem, r in results.items():
        for f in r.get("findings", []):
            assert f["verdict"] in fd.VERDICTS, (stem, f)
            assert f["ours"] and f["paper"], f"{f['id']}: a verdict states our number and the paper's"


@pytest.mark.notebooks
def test_no_finding_reproduced_today_stops_reproducing(build_dirs, profile) -> None:
    if profile == "smoke":
        pytest.skip("a smoke run is too short to reproduce anything")
    results = _results(build_dirs)
    regressions = [f"{f['id']} ({stem}): {f['verdict']}; ours {f['ours']}, paper {f['paper']}"
                   for stem, r in results.items() if r.get("profile") != "smoke"
                   for f in r.get("findings", [])
                   if fd.BY_ID.get(f["id"]) and fd.BY_ID[f["id"]].expected == fd.REPRODUCED
                   and f["verdict"] != fd.REPRODUCED]
    assert not regressions, "findings reproduced until now no longer reproduce:\n" + "\n".join(regressions)
    problems = {stem: r.get("findings_problems") for stem, r in results.items() if r.get("findings_problems")}
    assert not problems, problems


@pytest.mark.notebooks
def test_the_books_verdicts_rest_on_three_seeds_and_state_their_size(build_dirs, profile) -> None:
    """The rule on the book's own build: every verdict with evidence rests on >= 3 seeds (seed 0
    trained here, the others from a fresh committed table of the same configuration), and
    every verdict states the size it was measured at."""
    if profile == "smoke":
        pytest.skip("the seed tables are of the ci configuration")
    short, unsized = [], []
    for stem, r in _results(build_dirs).items():
        table = r.get("seed_table")
        if table is not None:
            assert table["fresh"] and table["same_config"], (stem, table)
        for f in r.get("findings", []):
            if f.get("checks") and len(f.get("seeds") or []) < fd.MIN_SEEDS:
                short.append(f"{f['id']}: seeds {f.get('seeds')}")
            if not f.get("size"):
                unsized.append(f["id"])
    assert not short, f"verdicts on fewer than {fd.MIN_SEEDS} seeds: {short}"
    assert not unsized, f"verdicts that do not state their size: {unsized}"


@pytest.mark.notebooks
def test_scorecard_of_the_executed_results_cites_the_paper_only(build_dirs, tmp_path) -> None:
    """The scorecard rendered from today's results files never says "spec": every string on it
    comes from those files (claims, references, check names), and they cite the paper."""
    _results(build_dirs)
    root = Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location("build_book", root / "book" / "build_book.py")
    bb = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(bb)
    loaded = bb._load_results(build_dirs["results"])
    bb.write_scorecard(loaded, [], tmp_path)
    bb.write_findings_summary(loaded, tmp_path)
    said = [(page, line) for page in ("scorecard.md", "findings_summary.md")
            for line in (tmp_path / page).read_text().splitlines() if re.search(r"\bspec\b", line, re.I)]
    assert not said, "the scorecard says 'spec':\n" + "\n".join(f"{p}: {line[:200]}" for p, line in said)
