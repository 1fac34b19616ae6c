"""Build the geomem book from notebooks that were already executed. Never executes anything.

    python book/build_book.py [--executed build/executed] [--results build/results]
                              [--vendor-only] [--no-build] [--warnings-as-errors]

Steps
1. vendor the JavaScript the pages need into ``book/_vendor/`` (served as ``_static/``),
   so the published HTML needs no network: ``plotly.min.js`` copied from the installed
   plotly package; ``require.js``, ``@jupyter-widgets/html-manager`` and MathJax 3 from
   the npm registry (``npm pack``, pinned versions, sha512-checked, cached);
2. copy the executed notebooks into ``book/_generated/``;
3. write ``_generated/scorecard.md`` (the verdict rule; the paper's findings, then the book's
   own, one verdict each with its size; the evidence by seed with the command and time that
   reproduce it; then the chapters and their checks) and ``_generated/findings_summary.md``
   (included by the landing page) from the results files only;
   ``_generated/landing.md`` (the landing page's figure, from chapter 01's results);
4. write ``_generated/runtimes.md`` from ``_runs.json`` and the results files;
5. write ``book/_toc.yml`` listing the chapters that exist, in order;
6. run ``jupyter-book build book`` (warnings shown; non-zero exit on failure).

``--handout`` builds the student handout instead: the same pages with every exercise's
``{solution}`` left out (sphinx-exercise's ``hide_solutions``), into ``book/_build/handout/``;
the main site ``book/_build/html`` is not touched.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

BOOK = Path(__file__).resolve().parent
ROOT = BOOK.parent
VENDOR = BOOK / "_vendor"
GENERATED = BOOK / "_generated"

# The chapters, in book order. A chapter appears in the table of contents once its
# executed notebook exists; until then its page is a stub (so links from the intro work).


def _chapters() -> list[tuple[str, str]]:
    """(stem, title) of every chapter in the book's order: the titles live once, in the
    chapters' companion modules (:mod:`geomem_utils.chapters`)."""
    from geomem_utils.chapters import all_chapters

    return [(c.stem, c.title) for c in all_chapters()]


CHAPTERS: list[tuple[str, str]] = _chapters()

# --------------------------------------------------------------------------------------
# 1. Vendored JavaScript
# --------------------------------------------------------------------------------------

# npm packages: (spec, sha512 integrity of the tarball, {path in tarball: path in _vendor}).
# html-manager 1.0.x is the ipywidgets-8 embedder; 1.0.6 is what myst-nb 1.4 loads from
# its CDN by default. require.js: 2.3.7 (2.3.4 in myst-nb's default, plus a security fix).
NPM_PACKAGES: dict[str, dict[str, Any]] = {
    "requirejs@2.3.7": {
        "integrity": "sha512-DouTG8T1WanGok6Qjg2SXuCMzszOo0eHeH9hDZ5Y4x8Je+9JB38HdTLT4/VA8OaUhBa0JPVHJ0pyBkM1z+pDsw==",
        "extract": {"package/require.js": "require.js"},
        "required": ["require.js"],
    },
    "@jupyter-widgets/html-manager@1.0.6": {
        "integrity": "sha512-+Mn+Ra8wyIHrYaUpfmf9A3dsLkt/NuwzPQN8sthdxBD35VV5cOJbpmgMhNR27n/rmP3mKyEe0PWCJrtZrXTXDQ==",
        # embed-amd.js (the AMD bundle, libembed-amd inlined) and the fonts it references;
        # not the non-AMD embed.js and its chunks.
        "extract": {"package/LICENSE": "html-manager/LICENSE", "package/dist/": "html-manager/"},
        "exclude_suffixes": (".map", ".d.ts", "embed.js", "libembed-amd.js", ".LICENSE.txt"),
        "required": ["html-manager/embed-amd.js"],
    },
    "mathjax@3.2.2": {
        "integrity": "sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw==",
        "extract": {
            "package/LICENSE": "mathjax/LICENSE",
            "package/es5/tex-mml-chtml.js": "mathjax/es5/tex-mml-chtml.js",
            "package/es5/input/": "mathjax/es5/input/",
            "package/es5/output/chtml.js": "mathjax/es5/output/chtml.js",
            "package/es5/output/chtml/": "mathjax/es5/output/chtml/",
            "package/es5/ui/": "mathjax/es5/ui/",
            "package/es5/a11y/": "mathjax/es5/a11y/",
            "package/es5/adaptors/": "mathjax/es5/adaptors/",
            "package/es5/sre/": "mathjax/es5/sre/",
        },
        "required": [
            "mathjax/es5/tex-mml-chtml.js",
            "mathjax/es5/output/chtml/fonts/woff-v2/MathJax_Main-Regular.woff",
            "mathjax/es5/ui/menu.js",
        ],
    },
}
STAMP = VENDOR / "VENDOR.json"
CACHE = Path(os.environ.get("GEOMEM_VENDOR_CACHE", Path.home() / ".cache" / "geomem-vendor"))


class BuildError(RuntimeError):
    """A step of the book build failed; the message says which and what to do."""


def _sri_sha512(path: Path) -> str:
    import base64

    digest = hashlib.sha512(path.read_bytes()).digest()
    return "sha512-" + base64.b64encode(digest).decode()


def _npm_tarball(spec: str, integrity: str) -> Path:
    """Return a cached, integrity-checked tarball of ``spec``; ``npm pack`` it if needed."""
    CACHE.mkdir(parents=True, exist_ok=True)
    name = spec.lstrip("@").replace("/", "-").replace("@", "-") + ".tgz"
    cached = CACHE / name
    if cached.is_file() and _sri_sha512(cached) == integrity:
        return cached
    npm = shutil.which("npm")
    if npm is None:
        raise BuildError(
            "npm is not installed, and the book needs to vendor JavaScript from the npm "
            f"registry once ({', '.join(NPM_PACKAGES)}). Install Node.js/npm "
            "(e.g. `apt-get install -y npm`) and rerun; later builds use the cache in "
            f"{CACHE}."
        )
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run(
            [npm, "pack", spec, "--json", "--prefer-offline", "--pack-destination", tmp],
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            raise BuildError(f"`npm pack {spec}` failed:\n{proc.stderr.strip()}")
        tgz = sorted(Path(tmp).glob("*.tgz"))
        if len(tgz) != 1:
            raise BuildError(f"`npm pack {spec}` produced {len(tgz)} tarballs, expected 1")
        got = _sri_sha512(tgz[0])
        if got != integrity:
            raise BuildError(
                f"integrity mismatch for {spec}: expected {integrity}, got {got}"
            )
        shutil.move(str(tgz[0]), cached)
    return cached


def _extract(tgz: Path, extract: dict[str, str], exclude: tuple[str, ...]) -> int:
    """Copy the members named in ``extract`` (files or folder prefixes) into VENDOR."""
    count = 0
    with tarfile.open(tgz, "r:gz") as tar:
        for member in tar.getmembers():
            if not member.isfile() or member.name.endswith(exclude):
                continue
            for src, dst in extract.items():
                if member.name == src or (src.endswith("/") and member.name.startswith(src)):
                    rel = dst + member.name[len(src):] if src.endswith("/") else dst
                    target = (VENDOR / rel).resolve()
                    if VENDOR.resolve() not in target.parents:
                        raise BuildError(f"refusing to extract {member.name} outside _vendor")
                    target.parent.mkdir(parents=True, exist_ok=True)
                    fobj = tar.extractfile(member)
                    assert fobj is not None
                    target.write_bytes(fobj.read())
                    count += 1
                    break
    return count


def _plotly_js() -> tuple[Path, str]:
    import plotly

    src = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not src.is_file():
        raise BuildError(f"plotly.min.js not found in the installed plotly package ({src})")
    return src, plotly.__version__


def _wanted_stamp() -> dict[str, Any]:
    _, plotly_version = _plotly_js()
    return {
        "layout": 2,  # bump when what is extracted changes
        "plotly": plotly_version,
        "npm": {spec: cfg["integrity"] for spec, cfg in NPM_PACKAGES.items()},
    }


def _required_files() -> list[Path]:
    files = [VENDOR / "plotly.min.js"]
    for cfg in NPM_PACKAGES.values():
        files += [VENDOR / rel for rel in cfg["required"]]
    return files


def vendor(force: bool = False) -> None:
    """Fill ``book/_vendor`` (idempotent: skipped when the stamp and files are present)."""
    wanted = _wanted_stamp()
    if not force and STAMP.is_file():
        have = json.loads(STAMP.read_text())
        if have == wanted and all(p.is_file() for p in _required_files()):
            print(f"vendor: up to date ({VENDOR.relative_to(ROOT)})")
            return
    if VENDOR.exists():
        shutil.rmtree(VENDOR)
    VENDOR.mkdir(parents=True)
    src, version = _plotly_js()
    shutil.copy2(src, VENDOR / "plotly.min.js")
    print(f"vendor: plotly.min.js from plotly {version}")
    for spec, cfg in NPM_PACKAGES.items():
        tgz = _npm_tarball(spec, cfg["integrity"])
        n = _extract(tgz, cfg["extract"], cfg.get("exclude_suffixes", ()))
        print(f"vendor: {spec}: {n} files")
    missing = [str(p.relative_to(VENDOR)) for p in _required_files() if not p.is_file()]
    if missing:
        raise BuildError(f"vendoring left required files missing: {missing}")
    STAMP.write_text(json.dumps(wanted, indent=2) + "\n")


# --------------------------------------------------------------------------------------
# 2-5. Generated pages
# --------------------------------------------------------------------------------------


def _chapter_stems(executed: Path) -> list[str]:
    """Executed chapters in book order: the known ones first, then any other NN_*.ipynb."""
    have = {p.stem for p in executed.glob("[0-9][0-9]_*.ipynb")}
    known = [stem for stem, _ in CHAPTERS if stem in have]
    extra = sorted(have - {stem for stem, _ in CHAPTERS})
    return known + extra


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
HIDDEN_OUTPUT_TAGS = {"remove-output", "remove-cell"}


def drop_hidden_widget_state(nb: dict[str, Any]) -> bool:
    """Drop the saved ipywidgets state of a notebook none of whose shown outputs is a widget.

    A live ipywidget needs a kernel; in the book its cell is tagged ``remove-output`` and a
    kernel-free panel (``geomem_utils.live.panels``) takes its place. Without this, the saved state
    would still make the page load the widget manager for nothing. Returns True if dropped.
    """
    for cell in nb.get("cells", []):
        if HIDDEN_OUTPUT_TAGS & set(cell.get("metadata", {}).get("tags", [])):
            continue
        if any(WIDGET_VIEW in out.get("data", {}) for out in cell.get("outputs", [])):
            return False
    return nb.get("metadata", {}).pop("widgets", None) is not None


def copy_notebooks(executed: Path, out: Path = GENERATED) -> list[str]:
    """Copy executed chapters into ``out``; write an orphan stub for each missing one."""
    stems = _chapter_stems(executed) if executed.is_dir() else []
    for stem in stems:
        nb = json.loads((executed / f"{stem}.ipynb").read_text())
        for cell in nb.get("cells", []):
            tags = cell.get("metadata", {}).get("tags", [])
            if "injected-parameters" in tags and "remove-cell" not in tags:
                # papermill's injected cell repeats what the resolved-parameters table shows
                cell["metadata"]["tags"] = [*tags, "remove-cell"]
        drop_hidden_widget_state(nb)
        (out / f"{stem}.ipynb").write_text(json.dumps(nb))
    for stem, title in CHAPTERS:
        if stem not in stems:  # stub, so that links to the chapter resolve
            (out / f"{stem}.md").write_text(
                "---\norphan: true\n---\n\n"
                f"# {title}\n\n"
                "```{note}\nThis chapter has not been executed for this build of the book. "
                f"Run `make run NB={stem}` and rebuild the book.\n```\n"
            )
    return stems


def _load_results(results: Path) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for path in sorted(results.glob("*.json")):
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError as err:
            data = {"notebook": path.stem, "_error": f"unreadable results file: {err}"}
        out[data.get("notebook") or path.stem] = data
    return out


def _cell(value: Any) -> str:
    """Format a value for a Markdown table cell."""
    if value is None:
        text = "—"
    elif isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, float):
        text = f"{value:.4g}"
    elif isinstance(value, (list, dict)):
        text = json.dumps(value)
    else:
        text = str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def _verdict(passed: Any) -> str:
    if passed is True:
        return "✓ pass"
    if passed is False:
        return "✗ **fail**"
    return "— not recorded"


class _Raw(str):
    """A table cell that is already Markdown."""


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) if not isinstance(c, _Raw) else str(c) for c in row) + " |" for row in rows]
    return lines


def _order(stems: set[str]) -> list[str]:
    known = [s for s, _ in CHAPTERS if s in stems]
    return known + sorted(stems - set(known))


def _link(stem: str, out: Path) -> _Raw:
    exists = (out / f"{stem}.ipynb").exists() or (out / f"{stem}.md").exists()
    return _Raw(f"{{doc}}`{stem} <{stem}>`") if exists else _Raw(f"`{stem}`")


_VERDICT_MARK = {"reproduced": "✓", "partly reproduced": "◐", "not reproduced at this size": "✗",
                 "not tested here": "○"}


def _rule(results: dict[str, dict[str, Any]]) -> tuple[str | None, list[str]]:
    """The one verdict rule (``geomem_utils.findings.RULE``; failing that, the ``rule`` a
    results file recorded) and the chapters whose results file recorded another one."""
    from geomem_utils import findings as fd

    recorded = {stem: str(r["rule"]).strip() for stem, r in results.items() if r.get("rule")}
    rule = getattr(fd, "RULE", None) or next((recorded[s] for s in _order(set(recorded))), None)
    differ = [s for s in _order(set(recorded)) if rule is not None and recorded[s] != str(rule).strip()]
    return rule, differ


def _findings(results: dict[str, dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    """Every finding of the register with the verdict its chapter recorded (``None`` where
    the chapter recorded none), in register order; and the recorded ids the register lacks.

    Each row also carries ``extension`` (the book's own finding, not the paper's), ``size`` and
    ``paper_size`` (the record's, else the chapter's / the register's), and the chapter's
    ``seed_table`` and checks (``_checks``, by name), so that older results files without
    these fields still render."""
    from geomem_utils import findings as fd

    recorded = {str(f.get("id")): f for r in results.values() for f in (r.get("findings") or [])}
    rows = []
    for f in fd.REGISTER:
        chapter = results.get(f.chapter) or {}
        row = {"id": f.id, "statement": f.statement, "section": f.section, "chapter": f.chapter,
               "executed": f.chapter in results, **(recorded.get(f.id) or {"verdict": None})}
        row["extension"] = bool(row.get("extension", getattr(f, "extension", False)))
        row["size"] = row.get("size") or chapter.get("size") or ""
        row["paper_size"] = row.get("paper_size") or getattr(f, "paper_size", "") or ""
        row["seed_table"] = chapter.get("seed_table")
        row["_has_seed_table_field"] = "seed_table" in chapter
        row["_checks"] = {str(c.get("name")): c for c in chapter.get("checks", [])}
        row["_profile"] = chapter.get("profile")
        row["_seed"] = (chapter.get("params") or {}).get("SEED")
        rows.append(row)
    return rows, sorted(set(recorded) - set(fd.BY_ID))


def _counts(rows: list[dict[str, Any]]) -> str:
    from geomem_utils import findings as fd

    n = {v: sum(1 for r in rows if r.get("verdict") == v) for v in fd.VERDICTS}
    missing = sum(1 for r in rows if r.get("verdict") is None)
    return ", ".join([f"{n[v]} {v}" for v in fd.VERDICTS] + ([f"{missing} without a verdict"] if missing else []))


def _headline(rows: list[dict[str, Any]]) -> str:
    """The count of verdicts at the book's sizes: the paper's findings, then the book's own."""
    paper = [r for r in rows if not r.get("extension")]
    own = [r for r in rows if r.get("extension")]
    def findings(n: int) -> str:
        return f"{n} finding" + ("" if n == 1 else "s")

    text = f"**At the book's sizes, of the paper's {findings(len(paper))}: {_counts(paper)}.**"
    if own:
        text += f" **Of the book's own {findings(len(own))} (extensions of the paper): {_counts(own)}.**"
    return text + (" Each finding is judged at the largest size measured for it: the book's ci build, or a "
                   "larger committed grid where one holds it whole; its size is stated beside its verdict.")


def _no_verdict(r: dict[str, Any]) -> str:
    return "⚠ no verdict recorded" if r.get("executed") else "— no verdict (chapter not executed)"


def _breakable(text: str) -> str:
    """An id a narrow column may wrap after its dots and underscores (copy-paste stays clean)."""
    return text.replace(".", ".<wbr>").replace("_", "_<wbr>")


def _verdict_mark(r: dict[str, Any]) -> str:
    v = r.get("verdict")
    return _no_verdict(r) if v is None else f"{_VERDICT_MARK.get(v, '')} **{v}**"


def _num(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, (int, float)) and not isinstance(value, bool) else _cell(value)


def _seed_list(seeds: Any) -> str:
    """``[0, 1, 2]`` as "0-2"; anything not a run of consecutive integers listed."""
    try:
        s = sorted(int(x) for x in seeds)
    except (TypeError, ValueError):
        return _cell(seeds)
    if len(s) > 2 and s == list(range(s[0], s[-1] + 1)):
        return f"{s[0]}-{s[-1]}"
    return ", ".join(map(str, s))


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def _seed_times(table: dict[str, Any] | None) -> list[float]:
    """The run times a seed table records, one per seed (empty without a table)."""
    return sorted(float(t) for t in ((table or {}).get("runtime_s") or {}).values() if isinstance(t, (int, float)))


def _median(times: list[float]) -> float:
    mid = len(times) // 2
    return times[mid] if len(times) % 2 else (times[mid - 1] + times[mid]) / 2


def _seed_table_time(table: dict[str, Any]) -> str:
    """The measured time of a seed table: the median per seed and the sum over its seeds."""
    times = _seed_times(table)
    if not times:
        return "time not recorded"
    return f"median {_duration(_median(times))} a seed; {_duration(sum(times))} for all {len(times)} seeds (sum)"


def _seed_table_flags(table: Any, has_field: bool) -> list[str]:
    """Warnings a row carries about the seed table its verdict rests on."""
    if not has_field:
        return []
    if table is None:
        return ["⚠ **no committed seed table at this run's size**"]
    flags = []
    if table.get("fresh") is False:
        flags.append("⚠ **stale seed table**: its code stamp differs from the code")
    if table.get("same_config") is False:
        flags.append("⚠ **this run's config differs from the seed table's**")
    return flags


def _row_flags(r: dict[str, Any]) -> list[str]:
    from geomem_utils import findings as fd

    if r.get("verdict") in (None, fd.NOT_TESTED):
        return []
    least = getattr(fd, "MIN_SEEDS", None)
    own = r.get("seed_table") is None and least and len(r.get("seeds") or []) >= least  # its sweeps span the seeds
    flags = [] if own else _seed_table_flags(r.get("seed_table"), r.get("_has_seed_table_field", False))
    if least and isinstance(r.get("seeds"), list) and len(r["seeds"]) < least:
        flags.append(f"⚠ **rests on {len(r['seeds'])} seed(s)**; the rule asks for {least}")
    return flags


def _this_run(r: dict[str, Any]) -> list[str]:
    run = r.get("this_run")
    if not isinstance(run, dict) or not run.get("verdict"):
        return []
    v = str(run["verdict"])
    differs = " (differs)" if v != r.get("verdict") else ""
    return [f"this run, seed {_cell(run.get('seed'))}: {_VERDICT_MARK.get(v, '')} {_cell(v)}{differs}"]


def _verdict_table(rows: list[dict[str, Any]], out: Path) -> list[str]:
    """One row a finding: its verdict (with this run's reading and any warning) and the finding,
    our size next to the paper's, our numbers next to the paper's and which part holds."""
    body = []
    for r in rows:
        ours_size = r.get("size") or (f"profile {r['_profile']}" if r.get("_profile") else "—")
        numbers = f"**ours:** {_cell(r.get('ours') or '—')}<br>**paper:** {_cell(r.get('paper') or '—')}"
        if r.get("detail"):
            numbers += f"<br>*{_cell(r['detail'])}*"
        body.append([
            _Raw("<br>".join([_verdict_mark(r), *_this_run(r), *_row_flags(r), _breakable(r["id"]),
                              f"{_cell(r['statement'])} ({_cell(r['section'])})", _link(r["chapter"], out)])),
            _Raw(f"**ours:** {_cell(ours_size)}<br>**paper:** {_cell(r.get('paper_size') or '—')}"),
            _Raw(numbers),
        ])
    return _table(["verdict and finding", "size: ours / the paper's", "numbers: ours / the paper's"], body)


def _criterion(check: dict[str, Any] | None) -> str:
    if not check or check.get("op") is None:
        return ""
    return f" (needs {_cell(check.get('op'))} {_num(check.get('threshold'))})"


def _evidence_lines(r: dict[str, Any]) -> list[str]:
    """Each evidence check: its range over the seeds and how many seeds pass it; for a record
    without per-seed numbers, this run's value."""
    holds = r.get("holds") or {}
    lines = []
    for name in [*holds, *(n for n in r.get("checks") or [] if n not in holds)]:
        check = r["_checks"].get(str(name))
        h = holds.get(name)
        if isinstance(h, dict):
            values = [v for v in (h.get("values") or {}).values() if isinstance(v, (int, float))]
            spread = (_num(min(values)) if min(values) == max(values) else
                      f"{_num(min(values))} to {_num(max(values))}") if values else "—"
            passing = f"{_cell(h.get('passed'))}/{_cell(h.get('of'))} seeds pass"
            lines.append(f"{_cell(name)}: {spread}{_criterion(check)}; {passing}")
        elif check is not None:
            ok = "passes" if check.get("passed") is True else "**fails**" if check.get("passed") is False else "—"
            lines.append(f"{_cell(name)}: {_num(check.get('value'))}{_criterion(check)}; {ok}")
        else:
            lines.append(f"{_cell(name)}: ⚠ not among the chapter's checks")
    return lines


def _evidence_table(rows: list[dict[str, Any]]) -> list[str]:
    """One row a recorded finding: the seeds and each seed's own verdict, each evidence check's
    spread over the seeds, the command that reproduces the row and its measured time."""
    body = []
    for r in rows:
        if r.get("verdict") is None:
            continue
        by_seed = r.get("by_seed") or {}
        if by_seed:
            seeds = ", ".join(f"{_cell(s)} {_VERDICT_MARK.get(v, _cell(v))}" for s, v in by_seed.items())
        elif r.get("seeds"):
            seeds = _seed_list(r["seeds"])
        else:
            seed = r.get("_seed")
            seeds = "this run only" + (f" (seed {_cell(seed)})" if seed is not None else "")
        table = r.get("seed_table")
        if isinstance(table, dict) and table.get("command"):
            how = f"`{_cell(table['command'])}`<br>{_seed_table_time(table)}"
        else:
            how = "—"
        how = "<br>".join([how, *_row_flags(r)])
        name = _breakable(r["id"]) + ("<br>*the book's own*" if r.get("extension") else "")
        body.append([_Raw(name), _Raw(seeds), _Raw("<br>".join(_evidence_lines(r)) or "—"), _Raw(how)])
    return _table(["finding", "seeds (each seed's own verdict)", "evidence: range over the seeds; seeds passing",
                   "reproduce it (measured time)"], body)


def write_findings_summary(results: dict[str, dict[str, Any]], out: Path = GENERATED) -> None:
    """Write ``findings_summary.md`` (included by the landing page): the headline count and,
    chapter by chapter, every finding that is not reproduced, one sentence each (the
    statement, the verdict and its size, which part or why); the numbers are on the scorecard."""
    rows, _ = _findings(results)
    lines = [_headline(rows), ""]
    for stem in _order({r["chapter"] for r in rows}):
        bad = [r for r in rows if r["chapter"] == stem and r.get("verdict") != "reproduced"]
        if not bad:
            continue
        exists = (out / f"{stem}.ipynb").exists() or (out / f"{stem}.md").exists()
        lines += [f"- {{doc}}`{stem} </_generated/{stem}>`:" if exists else f"- `{stem}`:"]
        for r in bad:
            v = r.get("verdict") or _no_verdict(r)
            own = " (the book's own finding)" if r.get("extension") else ""
            at = f" at {_cell(r['size'])}" if r.get("verdict") and r.get("size") else ""
            detail = f": {_cell(r['detail']).rstrip('.')}" if r.get("detail") else ""
            lines.append(f"  - *{_cell(r['statement']).rstrip('.')}*{own}: **{v}**{at}{detail}.")
    (out / "findings_summary.md").write_text("\n".join(lines) + "\n")


#: The chapter whose results draw the landing page's figure.
LANDING_CHAPTER = "01_geometry_emerges"


def _p_value(p: float) -> str:
    return f"p = {p:.2g}" if p >= 0.01 else f"p = {p:.1g}"


def write_landing(results: dict[str, dict[str, Any]], out: Path = GENERATED) -> None:
    """Write ``landing.md`` (included at the top of the landing page): chapter 01's
    path-by-path distance matrices, trained against frozen embeddings, drawn from its results
    file by :func:`geomem_utils.chapters.geometry_figures.landing_figure` as the chapters draw
    their figures (:func:`geomem_utils.figures.render.figure_html`: no library in the page,
    the vendored plotly.js), with alt text and a caption whose every number is read from the
    same results. Without those results, a line that says where the figure comes from."""
    link = f"{{doc}}`chapter 1 </_generated/{LANDING_CHAPTER}>`"
    extra = results.get(LANDING_CHAPTER, {}).get("extra", {})
    if "path_heat" not in extra:
        (out / "landing.md").write_text(
            f"*The opening figure, the arm-by-arm distances of {link}, is drawn from that "
            f"chapter's results once it has run (`make book`).*\n")
        return
    from geomem_utils.chapters.geometry_figures import LANDING_RUNS, landing_figure
    from geomem_utils.figures.render import figure_html, setup_book_rendering

    setup_book_rendering()  # the book's plotly template
    trained, frozen = LANDING_RUNS
    acc = {run: f"{extra['final']['test_exact'][run]:.0%}" for run in LANDING_RUNS}
    p = {run: _p_value(extra["path_contrast"][run]["p_value"]) for run in LANDING_RUNS}
    leaf_p = _p_value(extra["contrast"][trained]["p_value"])
    fit = f"{extra['final']['train_exact'][frozen]:.0%}"
    n = len(extra["path_heat"][trained])
    r = results[LANDING_CHAPTER]
    alt = (f"Two heatmaps of the mean cosine distance between the token embeddings of the nodes "
           f"of {n} held-out arms of the path-star {extra['graph']}, arm against arm. Left, trained "
           f"embeddings: a dark diagonal, the nodes of one arm close together, and the model "
           f"answers {acc[trained]} of the held-out paths. Right, frozen embeddings: no diagonal, "
           f"{acc[frozen]} answered.")
    html = figure_html(landing_figure(extra), default_height=400)
    caption = (
        f"**Memorise the edges, get a map.** A Transformer trained on the edges of the path-star "
        f"{extra['graph']} and on the root-to-leaf paths of the other arms answers "
        f"{acc[trained]} of {n} held-out paths: for each, naming the first step from the root "
        f"chains edges it only ever saw one at a time. Entry (i, j) is the mean cosine "
        f"distance between the embeddings of the nodes of held-out arm i and those of arm j "
        f"(the root left out). Left, **trained embeddings**: the diagonal is dark ({p[trained]}, "
        f"permutation test): the nodes of one arm lie close together, even a leaf and its arm's "
        f"first hop, which never appear in one training sequence ({leaf_p}), so the model has "
        f"stored a map of the graph, a geometry. Right, the same model with **frozen "
        f"embeddings** (an associative memory: a lookup table in the other weights) fits {fit} "
        f"of its training paths, has no diagonal ({p[frozen]}) and answers {acc[frozen]}. "
        f"Measured by {link} ({_cell(r.get('profile'))} profile, seed "
        f"{_cell(r.get('params', {}).get('SEED'))}), with the leaf / first-hop heatmaps, the "
        f"tiny graphs, the slider over training and the checks.")
    (out / "landing.md").write_text(
        "```{raw} html\n"
        f'<figure class="geomem-landing" style="margin: 0 0 1rem" aria-label="{_html_attr(alt)}">\n'
        f"{html}\n</figure>\n```\n\n"
        f"{caption}\n")


def _html_attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def _checks_passed(r: dict[str, Any]) -> str:
    """A chapter's checks as "n/m passed", and what its failed ones are."""
    cs = r.get("checks", [])
    ok = sum(1 for c in cs if c.get("passed") is True)
    text = f"{ok}/{len(cs)}"
    if r.get("passed") is False:
        return text + " ✗ **chapter failed**"
    failed = {str(c.get("name")) for c in cs if c.get("passed") is not True}
    if failed and failed <= set(r.get("reported_failures") or []):
        text += f" ({len(failed)} reported as findings not reproduced)"
    return text


def write_scorecard(results: dict[str, dict[str, Any]], stems: list[str], out: Path = GENERATED) -> None:
    """Write ``scorecard.md`` from the results files only: the verdict rule, the paper's findings
    with one verdict each, the book's own findings, the evidence by seed, the chapters, the
    evidence checks, and the book's machinery (controls and implementation checks, never
    counted as reproductions)."""
    from geomem_utils import findings as fd

    titles = dict(CHAPTERS)
    everyone = _order(set(results) | set(stems) | set(titles))
    rows, foreign = _findings(results)
    paper = [r for r in rows if not r["extension"]]
    own = [r for r in rows if r["extension"]]
    checks = [(stem, c) for stem in everyone for c in (results.get(stem) or {}).get("checks", [])]
    machinery = [(s, c) for s, c in checks if c.get("kind", "finding") != "finding"]
    n_pass = sum(1 for _, c in checks if c.get("passed") is True)
    rule, other_rule = _rule(results)
    lines = [
        "# Reproduction scorecard",
        "",
        "Every row below is generated from the results files that the notebooks wrote when "
        "they were executed (`build/results/*.json`); nothing on this page is typed by hand. "
        "Each finding gets one verdict, computed in its chapter from measured numbers: "
        + ", ".join(f"*{v}*" for v in _VERDICT_MARK) + ".",
        "",
    ]
    if rule:
        lines += ["```{admonition} The rule every verdict follows", str(rule).strip(), "```", ""]
    else:
        lines += ["⚠ **No verdict rule is recorded** (the results files predate it).", ""]
    if other_rule:
        lines += [f"⚠ **Recorded under another rule:** {', '.join(f'`{s}`' for s in other_rule)} "
                  "(rerun these chapters).", ""]
    lines += [
        _headline(rows),
        "",
        "Marks: " + ", ".join(f"{m} {v}" for v, m in _VERDICT_MARK.items()) + ".",
        "",
        "## The paper's findings",
        "",
    ]
    lines += _verdict_table(paper, out)
    if own:
        lines += ["", "## The book's own findings", "",
                  "Findings the paper does not state, which the book adds to test its reading; they are not "
                  "counted among the paper's.", ""]
        lines += _verdict_table(own, out)
    if foreign:
        lines += ["", f"⚠ **Verdicts recorded for findings the register does not know:** {', '.join(foreign)}"]
    problems = [(stem, p) for stem in everyone for p in (results.get(stem) or {}).get("findings_problems", [])]
    if problems:
        lines += ["", "⚠ **Problems with the recorded findings:**", ""]
        lines += [f"- `{stem}`: {_cell(p)}" for stem, p in problems]
    lines += ["", "## Evidence by seed", "",
              "For each verdict: the seeds it rests on with each seed's own reading, each evidence check's "
              "range over those seeds and how many seeds pass it, and the command that recomputes the "
              "chapter's seed table with the time it took.", ""]
    lines += _evidence_table(paper + own)
    lines += [
        "",
        f"In all, {n_pass} of {len(checks)} checks pass at this run; {len(checks) - len(machinery)} of them are "
        f"evidence for a finding, {len(machinery)} test the book's machinery or a null control.",
        "",
        "## Chapters",
        "",
    ]
    summary = []
    for stem in everyone:
        r = results.get(stem)
        link = _link(stem, out)
        if r is None:
            summary.append([link, "—", "—", "—", _Raw("⚠ no results file"), "—"])
        elif "_error" in r:
            summary.append([link, "—", "—", "—", _Raw(f"⚠ {_cell(r['_error'])}"), "—"])
        else:
            fs = r.get("findings") or []
            found = ", ".join(f"{sum(1 for f in fs if f.get('verdict') == v)} {v}" for v in _VERDICT_MARK
                              if any(f.get("verdict") == v for f in fs)) or "machinery only"
            table = r.get("seed_table")
            seeds = ([f"`{_cell(table.get('command'))}`", _seed_table_time(table)]
                     if isinstance(table, dict) else [])
            least = getattr(fd, "MIN_SEEDS", 3)
            own = table is None and all(len(f.get("seeds") or []) >= least or not f.get("checks") for f in fs)
            if own and fs:
                seeds = ["its sweeps span their own seeds"]
            seeds = "<br>".join(seeds + ([] if own else _seed_table_flags(table, "seed_table" in r))) or "—"
            size = r.get("size") or (f"profile {r['profile']}" if r.get("profile") else None)
            summary.append([link, r.get("paper_ref"), size, found, _Raw(_checks_passed(r)), _Raw(seeds)])
    lines += _table(["notebook", "paper", "size", "findings", "checks passed", "seed table"], summary)
    lines += ["", "## Evidence, notebook by notebook", "",
              "The checks each finding's verdict rests on, at this run: each could have failed had the "
              "finding been false.", ""]
    for stem in everyone:
        r = results.get(stem)
        lines += [f"### {stem}", ""]
        if r is None:
            lines += ["⚠ **No results file**: this notebook has not been executed to the end "
                      "(or its results were not collected).", ""]
            continue
        if "_error" in r:
            lines += [f"⚠ **{r['_error']}**", ""]
            continue
        if r.get("title"):
            lines += [f"**{_cell(r['title'])}**", ""]
        if r.get("claim"):
            lines += [f"*Claim* ({_cell(r.get('paper_ref'))}): {_cell(r['claim'])}", ""]
        lines += [f"Checks passed: {_checks_passed(r)}", ""]
        reported = set(r.get("reported_failures") or [])
        evidence = [
            [c.get("name"), c.get("paper"), c.get("value"), _Raw(f"{_cell(c.get('op'))} {_cell(c.get('threshold'))}"),
             _Raw("✗ not reproduced (reported in the findings table)" if c.get("name") in reported
                  else _verdict(c.get("passed")))]
            for c in r.get("checks", []) if c.get("kind", "finding") == "finding"
        ]
        if evidence:
            lines += _table(["check", "the paper", "measured", "criterion", "verdict"], evidence)
        else:
            lines += ["(no evidence checks: this chapter's checks are the book's machinery, below)"]
        params = r.get("params") or {}
        lines += [
            "",
            (f"Size: {_cell(r['size'])}. " if r.get("size") else "")
            + f"Profile `{_cell(r.get('profile'))}`, run on {_cell(r.get('date'))}, "
            f"took {_cell(r.get('runtime_s'))} s. Parameters: "
            + (", ".join(f"`{k}={_cell(v)}`" for k, v in params.items()) or "—"),
            "",
        ]
    lines += [
        "## The book's machinery",
        "",
        "Checks that are true when the book is built right, not evidence for the paper: "
        "*machinery* tests the implementation (a spectrum equals its closed form, the split is disjoint, "
        "a retrain is fast enough for the page); a *null control* measures what a model with "
        "no geometry (embeddings frozen at their random init) reads as, true by construction. They "
        "fail their notebook when they fail, and are never counted as reproductions.",
        "",
    ]
    lines += _table(["check", "kind", "why it is not evidence", "measured (criterion)"], [
        [_Raw(f"{_cell(c.get('name'))}<br>`{s}`"), "null control" if c.get("kind") == "control" else "machinery",
         c.get("paper"),
         _Raw(f"{_cell(c.get('value'))} ({_cell(c.get('op'))} {_cell(c.get('threshold'))}) {_verdict(c.get('passed'))}")]
        for s, c in machinery]) if machinery else ["(none recorded)"]
    (out / "scorecard.md").write_text("\n".join(lines) + "\n")


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


MAIN_PACKAGES = ["torch", "numpy", "plotly", "jupyter-book", "mambapy", "myst-nb", "sphinx", "ipywidgets", "papermill"]


def _when(text: Any) -> "_dt.datetime | None":
    """An ISO time of the run log as an aware datetime (UTC when it names no zone); None when absent or unreadable."""
    try:
        t = _dt.datetime.fromisoformat(str(text))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=_dt.timezone.utc)


def _latest_runs(runs_file: Path) -> dict[str, dict[str, Any]]:
    """The executor's run log (``_runs.json``): the latest run of each notebook."""
    runs = json.loads(runs_file.read_text()).get("runs", []) if runs_file.is_file() else []
    latest: dict[str, dict[str, Any]] = {}
    for run in runs:
        stem = run.get("notebook", "?")
        if stem not in latest or str(run.get("started", "")) >= str(latest[stem].get("started", "")):
            latest[stem] = run
    return latest


def write_runtimes(runs_file: Path, results: dict[str, dict[str, Any]], out: Path = GENERATED) -> None:
    """Write ``runtimes.md`` from the executor's run log and the results files."""
    runs: list[dict[str, Any]] = []
    machine: dict[str, Any] = {}
    if runs_file.is_file():
        data = json.loads(runs_file.read_text())
        runs, machine = data.get("runs", []), data.get("machine", {}) or {}
    latest = _latest_runs(runs_file)
    stems = _order(set(latest) | set(results))
    lines = [
        "# Run times and environment",
        "",
        "Generated from the executor's run log (`build/executed/_runs.json`) and the results "
        "files. The book itself never executes notebooks; these are the times of the runs "
        "whose outputs you are reading.",
        "",
        "## Notebooks",
        "",
    ]
    rows, total, spans = [], 0.0, []
    for stem in stems:
        run, r = latest.get(stem, {}), results.get(stem, {})
        wall = run.get("wall_s")
        total += float(wall or 0.0)
        started = _when(run.get("started"))
        if started is not None and wall is not None:
            spans.append((started, started + _dt.timedelta(seconds=float(wall))))
        rows.append([stem, run.get("profile", r.get("profile")), wall, r.get("runtime_s"), run.get("peak_rss_mb"),
                     run.get("threads"), _Raw("✓" if run.get("ok") else ("✗ **failed**" if run else "—")),
                     started.strftime("%H:%M") if started else r.get("date")])
    lines += _table(["notebook", "profile", "wall (s)", "in results (s)", "peak MiB", "threads", "ok", "started"], rows)
    lines += ["", f"The latest runs' own wall times add up to **{total:.1f} s** ({total / 60:.1f} min)."]
    if spans:
        first, last = min(a for a, _ in spans), max(b for _, b in spans)
        book_s = (last - first).total_seconds()
        lines[-1] += (f" The executor runs notebooks side by side (`--jobs`, one per core by default), so from the first "
                      f"start ({first.strftime('%Y-%m-%d %H:%M:%S')}) to the last end they took **{book_s:.0f} s** "
                      f"({book_s / 60:.1f} min); that is the book's time when they ran together.")
    lines += [""]
    if len(runs) > len(latest):
        lines += [f"The run log holds {len(runs)} runs; the table shows the latest of each notebook.", ""]
    lines += ["## Package versions", ""]
    exec_versions: dict[str, str] = {}
    for r in results.values():
        for k, v in (r.get("versions") or {}).items():
            exec_versions.setdefault(k, str(v))
    names = MAIN_PACKAGES + sorted(k for k in exec_versions if k not in MAIN_PACKAGES)
    lines += _table(
        ["package", "at execution (results files)", "in the build environment"],
        [[n, exec_versions.get(n, exec_versions.get(n.replace("-", "_"), "—")), _version(n)] for n in names],
    )
    lines += ["", "## Machine", ""]
    if not machine:
        lines += ["The run log records no machine; this is the machine that built the book:", ""]
        machine = {"cpu_count": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()}
    lines += _table(["field", "value"], [[k, v] for k, v in machine.items()])
    lines += ["", f"Book built {_dt.datetime.now(_dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}.", ""]
    (out / "runtimes.md").write_text("\n".join(lines) + "\n")


#: The course plan of the instructors' page: three 90-minute sessions, each a title, what it
#: covers in the paper, and its chapters (stems, in book order).
SESSIONS: list[tuple[str, str, list[str]]] = [
    ("Session 1: the tasks, and the geometry that emerges", "§2 and §3, Fig. 2",
     ["00_tasks", "01_geometry_emerges"]),
    ("Session 2: where it comes from, and what it buys", "§4 (spectral bias) and §3 (implicit reasoning)",
     ["02_spectral_bias", "03_implicit_reasoning"]),
    ("Session 3: the puzzle, a playground, and how far it holds", "§5 and the ablations",
     ["04_memorization_puzzle", "05_playground", "06_how_far_it_holds"]),
]


def exercise_labels(executed: Path) -> dict[str, list[str]]:
    """The ``{exercise}`` labels of each executed chapter, in page order."""
    found: dict[str, list[str]] = {}
    for stem in _chapter_stems(executed) if executed.is_dir() else []:
        nb = json.loads((executed / f"{stem}.ipynb").read_text())
        text = "\n".join("".join(c.get("source", "")) for c in nb.get("cells", []) if c.get("cell_type") == "markdown")
        found[stem] = re.findall(r"^`{3,}\{exercise\}[^\n]*\n:label: (\S+)", text, flags=re.M)
    return found


def write_course_plan(runs_file: Path, results: dict[str, dict[str, Any]], executed: Path,
                      out: Path = GENERATED) -> None:
    """Write ``course_plan.md`` (included by ``instructors.md``): per session, its chapters with
    their measured run times (the executor's run log, else the results files) and the
    exercises to set, linked by label."""
    latest = _latest_runs(runs_file)
    labels = exercise_labels(executed)
    titles = dict(CHAPTERS)
    lines: list[str] = []
    for title, paper, stems in SESSIONS:
        lines += [f"### {title}", "", f"The paper's {paper}.", ""]
        rows, total = [], 0.0
        for stem in stems:
            run, r = latest.get(stem, {}), results.get(stem, {})
            wall = run.get("wall_s", r.get("runtime_s"))
            total += float(wall or 0.0)
            page = _Raw(f"{{doc}}`{titles.get(stem, stem)} </_generated/{stem}>`" if stem in labels else stem)
            exercises = _Raw(", ".join(f"{{ref}}`{label} <{label}>`" for label in labels.get(stem, [])) or "—")
            fresh = _seed_times(r.get("seed_table"))
            rows.append([page, run.get("profile", r.get("profile", "—")),
                         _duration(float(wall)) if wall is not None else "not run",
                         f"{_duration(_median(fresh))} (median of {len(fresh)})" if fresh else "—", exercises])
        lines += _table(["chapter", "profile", "run time in this build", "a run at a new seed", "exercises to set"],
                        rows)
        lines += ["", f"The session's chapters ran in {_duration(total)} together in this build, one after another.",
                  ""]
    lines += ["A build that finds its models in the run cache (`build/cache`) is faster than a first run: "
              "\"a run at a new seed\" is the median time of the chapter's committed seed-table runs, each of "
              "which trained its models anew (chapters without a seed table show a dash).", ""]
    (out / "course_plan.md").write_text("\n".join(lines) + "\n")


def write_toc(stems: list[str], book: Path = BOOK) -> None:
    """Write ``_toc.yml``: intro, the executed chapters in order, scorecard, run times."""
    lines = [
        "# Generated by book/build_book.py from the executed notebooks: do not edit.",
        "format: jb-book",
        "root: intro",
        "parts:",
        "  - caption: The claims",
        "    chapters:",
    ]
    lines += [f"      - file: _generated/{stem}" for stem in stems] or []
    if not stems:
        lines = lines[:-2]
    lines += [
        "  - caption: The reproduction",
        "    chapters:",
        "      - file: _generated/scorecard",
        "      - file: _generated/runtimes",
        "      - file: reproducibility",
        "  - caption: Teaching",
        "    chapters:",
        "      - file: instructors",
    ]
    (book / "_toc.yml").write_text("\n".join(lines) + "\n")


# --------------------------------------------------------------------------------------
# 6. Sphinx build
# --------------------------------------------------------------------------------------


HANDOUT = BOOK / "_build" / "handout"


def handout_config(out: Path = GENERATED) -> Path:
    """``_config.yml`` with ``hide_solutions`` on, written to ``out``: the handout's config."""
    import yaml

    config = yaml.safe_load((BOOK / "_config.yml").read_text())
    config["sphinx"]["config"]["hide_solutions"] = True
    # jupyter-book finds a local extension relative to the config file, which lives in `out`
    config["sphinx"]["local_extensions"] = {name: str((BOOK / folder).resolve())
                                            for name, folder in config["sphinx"]["local_extensions"].items()}
    path = out / "handout_config.yml"
    path.write_text("# Generated by book/build_book.py --handout: _config.yml without solutions.\n"
                    + yaml.safe_dump(config, sort_keys=False))
    return path


def jupyter_book(warnings_as_errors: bool, handout: bool = False) -> None:
    """``jupyter-book build book`` into ``book/_build/html``, or (``handout``) without the
    solutions into :data:`HANDOUT` through a work tree of its own."""
    exe = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "jupyter_book.cli.main"]
    cmd += ["build", str(BOOK), "--builder", "html", "--keep-going"]
    work = BOOK / "_build" / ".handout-work"
    if handout:
        cmd += ["--config", str(handout_config()), "--path-output", str(work)]
    if warnings_as_errors:
        cmd.append("-W")
    print("build:", " ".join(cmd), flush=True)
    proc = subprocess.run(cmd, cwd=ROOT)
    if proc.returncode != 0:
        raise BuildError(f"jupyter-book build failed (exit {proc.returncode})")
    html = (work / "_build" / "html") if handout else (BOOK / "_build" / "html")
    if not (html / "index.html").is_file():
        raise BuildError(f"jupyter-book build finished but {html.relative_to(ROOT)}/index.html is missing")
    if handout:
        shutil.rmtree(HANDOUT, ignore_errors=True)
        shutil.move(str(html), HANDOUT)
        print(f"handout: open {HANDOUT.relative_to(ROOT)}/index.html", flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--executed", type=Path, default=ROOT / "build" / "executed")
    ap.add_argument("--results", type=Path, default=ROOT / "build" / "results")
    ap.add_argument("--vendor-only", action="store_true", help="only vendor the JavaScript")
    ap.add_argument("--force-vendor", action="store_true", help="re-vendor even if up to date")
    ap.add_argument("--no-build", action="store_true", help="generate pages, skip Sphinx")
    ap.add_argument("-W", "--warnings-as-errors", action="store_true")
    ap.add_argument("--handout", action="store_true",
                    help="build the student handout (no solutions) into book/_build/handout/")
    args = ap.parse_args(argv)
    try:
        vendor(force=args.force_vendor)
        if args.vendor_only:
            return 0
        if not args.executed.is_dir():
            print(f"note: {args.executed} does not exist; building a book with no chapters")
        if GENERATED.exists():
            shutil.rmtree(GENERATED)
        GENERATED.mkdir(parents=True)
        subprocess.run([sys.executable, str(BOOK / "reproducibility_numbers.py"), str(GENERATED)], check=True)
        stems = copy_notebooks(args.executed)
        results = _load_results(args.results) if args.results.is_dir() else {}
        write_scorecard(results, stems)
        write_findings_summary(results)
        write_landing(results)
        write_runtimes(args.executed / "_runs.json", results)
        write_course_plan(args.executed / "_runs.json", results, args.executed)
        write_toc(stems)
        # What this build was made from; tests/book/test_browser.py checks the pages against it.
        (GENERATED / "manifest.json").write_text(json.dumps({
            "executed_dir": str(args.executed.resolve()),
            "results_dir": str(args.results.resolve()),
            "chapters": stems,
            "results": sorted(results),
        }, indent=2) + "\n")
        print(f"generated: {len(stems)} chapters ({', '.join(stems) or 'none'}), "
              f"{len(results)} results files")
        if not args.no_build:
            jupyter_book(args.warnings_as_errors, handout=args.handout)
    except BuildError as err:
        print(f"build_book: ERROR: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
