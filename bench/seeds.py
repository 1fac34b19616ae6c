"""Run chapters at several seeds and record every check's value and every finding's verdict:
the measurements the chapters' thresholds are set from ("measured 0.84-0.96 at seeds 0-2").

    python -m bench.seeds 01_geometry_emerges 02_spectral_bias --seeds 0 1 2 [--profile ci]

Each (chapter, seed) runs through ``geomem_utils.execute.executor`` into ``build/seeds/<seed>/``
(a failed check is recorded, not fatal: the point is to see the spread); the summary,
per check the values by seed with their min and max, goes to ``bench/results/seeds.json``
(merged with what is there, so chapters can be measured one at a time).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "results" / "seeds.json"


def run(stem: str, seed: int, profile: str, execute: bool = True) -> dict:
    folder = ROOT / "build" / "seeds" / str(seed)
    cmd = [sys.executable, "-m", "geomem_utils.execute", stem, "--profile", profile, "-p", "SEED", str(seed),
           "--out", str(folder / "executed"), "--results", str(folder / "results")]
    if execute:
        subprocess.run(cmd, cwd=ROOT, check=False)
    path = folder / "results" / f"{stem}.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def summarise(records: dict[int, dict]) -> dict:
    checks: dict[str, dict] = {}
    for seed, rec in sorted(records.items()):
        for c in rec.get("checks", []):
            row = checks.setdefault(c["name"], {"kind": c.get("kind", "finding"), "op": c["op"],
                                                "threshold": c["threshold"], "by_seed": {}})
            row["by_seed"][str(seed)] = c["value"]
    for row in checks.values():
        vals = [v for v in row["by_seed"].values() if v is not None]
        row["min"], row["max"] = (min(vals), max(vals)) if vals else (None, None)
    verdicts = {}
    for seed, rec in sorted(records.items()):
        for f in rec.get("findings", []):
            verdicts.setdefault(f["id"], {})[str(seed)] = f["verdict"]
    return {"seeds": sorted(records), "profile": next((r.get("profile") for r in records.values()), None),
            "runtime_s": {str(s): r.get("runtime_s") for s, r in records.items()}, "checks": checks,
            "verdicts": verdicts}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("stems", nargs="+")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--profile", default="ci")
    ap.add_argument("--summarise-only", action="store_true", help="re-read build/seeds/, execute nothing")
    args = ap.parse_args(argv)
    for stem in args.stems:
        summary = summarise({seed: run(stem, seed, args.profile, not args.summarise_only) for seed in args.seeds})
        data = json.loads(OUT.read_text()) if OUT.is_file() else {}  # re-read: another stem may have landed
        data[stem] = summary
        OUT.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
        print(f"{stem}: seeds {args.seeds} -> {OUT}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
