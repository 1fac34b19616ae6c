"""The ground under every wing: the one repository root, atomic writes, JSON, versions.

Relative paths (``RESULTS_DIR``, the cache folder, the sweeps' tables) are resolved against
the repository root (:func:`repo_root`), not the working directory, so a kernel started in
``notebooks/`` (JupyterLab) reads and writes the same ``build/`` as the executor. Files are
written atomically (:func:`atomic_write_bytes`: a reader never sees a half-written file) and
readable by others (0644 files, 0755 folders, under the usual umask 022): a book built by
one user can be served by another. Used by the results files (:mod:`geomem_utils.results`),
the run cache (:mod:`geomem_utils.runs.cache`), the sweeps' tables and the executor's logs.
"""

from __future__ import annotations

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
