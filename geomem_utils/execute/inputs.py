"""What a notebook run depends on, read before any kernel starts.

The executor (:mod:`geomem_utils.execute.executor`) finds the notebooks (:func:`notebook_paths`),
reads the names and literal defaults of each one's ``parameters`` cell
(:func:`parameters_cell`) and refuses an override whose name is unknown, whose type
contradicts the default or that its chapter's specs refuse (:func:`check_overrides`), all
before a file is touched.

The skip check lives here too: :func:`inputs_digest` hashes what an execution depends on
(the notebook's source, its parameters, the kernel's threads, the
:func:`~geomem_utils.files.source_fingerprint` of the whole package and the lock files);
after a good run the executed notebook is stamped with it and with its results file's hash
(:func:`finalise_executed`, which also scrubs the build machine's paths,
:func:`scrub_paths`), and :func:`reusable` compares the stamp next time.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

from geomem_utils.files import atomic_write_bytes, repo_root, source_fingerprint

ROOT = repo_root()
NOTEBOOKS = ROOT / "notebooks"
#: The environment the skip check compares (with the notebook, its parameters and the code).
LOCK_FILES = ("requirements/constraints.txt", "pyproject.toml")


class NotebookFailed(RuntimeError):
    """A notebook raised, or its parameters were rejected."""


def notebooks_dir() -> Path:
    """Where notebooks are looked up: ``$GEOMEM_NOTEBOOKS`` when set, else ``ROOT/notebooks``."""
    return Path(os.environ.get("GEOMEM_NOTEBOOKS") or NOTEBOOKS)


def notebook_paths(stems: list[str] | None = None, folder: str | os.PathLike | None = None) -> list[Path]:
    """The notebooks to run: all of ``FOLDER/NN_*.md`` in order, or the named stems.

    ``folder`` defaults to :func:`notebooks_dir` (``ROOT/notebooks``).
    """
    folder = Path(folder) if folder is not None else notebooks_dir()
    available = sorted(p for p in folder.glob("[0-9][0-9]_*.md"))
    if not stems:
        return available
    by_stem = {p.stem: p for p in available}
    out = []
    for s in stems:
        s = Path(s).stem
        if s not in by_stem:
            raise NotebookFailed(f"unknown notebook {s!r}; available: {sorted(by_stem)}")
        out.append(by_stem[s])
    return out


def read_notebook(path: Path):
    import jupytext

    return jupytext.read(path)


def parameters_cell(nb) -> dict[str, Any]:
    """Names and literal defaults of the cell tagged ``parameters``."""
    cells = [c for c in nb.cells if c.cell_type == "code" and "parameters" in c.metadata.get("tags", [])]
    if len(cells) != 1:
        raise NotebookFailed(f"expected exactly one cell tagged 'parameters', found {len(cells)}")
    out: dict[str, Any] = {}
    for node in ast.parse(cells[0].source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            out[node.targets[0].id] = ast.literal_eval(node.value)
        elif not isinstance(node, ast.Expr):  # docstrings / bare comments are fine
            raise NotebookFailed("the parameters cell must hold only NAME = literal lines")
    return out


def check_overrides(stem: str, defaults: dict[str, Any], overrides: dict[str, Any]) -> None:
    """Unknown names and values whose type contradicts the default's are rejected here; then
    the chapter's own specs judge the values (:func:`geomem_utils.chapters.validate_overrides`:
    ranges, choices, cross-field rules), so a run the kernel would refuse never starts."""
    for name, value in overrides.items():
        if name not in defaults:
            raise NotebookFailed(f"{stem}: unknown parameter {name}; the notebook's parameters are {sorted(defaults)}")
        default = defaults[name]
        if default is None or value is None:
            continue
        ok = isinstance(value, type(default)) and not (isinstance(value, bool) and not isinstance(default, bool))
        if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
            ok = True
        if not ok:
            raise NotebookFailed(
                f"{stem}: parameter {name} must be {type(default).__name__} like its default {default!r}, "
                f"got {type(value).__name__} {value!r}"
            )
    from geomem_utils.chapters import validate_overrides
    from geomem_utils.validate import ConfigError

    try:
        validate_overrides(stem, defaults, overrides)
    except ConfigError as err:
        raise NotebookFailed(f"{stem}: {err}") from None


def parse_value(text: str) -> Any:
    """``-p NAME VALUE``: a Python literal when it parses as one, else the string. A bare
    comma-separated list (``-p LENGTHS 5,6,7``) stays the string: Python reads it as a tuple,
    which no parameters cell holds, and the chapters take such lists as text."""
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text
    return text if isinstance(value, tuple) else value


def root_relative(path: str | os.PathLike) -> str:
    """``path`` relative to the repository root when it lies inside it (POSIX spelling), else as given.

    What the executor passes as ``RESULTS_DIR``: the kernel resolves it against the root
    (:func:`geomem_utils.files.from_root`), and no path of the build machine ends up in
    the executed notebook.
    """
    p = Path(path)
    if not p.is_absolute():
        return p.as_posix()
    try:
        return p.resolve().relative_to(ROOT.resolve()).as_posix() or "."
    except ValueError:
        return str(path)


def results_file(stem: str, parameters: dict[str, Any]) -> Path:
    """Where the notebook will write its results: ``RESULTS_DIR/STEM.json``.

    A relative ``RESULTS_DIR`` is taken from ``ROOT``, as the kernel does.
    """
    folder = Path(str(parameters.get("RESULTS_DIR") or "build/results"))
    return (folder if folder.is_absolute() else ROOT / folder) / f"{stem}.json"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def inputs_digest(path: Path, parameters: dict[str, Any], threads: int = 1) -> str:
    """A hash of what a notebook's execution depends on: its source, its parameters (the
    profile among them), the kernel's thread count, the package's source fingerprint and
    the lock files."""
    lock = {name: sha256_hex((ROOT / name).read_bytes()) if (ROOT / name).exists() else None for name in LOCK_FILES}
    blob = json.dumps({"source": sha256_hex(Path(path).read_bytes()), "parameters": parameters, "threads": threads,
                       "code": source_fingerprint(), "lock": lock, "python": platform.python_version()},
                      sort_keys=True, default=str)
    return sha256_hex(blob.encode())[:24]


def _valid_record(record: Any, stem: str) -> bool:
    return (isinstance(record, dict) and record.get("notebook") == stem and bool(record.get("checks"))
            and bool(record.get("passed") or not record.get("enforced", True)))


def reusable(stem: str, out: Path, results_path: Path, digest: str) -> dict[str, Any] | None:
    """The results record of a previous run with the same inputs, when its executed notebook
    and results file are present and valid (the results file unchanged since that run, its
    checks passed or not enforced, the notebook executed to the end without an error); else None."""
    try:
        nb = json.loads(out.read_text())
        stamp = nb["metadata"]["geomem"]
        data = results_path.read_bytes()
        record = json.loads(data)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if stamp.get("inputs") != digest or stamp.get("results_sha256") != sha256_hex(data):
        return None
    if nb["metadata"].get("papermill", {}).get("exception"):
        return None
    if any(o.get("output_type") == "error" for c in nb.get("cells", []) for o in c.get("outputs", [])):
        return None
    return record if _valid_record(record, stem) else None


def scrub_paths(text: str) -> str:
    """Remove the build machine's paths: the checkout becomes relative, the interpreter's
    prefix (a venv or conda env outside the checkout) becomes ``<env>``, the home ``~``."""
    pairs = [(str(ROOT) + os.sep, ""), (str(ROOT), ".")]
    if not Path(sys.prefix).resolve().is_relative_to(ROOT):
        pairs.append((str(Path(sys.prefix)), "<env>"))
    home = str(Path.home())
    if len(home) > 1:
        pairs.append((home + os.sep, "~" + os.sep))
    for old, new in pairs:
        for o, n in ((old, new), (json.dumps(old)[1:-1], json.dumps(new)[1:-1])):  # raw and JSON-escaped
            text = text.replace(o, n)
    return text


def finalise_executed(out: Path, stamp: dict[str, Any] | None) -> None:
    """Scrub machine paths from the executed notebook and, after a good run, stamp its
    inputs and results file (what :func:`reusable` compares next time)."""
    if not out.exists():
        return
    nb = json.loads(scrub_paths(out.read_text()))
    meta = nb.setdefault("metadata", {})
    if stamp is None:
        meta.pop("geomem", None)
    else:
        meta["geomem"] = stamp
    atomic_write_bytes(out, (json.dumps(nb, indent=1, ensure_ascii=False) + "\n").encode())
