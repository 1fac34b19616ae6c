"""One companion module per chapter: what a chapter *is*, apart from its science code.

Each ``notebooks/NN_stem.md`` has a module here (``00_tasks`` -> :mod:`.tasks`, ...) that
holds a :class:`Chapter`: its title (the notebook's first heading, the results file's
``title`` and the book's table of contents read this one string), the claim it tests, the
paper's section, its parameter specs and cross-field checks, and the settings tables and
check thresholds its cells use. The notebook keeps only its literal ``parameters`` cell
(papermill overrides it) and one line, ``P = CHAPTER.resolve(globals())``.

The executor validates ``-p NAME VALUE`` overrides against the same specs before a kernel
starts (:func:`validate_overrides`); ``tests/chapters/test_contract.py`` checks every module's specs
against its notebook's parameters cell, and the parameter fuzz test runs on these specs.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from geomem_utils.params import COMMON, Params, ParameterError, Spec, resolve

#: Notebook stem -> companion module, in the book's order.
MODULES: dict[str, str] = {
    "00_tasks": "tasks",
    "01_geometry_emerges": "geometry",
    "02_spectral_bias": "spectral_bias",
    "03_implicit_reasoning": "reasoning",
    "04_memorization_puzzle": "puzzle",
    "05_playground": "playground",
    "06_how_far_it_holds": "holds",
}


@dataclass(frozen=True)
class Chapter:
    """A chapter's identity and parameters. ``specs`` excludes the common ones (``PROFILE``,
    ``SEED``, ``DEVICE``, ``RESULTS_DIR``: :data:`geomem_utils.params.COMMON`)."""

    stem: str
    title: str
    claim: str
    paper_ref: str
    specs: Mapping[str, Spec] = field(default_factory=dict)
    cross_checks: Callable[[dict[str, Any]], None] | None = None
    size: Callable[[Mapping[str, Any]], str] | None = None

    @property
    def parameter_names(self) -> list[str]:
        return [*COMMON, *self.specs]

    def resolve(self, namespace: Mapping[str, Any]) -> Params:
        """The validated parameters, read from ``namespace`` (a notebook's ``globals()``).

        Every parameter must be defined there (by the ``parameters`` cell); ``None`` means
        the profile's default. Raises :class:`~geomem_utils.params.ParameterError` naming
        the parameter.
        """
        missing = [n for n in self.parameter_names if n not in namespace]
        if missing:
            raise ParameterError(f"parameter {missing[0]} is not set (the parameters cell of {self.stem} "
                                 f"must define {missing})")
        given = {n: namespace[n] for n in self.parameter_names}
        return resolve(given, self.specs, cross_checks=self.cross_checks)

    def table(self, p: Params) -> Any:
        """The resolved parameters as a table (value and meaning), for the top of the page."""
        import pandas as pd

        specs = {**COMMON, **self.specs}
        table = pd.DataFrame({"value": [repr(p[n]) for n in p], "meaning": [specs[n].help for n in p]},
                             index=pd.Index(list(p), name="parameter"))
        # a Styler shows every meaning whole (a DataFrame's display cuts cells at 50 characters)
        return table.style.set_table_attributes('class="dataframe"')

    def finish(self, **kwargs: Any) -> dict[str, Any]:
        """Write this chapter's results file: :func:`geomem_utils.results.finish` with its
        stem, title, claim, paper reference and the size its parameters measure at."""
        from geomem_utils.files import science_fingerprint
        from geomem_utils.results import finish

        kwargs.setdefault("stamp", science_fingerprint(chapter=MODULES[self.stem]))
        if self.size is not None and "params" in kwargs:
            kwargs.setdefault("size", self.size(kwargs["params"]))
        return finish(self.stem, title=self.title, claim=self.claim, paper_ref=self.paper_ref, **kwargs)


def chapter(stem: str) -> Chapter | None:
    """The companion :class:`Chapter` of notebook ``stem``, or ``None`` for a notebook without one."""
    name = MODULES.get(stem)
    if name is None:
        return None
    return importlib.import_module(f"{__name__}.{name}").CHAPTER


def all_chapters() -> list[Chapter]:
    return [c for c in (chapter(s) for s in MODULES) if c is not None]


def validate_overrides(stem: str, defaults: Mapping[str, Any], overrides: Mapping[str, Any]) -> Params | None:
    """Resolve a notebook's parameters cell with ``overrides`` through its chapter's specs.

    Returns ``None`` for a notebook without a companion module or whose parameters are not
    the chapter's (a reader's own copy under another folder); otherwise the resolved
    parameters, or a :class:`~geomem_utils.params.ParameterError` naming the parameter.
    """
    ch = chapter(stem)
    if ch is None or set(defaults) != set(ch.parameter_names):
        return None
    return ch.resolve({**defaults, **overrides})
