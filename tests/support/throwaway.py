"""Throwaway chapters for the executor's tests: a jupytext MyST notebook built from cells."""

from __future__ import annotations

HEADER = """\
---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
    format_version: 0.13
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
"""


def cell(source: str, *tags: str) -> str:
    """One code cell, with its tags (``"parameters"`` for papermill)."""
    head = "```{code-cell} ipython3\n" + (f":tags: [{', '.join(tags)}]\n\n" if tags else "")
    return head + source.strip("\n") + "\n```\n"


def notebook(title: str, *cells: str) -> str:
    """A chapter: the jupytext header, a title and the cells."""
    return HEADER + f"\n# {title}\n\n" + "\n".join(cells)


#: The first cell of every throwaway chapter: the package and the clock.
SETUP = cell("""
import time

import geomem_utils as gm
from geomem_utils.params import Spec, resolve

STARTED = time.time()
""")


def parameters(*extra: str) -> str:
    """The papermill parameters cell: the common names, ``VALUE = 1.0`` and ``extra`` lines."""
    lines = ['PROFILE = "ci"', "SEED = 0", 'DEVICE = "auto"', 'RESULTS_DIR = "build/results"', "VALUE = 1.0", *extra]
    return cell("\n".join(lines), "parameters")
