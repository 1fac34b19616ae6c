"""Chapter 02, the spectral bias: Node2Vec as a spectral filter, deep models with headroom.

The notebook ``02_spectral_bias`` trains tied Node2Vec on four tiny graphs and a small
path-star, then one-layer Transformers and networks on the same edges, and reads every
embedding in the eigenbasis of ``-L``. This module holds what the chapter *is* apart from
that science: its title, claim and paper reference, its parameters, the graph-size rule,
and the settings its cells sweep (the deep-model conditions, the initial scales, the
paper's star losses). The check thresholds live in :mod:`geomem_utils.chapters.spectral_bias_checks`.
"""

from __future__ import annotations

from typing import Any, Mapping

from geomem_utils.params import ParameterError, integer
from geomem_utils.chapters import Chapter

#: Largest graph the chapter's dense n x n spectra and Node2Vec runs are meant for.
MAX_NODES = 120

#: The star's Node2Vec loss per node at step 1 and at step 10,000, as the paper prints it.
PAPER_STAR_LOSS = {"step 1": 96.1, "step 10,000": 1.30}

#: Conditions of the deep models whose alignment is followed over training (model, data).
CONDS = [("Transformer", "edges"), ("Transformer", "edges + self-edges"),
         ("network", "edges"), ("network", "edges + self-edges")]

#: Initial standard deviations of Node2Vec's embedding in the initial-scale sweep.
INITS = (0.01, 0.1, 1.0, 3.0)

#: Initial standard deviation of untied Node2Vec (small: the initial-scale table shows why).
UNTIED_INIT = 0.01


def _small_graph(p: dict[str, Any]) -> None:
    n = 1 + p["DEGREE"] * (p["PATH_LENGTH"] - 1)
    if n > MAX_NODES:
        raise ParameterError(
            f"parameters DEGREE={p['DEGREE']}, PATH_LENGTH={p['PATH_LENGTH']} give {n} nodes; "
            f"this chapter's dense n x n spectra and Node2Vec runs are for graphs of at most "
            f"{MAX_NODES} nodes")


def size(p: Mapping[str, Any]) -> str:
    """What this chapter's verdicts are measured at, in words."""
    return (f"the four tiny graphs (15-17 nodes) and G({p['DEGREE']}, {p['PATH_LENGTH']}); Node2Vec "
            f"{p['N2V_STEPS']:,} steps, deep models {p['DEEP_STEPS']:,} steps ({p['PROFILE']} profile)")


CHAPTER = Chapter(
    stem="02_spectral_bias",
    title="Trace the geometry to a spectral bias",
    claim=("Tied Node2Vec trained on edges converges onto the top eigenvectors of -L and the other "
           "projections decay; one-layer Transformers and networks align less cleanly (headroom); "
           "untied embeddings zig-zag and self-edges remove it. ||C e_i|| -> 0 on the kept "
           "eigenvectors holds only where V keeps them exactly."),
    paper_ref=("§4 (spectral bias, Node2Vec), tiny-graph spectra and projections (release "
               "notebooks)"),
    specs={
        "DEGREE": integer({"ci": 8, "full": 16}, 2, 24, "arms of the path-star G(d, l)"),
        "PATH_LENGTH": integer({"ci": 5, "full": 6}, 2, 10, "nodes per arm, counting the root"),
        "N2V_STEPS": integer({"smoke": 2000, "ci": 10_000, "full": 10_000}, 100, 100_000,
                             "full-batch steps of every Node2Vec run (paper: 10,000)"),
        "DEEP_STEPS": integer({"smoke": 30, "ci": 500, "full": 2500}, 1, 100_000,
                              "steps of the one-layer Transformer and network"),
        "DEEP_WIDTH": integer(32, 4, 512, "width of the one-layer Transformer and network"),
    },
    cross_checks=_small_graph,
    size=size,
)
