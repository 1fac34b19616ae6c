"""The register of the paper's findings, and one verdict per finding.

Every numbered claim and sub-claim of the paper (its §2-§5), the ablations of §2.3 and the
four explanations of the memorization puzzle are listed here once, with the chapter that
tests them and the verdict the book reaches today. A chapter records one verdict per
finding it owns with :func:`verdict` and passes the list to
:func:`geomem_utils.results.finish`, which

- writes them to the results file under ``"findings"`` (the scorecard's first table);
- raises :class:`~geomem_utils.results.ClaimCheckFailed` (except at the smoke profile) when
  a finding the register expects to be *reproduced* comes out lower (a regression), when a
  chapter records an id the register does not know or assigns to another chapter, records
  one twice, or misses one the register assigns to it.

A finding that is "not reproduced at this size" does not fail anything: it is reported,
with our number next to the paper's. A check is evidence only when it could have come out
otherwise; see :data:`geomem_utils.results.CHECK_KINDS` for the checks that are not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

#: The four verdicts, best first.
VERDICTS = ("reproduced", "partly reproduced", "not reproduced at this size", "not tested here")
REPRODUCED, PARTLY, NOT_REPRODUCED, NOT_TESTED = VERDICTS


@dataclass(frozen=True)
class Finding:
    """One finding of the paper: what it says, where, which chapter tests it, today's verdict."""

    id: str
    statement: str
    section: str
    chapter: str
    expected: str

    def __post_init__(self) -> None:
        if self.expected not in VERDICTS:
            raise ValueError(f"finding {self.id}: expected must be one of {VERDICTS}, got {self.expected!r}")


_01, _02, _03, _04 = "01_geometry_emerges", "02_spectral_bias", "03_implicit_reasoning", "04_memorization_puzzle"
_06 = "06_how_far_it_holds"

#: Every finding of the paper the book answers for, in the order of the paper.
REGISTER: tuple[Finding, ...] = (
    # --- claim 1: geometry emerges from local supervision
    Finding("geometry.heatmap",
            "Leaf and first-hop embeddings of the same path are close: the leaf / first-hop cosine-distance "
            "heatmap has a dark diagonal, and a leaf's nearest first hop is its own (a 1-step look-up).",
            "§2, Fig. 2", _01, REPRODUCED),
    Finding("geometry.path_clusters",
            "Nodes of the same path cluster: path-by-path distances are smallest on the diagonal; a UMAP "
            "shows one cluster per path.",
            "§2, Fig. 2", _01, REPRODUCED),
    Finding("geometry.edges_only",
            "The geometry appears even when the model is trained on the edges alone (no path supervision), "
            "so global supervision is not what creates it (the puzzle's third explanation).",
            "§2, §5, Figs. 2-3", _01, REPRODUCED),
    Finding("geometry.tiny_graphs",
            "In tiny graphs trained on edges only, the embedding looks like the graph.",
            "§2, Fig. 3", _01, REPRODUCED),
    Finding("geometry.mamba_stronger_edges_only",
            "Trained on edges only, Mamba's geometry is stronger than the Transformer's.",
            "§2, Fig. 3", _01, NOT_REPRODUCED),
    # --- claim 2: spectral bias
    Finding("spectral.node2vec_alignment",
            "Tied Node2Vec's embedding converges onto the top (Fiedler-like) eigenvectors of -L; the other "
            "projections decay to 0.",
            "§4, Fig. 5", _02, REPRODUCED),
    Finding("spectral.ce_vanishes",
            "For the kept eigenvectors e_i, ||C(t) e_i|| -> 0 over training.",
            "§4, Fig. 5", _02, PARTLY),
    Finding("spectral.transformer_headroom",
            "Transformers show the same spectral alignment, but weaker than Node2Vec (headroom).",
            "§4, Fig. 5", _02, REPRODUCED),
    Finding("spectral.untied_zigzag",
            "With untied embeddings the picture is a zig-zag / bipartite one (weight on the negative-eigenvalue "
            "eigenvectors).",
            "§4, Fig. 5", _02, REPRODUCED),
    Finding("spectral.self_edges",
            "Adding self-edges u -> u removes the negative-eigenvalue zig-zag.",
            "§4, Fig. 5", _02, REPRODUCED),
    # --- claim 3: implicit in-weights reasoning
    Finding("reasoning.heldout_paths",
            "On the in-weights path-star task the model outputs the full path for held-out leaves (up to 100% "
            "exact match at d = 10^4), although each first hop is an (l-2)-fold composition of edges.",
            "§2.3, Fig. 2", _03, REPRODUCED),
    Finding("reasoning.mamba_heldout",
            "Mamba also answers held-out paths in weights.",
            "§2.3, Fig. 2", _03, REPRODUCED),
    Finding("reasoning.no_token_order",
            "The tokens of the path are learned in no particular order (not last-to-first).",
            "§2.3", _03, REPRODUCED),
    Finding("reasoning.hardest_token",
            "The first (hardest) token alone is learnable in weights.",
            "§2.3", _03, REPRODUCED),
    Finding("reasoning.in_context_fails",
            "The in-context version of the task fails: first-token accuracy ~1/d (Clever-Hans cheat) while the "
            "later tokens are right.",
            "§2.3", _03, REPRODUCED),
    Finding("reasoning.frozen_fails",
            "With frozen token embeddings the in-weights task fails on held-out paths.",
            "§2.3", _03, REPRODUCED),
    Finding("reasoning.edge_directions",
            "Reverse edges are needed: training on forward-only or backward-only edges fails on held-out paths.",
            "§2.3 (ablation)", _03, REPRODUCED),
    Finding("reasoning.pause_tokens",
            "Pause tokens speed the learning of held-out paths up.",
            "§2.3 (ablation)", _03, NOT_TESTED),
    Finding("reasoning.mixed_vs_staged",
            "Mixed training (edges and paths in the same batches) is the most stable; staged training "
            "(edges first) peaks then decays.",
            "§2.3 (ablation)", _03, NOT_REPRODUCED),
    Finding("reasoning.tree_star",
            "The tree-star also generalises to held-out leaves / subtrees (first-token split harder).",
            "§2.3 (ablation)", _03, NOT_REPRODUCED),
    Finding("reasoning.geometry_predicts_heldout",
            "The geometry is what answers held-out paths: across runs, held-out first-hop accuracy follows the "
            "model's 1-step navigation accuracy.",
            "§2-§2.3 (the paper's reading of Fig. 2)", _03, REPRODUCED),
    # --- claim 4: the memorization puzzle
    Finding("puzzle.associative_learnable",
            "Associative memory is learnable: frozen embeddings + one trainable layer reach 100% edge recall "
            "(the puzzle's first explanation, 'it cannot be learned', is ruled out).",
            "§5", _04, REPRODUCED),
    Finding("puzzle.succinctness",
            "Associative memory is at most 2x more costly than geometry in bits and in l2 norm (Prop. 1), so "
            "capacity/succinctness does not explain geometry.",
            "§5, Prop. 1", _04, REPRODUCED),
    Finding("puzzle.associative_faster",
            "Associative memory is found faster (about 2 steps vs about 100 steps in the tiny graphs).",
            "§5", _04, PARTLY),
    Finding("puzzle.knobs",
            "Learning rate, weight decay, init scale and dropout move a model between geometric and associative "
            "memory (edge margin of the skewed low-rank logits).",
            "§5, Table (skewed low-rank logits)", _04, PARTLY),
    Finding("puzzle.trainable_associative_path_star",
            "A model with trainable embeddings can be pushed to associative memory on the path-star (large init): "
            "it memorises every edge yet answers held-out paths at chance.",
            "§5 (knobs), §2.3", _04, REPRODUCED),
    # --- how far claim 3 holds (sweeps)
    Finding("scale.seeds_and_sizes",
            "The in-weights result is not one lucky run: held-out paths are answered at every seed and across "
            "graph sizes (the paper runs G(5000, 5), G(10^4, 6), G(10^4, 10)).",
            "§2.3, Fig. 2", _06, REPRODUCED),
    Finding("scale.path_length",
            "Longer paths work too: held-out paths of G(10^4, 6) and G(10^4, 10) are answered, although the "
            "first hop is then a 4-fold or 8-fold composition.",
            "§2.3, Fig. 2", _06, NOT_REPRODUCED),
)

BY_ID: dict[str, Finding] = {f.id: f for f in REGISTER}
if len(BY_ID) != len(REGISTER):  # pragma: no cover - guarded by a unit test too
    raise RuntimeError("duplicate finding ids in REGISTER")


def for_chapter(notebook: str) -> list[Finding]:
    """The findings the register assigns to ``notebook`` (a notebook stem), in register order."""
    return [f for f in REGISTER if f.chapter == notebook]


def verdict(id: str, verdict: str, ours: str, paper: str, detail: str = "",
            checks: Iterable[str] = ()) -> dict[str, Any]:
    """One finding's verdict, as the plain dict a chapter records.

    ``ours``: our number(s) with their seed spread ("0.84-0.96, seeds 0-2"); ``paper``: the
    paper's number or statement; ``detail``: which part is (not) reproduced, or for "not
    tested here" the reason and the command that would test it; ``checks``: the names of
    the chapter's checks that are the evidence. Raises ``ValueError`` on an unknown id or
    verdict, or a verdict missing the explanation it needs.
    """
    if id not in BY_ID:
        raise ValueError(f"unknown finding id {id!r}; the register (geomem_utils.findings.REGISTER) has "
                         f"{sorted(BY_ID)}")
    if verdict not in VERDICTS:
        raise ValueError(f"finding {id}: verdict must be one of {VERDICTS}, got {verdict!r}")
    if not str(ours).strip() or not str(paper).strip():
        raise ValueError(f"finding {id}: a verdict states our number(s) and the paper's (ours={ours!r}, "
                         f"paper={paper!r})")
    if verdict in (PARTLY, NOT_TESTED) and not str(detail).strip():
        raise ValueError(f"finding {id}: '{verdict}' needs a detail (which part; or the reason and the "
                         f"command that would test it)")
    checks = [str(c) for c in checks]
    if verdict in (REPRODUCED, PARTLY) and not checks:
        raise ValueError(f"finding {id}: '{verdict}' must name the checks that are its evidence")
    f = BY_ID[id]
    return {"id": id, "verdict": verdict, "ours": str(ours), "paper": str(paper), "detail": str(detail),
            "checks": checks, "statement": f.statement, "section": f.section, "chapter": f.chapter,
            "expected": f.expected}


def from_checks(id: str, evidence: Sequence[Any], ours: str, paper: str, detail: str = "",
                partly: bool = False, untested: str = "no check of this finding was computed") -> dict[str, Any]:
    """One finding's verdict from its evidence checks (objects with ``name``, ``passed``,
    ``value``, ``op``, ``threshold``): reproduced (or, with ``partly``, partly reproduced,
    ``detail`` saying which part) when every one passes; not reproduced otherwise, naming the
    failed ones (a failed check is then reported, not raised, by ``results.finish``, unless the
    register expects the finding reproduced); not tested here (``untested``) without checks."""
    if not evidence:
        return verdict(id, NOT_TESTED, ours, paper, detail or untested)
    names = [c.name for c in evidence]
    if not all(c.passed for c in evidence):
        failed = "; ".join(f"{c.name}: {c.value:.3g} not {c.op} {c.threshold:g}" for c in evidence if not c.passed)
        return verdict(id, NOT_REPRODUCED, ours, paper, f"{detail} Failed: {failed}".strip(), checks=names)
    return verdict(id, PARTLY if partly else REPRODUCED, ours, paper, detail, checks=names)


def verdict_of(id: str, checks: Sequence[Any], prefix: str | tuple[str, ...], ours: str, paper: str,
               detail: str = "", partly: bool = False,
               untested: str = "no check of this finding was computed") -> dict[str, Any]:
    """``id``'s verdict from its evidence among ``checks`` (those of kind "finding" named with
    ``prefix``): :func:`from_checks` of :func:`evidence`, the one way a chapter's checks module
    turns its checks into a verdict."""
    return from_checks(id, evidence(checks, prefix), ours, paper, detail, partly=partly, untested=untested)


def evidence(checks: Sequence[Any], prefix: str | tuple[str, ...]) -> list[Any]:
    """The checks of kind "finding" whose name starts with ``prefix`` (or one of several): a
    finding's evidence."""
    return [c for c in checks if c.kind == "finding" and c.name.startswith(prefix)]


def ours_text(checks: Sequence[Any]) -> str:
    """Our numbers, compactly: checks named ``"measure: label"`` are grouped by measure
    ("heatmap diagonal p-value: 0.001 (G(100, 5) edges_and_paths), 0.002 (...)")."""
    groups: dict[str, list[str]] = {}
    for c in checks:
        measure, _, label = c.name.partition(": ")
        groups.setdefault(measure, []).append(f"{c.value:.3g}" + (f" ({label})" if label else ""))
    return "; ".join(f"{m}: {', '.join(v)}" for m, v in groups.items())


def graded_from_checks(finding_id: str, checks: Sequence[Any], paper: str, spread: str = "",
                        why_not: str = "", numbers: str = "") -> dict:
    """A finding's verdict from its evidence checks: all pass -> reproduced; some ->
    partly reproduced (the failing ones named); none -> not reproduced at this size
    (``why_not`` says what differs from the paper's setting). ``numbers``: raw numbers shown
    before the checks' values in ``ours``."""
    if not checks:
        raise ValueError(f"{finding_id}: a verdict needs evidence checks")
    if any(c.kind != "finding" for c in checks):
        raise ValueError(f"{finding_id}: controls and machinery are not evidence")
    ours = (f"{numbers}; " if numbers else "") + ours_text(checks) + (f" [{spread}]" if spread else "")
    failed = [c for c in checks if not c.passed]
    if not failed:
        v, detail = REPRODUCED, ""
    elif len(failed) < len(checks):
        v, detail = PARTLY, "not reproduced: " + "; ".join(f"{c.name} ({c.value:.3g}, needs {c.op} {c.threshold:g})"
                                                                   for c in failed)
    else:
        v, detail = NOT_REPRODUCED, why_not
    return verdict(finding_id, v, ours, paper, detail, [c.name for c in checks])


def problems(notebook: str, findings: Sequence[Mapping[str, Any]],
             checks: Sequence[Mapping[str, Any]] = ()) -> list[str]:
    """What is wrong with the verdicts ``notebook`` recorded; empty when nothing is.

    Unknown, foreign, duplicate or missing ids; a finding the register expects to be
    reproduced that came out lower (a regression); evidence naming a check the chapter
    does not have, a check that is not of kind "finding", or (for "reproduced") a check
    that failed. ``checks`` are the chapter's checks as dicts (``name``, ``passed``,
    ``kind``).
    """
    out: list[str] = []
    by_name = {str(c["name"]): c for c in checks}
    seen: set[str] = set()
    for rec in findings:
        fid = str(rec.get("id"))
        f = BY_ID.get(fid)
        if f is None:
            out.append(f"{fid}: not in the register")
            continue
        if f.chapter != notebook:
            out.append(f"{fid}: the register assigns it to {f.chapter}, not {notebook}")
        if fid in seen:
            out.append(f"{fid}: recorded twice")
        seen.add(fid)
        got = rec.get("verdict")
        if got not in VERDICTS:
            out.append(f"{fid}: verdict {got!r} is not one of {VERDICTS}")
            continue
        if f.expected == REPRODUCED and got != REPRODUCED:
            out.append(f"{fid}: reproduced until now, today '{got}' (ours: {rec.get('ours')}; paper: "
                       f"{rec.get('paper')})")
        for name in rec.get("checks", ()):
            c = by_name.get(str(name))
            if c is None:
                out.append(f"{fid}: evidence names a check this chapter does not have: {name!r}")
            elif c.get("kind", "finding") != "finding":
                out.append(f"{fid}: evidence names a {c.get('kind')} check, which proves nothing about the "
                           f"paper: {name!r}")
            elif got == REPRODUCED and not c.get("passed"):
                out.append(f"{fid}: 'reproduced' although its evidence {name!r} failed")
    for f in for_chapter(notebook):
        if f.id not in seen:
            out.append(f"{f.id}: the register assigns it to {notebook}, which records no verdict for it")
    return out


def reported_failures(findings: Sequence[Mapping[str, Any]], checks: Sequence[Mapping[str, Any]]) -> set[str]:
    """Names of the failed checks of kind "finding" that only findings recorded as not
    (fully) reproduced name as evidence: what such a verdict reports, not a broken notebook."""
    by_reproduced = {str(n) for f in findings if f.get("verdict") == REPRODUCED for n in f.get("checks", ())}
    by_others = {str(n) for f in findings if f.get("verdict") != REPRODUCED for n in f.get("checks", ())}
    return {str(c["name"]) for c in checks if not c.get("passed") and c.get("kind", "finding") == "finding"
            and str(c["name"]) in by_others - by_reproduced}


def markdown(findings: Iterable[Mapping[str, Any]]) -> str:
    """The verdicts as a Markdown list for a chapter's page: id, verdict, our numbers (with
    the seed spread), the paper's, and which part / why."""
    lines = []
    for f in findings:
        line = f"- `{f['id']}`: **{f['verdict']}**. Ours: {f['ours']}. Paper: {f['paper']}."
        if f.get("detail"):
            line += f" *{str(f['detail']).rstrip('.')}.*"
        lines.append(line.replace("|", "\\|"))
    return "\n".join(lines)
