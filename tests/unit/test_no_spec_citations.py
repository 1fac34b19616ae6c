"""What a reader sees cites the paper, never our working spec.

The book was built from an implementation spec that readers do not have; they have the
paper (arXiv 2510.26745) and the authors' release. A citation such as "spec §7", "(spec
section 6)" or "the spec" in a chapter, in a check's ``paper=`` text, a figure title, a
finding, an error message or a docstring of the package sends them to a document they
cannot open. ``Spec`` the parameter class (``geomem_utils.params``) is not a citation and
is not matched: the patterns below need a section sign, a section number, "the spec" or a
"spec:" before a number.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CITATION = re.compile(
    r"\b[Ss]pec\s*§"                      # spec §7, Spec §2
    r"|\b[Ss]pec\s+sections?\s+\d"        # spec section 5, spec sections 2 and 5
    r"|\([Ss]pec\s+(?:§|\d|claim)"         # (spec 6), (spec claim 2)
    r"|\b[Tt]he spec\b(?![\w(])"          # the spec, the spec's
    r"|\b[Ss]pec:\s*\d"                   # spec: 96.1
)


def files() -> list[Path]:
    found = sorted((ROOT / "geomem_utils").rglob("*.py"))
    found += sorted((ROOT / "notebooks").glob("*.md"))
    found += [ROOT / "book" / "intro.md", ROOT / "book" / "reproducibility.md", ROOT / "README.md"]
    return [p for p in found if p.is_file()]


def citations(text: str) -> list[tuple[int, str]]:
    return [(n, line.strip()) for n, line in enumerate(text.splitlines(), 1) if CITATION.search(line)]


def test_the_pattern_finds_spec_citations_and_not_the_parameter_spec() -> None:
    hits = ["Measures (spec §7): accuracies", "(spec claim 2)", '"""Spec §7 heatmap."""', "(spec section 6)",
            "the spec's normalised spectrum", "as the spec says", "about 1.3 (spec: 96.1, 1.30)",
            "GPT-mid in the paper, spec section 5", "spec sections 2 and 5"]
    misses = ["def check_value(name, value, spec: Spec) -> Any:", "spec.kind", "profiles_of(spec)",
              "spectral.graph_spectrum(g)", "kernelspec:", "train_on_edges(spec, g)",
              "the spectrum of the star", "PARAMETER_SPECS", "eigen_colors(spec)", "list(spec.normalised)", "specs={", "(spectra equal the paper's)"]
    assert all(citations(h) for h in hits), [h for h in hits if not citations(h)]
    assert not any(citations(m) for m in misses), [m for m in misses if citations(m)]


def test_no_page_or_package_string_cites_the_spec() -> None:
    found = {p.relative_to(ROOT).as_posix(): citations(p.read_text(encoding="utf-8")) for p in files()}
    found = {k: v for k, v in found.items() if v}
    assert not found, ("cite the paper (section, figure, proposition, observation) or the "
                       f"authors' release, not the spec: {found}")
