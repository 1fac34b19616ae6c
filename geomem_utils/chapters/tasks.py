"""Chapter 00, the tasks: the graphs, token formats, split and spectra every chapter uses."""

from __future__ import annotations

from typing import Any

from geomem_utils.params import ParameterError, integer, number
from geomem_utils.chapters import Chapter


def _one_leaf_each_side(p: dict[str, Any]) -> None:
    n_test = round(p["TEST_FRAC"] * p["DEGREE"])
    if not 1 <= n_test < p["DEGREE"]:
        raise ParameterError(
            f"parameter TEST_FRAC={p['TEST_FRAC']} with DEGREE={p['DEGREE']} holds out {n_test} leaves: "
            "need at least one held-out and one training leaf")


CHAPTER = Chapter(
    stem="00_tasks",
    title="Build the path-star task, in weights and in context",
    claim="The graphs, tasks and spectra of the book match the paper's definitions and published spectra.",
    paper_ref="§2, Fig. 1; spectra of Fig. 5 (release notebooks)",
    specs={
        "DEGREE": integer({"ci": 6, "full": 5000}, 2, 100_000, "arms of the path-star G(d, l)"),
        "PATH_LENGTH": integer({"ci": 5, "full": 5}, 2, 64, "nodes per arm, counting the root"),
        "N_PAUSE": integer({"ci": 1, "full": 5}, 0, 32, "pause tokens after the leaf"),
        "TEST_FRAC": number(0.25, 0, 1, "share of leaves held out", open_lo=True, open_hi=True),
        "TINY_STEPS": integer({"smoke": 20, "ci": 500, "full": 500}, 1, 100_000, "steps on the tiny star"),
    },
    cross_checks=_one_leaf_each_side,
)
