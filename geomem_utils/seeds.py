"""Committed seed tables: a chapter's check values at each seed, so every verdict rests on 3+ seeds.

The book's cold build trains seed 0 only (its budget has no room for more). The other seeds
of the same configuration are run by ``make seeds NB=STEM SEEDS="1 2"``
(:mod:`geomem_utils.execute.seed_runs`) and their check values are committed under
``bench/results/seeds/STEM.json``: one row per seed, each stamped with the code that
computed it (:func:`geomem_utils.files.science_fingerprint`), the date, the run time and
the machine. Rows from several invocations accumulate; a row of another configuration is
refused.

When a chapter finishes (:func:`geomem_utils.results.finish`) it reads its table:

- at the table's configuration and one of its seeds (the book's build: seed 0), its own
  check values must agree with that seed's row (:func:`disagreements`): a table computed by
  other code (or a notebook whose cells changed what they measure) fails the build, with the
  command that re-runs it;
- at the table's configuration and a new seed, the verdict still rests on the committed
  seeds and the page shows this seed's reading beside it;
- at another configuration (another size, profile or device) only this run's seed is there:
  its verdicts read "not tested here", with what this seed alone shows.

Thresholds are not in the table: each row holds measured values, and the verdict is computed
from them with the checks' current thresholds, so a threshold can be moved without a re-run
(and a move that flips a seed shows on the page).
"""

from __future__ import annotations

import json
import math
import os
import platform
from pathlib import Path
from typing import Any, Mapping, Sequence

from geomem_utils.files import atomic_write_json, from_root, jsonable, science_fingerprint, versions

#: Where the committed tables live (relative to the repository root).
FOLDER = "bench/results/seeds"

#: Parameters that do not define the configuration: the seed itself and where files go.
NOT_CONFIG = ("SEED", "RESULTS_DIR")

#: Two values of one check at one seed agree when within this relative or absolute distance:
#: the same code on another CPU rounds differently (measured: up to 1% on a Mamba-minus-GPT
#: gap), while a change of the computation moves numbers far more.
REL_TOL, ABS_TOL = 0.05, 0.05


class StaleSeedTable(ValueError):
    """A committed seed table that the current code no longer reproduces."""


def path(stem: str) -> Path:
    return from_root(FOLDER) / f"{stem}.json"


def command(stem: str, seeds: Sequence[int]) -> str:
    """The command that (re)computes rows of ``stem``'s table."""
    return f"make seeds NB={stem} SEEDS=\"{' '.join(str(s) for s in seeds)}\""


def load(stem: str) -> dict[str, Any] | None:
    """``stem``'s committed table, or ``None`` when there is none."""
    p = path(stem)
    return json.loads(p.read_text()) if p.is_file() else None


def config_of(params: Mapping[str, Any]) -> dict[str, Any]:
    """The configuration a row belongs to: the resolved parameters less :data:`NOT_CONFIG`."""
    return {k: jsonable(v) for k, v in sorted(params.items()) if k not in NOT_CONFIG}


def machine() -> str:
    return f"{platform.machine()} {platform.processor() or platform.system()}, {os.cpu_count()} CPUs"


def row_of(record: Mapping[str, Any]) -> dict[str, Any]:
    """A table row from a chapter's results record: every check's value, with its provenance."""
    return {"stamp": record.get("stamp") or science_fingerprint(),
            "checks": {c["name"]: c["value"] for c in record["checks"]},
            "runtime_s": record.get("runtime_s"), "date": record.get("date"),
            "machine": machine(), "versions": record.get("versions") or versions()}


def add(stem: str, record: Mapping[str, Any]) -> dict[str, Any]:
    """Merge the seed of ``record`` (a results record of ``stem``) into its table and write it
    atomically; a record of another configuration than the table's is refused by name."""
    params = record["params"]
    seed, config = int(params["SEED"]), config_of(params)
    table = load(stem) or {"stem": stem, "config": config, "rows": {}}
    if table["config"] != config:
        differ = sorted(k for k in set(config) | set(table["config"]) if config.get(k) != table["config"].get(k))
        raise ValueError(f"{stem}: seed {seed} was run at another configuration than the committed table "
                         f"(differs in {', '.join(differ)}); delete {path(stem)} to start a new one")
    table["rows"][str(seed)] = row_of(record)
    table["rows"] = dict(sorted(table["rows"].items(), key=lambda kv: int(kv[0])))
    table["command"] = command(stem, [int(s) for s in table["rows"]])
    atomic_write_json(path(stem), table)
    return table


def stale_rows(table: Mapping[str, Any], stamp: str | None = None) -> list[int]:
    """Seeds whose row was computed by other code than today's."""
    stamp = stamp or science_fingerprint()
    return [int(s) for s, row in table["rows"].items() if row.get("stamp") != stamp]


def agree(a: float, b: float) -> bool:
    if not (math.isfinite(a) and math.isfinite(b)):
        return (math.isnan(a) and math.isnan(b)) or a == b
    return abs(a - b) <= max(ABS_TOL, REL_TOL * max(abs(a), abs(b)))


def disagreements(row: Mapping[str, Any], values: Mapping[str, float]) -> list[str]:
    """The checks whose value at this seed differs from the committed row's (or that the row
    lacks), as readable lines."""
    out = []
    for name, v in values.items():
        if name not in row["checks"]:
            out.append(f"{name}: not in the committed row")
        elif not agree(float(v), float(row["checks"][name])):
            out.append(f"{name}: {v:.4g} here, {row['checks'][name]:.4g} committed")
    return out


def combine(stem: str, params: Mapping[str, Any], values: Mapping[str, float],
            stamp: str | None = None) -> tuple[dict, dict | None, list[str]]:
    """What a run's verdicts rest on (``stamp``: the code that computes the chapter today,
    its :func:`~geomem_utils.files.science_fingerprint`).

    Returns ``(by_seed, info, problems)``: ``by_seed`` maps each seed of the verdict to its
    check values (this run's values for its own seed); ``info`` describes the table for the
    results file (``None`` without a table of this configuration); ``problems`` lists a
    disagreement of this run's seed with its committed row (a stale table).
    """
    seed = int(params.get("SEED", 0))
    table = load(stem)
    if table is None or table["config"] != config_of(params):
        return {seed: dict(values)}, None, []
    rows = {int(s): r for s, r in table["rows"].items()}
    problems = []
    if seed in rows:
        bad = disagreements(rows[seed], values)
        if bad:
            problems.append(f"the committed seed table {FOLDER}/{stem}.json disagrees with this run at seed {seed} "
                            f"({'; '.join(bad[:3])}{'; ...' if len(bad) > 3 else ''}): re-run "
                            f"`{command(stem, sorted(rows))}`")
    by_seed = {s: dict(r["checks"]) for s, r in rows.items()}
    if seed in rows:
        by_seed[seed] = dict(values)
    stale = stale_rows(table, stamp)
    info = {"path": f"{FOLDER}/{stem}.json", "command": table.get("command") or command(stem, sorted(rows)),
            "seeds": sorted(rows), "runtime_s": {str(s): r.get("runtime_s") for s, r in sorted(rows.items())},
            "fresh": not stale, "stale_seeds": stale, "same_config": True, "this_seed_committed": seed in rows,
            "machines": sorted({r.get("machine", "") for r in rows.values()}),
            "dates": sorted({str(r.get("date", ""))[:10] for r in rows.values()})}
    return by_seed, info, problems
