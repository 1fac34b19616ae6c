"""The register of the paper's findings, the one verdict rule, and one verdict per finding.

Every numbered claim and sub-claim of the paper, the ablations of its §2.3 and the four
explanations of the memorization puzzle (§5) are listed here once, with the chapter that
tests them, the size the paper measured them at, and the verdict the book reaches today;
the book's own findings (not the paper's claims) are marked ``extension`` and listed apart.

A chapter turns its checks into one reading per finding (:func:`verdict_of`, from the
checks of this run's seed) and passes them to :func:`geomem_utils.results.finish`, which
reads the chapter's committed seed table (:mod:`geomem_utils.seeds`) and judges each
finding over every seed by :data:`RULE` (:func:`judge`); it then

- writes the verdicts to the results file under ``"findings"`` (the scorecard's tables);
- raises :class:`~geomem_utils.results.ClaimCheckFailed` (except at the smoke profile) when
  a finding the register expects to be *reproduced* comes out lower on its seeds (a
  regression), when a chapter records an id the register does not know or assigns to
  another chapter, records one twice or misses one, or when an evidence check is named by
  no finding or by two.

A finding that is "not reproduced at this size" does not fail anything: it is reported,
with our number next to the paper's. A check is evidence only when it could have come out
otherwise; see :data:`geomem_utils.results.CHECK_KINDS` for the checks that are not.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

#: The four verdicts, best first.
VERDICTS = ("reproduced", "partly reproduced", "not reproduced at this size", "not tested here")
REPRODUCED, PARTLY, NOT_REPRODUCED, NOT_TESTED = VERDICTS


@dataclass(frozen=True)
class Finding:
    """One finding: what it says, where, which chapter tests it, today's verdict, the size the
    paper measured it at, and whether it is the book's own (``extension``) or the paper's."""

    id: str
    statement: str
    section: str
    chapter: str
    expected: str
    paper_size: str = ""
    extension: bool = False

    def __post_init__(self) -> None:
        if self.expected not in VERDICTS:
            raise ValueError(f"finding {self.id}: expected must be one of {VERDICTS}, got {self.expected!r}")


#: A check's comparisons (``value op threshold``).
OPS = {
    ">=": lambda v, t: v >= t,
    ">": lambda v, t: v > t,
    "<=": lambda v, t: v <= t,
    "<": lambda v, t: v < t,
    "==": lambda v, t: v == t,
}

#: Seeds a verdict needs; with fewer, a finding is "not tested here".
MIN_SEEDS = 3

#: The one rule every verdict follows (printed on the scorecard).
RULE = (
    f"Every verdict rests on at least {MIN_SEEDS} seeds of the same configuration: the book's build trains "
    "seed 0 and reads the other seeds from committed tables (`make seeds`; `make sweep` for a grid, or for an "
    "experiment too long for the build, which is then read whole), stamped with the code that computed them; "
    "the build fails when its own seed-0 numbers disagree with the table's. A finding's evidence "
    "is measurements that would have come out otherwise had the finding been false; preconditions, null "
    "controls and checks of the book's own code are shown apart and never counted, and every evidence check "
    "belongs to exactly one finding; a finding whose precondition fails (a positive control that shows "
    "nothing) is not tested. An evidence check *holds* when it passes at every seed. **Reproduced**: "
    "every evidence check holds. **Not reproduced at this size**: no evidence check passes at any seed. "
    "**Partly reproduced**: anything between, naming the checks that hold, those that fail and at how many "
    "seeds. **Not tested here**: no evidence, or fewer seeds than the rule needs. A chance-level check tests "
    "the side the paper claims (\"not learnt\" is \"not above chance\"). Each verdict states the size it was "
    "measured at, next to the paper's."
)


_01, _02, _03, _04 = "01_geometry_emerges", "02_spectral_bias", "03_implicit_reasoning", "04_memorization_puzzle"
_06 = "06_how_far_it_holds"

#: Every finding the book answers for, in the order of the paper (the book's own, ``extension``,
#: beside the paper's finding they extend).
REGISTER: tuple[Finding, ...] = (
    # --- claim 1: geometry emerges from local supervision
    Finding("geometry.heatmap",
            "Leaf and first-hop embeddings of the same path are close: the leaf / first-hop cosine-distance "
            "heatmap has a dark diagonal, and a leaf's nearest first hop is its own (a 1-step look-up).",
            "§2, Fig. 2", _01, REPRODUCED,
            paper_size="GPT-mid 12 x 384 on G(5000, 5) (20,001 nodes)"),
    Finding("geometry.path_clusters",
            "Nodes of the same path cluster: path-by-path distances are smallest on the diagonal; a UMAP "
            "shows one cluster per path.",
            "§2, Fig. 2", _01, REPRODUCED,
            paper_size="GPT-mid 12 x 384 on G(5000, 5)"),
    Finding("geometry.edges_only",
            "The geometry appears even when the model is trained on the edges alone (no path supervision), "
            "so global supervision is not what creates it (the puzzle's third explanation).",
            "§2, §5, Figs. 2-3", _01, REPRODUCED,
            paper_size="GPT-mid 12 x 384 and Mamba on G(5000, 5); tiny graphs"),
    Finding("geometry.tiny_graphs",
            "In tiny graphs trained on edges only, the embedding looks like the graph.",
            "§2, Fig. 3", _01, PARTLY,
            paper_size="tiny graphs (15-17 nodes), small Transformer / Mamba / Node2Vec"),
    Finding("geometry.mamba_stronger_edges_only",
            "Trained on edges only, Mamba's geometry is stronger than the Transformer's.",
            "§2, Fig. 3", _01, NOT_REPRODUCED,
            paper_size="12 x 384 Transformer and Mamba on G(5000, 5); tiny graphs"),
    Finding("geometry.mamba_weaker_clusters",
            "Mamba's path clusters are weaker than the Transformer's (the paper shows it with UMAPs: one "
            "cluster per path, less cleanly separated for Mamba).",
            "§2, Fig. 2 (UMAP)", _01, PARTLY,
            paper_size="12 x 384 Transformer and Mamba on G(5000, 5)"),
    Finding("geometry.one_direction_weaker",
            "Edges shown in one direction only give a weaker geometry than edges shown in both directions.",
            "§2.3 (ablation: edge directions)", _01, REPRODUCED,
            paper_size="GPT-mid 12 x 384 on the paper's path-stars"),
    Finding("geometry.no_path_diagonal_edges_only",
            "Trained on edges only, the model shows no path-by-path diagonal: the nodes of a path do not cluster "
            "by path without path supervision (the paper's path-by-path distance matrix of the edges-only model).",
            "§2, Fig. 2", _01, NOT_REPRODUCED,
            paper_size="GPT-mid 12 x 384 on G(5000, 5)"),
    # --- claim 2: spectral bias
    Finding("spectral.node2vec_alignment",
            "Tied Node2Vec's embedding converges onto the top (Fiedler-like) eigenvectors of -L; the other "
            "projections decay to 0.",
            "§4, Fig. 5", _02, REPRODUCED,
            paper_size="tiny graphs (15-17 nodes), Node2Vec"),
    Finding("spectral.ce_vanishes",
            "For the kept eigenvectors e_i, ||C(t) e_i|| -> 0 over training.",
            "§4, Fig. 5", _02, NOT_REPRODUCED,
            paper_size="tiny graphs (15-17 nodes), Node2Vec"),
    Finding("spectral.transformer_headroom",
            "Transformers show the same spectral alignment, but weaker than Node2Vec (headroom).",
            "§4, Fig. 5", _02, REPRODUCED,
            paper_size="tiny graphs, small Transformer"),
    Finding("spectral.untied_zigzag",
            "With untied embeddings the picture is a zig-zag / bipartite one (weight on the negative-eigenvalue "
            "eigenvectors).",
            "§4, Fig. 5", _02, REPRODUCED,
            paper_size="tiny graphs"),
    Finding("spectral.self_edges",
            "Adding self-edges u -> u removes the negative-eigenvalue zig-zag.",
            "§4, Fig. 5", _02, REPRODUCED,
            paper_size="tiny graphs"),
    Finding("spectral.eigenvectors_match",
            "The top eigenvectors of P + P^T (the graph operator Node2Vec learns) match those of V V^T (the "
            "embedding's Gram matrix).",
            "§4, Observation 8", _02, REPRODUCED,
            paper_size="tiny graphs (15-17 nodes), Node2Vec"),
    # --- claim 3: implicit in-weights reasoning
    Finding("reasoning.heldout_paths",
            "On the in-weights path-star task the model outputs the full path for held-out leaves (up to 100% "
            "exact match at d = 10^4), although each first hop is an (l-2)-fold composition of edges.",
            "§2.3, Fig. 2", _03, REPRODUCED,
            paper_size="GPT-mid 12 x 384 on G(5000, 5), G(10^4, 6), G(10^4, 10)"),
    Finding("reasoning.mamba_heldout",
            "Mamba also answers held-out paths in weights.",
            "§2.3, Fig. 2", _03, REPRODUCED,
            paper_size="Mamba 12 x 384 on the paper's path-stars"),
    Finding("reasoning.no_token_order",
            "The tokens of the path are learned in no particular order (not last-to-first).",
            "§2.3", _03, NOT_TESTED,
            paper_size="GPT-mid 12 x 384 on the paper's path-stars"),
    Finding("reasoning.teacherless_cascade",
            "In context, the teacherless objective learns the path right to left: the tokens next to the goal "
            "first, the first hop last (if at all).",
            "§2.3", _03, NOT_REPRODUCED,
            paper_size="in context on G(2, 5), G(10, 5), G(20, 5)"),
    Finding("reasoning.reverse_paths_trivial",
            "Generating the reverse path (leaf to root) in weights is trivial: each step is a memorised "
            "child-to-parent edge (Remark 1).",
            "§2.3, Remark 1", _03, REPRODUCED,
            paper_size="GPT-mid 12 x 384 on the paper's path-stars"),
    Finding("reasoning.backward_edges_reverse",
            "Backward (child-to-parent) edges alone answer the reverse path task on held-out leaves.",
            "§2.3", _03, REPRODUCED,
            paper_size="GPT-mid 12 x 384 on the paper's path-stars"),
    Finding("reasoning.hardest_token",
            "The first (hardest) token alone is learnable in weights.",
            "§2.3", _03, REPRODUCED,
            paper_size="GPT-mid 12 x 384 on the paper's path-stars"),
    Finding("reasoning.in_context_fails",
            "The in-context version of the task fails: first-token accuracy ~1/d (Clever-Hans cheat) while the "
            "later tokens are right.",
            "§2.3", _03, REPRODUCED,
            paper_size="in context on G(2, 5), G(10, 5), G(20, 5)"),
    Finding("reasoning.in_context_hardest_fails",
            "In context the first (hardest) token alone is not learnt either: trained on v1 only, its accuracy "
            "stays at chance 1/d.",
            "§2.3", _03, NOT_TESTED,
            paper_size="in context on G(2, 5), G(10, 5), G(20, 5)"),
    Finding("reasoning.frozen_fails",
            "With frozen token embeddings the in-weights task fails on held-out paths.",
            "§2.3", _03, REPRODUCED,
            paper_size="GPT-mid 12 x 384 on the paper's path-stars"),
    Finding("reasoning.in_context_reverse",
            "In context, the reverse target (the path from the goal back to the start) is learnable: the failure "
            "of the forward task is not a failure to read the graph in context (Bachmann & Nagarajan's control).",
            "§2.3 (the in-context baseline it cites)", _03, PARTLY,
            paper_size="in context on G(2, 5) (Bachmann & Nagarajan)", extension=True),
    Finding("reasoning.edge_directions",
            "Reverse edges are needed: training on forward-only or backward-only edges fails on held-out paths.",
            "§2.3 (ablation)", _03, REPRODUCED,
            paper_size="GPT-mid 12 x 384 on the paper's path-stars"),
    Finding("reasoning.pause_tokens",
            "Pause tokens speed the learning of held-out paths up.",
            "§2.3 (ablation)", _03, PARTLY,
            paper_size="G(10^4, 6) and G(10^4, 10) with as many pauses as path nodes"),
    Finding("reasoning.mixed_vs_staged",
            "Mixed training (edges and paths in the same batches) is the most stable; staged training "
            "(edges first) peaks then decays.",
            "§2.3 (ablation)", _03, NOT_REPRODUCED,
            paper_size="GPT-mid 12 x 384 on the paper's path-stars, long training"),
    Finding("reasoning.tree_star",
            "The tree-star also generalises to held-out leaves / subtrees (first-token split harder).",
            "§2.3 (ablation)", _03, PARTLY,
            paper_size="tree-stars (sizes not given)"),
    Finding("reasoning.geometry_predicts_heldout",
            "The geometry is what answers held-out paths: across runs, held-out first-hop accuracy follows the "
            "model's 1-step navigation accuracy, and it does so within the runs that generalise, as one knob (the "
            "token embedding's init scale) moves them.",
            "§2-§2.3 (the paper's reading of Fig. 2)", _03, PARTLY,
            paper_size="", extension=True),
    Finding("reasoning.geometry_ablation",
            "The geometry answers held-out paths, by intervention: removing from the trained token embedding the "
            "graph's top eigenvector direction, or a held-out leaf's own arm direction, loses those held-out first "
            "hops while the edges, the training paths and the other leaves survive; random subspaces that remove "
            "the same energy do not.",
            "§2-§2.3 (the paper's reading of Fig. 2, tested by ablation)", _03, REPRODUCED,
            paper_size="", extension=True),
    # --- claim 4: the memorization puzzle
    Finding("puzzle.associative_learnable",
            "Associative memory is learnable: a model stores every edge with no geometry (frozen embeddings + one "
            "trainable layer reach 100% edge recall; the puzzle's first explanation, 'it cannot be learned', is "
            "ruled out). Our evidence: a trainable GPT at N(0, 1) init recalls every edge of a path-star of "
            "hundreds of nodes while navigating at chance.",
            "§5", _04, REPRODUCED,
            paper_size="tiny graphs, width 512"),
    Finding("puzzle.geometry_chosen",
            "Given trainable embeddings, the same one-layer network (and a one-layer Transformer) stores the graph "
            "geometrically, in its embedding, although the lookup is learnable: the puzzle itself.",
            "§5", _04, REPRODUCED,
            paper_size="tiny graphs, width 512"),
    Finding("puzzle.succinctness",
            "Associative memory costs between 1x and 2x the geometry, in bits and in l2 norm (Prop. 1), so "
            "succinctness does not explain geometry.",
            "§5, Prop. 1", _04, PARTLY,
            paper_size="closed form (Prop. 1), any size"),
    Finding("puzzle.associative_faster",
            "Associative memory is found faster (about 2 steps vs about 100 steps in the tiny graphs).",
            "§5", _04, PARTLY,
            paper_size="tiny graphs, width 512"),
    Finding("puzzle.edges_then_hardest",
            "Global supervision does not explain the geometry: a model trained on edges only, then fine-tuned on the "
            "hardest token alone, answers held-out first hops (the puzzle's third explanation is ruled out).",
            "§5 (explanation 3), §2.3", _04, REPRODUCED,
            paper_size="GPT-mid 12 x 384 on the paper's path-stars"),
    Finding("puzzle.knobs",
            "Learning rate, weight decay, init scale and dropout move a model between geometric and associative "
            "memory (edge margin of the skewed low-rank logits).",
            "§5, Table (skewed low-rank logits)", _04, REPRODUCED,
            paper_size="15-cycle, one-layer network, width 512, 10,000 full-batch steps"),
    Finding("puzzle.trainable_associative_path_star",
            "A model with trainable embeddings can be pushed to associative memory on the path-star (large init): "
            "it memorises every edge yet answers held-out paths at chance.",
            "§5 (knobs), §2.3", _04, REPRODUCED,
            paper_size="", extension=True),
    # --- how far claim 3 holds (sweeps)
    Finding("scale.seeds_and_sizes",
            "The in-weights result is not one lucky run: held-out paths are answered at every seed and across "
            "graph sizes (the paper runs G(5000, 5), G(10^4, 6), G(10^4, 10)).",
            "§2.3, Fig. 2", _06, REPRODUCED,
            paper_size="G(5000, 5), G(10^4, 6), G(10^4, 10), GPT-mid 12 x 384"),
    Finding("scale.path_length",
            "Longer paths work too: held-out paths of G(10^4, 6) and G(10^4, 10) are answered, although the "
            "first hop is then a 4-fold or 8-fold composition.",
            "§2.3, Fig. 2", _06, NOT_REPRODUCED,
            paper_size="G(10^4, 6) and G(10^4, 10), GPT-mid 12 x 384, pause tokens"),
    Finding("scale.position_init",
            "The book's own pitfall: with the authors' release's learned positions at N(0, 1), held-out paths are "
            "not answered at CPU sizes (the book uses N(0, 0.02), the paper's init).",
            "the authors' release", _06, REPRODUCED,
            paper_size="", extension=True),
)

BY_ID: dict[str, Finding] = {f.id: f for f in REGISTER}
if len(BY_ID) != len(REGISTER):  # pragma: no cover - guarded by a unit test too
    raise RuntimeError("duplicate finding ids in REGISTER")


def for_chapter(notebook: str) -> list[Finding]:
    """The findings the register assigns to ``notebook`` (a notebook stem), in register order."""
    return [f for f in REGISTER if f.chapter == notebook]


def verdict(id: str, verdict: str, ours: str, paper: str, detail: str = "",
            checks: Iterable[str] = (), seeds: Sequence[int] | None = None) -> dict[str, Any]:
    """One finding's verdict, as the plain dict a chapter records.

    ``ours``: our number(s); ``paper``: the paper's number or statement; ``detail``: which
    part is (not) reproduced, or for "not tested here" the reason and the command that would
    test it; ``checks``: the names of the chapter's checks that are the evidence; ``seeds``:
    the seeds the chapter's own evidence already spans (a sweep over seeds, as in chapter 06),
    else ``None`` (one seed: :func:`judge` adds the committed ones). Raises ``ValueError`` on
    an unknown id or verdict, or a verdict missing the explanation it needs.
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
            "note": str(detail), "checks": checks, "statement": f.statement, "section": f.section,
            "chapter": f.chapter, "expected": f.expected, "paper_size": f.paper_size, "extension": f.extension,
            "seeds": list(seeds) if seeds is not None else None}


def reading(passed: Sequence[bool]) -> str:
    """The rule on one seed: every evidence check passes -> reproduced; none -> not
    reproduced at this size; some -> partly reproduced."""
    if not passed:
        return NOT_TESTED
    if all(passed):
        return REPRODUCED
    return PARTLY if any(passed) else NOT_REPRODUCED


def _short(name: str) -> str:
    return name if len(name) <= 90 else name[:87] + "..."


def from_checks(id: str, evidence: Sequence[Any], ours: str, paper: str, detail: str = "",
                untested: str = "no check of this finding was computed",
                requires: Sequence[Any] = ()) -> dict[str, Any]:
    """One finding's reading at this run's seed from its evidence checks (objects with
    ``name``, ``passed``, ``value``, ``op``, ``threshold``), by :func:`reading`; ``detail``
    (the chapter's note: why a size falls short, what differs from the paper) is kept beside
    the computed list of failed checks; not tested here (``untested``) without checks.
    ``requires``: the finding's preconditions (machinery checks: the model trained); when
    one fails, this seed says nothing about the finding and reads "not tested here".
    :func:`judge` then re-reads it over every seed."""
    if not evidence:
        return verdict(id, NOT_TESTED, ours, paper, detail or untested)
    void = [c for c in requires if not c.passed]
    if void:
        v = NOT_TESTED
        failed = "; ".join(f"{_short(c.name)}: {c.value:.3g} not {c.op} {c.threshold:g}" for c in void)
        text = f"Precondition failed, so this seed says nothing: {failed}."
    else:
        v = reading([c.passed for c in evidence])
        failed = "; ".join(f"{_short(c.name)}: {c.value:.3g} not {c.op} {c.threshold:g}"
                           for c in evidence if not c.passed)
        text = f"Fails: {failed}." if failed else ""
    rec = verdict(id, v, ours, paper, " ".join(x for x in (text, detail) if x), checks=[c.name for c in evidence])
    rec["note"] = str(detail)
    rec["requires"] = [c.name for c in requires]
    return rec


def verdict_of(id: str, checks: Sequence[Any], prefix: str | tuple[str, ...], ours: str, paper: str,
               detail: str = "", untested: str = "no check of this finding was computed",
               requires: str | tuple[str, ...] = ()) -> dict[str, Any]:
    """``id``'s reading from its evidence among ``checks`` (those of kind "finding" named with
    ``prefix``; its preconditions: those named with ``requires``, machinery or another
    finding's evidence, e.g. a positive control the paper also claims):
    :func:`from_checks` of :func:`evidence`, the one way a chapter's checks module turns its
    checks into a verdict."""
    pre = [c for c in checks if c.name.startswith(requires)] if requires else []
    return from_checks(id, evidence(checks, prefix), ours, paper, detail, untested=untested, requires=pre)


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


def _passes(value: Any, op: str, threshold: float) -> bool:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return False
    return math.isfinite(v) and bool(OPS[op](v, threshold))


def _seeds_text(seeds: Sequence[int]) -> str:
    seeds = sorted(seeds)
    if len(seeds) > 2 and seeds == list(range(seeds[0], seeds[-1] + 1)):
        return f"seeds {seeds[0]}-{seeds[-1]}"
    return ("seed " if len(seeds) == 1 else "seeds ") + ", ".join(str(s) for s in seeds)


def judge(rec: Mapping[str, Any], checks: Sequence[Any], by_seed: Mapping[int, Mapping[str, float]],
          this_run: tuple[int, Mapping[str, float]] | None = None) -> dict[str, Any]:
    """``rec`` (one seed's reading, :func:`verdict_of`) judged by :data:`RULE` over every seed.

    ``checks``: this run's checks (their ``op`` and ``threshold`` judge every seed's values);
    ``by_seed``: seed -> check name -> value, the seeds the verdict rests on; ``this_run``:
    ``(seed, values)`` of a run outside those seeds, read alone and shown beside the verdict.
    A record whose evidence already spans its own seeds (``rec["seeds"]``) is kept as it is.
    Adds ``seeds``, ``by_seed`` (each seed's reading), ``holds`` (per evidence check: seeds
    passed, of how many, the values) and ``this_run``.
    """
    out = dict(rec)
    out.setdefault("note", out.get("detail", ""))
    out["this_run"] = None
    names = list(out.get("checks", []))
    if out.get("seeds") is not None or not names:
        out["seeds"] = list(out["seeds"] or [])
        out.setdefault("by_seed", {})
        out.setdefault("holds", {})
        return out
    rule = {c.name: (c.op, c.threshold) for c in checks}
    if any(n not in rule for n in names):  # reported by problems(): nothing to judge on
        out.update(seeds=[], by_seed={}, holds={})
        return out
    needs = [n for n in out.get("requires", []) if n in rule]
    measured = sorted(s for s, vals in by_seed.items() if all(n in vals for n in names))
    out["void_seeds"] = {str(s): [n for n in needs if not _passes(by_seed[s].get(n), *rule[n])] for s in measured}
    out["void_seeds"] = {s: v for s, v in out["void_seeds"].items() if v}
    seeds = [s for s in measured if str(s) not in out["void_seeds"]]
    passed = {n: {s: _passes(by_seed[s][n], *rule[n]) for s in seeds} for n in names}
    out["seeds"] = seeds
    out["by_seed"] = {str(s): reading([passed[n][s] for n in names]) for s in seeds}
    out["holds"] = {n: {"passed": sum(passed[n].values()), "of": len(seeds),
                        "values": {str(s): by_seed[s][n] for s in seeds}} for n in names}
    if this_run is not None:
        seed, values = this_run
        if all(n in values for n in names):
            void = any(not _passes(values.get(n), *rule[n]) for n in needs)
            out["this_run"] = {"seed": int(seed), "values": {n: values[n] for n in names},
                               "verdict": NOT_TESTED if void else reading([_passes(values[n], *rule[n])
                                                                           for n in names])}
    note = str(out.get("note", "")).strip()
    if out["void_seeds"]:
        note = " ".join(x for x in (note, "Seeds left out, their precondition failed: " + "; ".join(
            f"seed {s} ({', '.join(_short(n) for n in v)})" for s, v in out["void_seeds"].items()) + ".") if x)
    if len(seeds) < MIN_SEEDS:
        alone = (f"; {_seeds_text(seeds)} alone read{'s' if len(seeds) == 1 else ''} "
                 f"'{', '.join(sorted(set(out['by_seed'].values())))}'" if seeds else "")
        out["verdict"] = NOT_TESTED
        out["detail"] = " ".join(x for x in (
            f"Rests on {len(seeds)} seed(s); the rule needs {MIN_SEEDS} (`make seeds` adds seeds of the book's "
            f"configuration; at another size a sweep over seeds would test it){alone}.", note) if x)
        return out
    hold = [n for n in names if passed[n] and all(passed[n].values())]
    fail = [n for n in names if not any(passed[n].values())]
    vary = [n for n in names if n not in hold and n not in fail]
    n = len(seeds)

    def listing(group: list[str]) -> str:
        return "; ".join(f"{_short(c)} ({out['holds'][c]['passed']}/{n} seeds)" for c in group)

    if len(hold) == len(names):
        out["verdict"], computed = REPRODUCED, ""
    elif len(fail) == len(names):
        out["verdict"] = NOT_REPRODUCED
        computed = "Fails at every seed: " + "; ".join(f"{_short(c)} {rule[c][0]} {rule[c][1]:g}" for c in fail) + "."
    else:
        out["verdict"] = PARTLY
        computed = " ".join(f"{label}: {listing(g)}." for label, g in
                            (("Holds", hold), ("Fails", fail), ("Varies across seeds", vary)) if g)
    out["detail"] = " ".join(x for x in (computed, note) if x)
    return out


def spread(rec: Mapping[str, Any]) -> str:
    """The evidence over the seeds, for a page: each check's range and how many seeds pass."""
    parts = []
    for name, h in (rec.get("holds") or {}).items():
        vals = [float(v) for v in h["values"].values()]
        rng = f"{min(vals):.3g}" if min(vals) == max(vals) else f"{min(vals):.3g} to {max(vals):.3g}"
        parts.append(f"{_short(name)}: {rng} ({h['passed']}/{h['of']} seeds pass)")
    return "; ".join(parts)


def problems(notebook: str, findings: Sequence[Mapping[str, Any]],
             checks: Sequence[Mapping[str, Any]] = ()) -> list[str]:
    """What is wrong with the verdicts ``notebook`` recorded; empty when nothing is.

    Unknown, foreign, duplicate or missing ids; a finding the register expects to be
    reproduced that came out lower on at least :data:`MIN_SEEDS` seeds (a regression; a
    one-seed reading at another size is reported, not raised); evidence naming a check the
    chapter does not have or a check that is not of kind "finding"; an evidence check named
    by no finding or by two. ``checks`` are the chapter's checks as dicts (``name``,
    ``passed``, ``kind``).
    """
    out: list[str] = []
    by_name = {str(c["name"]): c for c in checks}
    seen: set[str] = set()
    named: dict[str, list[str]] = {}
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
        judged = rec.get("seeds") is None or len(rec.get("seeds") or []) >= MIN_SEEDS
        if f.expected == REPRODUCED and got != REPRODUCED and judged:
            out.append(f"{fid}: reproduced until now, today '{got}' (ours: {rec.get('ours')}; paper: "
                       f"{rec.get('paper')}; {rec.get('detail', '')})")
        for name in rec.get("checks", ()):
            named.setdefault(str(name), []).append(fid)
            c = by_name.get(str(name))
            if c is None:
                out.append(f"{fid}: evidence names a check this chapter does not have: {name!r}")
            elif c.get("kind", "finding") != "finding":
                out.append(f"{fid}: evidence names a {c.get('kind')} check, which proves nothing about the "
                           f"paper: {name!r}")
    for f in for_chapter(notebook):
        if f.id not in seen:
            out.append(f"{f.id}: the register assigns it to {notebook}, which records no verdict for it")
    for name, c in by_name.items():
        if c.get("kind", "finding") != "finding":
            continue
        owners = named.get(name, [])
        if not owners and findings:
            out.append(f"evidence check {name!r} is named by no finding (label it a control or machinery, or "
                       f"name it as a finding's evidence)")
        elif len(owners) > 1:
            out.append(f"evidence check {name!r} is named by {len(owners)} findings ({', '.join(owners)})")
    return out


def reported_failures(findings: Sequence[Mapping[str, Any]], checks: Sequence[Mapping[str, Any]]) -> set[str]:
    """Names of the failed evidence checks: what a finding's verdict reports (a result, not a
    broken notebook: only a regression of a finding fails the build)."""
    return {str(c["name"]) for c in checks if not c.get("passed") and c.get("kind", "finding") == "finding"}


def markdown(findings: Iterable[Mapping[str, Any]]) -> str:
    """The verdicts as a Markdown list for a chapter's page: id, verdict with its seeds, our
    numbers at this run's seed and their spread over the seeds, the paper's, which part / why,
    and a new seed's own reading when the reader ran one."""
    lines = []
    for f in findings:
        seeds = f.get("seeds") or []
        on = f" ({_seeds_text(seeds)})" if seeds else ""
        line = f"- `{f['id']}`: **{f['verdict']}**{on}. Ours: {f['ours']}."
        if f.get("holds") and len(seeds) > 1:
            line += f" Over the seeds: {spread(f)}."
        line += f" Paper: {f['paper']}."
        if f.get("detail"):
            line += f" *{str(f['detail']).rstrip('.')}.*"
        if f.get("this_run"):
            t = f["this_run"]
            line += f" This run's seed {t['seed']} alone reads '{t['verdict']}' (not counted: outside the committed seeds)."
        lines.append(line.replace("|", "\\|"))
    return "\n".join(lines)


def shortfalls(findings: Iterable[Mapping[str, Any]]) -> str:
    """The chapter summary's list of what does not (fully) reproduce, generated from the
    verdicts so that it cannot go stale: each finding not reproduced, with its verdict, the
    seeds and the size it rests on, and which part holds or why not; a line saying so when
    everything reproduces."""
    lines = []
    for f in findings:
        if f["verdict"] == REPRODUCED:
            continue
        seeds = f.get("seeds") or []
        on = f" on {_seeds_text(seeds)}" if seeds else ""
        size = f" at {f['size']}" if f.get("size") else ""
        lines.append(f"- `{f['id']}`: **{f['verdict']}**{on}{size}. {str(f.get('detail', '')).rstrip('.')}.")
    if not lines:
        return "Every finding of this chapter reproduces at the book's size, on every committed seed."
    return "\n".join(line.replace("|", "\\|") for line in lines)
