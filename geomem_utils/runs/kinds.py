"""The kinds of run a sweep grid can hold, each knowing how it is configured, trained and measured.

A sweep file names its kind (``kind = "path_star"`` or ``"in_context"``); :data:`KINDS` maps
the name to a :class:`RunKind`: the run's configuration class, how a grid point becomes one
(``from_sweep``), how it trains (through the run cache) and the numbers a sweep table keeps of
it (``table_row``). The sweep wing asks :func:`of` and never switches on the kind itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from geomem_utils.runs import in_context, pathstar, pathstar_config


@dataclass(frozen=True)
class RunKind:
    """One kind of run: its name, configuration class and three functions."""

    name: str
    config: type
    from_sweep: Callable[[str, dict[str, Any], dict[str, Any]], Any]
    train: Callable[[Any, str], dict[str, Any]]
    table_row: Callable[[Any, dict[str, Any]], dict[str, Any]]


def _train_path_star(cfg: pathstar_config.PathStarRun, device: str) -> dict[str, Any]:
    return pathstar.run_path_star(cfg, device=device, progress=False)


KINDS: dict[str, RunKind] = {
    "path_star": RunKind("path_star", pathstar_config.PathStarRun, pathstar_config.from_sweep, _train_path_star,
                         pathstar_config.table_row),
    "in_context": RunKind("in_context", in_context.InContextRun, in_context.from_sweep,
                          lambda cfg, device: in_context.run_in_context(cfg, device=device), in_context.table_row),
}


def of(cfg: Any) -> RunKind:
    """The kind of a run configuration."""
    for kind in KINDS.values():
        if isinstance(cfg, kind.config):
            return kind
    raise TypeError(f"not a sweep run: {type(cfg).__name__} (kinds: {sorted(KINDS)})")
