"""The findings register and its enforcement in results.finish (unit tests, no notebooks)."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from geomem_utils import findings as fd
from geomem_utils import results, seeds

ROOT = Path(__file__).resolve().parents[2]
CH01 = "01_geometry_emerges"


def _all_for(notebook: str, verdict: str = fd.REPRODUCED, checks=None) -> list[dict]:
    """One reading per finding of ``notebook``, each naming its own check ``c:<id>``."""
    return [fd.verdict(f.id, verdict, ours="1.0", paper="1.0", detail="x",
                       checks=checks if checks is not None else [f"c:{f.id}"])
            for f in fd.for_chapter(notebook)]


def _checks_for(notebook: str, value: float = 1.0, **values: float) -> list:
    """A passing check ``c:<id>`` per finding (``values`` by finding id override)."""
    return [results.check(f"c:{f.id}", values.get(f.id.split(".")[1], value), ">=", 0.5)
            for f in fd.for_chapter(notebook)]


@pytest.fixture(autouse=True)
def _own_seed_tables(tmp_path, monkeypatch):
    """The committed tables stay out of these tests: each test has its own (empty) folder."""
    monkeypatch.setattr(seeds, "FOLDER", str(tmp_path / "seeds"))


def _finish(tmp_path, notebook, findings, checks=None, profile="ci", seed=0):
    checks = checks if checks is not None else _checks_for(notebook)
    return results.finish(notebook, title="t", claim="c", paper_ref="r", checks=checks,
                          params={"PROFILE": profile, "SEED": seed, "RESULTS_DIR": str(tmp_path)}, started=0.0,
                          findings=findings, size="G(100, 5)")


def test_finish_records_its_run_time_to_the_hundredth(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(results.time, "time", lambda: 1000.0)
    rec = results.finish(CH01, title="t", claim="c", paper_ref="r", checks=_checks_for(CH01),
                         params={"PROFILE": "smoke", "SEED": 0, "RESULTS_DIR": str(tmp_path)},
                         started=1000.0 - 1.23456, findings=_all_for(CH01), size="G(100, 5)")
    assert rec["runtime_s"] == 1.23


def _commit(tmp_path, notebook, by_seed: dict[int, dict[str, float]], profile="ci") -> None:
    """A committed seed table for ``notebook`` with rows ``seed -> check values``."""
    for seed, values in by_seed.items():
        seeds.add(notebook, {"params": {"PROFILE": profile, "SEED": seed, "RESULTS_DIR": str(tmp_path)},
                             "checks": [{"name": n, "value": v} for n, v in values.items()]})


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
    assert stored["rule"] == fd.RULE and stored["size"] == "G(100, 5)" and stored["stamp"]
    # one seed and no committed table: every verdict is "not tested here", with this seed's reading
    assert {f["verdict"] for f in stored["findings"]} == {fd.NOT_TESTED}
    assert all("the rule needs 3" in f["detail"] and "reads 'reproduced'" in f["detail"] for f in stored["findings"])
    assert stored["seed_table"] is None and stored["findings"][0]["size"] == "G(100, 5)"


def test_finish_reads_a_finding_without_an_evidence_list_as_naming_none(tmp_path) -> None:
    """A finding record with no ``checks`` key names no evidence: ``finish`` does not crash on it,
    and a failed check no finding names still fails the chapter (nothing reports it)."""
    findings = [{k: v for k, v in f.items() if k != "checks"} for f in _all_for(CH01)]
    failing = [results.check("c:unreported", 0.0, ">=", 0.5)] + _checks_for(CH01)
    rec = _finish(tmp_path, CH01, findings, checks=failing, profile="smoke")
    assert not rec["passed"]


def test_the_rule_over_three_seeds(tmp_path) -> None:
    names = [f"c:{f.id}" for f in fd.for_chapter(CH01)]
    heat, paths = names[0], names[1]
    good = {n: 1.0 for n in names}
    _commit(tmp_path, CH01, {0: good, 1: {**good, paths: 0.1}, 2: {**good, paths: 0.1}}, profile="smoke")
    rec = _finish(tmp_path, CH01, _all_for(CH01, checks=None)[:1] + [
        fd.verdict_of(f.id, _checks_for(CH01), f"c:{f.id}", "1", "1") for f in fd.for_chapter(CH01)[1:]],
        profile="smoke")
    by = {f["id"]: f for f in rec["findings"]}
    assert by["geometry.heatmap"]["verdict"] == fd.REPRODUCED and by["geometry.heatmap"]["seeds"] == [0, 1, 2]
    assert by["geometry.heatmap"]["holds"][heat] == {"passed": 3, "of": 3, "values": {"0": 1.0, "1": 1.0, "2": 1.0}}
    # passes at seed 0 only: partly, naming the check and its seeds
    p = by["geometry.path_clusters"]
    assert p["verdict"] == fd.PARTLY and f"{paths} (1/3 seeds)" in p["detail"]
    assert p["by_seed"] == {"0": fd.REPRODUCED, "1": fd.NOT_REPRODUCED, "2": fd.NOT_REPRODUCED}
    # the same at the ci profile is a regression of a finding reproduced until now
    seeds.path(CH01).unlink()
    _commit(tmp_path, CH01, {0: good, 1: {**good, paths: 0.1}, 2: {**good, paths: 0.1}}, profile="ci")
    with pytest.raises(results.ClaimCheckFailed, match="geometry.path_clusters: reproduced until now"):
        _finish(tmp_path, CH01, _all_for(CH01))
    # no check passing at any seed: not reproduced; a reading of a two-check finding half way: partly
    two = [results.check("a", 1.0, ">=", 0.5), results.check("b", 0.0, ">=", 0.5)]
    one = fd.verdict_of("geometry.heatmap", two, ("a", "b"), "1", "1")
    assert one["verdict"] == fd.PARTLY and "b: 0 not >= 0.5" in one["detail"]
    judged = fd.judge(one, two, {s: {"a": 0.0, "b": 0.0} for s in range(3)})
    assert judged["verdict"] == fd.NOT_REPRODUCED and "Fails at every seed" in judged["detail"]


def test_a_stale_table_fails_the_build_and_a_new_seed_is_read_alone(tmp_path) -> None:
    good = {f"c:{f.id}": 1.0 for f in fd.for_chapter(CH01)}
    _commit(tmp_path, CH01, {0: {**good, "c:geometry.heatmap": 0.6}, 1: good, 2: good})
    with pytest.raises(results.ClaimCheckFailed, match="disagrees with this run at seed 0.*make seeds"):
        _finish(tmp_path, CH01, _all_for(CH01))
    _commit(tmp_path, CH01, {0: good})
    rec = _finish(tmp_path, CH01, _all_for(CH01))
    assert rec["seed_table"]["seeds"] == [0, 1, 2] and rec["seed_table"]["fresh"]
    assert all(f["verdict"] == fd.REPRODUCED for f in rec["findings"])
    # a reader's seed 7: the verdict stays on the committed seeds, seed 7 read beside it
    bad = _checks_for(CH01, heatmap=0.0)
    rec = _finish(tmp_path, CH01, [fd.verdict_of(f.id, bad, f"c:{f.id}", "1", "1") for f in fd.for_chapter(CH01)],
                  checks=bad, seed=7)
    heat = rec["findings"][0]
    assert heat["verdict"] == fd.REPRODUCED and heat["seeds"] == [0, 1, 2]
    assert heat["this_run"]["seed"] == 7 and heat["this_run"]["verdict"] == fd.NOT_REPRODUCED
    assert heat["this_run"]["values"] == {c.name: c.value for c in bad if c.name in heat["holds"]}
    # a record that spans its own seeds keeps them, with empty per-seed tables, and its note
    # defaults to its detail
    own = fd.judge({"id": "x", "checks": ["c"], "seeds": [0, 1, 2], "detail": "why"}, bad, {})
    assert own["seeds"] == [0, 1, 2] and own["holds"] == {} and own["by_seed"] == {} and own["note"] == "why"
    assert "seed 7 alone reads 'not reproduced" in fd.markdown(rec["findings"])
    # a row of another configuration is refused by name; a stale stamp is reported
    with pytest.raises(ValueError, match="another configuration.*PROFILE"):
        seeds.add(CH01, {"params": {"PROFILE": "full", "SEED": 3}, "checks": []})
    table = seeds.load(CH01)
    assert seeds.stale_rows(table) == [] and seeds.stale_rows(table, "other") == [0, 1, 2]


def test_a_failed_precondition_voids_its_seed_instead_of_failing_the_chapter(tmp_path) -> None:
    """A seed where the model did not train (a precondition of kind machinery failed) says
    nothing about the finding: it is left out of the verdict, not counted for or against."""
    trained = results.check("later tokens", 0.49, ">=", 0.9, kind="machinery")
    checks = _checks_for(CH01) + [trained]
    recs = [fd.verdict_of(f.id, checks, f"c:{f.id}", "1", "1", requires="later" if f.id == "geometry.heatmap" else ())
            for f in fd.for_chapter(CH01)]
    assert recs[0]["verdict"] == fd.NOT_TESTED and "Precondition failed" in recs[0]["detail"]
    good = {**{f"c:{f.id}": 1.0 for f in fd.for_chapter(CH01)}, "later tokens": 1.0}
    _commit(tmp_path, CH01, {0: {**good, "later tokens": 0.49}, 1: good, 2: good, 3: good})
    rec = _finish(tmp_path, CH01, recs, checks=checks)  # does not raise: the precondition voids seed 0
    heat = rec["findings"][0]
    assert heat["seeds"] == [1, 2, 3] and heat["void_seeds"] == {"0": ["later tokens"]}
    assert heat["verdict"] == fd.REPRODUCED and "Seeds left out" in heat["detail"]
    # a failed machinery check that is no finding's precondition still fails the notebook
    with pytest.raises(results.ClaimCheckFailed, match="later tokens"):
        _finish(tmp_path, CH01, _all_for(CH01), checks=checks)


def test_small_numeric_noise_agrees_but_a_changed_number_does_not() -> None:
    assert seeds.agree(0.0660, 0.0667) and seeds.agree(0.92, 0.88) and seeds.agree(float("nan"), float("nan"))
    assert not seeds.agree(0.92, 0.5) and not seeds.agree(56.0, 44.0) and not seeds.agree(1.0, float("nan"))


@pytest.mark.parametrize("mutate, message", [
    (lambda r: r[1:], "records no verdict"),                                     # a finding dropped
    (lambda r: r + [r[0]], "recorded twice"),
    (lambda r: r + [fd.verdict("spectral.ce_vanishes", fd.NOT_REPRODUCED, "1", "0")], "assigns it to 02"),
    (lambda r: r + [{**r[0], "id": "geometry.invented"}], "not in the register"),
])
def test_finish_fails_when_the_register_and_the_chapter_disagree(tmp_path, mutate, message) -> None:
    with pytest.raises(results.ClaimCheckFailed, match=message):
        _finish(tmp_path, CH01, mutate(_all_for(CH01)))


def test_evidence_must_be_an_existing_finding_check_named_once(tmp_path) -> None:
    with pytest.raises(results.ClaimCheckFailed, match="does not have"):
        _finish(tmp_path, CH01, _all_for(CH01, checks=["missing"]))
    control = results.relabel(_checks_for(CH01), "control")
    assert control[0].kind == "control"
    with pytest.raises(results.ClaimCheckFailed, match="control check"):
        _finish(tmp_path, CH01, _all_for(CH01), checks=control)
    with pytest.raises(results.ClaimCheckFailed, match=f"named by {len(fd.for_chapter(CH01))} findings"):
        _finish(tmp_path, CH01, _all_for(CH01, checks=["c"]), checks=[results.check("c", 1.0, ">=", 0.5)])
    stray = results.check("stray", 1.0, ">=", 0.5)
    with pytest.raises(results.ClaimCheckFailed, match="'stray' is named by no finding"):
        _finish(tmp_path, CH01, _all_for(CH01), checks=_checks_for(CH01) + [stray])


def test_a_failed_evidence_check_is_a_result_a_failed_control_is_not(tmp_path) -> None:
    failing = _checks_for(CH01, mamba_stronger_edges_only=-0.02)
    recs = [fd.verdict_of(f.id, failing, f"c:{f.id}", "1", "1") for f in fd.for_chapter(CH01)]
    rec = _finish(tmp_path, CH01, recs, checks=failing)
    assert rec["passed"] and rec["reported_failures"] == ["c:geometry.mamba_stronger_edges_only"]
    broken = results.check("split disjoint", 0.0, "==", 1.0, kind="machinery")
    with pytest.raises(results.ClaimCheckFailed, match="split disjoint"):
        _finish(tmp_path, CH01, recs, checks=failing + [broken])


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
def test_each_chapter_summary_lists_its_shortfalls_from_the_verdicts(notebook) -> None:
    """A summary's list of what does not reproduce is generated from the results, not typed."""
    assert 'gm.findings.shortfalls(record["findings"])' in _summary(notebook), notebook


def test_shortfalls_name_every_finding_short_of_reproduced_with_its_seeds() -> None:
    ok = fd.verdict("geometry.heatmap", fd.REPRODUCED, "1", "1", checks=["c"])
    part = {**fd.verdict("geometry.path_clusters", fd.PARTLY, "1", "1", detail="Holds: a. Fails: b", checks=["c"]),
            "seeds": [0, 1, 2], "size": "G(100, 5)"}
    text = fd.shortfalls([ok, part])
    assert "geometry.heatmap" not in text
    assert "`geometry.path_clusters`: **partly reproduced** on seeds 0-2 at G(100, 5). Holds: a. Fails: b." in text
    assert "Every finding" in fd.shortfalls([ok])


def test_markdown_list_keeps_every_number() -> None:
    recs = [fd.verdict("spectral.ce_vanishes", fd.PARTLY, "||C e|| 1.71 (star)", "-> 0", detail="cycle only",
                       checks=["c"])]
    md = fd.markdown(recs)
    assert md.startswith("- `spectral.ce_vanishes`: **partly reproduced**")
    assert "\\|\\|C e\\|\\| 1.71 (star)" in md and "*cycle only.*" in md


# ---------------------------------------------------------------- issue 26: mutation testing of the rule

def test_a_verdict_whose_evidence_spans_its_own_seeds_is_kept_as_it_is() -> None:
    rec = fd.verdict("geometry.heatmap", fd.PARTLY, "1", "1", detail="sweep", checks=["c"], seeds=(2, 0, 1))
    assert rec["seeds"] == [2, 0, 1]
    judged = fd.judge(rec, [results.check("c", 0.0, ">=", 0.5)], {})
    assert judged["verdict"] == fd.PARTLY and judged["seeds"] == [2, 0, 1] and judged["detail"] == "sweep"


def test_a_long_check_name_is_shortened_in_the_verdicts_text() -> None:
    name = "x" * 120
    rec = fd.from_checks("geometry.heatmap", [results.check(name, 0.0, ">=", 0.5)], "1", "1")
    assert f"{'x' * 87}...: 0 not >= 0.5" in rec["detail"] and name not in rec["detail"]
    assert rec["checks"] == [name]  # the evidence keeps the full name


def test_a_reading_naming_checks_the_run_does_not_have_is_judged_on_nothing() -> None:
    rec = fd.verdict("geometry.heatmap", fd.REPRODUCED, "1", "1", checks=["missing"])
    judged = fd.judge(rec, [results.check("c", 1.0, ">=", 0.5)], {s: {"missing": 1.0} for s in range(3)})
    assert judged["seeds"] == [] and judged["by_seed"] == {} and judged["holds"] == {}


def test_a_regression_without_a_detail_says_nothing_of_it() -> None:
    rec = {"id": "geometry.heatmap", "verdict": fd.PARTLY, "ours": "1", "paper": "2", "checks": [], "seeds": None}
    [msg] = [p for p in fd.problems(CH01, [rec]) if "reproduced until now" in p]
    assert msg.endswith("(ours: 1; paper: 2; )")


def test_a_record_without_an_evidence_list_is_read_as_naming_none() -> None:
    """``problems`` on a record with no ``checks`` key (a hand-made or older record): it names no
    evidence, which is no crash and no problem of its own."""
    rec = {"id": "geometry.heatmap", "verdict": fd.REPRODUCED, "ours": "1", "paper": "2", "seeds": None}
    assert not [p for p in fd.problems(CH01, [rec]) if p.startswith("geometry.heatmap:")]


def test_a_results_file_is_dated_in_utc(tmp_path) -> None:
    rec = _finish(tmp_path, CH01, _all_for(CH01))
    assert rec["date"].endswith("+00:00")


def test_a_verdict_record_carries_its_detail_as_its_note() -> None:
    """The scorecard prints a record's ``note``; a record made by :func:`findings.verdict` and
    never judged (a chapter's own sweep seeds) must carry it too."""
    rec = fd.verdict("puzzle.knobs", fd.PARTLY, "ours", "paper", "which part holds", checks=["c"],
                           seeds=[0, 1, 2])
    assert rec["note"] == rec["detail"] == "which part holds"


# ------------------------------------------ issue 26: the gaps of the second held-out mutation sample

def test_judge_keeps_the_readings_note_beside_what_it_computes() -> None:
    """The note a chapter gives a finding (which part, a caveat) survives the rule, whichever
    way the seeds come out, and a voided seed is named in one sentence after it."""
    checks = [results.check("c", 1.0, ">=", 0.5), results.check("pre", 1.0, ">=", 0.5, kind="machinery")]
    rec = fd.verdict_of("geometry.heatmap", checks, "c", "1", "1", "our caveat", requires="pre")
    good = {s: {"c": 1.0, "pre": 1.0} for s in range(4)}
    judged = fd.judge(rec, checks, good)
    assert judged["verdict"] == fd.REPRODUCED and judged["detail"] == "our caveat"
    judged = fd.judge(rec, checks, {**good, 0: {"c": 1.0, "pre": 0.0}})
    assert judged["detail"] == "our caveat Seeds left out, their precondition failed: seed 0 (pre)."
    short = fd.judge(rec, checks, {0: good[0]})
    assert short["verdict"] == fd.NOT_TESTED and short["detail"].endswith("our caveat")


def test_markdown_names_the_seeds_a_verdict_rests_on() -> None:
    rec = fd.verdict("geometry.heatmap", fd.REPRODUCED, "1", "1", checks=["c"], seeds=[0, 1, 2])
    assert fd.markdown([rec]).startswith("- `geometry.heatmap`: **reproduced** (seeds 0-2). Ours: 1.")


def test_a_register_entry_with_an_unknown_expectation_is_refused_by_name() -> None:
    f = fd.REGISTER[0]
    with pytest.raises(ValueError, match=rf"finding {f.id}: expected must be one of .*got 'maybe'"):
        dataclasses.replace(f, expected="maybe")


def test_combine_reads_a_run_without_a_seed_as_seed_0_and_lists_each_rows_runtime(tmp_path) -> None:
    """A run whose parameters carry no SEED is seed 0 (the parameters cell's default), and the
    table's description lists every row's run time for the run-times page."""
    for seed in range(3):
        seeds.add(CH01, {"params": {"PROFILE": "ci", "SEED": seed, "RESULTS_DIR": str(tmp_path)},
                         "checks": [{"name": "a", "value": 1.0}], "runtime_s": 10.0 + seed})
    by_seed, info, problems = seeds.combine(CH01, {"PROFILE": "ci", "RESULTS_DIR": str(tmp_path)}, {"a": 0.2})
    assert by_seed[0] == {"a": 0.2} and info["this_seed_committed"] and problems  # seed 0's row disagrees
    assert set(info["runtime_s"]) == {"0", "1", "2"}
    assert info["runtime_s"] == {"0": 10.0, "1": 11.0, "2": 12.0}


# ------------------------------------------- issue 26: the gaps of the third held-out mutation sample

def test_a_readers_seed_whose_precondition_failed_is_read_as_not_tested() -> None:
    checks = [results.check("c", 1.0, ">=", 0.5), results.check("pre", 1.0, ">=", 0.5, kind="machinery")]
    rec = fd.verdict_of("geometry.heatmap", checks, "c", "1", "1", requires="pre")
    good = {s: {"c": 1.0, "pre": 1.0} for s in range(3)}
    assert fd.judge(rec, checks, good, this_run=(7, {"c": 0.0, "pre": 0.0}))["this_run"]["verdict"] == fd.NOT_TESTED
    assert fd.judge(rec, checks, good, this_run=(7, {"c": 0.0, "pre": 1.0}))["this_run"]["verdict"] == fd.NOT_REPRODUCED


def test_a_verdict_that_fails_at_every_seed_says_what_each_check_needed() -> None:
    checks = [results.check("c", 0.0, ">=", 0.5), results.check("d", 3.0, "<=", 2)]
    rec = fd.verdict_of("geometry.heatmap", checks, ("c", "d"), "1", "1")
    judged = fd.judge(rec, checks, {s: {"c": 0.0, "d": 3.0} for s in range(3)})
    assert judged["verdict"] == fd.NOT_REPRODUCED and judged["detail"] == "Fails at every seed: c >= 0.5; d <= 2."


# ------------------------------------------- issue 26: the gaps of the fourth held-out mutation sample

def test_a_check_without_a_kind_is_a_finding_check_and_a_record_without_detail_reads_cleanly() -> None:
    """Results files written before checks had kinds: a failed check with no kind is a
    finding's (reported, not a broken notebook); a summary line without a detail ends cleanly."""
    assert fd.reported_failures([], [{"name": "a", "passed": False}, {"name": "b", "passed": False,
                                                                      "kind": "machinery"}]) == {"a"}
    line = fd.shortfalls([{"id": "geometry.heatmap", "verdict": fd.PARTLY, "seeds": [0, 1, 2]}])
    assert line == "- `geometry.heatmap`: **partly reproduced** on seeds 0-2. ."
