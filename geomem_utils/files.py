"""The ground under every wing: the one repository root, atomic writes, JSON, versions.

Relative paths (``RESULTS_DIR``, the cache folder, the sweeps' tables) are resolved against
the repository root (:func:`repo_root`), not the working directory, so a kernel started in
``notebooks/`` (JupyterLab) reads and writes the same ``build/`` as the executor. Files are
written atomically (:func:`atomic_write_bytes`: a reader never sees a half-written file) and
readable by others (0644 files, 0755 folders, under the usual umask 022): a book built by
one user can be served by another. The package's own source is read here too: its import
graph (:func:`import_graph`, which ``tests/unit/test_layers.py`` holds to the wings' order)
and the fingerprints that key cached runs and executed notebooks (:func:`source_fingerprint`). Used by the results files (:mod:`geomem_utils.results`),
the run cache (:mod:`geomem_utils.runs.cache`), the sweeps' tables and the executor's logs.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import platform
import tempfile
from pathlib import Path
from typing import Any, Mapping

from geomem_utils import __version__


def jsonable(x: Any) -> Any:
    if isinstance(x, Mapping):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if hasattr(x, "tolist"):  # numpy / torch scalars and arrays
        return jsonable(x.tolist())
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, (str, int, float, bool)) or x is None:
        return x
    return str(x)


def repo_root() -> Path:
    """The checkout this package lives in (the folder holding ``notebooks/``), else the
    working directory (an installed, non-editable package). The one place that knows it."""
    here = Path(__file__).resolve().parent.parent
    return here if (here / "notebooks").is_dir() else Path.cwd()


def from_root(path: str | os.PathLike) -> Path:
    """``path`` itself when absolute, else resolved against :func:`repo_root`."""
    path = Path(path).expanduser()
    return path if path.is_absolute() else repo_root() / path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def file_mode() -> int:
    """The mode a plain ``open()`` would give a new file: 0666 less the umask (0644 under 022)."""
    return 0o666 & ~_umask()


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write to a temporary file in the same folder, fsync, then rename over ``path``.

    The file gets the mode of a plain ``open()`` (0644 under umask 022), not the 0600 of
    ``tempfile``, so that others can read results, logs and cache entries.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, file_mode()) if hasattr(os, "fchmod") else os.chmod(tmp, file_mode())
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def atomic_write_json(path: str | os.PathLike, obj: Any) -> None:
    atomic_write_bytes(path, json.dumps(jsonable(obj), indent=2, sort_keys=False).encode())


def versions() -> dict[str, str]:
    """Versions of the packages whose behaviour the numbers depend on."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version(), "geomem_utils": __version__}
    for pkg in ("torch", "numpy", "scipy", "networkx", "plotly", "mambapy"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "absent"
    return out


# ---------------------------------------------------------------- the package's own source

#: The package folder: the source the fingerprints below read.
PACKAGE = Path(__file__).resolve().parent


def module_name(path: Path, package: Path = PACKAGE) -> str:
    """``geomem_utils.science.graphs`` for ``PACKAGE/science/graphs.py`` (a package: its folder)."""
    parts = [package.name, *path.relative_to(package).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def source_files(package: Path = PACKAGE) -> dict[str, Path]:
    """Every module of the package, by dotted name."""
    return {module_name(p, package): p for p in sorted(package.rglob("*.py")) if "__pycache__" not in p.parts}


def imports_of(path: Path, modules: Mapping[str, Path] | set[str], package: Path = PACKAGE) -> set[str]:
    """The package modules one file imports, at any depth of the file (a lazy import inside a
    function, one under ``TYPE_CHECKING``): relative imports resolved, ``from X import name``
    an import of ``X.name`` where that is a module, else of ``X``."""
    import ast

    me = module_name(path, package)
    here = me.split(".") if path.name == "__init__.py" else me.split(".")[:-1]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.split(".")[0] == package.name)
        elif isinstance(node, ast.ImportFrom):
            base = here[: len(here) - node.level + 1] if node.level else []
            src = ".".join([*base, *([node.module] if node.module else [])])
            if src.split(".")[0] == package.name:
                out.update(f"{src}.{a.name}" if f"{src}.{a.name}" in modules else src for a in node.names)
    return out - {me}


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """Module -> the package modules it imports (the arrows a reader follows).

    Parsed once per state of the source (each file's path, size and modification time), so
    the fingerprints of several cached runs in one process read the package once."""
    files = source_files(package)
    stamp = tuple((m, p.stat().st_mtime_ns, p.stat().st_size) for m, p in files.items())
    return {m: set(ts) for m, ts in _import_graph(package, stamp).items()}


@functools.lru_cache(maxsize=8)
def _import_graph(package: Path, stamp: tuple[tuple[str, int, int], ...]) -> dict[str, frozenset[str]]:
    files = source_files(package)
    return {m: frozenset(imports_of(p, files, package)) for m, p in files.items()}


def import_closure(module: str, package: Path = PACKAGE) -> list[str]:
    """``module``, every package module it imports, directly or not, and the packages
    (``__init__``) that importing them runs: the source that executes when it runs."""
    graph = import_graph(package)
    seen, todo = set(), [module]
    while todo:
        m = todo.pop()
        if m in seen or m not in graph:
            continue
        seen.add(m)
        parts = m.split(".")
        todo.extend(graph[m])
        todo.extend(".".join(parts[:k]) for k in range(1, len(parts)))
    return sorted(seen)


@functools.lru_cache(maxsize=None)
def source_fingerprint(module: str | None = None, package: Path = PACKAGE) -> str:
    """A hash of source code, by relative path and bytes: of ``module``'s
    :func:`import_closure`, or of every file of the package when ``module`` is ``None``.

    The run cache keys a computation by the closure of the module that computes it, so an
    edit of a figure or a chapter re-keys no training run; the executor's reuse digest keys a
    notebook by the whole package, so an edit of a chapter's threshold re-executes it.
    Computed once per process and argument (a few milliseconds).
    """
    files = source_files(package)
    names = sorted(files) if module is None else import_closure(module, package)
    h = hashlib.sha256()
    for name in names:
        h.update(files[name].relative_to(package).as_posix().encode() + b"\0")
        h.update(files[name].read_bytes() + b"\0")
    return h.hexdigest()[:16]


#: The modules whose code computes a chapter's numbers: the science, the runs, the sweep
#: grids the chapters read, the parameters and the chapters' common part. Not the verdicts
#: (``findings``, ``results``, ``chapters/*_checks``), the figures, the live controls or the
#: executor: a change there re-computes no number. A chapter's own companion
#: (``chapters/NAME.py``, its settings) counts for that chapter's stamp only.
COMPUTING = ("geomem_utils.science", "geomem_utils.runs", "geomem_utils.sweep.grids", "geomem_utils.params",
             "geomem_utils.validate", "geomem_utils.chapters")


def _computing(name: str, chapter: str | None = None) -> bool:
    if name.endswith(("_checks", "_figures")):
        return False
    if name.startswith("geomem_utils.chapters."):
        return name == f"geomem_utils.chapters.{chapter}"
    return any(name == m or name.startswith(m + ".") for m in COMPUTING)


def _code_only(source: bytes) -> bytes:
    """The module's code as its syntax tree, without docstrings or comments: a reworded
    docstring is not a change of the computation."""
    import ast

    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(body, list) and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree, include_attributes=False).encode()


@functools.lru_cache(maxsize=16)
def _science_fingerprint(package: Path, stamp: tuple[tuple[str, int, int], ...], chapter: str | None) -> str:
    h = hashlib.sha256()
    for name, path in sorted(source_files(package).items()):
        if _computing(name, chapter):
            h.update(name.encode() + b"\0" + _code_only(path.read_bytes()) + b"\0")
    return h.hexdigest()[:16]


def science_fingerprint(package: Path = PACKAGE, chapter: str | None = None) -> str:
    """A hash of the code that computes numbers (:data:`COMPUTING`, as syntax trees without
    docstrings); with ``chapter`` (a companion module's name, e.g. ``"reasoning"``) that
    chapter's settings too. The stamp of a committed table: a seed table
    (:mod:`geomem_utils.seeds`) carries its chapter's, a sweep table's rows
    (:mod:`geomem_utils.sweep.tables`) the common one. A table whose stamp differs was
    computed by other code and is stale; a change of a notebook's own cells is caught when
    the book's seed-0 numbers are compared with the table's seed-0 row."""
    files = source_files(package)
    stamp = tuple((n, p.stat().st_mtime_ns, p.stat().st_size) for n, p in sorted(files.items())
                  if _computing(n, chapter))
    return _science_fingerprint(package, stamp, chapter)
