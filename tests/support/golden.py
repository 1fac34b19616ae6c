"""Approved words: what a chapter's checks and findings say, on a test's fixed numbers.

The scorecard prints each finding's ``ours``, ``paper`` and ``detail`` and each check's name
and threshold. A slip in that text (a wrong chance level, a paper number garbled, a check
renamed so that its finding no longer finds it) changes what a reader is told without
changing any verdict, so the chapter tests compare the records they build against an
approved copy in ``tests/golden/<name>.json``.

When a text changes on purpose, write the new copy and review its diff before committing it::

    GEOMEM_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/chapters tests/unit/test_sweep.py -q
    git diff tests/golden/

Numbers are kept to ``digits`` significant digits (a float32 or BLAS difference in the last
place is not a change of wording); NaN is written as the string ``"nan"``.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
import os
from pathlib import Path
from typing import Any, Iterable

import pytest

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
UPDATE = "GEOMEM_UPDATE_GOLDEN"


def plain(x: Any, digits: int = 6) -> Any:
    """``x`` as JSON-ready data: dataclasses and mappings as dicts, sequences as lists,
    floats to ``digits`` significant digits."""
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        x = dataclasses.asdict(x)
    if isinstance(x, dict):
        return {str(k): plain(v, digits) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [plain(v, digits) for v in x]
    if hasattr(x, "item") and not isinstance(x, (str, bytes)):  # a numpy scalar
        x = x.item()
    if isinstance(x, bool) or x is None or isinstance(x, (int, str)):
        return x
    if isinstance(x, float):
        return "nan" if math.isnan(x) else float(f"{x:.{digits}g}")
    return str(x)


def _text(data: Any) -> str:
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def check(name: str, records: Iterable[Any] = (), checks: Iterable[Any] = (), digits: int = 6) -> None:
    """Fail, with a diff, when ``records`` and ``checks`` differ from ``tests/golden/<name>.json``
    (with ``GEOMEM_UPDATE_GOLDEN=1``: write that file instead)."""
    got = _text({"findings": plain(list(records), digits), "checks": plain(list(checks), digits)})
    path = GOLDEN / f"{name}.json"
    if os.environ.get(UPDATE) == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(got, encoding="utf-8")
        return
    if not path.exists():
        pytest.fail(f"no approved copy {path.relative_to(GOLDEN.parent.parent)}: write it with {UPDATE}=1 "
                    "and review it before committing")
    want = path.read_text(encoding="utf-8")
    if got != want:
        diff = "".join(list(difflib.unified_diff(want.splitlines(True), got.splitlines(True),
                                                 f"approved {path.name}", "now", n=1))[:40])
        pytest.fail(f"what the page says changed ({path.name}); if on purpose, rerun with {UPDATE}=1 and "
                    f"review the diff:\n{diff}")
