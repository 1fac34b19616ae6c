"""The findings register and its enforcement in results.finish (unit tests, no notebooks)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from geomem_utils import findings as fd
from geomem_utils import results

ROOT = Path(__file__).resolve().parents[2]
CH01 = "01_geometry_emerges"


def _all_for(notebook: str, verdict: str = fd.REPRODUCED, checks=("c",)) -> list[dict]:
    return [fd.verdict(f.id, verdict, ours="1.0 (seeds 0-2)", paper="1.0", detail="x", checks=checks)
            for f in fd.for_chapter(notebook)]


def _finish(tmp_path, notebook, findings, checks=None, profile="ci"):
    checks = checks if checks is not None else [results.check("c", 1.0, ">=", 0.5)]
    return results.finish(notebook, title="t", claim="c", paper_ref="r", checks=checks,
                          params={"PROFILE": profile, "RESULTS_DIR": str(tmp_path)}, started=0.0,
                          findings=findings)


def test_register_ids_unique_well_formed_and_cover_every_chapter_with_findings() -> None:
    ids = [f.id for f in fd.REGISTER]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z]+\.[a-z0-9_]+", i) for i in ids)
    chapters = {f.chapter for f in fd.REGISTER}
    assert chapters == {"01_geometry_emerges", "02_spectral_bias", "03_implicit_reasoning",
                        "04_memorization_puzzle", "06_how_far_it_holds"}
    for nb in chapters:
        assert (ROOT / "notebooks" / f"{nb}.md").exists(), nb
    assert all(f.statement and f.section and f.expected in fd.VERDICTS for f in fd.REGISTER)
    # the ids fixed when the register was made are all there
    for fid in ("geometry.mamba_stronger_edges_only", "spectral.ce_vanishes", "reasoning.edge_directions",
                "reasoning.geometry_predicts_heldout", "puzzle.trainable_associative_path_star"):
        assert fid in fd.BY_ID


def test_verdict_rejects_unknown_ids_bad_verdicts_and_missing_explanations() -> None:
    with pytest.raises(ValueError, match="unknown finding id"):
        fd.verdict("geometry.nope", fd.REPRODUCED, "1", "1", checks=["c"])
    with pytest.raises(ValueError, match="verdict must be one of"):
        fd.verdict("geometry.heatmap", "kind of", "1", "1", checks=["c"])
    with pytest.raises(ValueError, match="our number"):
        fd.verdict("geometry.heatmap", fd.NOT_REPRODUCED, "", "1")
    with pytest.raises(ValueError, match="needs a detail"):
        fd.verdict("geometry.heatmap", fd.NOT_TESTED, "-", "1")
    with pytest.raises(ValueError, match="needs a detail"):
        fd.verdict("geometry.heatmap", fd.PARTLY, "1", "1", checks=["c"])
    with pytest.raises(ValueError, match="evidence"):
        fd.verdict("geometry.heatmap", fd.REPRODUCED, "1", "1")
    rec = fd.verdict("geometry.heatmap", fd.REPRODUCED, "1", "1", checks=["c"])
    assert rec["chapter"] == CH01 and rec["statement"] and rec["expected"] == fd.REPRODUCED


def test_finish_writes_findings_and_passes_a_complete_chapter(tmp_path) -> None:
    rec = _finish(tmp_path, CH01, _all_for(CH01))
    stored = json.loads((tmp_path / f"{CH01}.json").read_text())
    assert [f["id"] for f in stored["findings"]] == [f.id for f in fd.for_chapter(CH01)]
    assert rec["findings_problems"] == [] and stored["checks"][0]["kind"] == "finding"


def test_finish_fails_on_a_regression_but_not_on_a_reported_non_reproduction(tmp_path) -> None:
    recs = _all_for(CH01)
    # a finding expected "not reproduced" may be reported as such (and may improve)
    assert fd.BY_ID["geometry.mamba_stronger_edges_only"].expected == fd.NOT_REPRODUCED
    recs[-1] = fd.verdict("geometry.mamba_stronger_edges_only", fd.NOT_REPRODUCED, "0.1 vs 0.2", "stronger")
    _finish(tmp_path, CH01, recs)
    # a finding reproduced today that stops reproducing fails the chapter ...
    recs[0] = fd.verdict("geometry.heatmap", fd.NOT_REPRODUCED, "p = 0.4", "dark diagonal")
    with pytest.raises(results.ClaimCheckFailed, match="geometry.heatmap: reproduced until now"):
        _finish(tmp_path, CH01, recs)
    # ... also when only "partly" (and smoke records it without raising)
    recs[0] = fd.verdict("geometry.heatmap", fd.PARTLY, "p = 0.4", "x", detail="half", checks=["c"])
    with pytest.raises(results.ClaimCheckFailed, match="geometry.heatmap"):
        _finish(tmp_path, CH01, recs)
    smoke = _finish(tmp_path, CH01, recs, profile="smoke")
    assert smoke["findings_problems"]


@pytest.mark.parametrize("mutate, message", [
    (lambda r: r[1:], "records no verdict"),                                     # a finding dropped
    (lambda r: r + [r[0]], "recorded twice"),
    (lambda r: r + [fd.verdict("spectral.ce_vanishes", fd.NOT_REPRODUCED, "1", "0")], "assigns it to 02"),
    (lambda r: r + [{**r[0], "id": "geometry.invented"}], "not in the register"),
])
def test_finish_fails_when_the_register_and_the_chapter_disagree(tmp_path, mutate, message) -> None:
    with pytest.raises(results.ClaimCheckFailed, match=message):
        _finish(tmp_path, CH01, mutate(_all_for(CH01)))


def test_evidence_must_be_an_existing_passing_finding_check(tmp_path) -> None:
    ok = results.check("c", 1.0, ">=", 0.5)
    with pytest.raises(results.ClaimCheckFailed, match="does not have"):
        _finish(tmp_path, CH01, _all_for(CH01, checks=("missing",)), checks=[ok])
    control = results.relabel([ok], "control")
    assert control[0].kind == "control" and ok.kind == "finding"
    with pytest.raises(results.ClaimCheckFailed, match="control check"):
        _finish(tmp_path, CH01, _all_for(CH01), checks=control)
    failing = [results.check("c", 0.1, ">=", 0.5)]
    with pytest.raises(results.ClaimCheckFailed, match="its evidence 'c' failed"):
        _finish(tmp_path, CH01, _all_for(CH01), checks=failing)


def test_a_failed_check_of_a_finding_reported_as_not_reproduced_is_a_result_not_a_crash(tmp_path) -> None:
    ok = results.check("c", 1.0, ">=", 0.5)
    mamba = results.check("Mamba - Transformer contrast", -0.02, ">", 0.0)
    recs = _all_for(CH01)[:-1] + [fd.verdict("geometry.mamba_stronger_edges_only", fd.NOT_REPRODUCED,
                                             "-0.02", "stronger", checks=[mamba.name])]
    rec = _finish(tmp_path, CH01, recs, checks=[ok, mamba])
    assert rec["passed"] and rec["reported_failures"] == [mamba.name]
    # the same failed check named by a finding recorded as reproduced fails the notebook
    with pytest.raises(results.ClaimCheckFailed, match="Mamba - Transformer contrast"):
        _finish(tmp_path, CH01, _all_for(CH01, checks=("c", mamba.name)), checks=[ok, mamba])
    # a failed machinery check is never a result
    broken = results.check("split disjoint", 0.0, "==", 1.0, kind="machinery")
    with pytest.raises(results.ClaimCheckFailed, match="split disjoint"):
        _finish(tmp_path, CH01, recs, checks=[ok, mamba, broken])
    # nor is a failed finding check that no finding names
    stray = results.check("stray", 0.0, ">=", 1.0)
    with pytest.raises(results.ClaimCheckFailed, match="stray"):
        _finish(tmp_path, CH01, recs, checks=[ok, mamba, stray])


def test_check_kinds_and_chapters_without_findings(tmp_path) -> None:
    with pytest.raises(ValueError, match="kind must be one of"):
        results.check("c", 1.0, ">=", 0.5, kind="evidence")
    m = results.check("spectra", 0.0, "<=", 1e-3, kind="machinery")
    assert m.passed and m.kind == "machinery"
    rec = _finish(tmp_path, "00_tasks", None, checks=[m])   # 00 and 05 hold machinery checks only
    assert rec["findings"] == [] and rec["findings_problems"] == []
    failing = results.check("spectra", 1.0, "<=", 1e-3, kind="machinery")
    with pytest.raises(results.ClaimCheckFailed, match="spectra"):  # machinery still fails the notebook
        _finish(tmp_path, "00_tasks", None, checks=[failing])


def _summary(notebook: str) -> str:
    text = (ROOT / "notebooks" / f"{notebook}.md").read_text()
    start = text.index("## Summary")
    end = text.find("\n## ", start + 1)
    return text[start:end if end > 0 else None]


@pytest.mark.parametrize("notebook", sorted({f.chapter for f in fd.REGISTER}))
def test_each_chapter_summary_names_its_non_reproductions(notebook) -> None:
    summary = _summary(notebook)
    missing = [f.id for f in fd.for_chapter(notebook) if f.expected != fd.REPRODUCED and f"`{f.id}`" not in summary]
    assert not missing, f"{notebook}'s summary does not name its non-reproductions: {missing}"


def test_markdown_list_keeps_every_number() -> None:
    recs = [fd.verdict("spectral.ce_vanishes", fd.PARTLY, "||C e|| 1.71 (star)", "-> 0", detail="cycle only",
                       checks=["c"])]
    md = fd.markdown(recs)
    assert md.startswith("- `spectral.ce_vanishes`: **partly reproduced**")
    assert "\\|\\|C e\\|\\| 1.71 (star)" in md and "*cycle only.*" in md
