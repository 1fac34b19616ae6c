"""The claim check of ``03_implicit_reasoning``, as a function of the measured numbers.

Introduced in ``03_implicit_reasoning`` (and tested in ``tests/test_implicit_reasoning.py``
with the numbers of a frozen-embedding run, which must fail it). The function only
compares numbers with thresholds; every number is measured by the notebook.
"""

from __future__ import annotations

from .results import Check, check


def implicit_reasoning_checks(
    *,
    degree: int,
    test_exact: float,
    hardest_first_hop: float,
    frozen_test_exact: float,
    ic_degree: int,
    ic_first_hop: float,
    ic_later: float,
    ic_reverse: float | None = None,
    mamba_test_exact: float | None = None,
    mamba_degree: int | None = None,
    arch: str = "gpt",
    exact_min: float = 0.75,
    hardest_min: float = 0.5,
    frozen_max_chances: float = 5.0,
    ic_margin: float = 0.15,
    ic_later_min: float = 0.9,
    ic_reverse_min: float = 0.9,
    mamba_exact_min: float = 0.5,
) -> list[Check]:
    """The checks of the implicit in-weights reasoning claim (spec §2 claim 3).

    - ``test_exact``: held-out exact match of the main run (G(d, l), edges + paths);
      must reach ``exact_min`` (chance of a first hop is 1/d).
    - ``hardest_first_hop``: held-out first-hop accuracy of the hardest-token run
      (edges + v1 only), at least ``hardest_min``.
    - ``frozen_test_exact``: the same run with frozen token embeddings; at most
      ``frozen_max_chances`` times chance (1/d).
    - ``ic_first_hop`` / ``ic_later``: the in-context task on G(``ic_degree``, l),
      teacher-forced accuracy of v1 (within ``ic_margin`` of chance 1/d_ic) and the mean over the
      later tokens (at least ``ic_later_min``: the Clever-Hans cheat is in place).
    - ``ic_reverse``: lowest per-position accuracy of the reverse (goal -> start) target,
      at least ``ic_reverse_min`` (``None``: not checked).
    - ``mamba_test_exact``: held-out exact match of the Mamba run on G(``mamba_degree``, l),
      at least ``mamba_exact_min`` (``None``: not checked).
    """
    if degree < 1 or ic_degree < 1:
        raise ValueError(f"degrees must be >= 1, got degree={degree}, ic_degree={ic_degree}")
    name = {"gpt": "GPT", "mamba": "Mamba"}.get(arch, arch)
    checks = [
        check(f"{name} held-out exact match, G({degree}, l)", test_exact, ">=", exact_min,
              paper="held-out paths answered from memorised edges, up to 100% (Fig. 2, §2.3)"),
        check("hardest-token objective: held-out first-hop accuracy", hardest_first_hop, ">=", hardest_min,
              paper="the first token alone is learnable in weights (§2.3)"),
        check("frozen embeddings: held-out exact match", frozen_test_exact, "<=", frozen_max_chances / degree,
              paper="frozen token embeddings fail on held-out paths (§2.3)"),
        check(f"in context G({ic_degree}, l): |teacher-forced first-hop accuracy - 1/d|", abs(ic_first_hop - 1.0 / ic_degree),
              "<=", ic_margin, paper="in context the first token stays at chance 1/d (Bachmann & Nagarajan)"),
        check(f"in context G({ic_degree}, l): later tokens (Clever-Hans)", ic_later, ">=", ic_later_min,
              paper="later tokens are right by the Clever-Hans cheat (Bachmann & Nagarajan)"),
    ]
    if ic_reverse is not None:
        checks.append(check(f"in context G({ic_degree}, l): reverse target, worst position", ic_reverse, ">=",
                            ic_reverse_min, paper="the reverse (goal -> start) target is learnable in context"))
    if mamba_test_exact is not None:
        if mamba_degree is None or mamba_degree < 1:
            raise ValueError(f"mamba_degree must be >= 1 when mamba_test_exact is given, got {mamba_degree}")
        checks.append(check(f"Mamba held-out exact match, G({mamba_degree}, l)", mamba_test_exact, ">=",
                            mamba_exact_min, paper="Mamba answers held-out paths too (§2.3)"))
    return checks
