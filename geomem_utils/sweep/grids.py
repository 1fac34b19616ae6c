"""Sweeps: one finding across seeds, graph sizes, path lengths and recipes, through Dask.

A sweep is a named grid in ``sweeps/NAME.toml``: for each profile (``smoke``, ``ci``,
``full``, or any other named section) a ``grid`` (every combination of its values is one
run), ``fixed`` overrides and *bundles*: a grid key whose values name tables of overrides
(``recipe = ["gpt", "mamba"]`` with ``[ci.recipe.mamba]``)::

    kind = "path_star"                      # or "in_context"
    description = "..."
    [ci]
    fixed = {steps = 500, batch_size = 128}
    grid = {degree = [20, 40, 80], recipe = ["gpt", "mamba"], seed = [0, 1, 2]}
    [ci.recipe.gpt]
    [ci.recipe.mamba]
    arch = "mamba"
    lr = 3e-2

A path-star run is ``pathstar_config.profile_run(base, **fixed, **bundles, **point)`` (``base``:
the section's profile, or ``base = "ci"``); a key ``model.NAME`` sets one model keyword
(``model.pos_init_std = [1.0, 0.02]``). An in-context run is
``in_context.InContextRun(**fixed, **bundles, **point)``. Every run is validated
before any work starts (errors name the field) and goes through the run cache, so a
killed sweep resumes where it stopped and sweeps that share runs share them.

Neighbours in this wing: :mod:`geomem_utils.sweep.rows` (one run, one table row; rows to a
table file), :mod:`geomem_utils.sweep.tables` (the table a notebook reads),
:mod:`geomem_utils.sweep.cluster` (the grid on Dask) and :mod:`geomem_utils.sweep.cli`
(the command line, ``python -m geomem_utils.sweep``).
"""

from __future__ import annotations

import itertools
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geomem_utils.files import repo_root
from geomem_utils.validate import ConfigError, show

PROFILES = ("smoke", "ci", "full")


def sweeps_dir() -> Path:
    return Path(os.environ.get("GEOMEM_SWEEPS") or repo_root() / "sweeps")


@dataclass(frozen=True)
class Sweep:
    """One named grid at one profile."""

    name: str
    profile: str
    kind: str = "path_star"
    description: str = ""
    grid: dict[str, list[Any]] = field(default_factory=dict)
    fixed: dict[str, Any] = field(default_factory=dict)
    bundles: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # grid key -> value -> overrides
    base: str = ""  # the profile whose chapter run a path-star point starts from (default: profile, else ci)

    def __post_init__(self) -> None:
        from geomem_utils.runs.kinds import KINDS  # torch loads with the runs, not with the grid files

        if self.kind not in KINDS:
            raise ConfigError(f"sweep {self.name!r}: kind must be one of {list(KINDS)}, got {show(self.kind)}")
        if not isinstance(self.profile, str) or not self.profile:
            raise ConfigError(f"sweep {self.name!r}: profile must be a section name, got {show(self.profile)}")
        if self.base and self.base not in PROFILES:
            raise ConfigError(f"sweep {self.name!r} [{self.profile}]: base must be one of {list(PROFILES)}, "
                                 f"got {show(self.base)}")
        if not self.grid:
            raise ConfigError(f"sweep {self.name!r} [{self.profile}]: the grid is empty")
        for key, values in self.grid.items():
            if not isinstance(values, list) or not values:
                raise ConfigError(f"sweep {self.name!r} [{self.profile}]: grid.{key} must be a non-empty list, "
                                     f"got {show(values)}")
        for key, table in self.bundles.items():
            for v in self.grid.get(key, []):
                if v not in table:
                    raise ConfigError(f"sweep {self.name!r} [{self.profile}]: grid.{key} names {v!r}, "
                                         f"which is not among [{self.profile}.{key}.*]: {sorted(table)}")

    def points(self) -> list[dict[str, Any]]:
        """Every combination of the grid's values, in the grid's order (last key fastest)."""
        keys = list(self.grid)
        return [dict(zip(keys, combo)) for combo in itertools.product(*(self.grid[k] for k in keys))]

    def config(self, point: dict[str, Any]) -> Any:
        """The run configuration of one grid point (validated: errors name the field)."""
        kw = dict(self.fixed)
        for key, v in point.items():
            kw.update(self.bundles[key][v] if key in self.bundles else {key: v})
        model = {k.removeprefix("model."): kw.pop(k) for k in [k for k in kw if k.startswith("model.")]}
        where = f"sweep {self.name!r} [{self.profile}] at {describe(point)}"
        from geomem_utils.runs.kinds import KINDS

        try:
            return KINDS[self.kind].from_sweep(self.base_profile, kw, model)
        except ConfigError as err:
            raise ConfigError(f"{where}: {err}") from None
        except TypeError as err:  # an unknown field name
            raise ConfigError(f"{where}: {err}") from None

    @property
    def base_profile(self) -> str:
        return self.base or (self.profile if self.profile in PROFILES else "ci")

    def configs(self) -> list[tuple[dict[str, Any], Any]]:
        return [(p, self.config(p)) for p in self.points()]




def describe(point: dict[str, Any]) -> str:
    return " ".join(f"{k}={v}" for k, v in point.items())


def load(name: str, profile: str = "ci", folder: str | os.PathLike | None = None) -> Sweep:
    """Read ``FOLDER/NAME.toml`` (default ``sweeps/``) at one profile."""
    folder = Path(folder) if folder is not None else sweeps_dir()
    path = folder / f"{name}.toml"
    if not path.exists():
        have = sorted(p.stem for p in folder.glob("*.toml"))
        raise ConfigError(f"unknown sweep {name!r}: no {path}; available: {have}")
    try:
        spec = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"sweep {name!r}: {path} is not valid TOML ({err})") from None
    if profile not in profiles_of(spec):
        raise ConfigError(f"sweep {name!r} has no [{profile}] section; it has {profiles_of(spec)}")
    sec = spec[profile]
    grid = dict(sec.get("grid", {}))
    bundles = {k: {n: dict(t) for n, t in v.items()} for k, v in sec.items() if k in grid and isinstance(v, dict)}
    unknown = sorted(set(sec) - {"grid", "fixed", "base", "note"} - set(bundles))
    if unknown:
        raise ConfigError(f"sweep {name!r} [{profile}]: unknown key(s) {unknown}; allowed: grid, fixed, base, "
                             "note, and tables of overrides named by a grid key")
    return Sweep(name=name, profile=profile, kind=spec.get("kind", "path_star"), description=spec.get("description", ""),
                 grid=grid, fixed=dict(sec.get("fixed", {})), bundles=bundles, base=sec.get("base", ""))


def profiles_of(spec: dict[str, Any]) -> list[str]:
    """The profiles (sections) of a sweep file: smoke, ci, full and any other named grid."""
    return [k for k, v in spec.items() if isinstance(v, dict)]
