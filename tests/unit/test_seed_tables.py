"""The committed seed tables every verdict rests on (``bench/results/seeds/``) are there, fresh
and of the book's configuration.

A change of the code that computes the chapters' numbers (:data:`geomem_utils.files.COMPUTING`,
and a chapter's own companion for that chapter) makes its tables stale: this test then fails with the command that re-runs it
(``make seeds NB=... SEEDS="0 1 2"``), so a change of the science cannot keep verdicts
measured by older code. The book's build checks the other half: its own seed-0 numbers
agree with the table's seed-0 row (:func:`geomem_utils.seeds.combine`).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from geomem_utils import findings, seeds
from geomem_utils.execute.executor import resolved_parameters
from geomem_utils.execute.inputs import notebook_paths
from geomem_utils.chapters import MODULES
from geomem_utils.chapters.holds import SHOWN_ONLY
from geomem_utils.files import science_fingerprint

ROOT = Path(__file__).resolve().parents[2]

#: Chapters whose verdicts rest on a committed seed table; chapter 06's sweeps span their own
#: seeds (each grid has a ``seed`` column), so its verdicts carry them.
TABLED = sorted({f.chapter for f in findings.REGISTER} - {"06_how_far_it_holds"})


@pytest.mark.parametrize("stem", TABLED)
def test_every_chapter_with_findings_has_a_fresh_table_of_its_book_configuration(stem) -> None:
    table = seeds.load(stem)
    assert table is not None, f"no committed seed table for {stem}: run `{seeds.command(stem, [0, 1, 2])}`"
    rows = {int(s): r for s, r in table["rows"].items()}
    assert len(rows) >= findings.MIN_SEEDS and 0 in rows, f"{stem}: seeds {sorted(rows)}"
    stale = seeds.stale_rows(table, science_fingerprint(chapter=MODULES[stem]))
    assert not stale, (f"{stem}: rows of seeds {stale} were computed by other code than today's; re-run "
                       f"`{seeds.command(stem, stale)}`")
    (path,) = notebook_paths([stem])
    book = seeds.config_of(resolved_parameters(path, "ci", {}))
    assert table["config"] == book, f"{stem}: the table is not of the book's ci configuration"
    names = [set(r["checks"]) for r in rows.values()]
    assert all(n == names[0] for n in names), f"{stem}: the seeds' rows measure different checks"
    for r in rows.values():
        assert r["date"] and r["runtime_s"] and r["machine"] and r["versions"].get("torch")


#: The committed sweep tables a chapter reads (chapter 06 reads the seeds it does not train).
SWEEP_TABLES = sorted(p.stem for p in (ROOT / "bench" / "results" / "sweeps").glob("*-ci.csv"))


@pytest.mark.parametrize("name", SWEEP_TABLES)
def test_every_committed_sweep_table_was_computed_by_todays_code(name) -> None:
    import pandas as pd

    t = pd.read_csv(ROOT / "bench" / "results" / "sweeps" / f"{name}.csv")
    sweep, profile = name.rsplit("-", 1)
    stale = sorted(set(t.index[t.get("stamp", pd.Series(index=t.index, dtype=str)) != science_fingerprint()]))
    assert not stale, (f"{name}: rows {stale} were computed by other code than today's; re-run "
                       f"`make sweep NAME={sweep} PROFILE={profile} ARGS=\"--workers 2 --out bench/results/sweeps\"`")
    assert (t.status != "failed").all()
    # a verdict rests on 3+ seeds; chapter 03's Mamba and in-context runs, which chapter 06
    # only shows (holds.SHOWN_ONLY), are its seed 0
    assert set(t.seed) >= ({0} if sweep in SHOWN_ONLY else {0, 1, 2}), (name, sorted(set(t.seed)))


def _package(tmp_path, files: dict[str, str]):
    """A throwaway package ``geomem_utils`` holding ``files`` (path -> source)."""
    pkg = tmp_path / "geomem_utils"
    for rel, text in files.items():
        (pkg / rel).parent.mkdir(parents=True, exist_ok=True)
        (pkg / rel).write_text(text)
    return pkg


def test_a_chapters_stamp_sees_its_own_settings_and_not_another_chapters(tmp_path) -> None:
    pkg = _package(tmp_path, {"science/graphs.py": "N = 1\n", "chapters/__init__.py": "A = 1\n",
                              "chapters/reasoning.py": "STEPS = 1\n", "chapters/holds.py": "STEPS = 1\n"})
    common, mine = science_fingerprint(pkg), science_fingerprint(pkg, chapter="reasoning")
    (pkg / "chapters" / "holds.py").write_text("STEPS = 2\n")
    assert science_fingerprint(pkg, chapter="reasoning") == mine and science_fingerprint(pkg) == common
    (pkg / "chapters" / "reasoning.py").write_text("STEPS = 2\n")
    assert science_fingerprint(pkg, chapter="reasoning") != mine and science_fingerprint(pkg) == common
    (pkg / "chapters" / "__init__.py").write_text("A = 2\n")
    assert science_fingerprint(pkg) != common


def test_a_changed_computation_makes_a_table_stale(tmp_path) -> None:
    pkg = _package(tmp_path, {"science/graphs.py": '"""Graphs."""\nN = 1\n', "figures/plots.py": "X = 1\n"})
    before = science_fingerprint(pkg)
    (pkg / "science" / "graphs.py").write_text('"""Graphs, reworded."""\n# a comment\nN = 1\n')
    (pkg / "figures" / "plots.py").write_text("X = 2\n")
    assert science_fingerprint(pkg) == before  # docstrings, comments and figures compute nothing
    (pkg / "science" / "graphs.py").write_text('"""Graphs."""\nN = 2\n')
    assert science_fingerprint(pkg) != before


# ---------------------------------------------------------------- issue 26: mutation testing of the tables

def test_a_row_records_what_computed_it(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(seeds, "FOLDER", str(tmp_path))
    record = {"params": {"PROFILE": "ci", "SEED": 1}, "checks": [{"name": "a", "value": 0.5}],
              "runtime_s": 12.5, "date": "2026-12-01T00:00:00+00:00", "stamp": "abc", "versions": {"torch": "2"}}
    table = seeds.add("nb", record)
    row = table["rows"]["1"]
    assert row["checks"] == {"a": 0.5} and row["stamp"] == "abc" and row["runtime_s"] == 12.5
    assert row["date"] == "2026-12-01T00:00:00+00:00" and row["versions"] == {"torch": "2"} and row["machine"]
    assert seeds.load("nb") == table and table["command"] == 'make seeds NB=nb SEEDS="1"'


def test_a_table_without_its_command_is_given_the_one_that_reruns_it(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(seeds, "FOLDER", str(tmp_path))
    params = {"PROFILE": "ci", "SEED": 0}
    rows = {str(s): {"stamp": "old", "checks": {"a": 1.0}} for s in (2, 0, 1)}
    (tmp_path / "nb.json").write_text(json.dumps({"config": seeds.config_of(params), "rows": rows}))
    by_seed, info, problems = seeds.combine("nb", params, {"a": 1.0})
    assert info["command"] == 'make seeds NB=nb SEEDS="0 1 2"' and info["seeds"] == [0, 1, 2] and not problems
    assert info["path"] == f"{seeds.FOLDER}/nb.json"
    assert info["same_config"] is True and info["machines"] == [""]  # rows without a machine named
    rows = {str(s): {"stamp": "old", "checks": {"a": 1.0}, "machine": m} for s, m in ((0, "vm"), (1, "gpu"), (2, "vm"))}
    (tmp_path / "nb.json").write_text(json.dumps({"config": seeds.config_of(params), "rows": rows}))
    assert seeds.combine("nb", params, {"a": 1.0})[1]["machines"] == ["gpu", "vm"]
    # a seed whose row disagrees on many checks: the first three are named, the rest elided
    rows = {"0": {"stamp": "old", "checks": {k: 1.0 for k in "abcde"}}}
    (tmp_path / "nb.json").write_text(json.dumps({"config": seeds.config_of(params), "rows": rows}))
    _, _, problems = seeds.combine("nb", params, {k: 0.0 for k in "abcde"})
    assert len(problems) == 1 and "(a: 0 here, 1 committed; b: 0 here, 1 committed; c: 0 here, 1 committed; ...)" \
        in problems[0]
    assert info["stale_seeds"] == [2, 0, 1] and not info["fresh"] and sorted(by_seed) == [0, 1, 2]
