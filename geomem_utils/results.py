"""Claim checks and results files.

Every notebook ends with checks computed from its own numbers and a call to
:func:`finish`, which writes ``RESULTS_DIR/<notebook>.json`` atomically
(:func:`geomem_utils.files.atomic_write_json`: a reader never sees a half-written file)
and raises :class:`ClaimCheckFailed` when a check fails, so the executor, ``make test``
and CI fail with the notebook's name. ``RESULTS_DIR`` is resolved against the repository
root (:func:`geomem_utils.files.from_root`).
"""

from __future__ import annotations

import datetime as _dt
import math
import time
from dataclasses import asdict, dataclass, replace
from typing import Any, Mapping

from geomem_utils.files import atomic_write_json, from_root, science_fingerprint, versions
from geomem_utils.findings import OPS



#: What a check is. Only a ``"finding"`` check is evidence for the paper: it could have come
#: out otherwise had the finding been false. A ``"control"`` check measures the null
#: distribution of a measure (a frozen random embedding has no geometry: true by
#: construction, it shows what "no geometry" reads as). A ``"machinery"`` check tests the
#: book's implementation (spectra equal the paper's, the split is disjoint, a closed form,
#: a retrain takes under a second). Controls and machinery still fail the notebook when
#: they fail, but the scorecard shows them in their own table and never counts them as
#: reproductions.
CHECK_KINDS = ("finding", "control", "machinery")


class ClaimCheckFailed(AssertionError):
    """A notebook's claim check did not pass."""


@dataclass(frozen=True)
class Check:
    """One quantitative check: ``value op threshold``; ``paper`` quotes what it stands for;
    ``kind`` is one of :data:`CHECK_KINDS`."""

    name: str
    value: float
    op: str
    threshold: float
    passed: bool
    paper: str = ""
    kind: str = "finding"


def check(name: str, value: float, op: str, threshold: float, paper: str = "",
          kind: str = "finding") -> Check:
    """Build a :class:`Check`; a value that is not a finite number (NaN, +-inf) never passes.

    An infinite value is almost always a division by zero upstream, so it fails rather
    than satisfying ``>=`` by accident. ``kind``: see :data:`CHECK_KINDS`.
    """
    if op not in OPS:
        raise ValueError(f"op must be one of {list(OPS)}, got {op!r}")
    if kind not in CHECK_KINDS:
        raise ValueError(f"check {name!r}: kind must be one of {CHECK_KINDS}, got {kind!r}")
    try:
        value, threshold = float(value), float(threshold)
    except (TypeError, ValueError) as err:
        raise TypeError(f"check {name!r}: value and threshold must be numbers ({err})") from None
    passed = math.isfinite(value) and bool(OPS[op](value, threshold))
    return Check(name, value, op, threshold, passed, paper, kind)


def relabel(checks: list[Check], kind: str) -> list[Check]:
    """The same checks as ``kind`` (see :data:`CHECK_KINDS`), e.g. a verdict function's
    checks of a frozen control, which are the measure's null and not evidence."""
    if kind not in CHECK_KINDS:
        raise ValueError(f"kind must be one of {CHECK_KINDS}, got {kind!r}")
    return [replace(c, kind=kind) for c in checks]


def finish(
    notebook: str,
    *,
    title: str,
    claim: str,
    paper_ref: str,
    checks: list[Check],
    params: Mapping[str, Any],
    started: float,
    extra: Mapping[str, Any] | None = None,
    findings: list[Mapping[str, Any]] | None = None,
    size: str = "",
    stamp: str | None = None,
) -> dict[str, Any]:
    """Write the notebook's results file and enforce its checks and findings.

    ``started`` is ``time.time()`` at the top of the notebook. ``findings``: this run's
    reading of each finding the register assigns to the chapter
    (:func:`geomem_utils.findings.verdict_of`); each is judged over the seeds of the
    chapter's committed seed table (:func:`geomem_utils.seeds.combine`,
    :func:`geomem_utils.findings.judge`) and written under ``"findings"``. ``size``: the
    size this run measures at (graph, model, steps, held-out items), stated beside every
    verdict. ``stamp``: the code that computed this run's numbers (the chapter's
    :func:`geomem_utils.files.science_fingerprint`; default the common one), which its
    committed seed table's rows must carry.

    Raises :class:`ClaimCheckFailed` (except at the ``smoke`` profile, too short to
    reproduce anything) when a control or machinery check fails, when the findings have a
    problem (:func:`geomem_utils.findings.problems`: a regression of a finding the register
    expects reproduced, an unknown, foreign, duplicate or missing id, an evidence check named
    by no finding or by two), or when this run disagrees with its own seed's committed row (a
    stale seed table). A failed evidence check is the verdict's report, not a broken notebook.
    """
    from geomem_utils import findings as _findings
    from geomem_utils import seeds as _seeds

    if not checks:
        raise ValueError("finish() needs at least one check: a claim without a check proves nothing")
    profile = str(params.get("PROFILE", "ci"))
    values = {c.name: c.value for c in checks}
    stamp = stamp or science_fingerprint()
    by_seed, table, stale = _seeds.combine(notebook, params, values, stamp=stamp)
    seed = int(params.get("SEED", 0))
    this_run = None if seed in by_seed else (seed, values)
    findings = [_findings.judge(f, checks, by_seed, this_run) for f in (findings or [])]
    for f in findings:
        f["size"] = f.get("size") or size
    as_dicts = [asdict(c) for c in checks]
    problems = _findings.problems(notebook, findings, as_dicts) + stale
    reported = _findings.reported_failures(findings, as_dicts)
    # a failed precondition of a finding voids that finding at this seed (its reading is "not
    # tested here"), a failed evidence check is the verdict's report; any other failed check,
    # an evidence check no finding names included, is a broken notebook
    reported_by = {n for f in findings for n in (*f.get("requires", ()), *f.get("checks", ()))}
    failed = [c for c in checks if not c.passed and c.name not in reported_by]
    passed = not failed and not problems
    record = {
        "notebook": notebook,
        "title": title,
        "claim": claim,
        "paper_ref": paper_ref,
        "passed": passed,
        "reported_failures": sorted(reported),
        "enforced": profile != "smoke",
        "checks": as_dicts,
        "findings": findings,
        "findings_problems": problems,
        "params": dict(params),
        "profile": profile,
        "size": size,
        "seed_table": table,
        "stamp": stamp,
        "rule": _findings.RULE,
        "runtime_s": round(time.time() - started, 2),
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "versions": versions(),
        "extra": dict(extra or {}),
    }
    out = from_root(str(params.get("RESULTS_DIR", "build/results"))) / f"{notebook}.json"
    atomic_write_json(out, record)
    if (failed or problems) and profile != "smoke":
        lines = [f"{c.name}: {c.value:.4g} not {c.op} {c.threshold:g}" for c in failed]
        lines += [f"finding {p}" for p in problems]
        raise ClaimCheckFailed(f"{notebook}: claim check failed ({'; '.join(lines)})")
    return record
