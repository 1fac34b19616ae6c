"""The run cache: a heavy run is computed once per configuration, device and code.

Heavy runs go through :func:`cached`, keyed by everything that changes their numbers
(:func:`config_key`): the full configuration, the device and its dtype/autocast, the Mamba
backend (:func:`run_context`), the library versions
(:func:`geomem_utils.files.versions`) and a fingerprint of the source the run executes
(:func:`code_fingerprint`: the import closure of the module that computes it); a corrupt
or foreign cache entry is detected, reported and recomputed, never loaded blindly. Entries are written atomically
(:func:`geomem_utils.files.atomic_write_bytes`) under :func:`file_lock`, so two
processes asking for one run compute it once, and :func:`sweep_temp_files` removes what a
killed writer left behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import time
import warnings
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

from geomem_utils.files import atomic_write_bytes, file_mode, from_root, jsonable, source_fingerprint, versions


def _key_jsonable(x: Any) -> Any:
    # Like jsonable, but NaN and +-inf keep distinct spellings (jsonable maps them all
    # to None, which would give {"lr": nan} and {"lr": None} the same key).
    if isinstance(x, float) and not math.isfinite(x):
        return f"float:{x!r}"
    if isinstance(x, Mapping):
        return {str(k): _key_jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_key_jsonable(v) for v in x]
    if hasattr(x, "tolist") and not isinstance(x, (str, bytes)):
        return _key_jsonable(x.tolist())
    return jsonable(x)


def code_fingerprint(module: str | None = None) -> str:
    """The source a cached computation executes: :func:`geomem_utils.files.source_fingerprint`
    of ``module``'s import closure (the whole package when ``None``).

    A path-star run computed in :mod:`geomem_utils.runs.pathstar` is keyed by that module and
    what it imports (the ground, :mod:`geomem_utils.science`, this wing), so an edit of a
    figure, a chapter or the executor recomputes no training run, and an edit of the
    science recomputes every run that executes it.
    """
    return source_fingerprint(module)


def compute_module(compute: Callable[..., Any]) -> str | None:
    """The package module that defines ``compute`` (its code is what the key must cover), or
    ``None`` for a function from outside the package (keyed by the whole package)."""
    module = getattr(compute, "__module__", None) or ""
    return module if module.split(".")[0] == __name__.split(".")[0] else None


def run_context(device: str = "cpu") -> dict[str, Any]:
    """Where and how a run computes, beyond its configuration: the device (with the GPU's
    name on CUDA), its dtype/autocast (bf16 autocast on CUDA, float32 elsewhere, as in
    :func:`geomem_utils.science.train.train`) and the Mamba backend ``backend="auto"`` resolves to."""
    from geomem_utils.science.models.mamba import resolve_backend

    import torch

    device = str(device)
    kind = device.split(":")[0]
    out: dict[str, Any] = {"device": kind, "dtype": "float32", "autocast": "bf16" if kind == "cuda" else "off",
                           "torch": torch.__version__}
    if kind == "cuda":
        out["device_name"] = torch.cuda.get_device_name(torch.device(device)) if torch.cuda.is_available() else "?"
    out["mamba_backend"] = resolve_backend("auto")
    return out


def config_key(config: Mapping[str, Any], device: str = "cpu", code: str | None = None) -> str:
    """A stable hash of everything that changes a run's numbers: its full configuration,
    :func:`run_context` (device, dtype/autocast, Mamba backend), the library versions
    (:func:`versions`: a new torch changes kernels) and the source it executes
    (:func:`code_fingerprint` of the module ``code``; the whole package when ``None``)."""
    blob = json.dumps({"config": _key_jsonable(config), "context": run_context(device), "versions": versions(),
                       "code": code_fingerprint(code)}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def default_cache_dir() -> Path:
    """``$GEOMEM_CACHE_DIR`` (a shared path, e.g. for sweeps) or ``$GEOMEM_CACHE`` (a path;
    ``off`` bypasses the cache), else ``build/cache``; relative paths taken from the repository root."""
    return from_root(os.environ.get("GEOMEM_CACHE_DIR") or os.environ.get("GEOMEM_CACHE", "build/cache"))


def cached(
    config: Mapping[str, Any],
    compute: Callable[[], dict[str, Any]],
    cache_dir: str | os.PathLike | None = None,
    name: str = "run",
    *,
    device: str = "cpu",
    code: str | None = None,
) -> dict[str, Any]:
    """Return ``compute()``'s result for ``config``, from the cache when a valid entry exists.

    ``device`` is where ``compute`` runs (``"cpu"``, ``"cuda"``, ``"mps"``): it is part
    of the key with everything else of :func:`config_key`, so a run made on a GPU is
    never served to a CPU run, nor one made by other code or other library versions.
    ``code`` names the module whose import closure is "the code" (default: the module that
    defines ``compute``; the whole package for a function from outside it).

    The result must be a dict of tensors, numbers, strings, lists and dicts (loadable with
    ``torch.load(weights_only=True)``). Entries are written atomically; an entry that
    fails to load or whose stored key differs is reported with a warning and recomputed.
    Set ``GEOMEM_CACHE=off`` to bypass the cache.
    """
    if os.environ.get("GEOMEM_CACHE") == "off":
        return compute()
    key = config_key(config, device, code or compute_module(compute))
    path = from_root(cache_dir) if cache_dir is not None else default_cache_dir()
    path = path / f"{name}-{key}.pt"
    hit = _load_entry(path, key)
    if hit is not None:
        return hit[0]
    with file_lock(path.parent / f".{path.name}.lock"):  # another process computing this key: wait, then load its entry
        hit = _load_entry(path, key)
        if hit is not None:
            return hit[0]
        return _compute_and_store(path, key, config, compute, name)


def _load_entry(path: Path, key: str) -> tuple[Any] | None:
    """``(result,)`` of a valid cache entry at ``path`` for ``key``; None when there is none
    (an unreadable or foreign entry is reported with a warning)."""
    import torch

    if not path.exists():
        return None
    try:
        entry = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(entry, dict) or entry.get("key") != key or "result" not in entry:
            raise ValueError("the entry does not belong to this configuration")
        return (entry["result"],)
    except Exception as err:  # noqa: BLE001 - any unreadable entry is recomputed
        warnings.warn(f"cache entry {path} is unreadable or foreign ({err}); recomputing", stacklevel=3)
        return None


@contextlib.contextmanager
def file_lock(lock: Path) -> Iterator[None]:
    """An exclusive lock across processes on the file ``lock`` (``fcntl.flock``), held for
    the block. :func:`cached` takes one per entry, so that two notebooks or sweep workers
    asking for the same run compute it once (the second waits, then loads the first one's
    entry); the executor takes one to update its run log. The lock dies with its process,
    so a killed run never blocks the next. Where ``fcntl`` is absent (Windows) or the
    folder cannot be written, the block runs unlocked."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, file_mode())
    except OSError:
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _compute_and_store(path: Path, key: str, config: Mapping[str, Any], compute: Callable[[], dict[str, Any]],
                       name: str) -> dict[str, Any]:
    import torch

    result = compute()
    import io

    buf = io.BytesIO()
    try:
        torch.save({"key": key, "config": jsonable(config), "result": result}, buf)
        torch.load(io.BytesIO(buf.getvalue()), map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 - e.g. numpy arrays: would never load back
        warnings.warn(f"result of {name} cannot be cached (it must load with weights_only=True: "
                      f"tensors, numbers, strings, lists, dicts): {err}", stacklevel=4)
        return result
    try:
        sweep_temp_files(path.parent)
        atomic_write_bytes(path, buf.getvalue())
    except OSError as err:  # a full or read-only disk must not cost the computed result
        warnings.warn(f"could not write cache entry {path} ({err}); continuing without it", stacklevel=4)
    return result


def sweep_temp_files(folder: str | os.PathLike, older_than_s: float = 3600.0) -> list[Path]:
    """Delete the temporary files that a killed writer left in ``folder``; return them.

    :func:`atomic_write_bytes` writes ``.NAME.XXXX.tmp`` and renames it; a process killed
    in between leaves the temporary file behind (never a partial entry). Only files older
    than ``older_than_s`` go, so a writer that is still running keeps its own.
    """
    now = time.time()
    removed = []
    for tmp in Path(folder).glob(".*.tmp"):
        try:
            if now - tmp.stat().st_mtime >= older_than_s:
                tmp.unlink()
                removed.append(tmp)
        except FileNotFoundError:  # another process swept it first
            pass
    return removed
