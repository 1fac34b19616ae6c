"""Claim checks, results files and the run cache.

Every notebook ends with checks computed from its own numbers and a call to
:func:`finish`, which writes ``RESULTS_DIR/<notebook>.json`` atomically (a reader never
sees a half-written file) and raises :class:`ClaimCheckFailed` when a check fails, so the
executor, ``make test`` and CI fail with the notebook's name. Heavy runs go through
:func:`cached`, keyed by everything that changes their numbers: the full configuration,
the device and its dtype/autocast, the Mamba backend, the library versions and a
fingerprint of this package's source (:func:`code_fingerprint`); a corrupt or foreign
cache entry is detected, reported and recomputed, never loaded blindly.

Relative paths (``RESULTS_DIR``, the cache folder) are resolved against the repository
root (:func:`repo_root`), not the working directory, so a kernel started in
``notebooks/`` (JupyterLab) reads and writes the same ``build/`` as the executor.
Everything written here is readable by others (0644 files, 0755 folders, under the
usual umask 022): a book built by one user can be served by another.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import functools
import hashlib
import json
import math
import os
import platform
import tempfile
import time
import warnings
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

from . import __version__

OPS = {
    ">=": lambda v, t: v >= t,
    ">": lambda v, t: v > t,
    "<=": lambda v, t: v <= t,
    "<": lambda v, t: v < t,
    "==": lambda v, t: v == t,
}


#: What a check is. Only a ``"finding"`` check is evidence for the paper: it could have come
#: out otherwise had the finding been false. A ``"control"`` check measures the null
#: distribution of a measure (a frozen random embedding has no geometry: true by
#: construction, it shows what "no geometry" reads as). A ``"machinery"`` check tests the
#: book's implementation (spectra equal the spec's, the split is disjoint, a closed form,
#: a retrain takes under a second). Controls and machinery still fail the notebook when
#: they fail, but the scorecard shows them in their own table and never counts them as
#: reproductions.
CHECK_KINDS = ("finding", "control", "machinery")


class ClaimCheckFailed(AssertionError):
    """A notebook's claim check did not pass."""


@dataclass(frozen=True)
class Check:
    """One quantitative check: ``value op threshold``; ``paper`` quotes what it stands for;
    ``kind`` is one of :data:`CHECK_KINDS`."""

    name: str
    value: float
    op: str
    threshold: float
    passed: bool
    paper: str = ""
    kind: str = "finding"


def check(name: str, value: float, op: str, threshold: float, paper: str = "",
          kind: str = "finding") -> Check:
    """Build a :class:`Check`; a value that is not a finite number (NaN, +-inf) never passes.

    An infinite value is almost always a division by zero upstream, so it fails rather
    than satisfying ``>=`` by accident. ``kind``: see :data:`CHECK_KINDS`.
    """
    if op not in OPS:
        raise ValueError(f"op must be one of {list(OPS)}, got {op!r}")
    if kind not in CHECK_KINDS:
        raise ValueError(f"check {name!r}: kind must be one of {CHECK_KINDS}, got {kind!r}")
    try:
        value, threshold = float(value), float(threshold)
    except (TypeError, ValueError) as err:
        raise TypeError(f"check {name!r}: value and threshold must be numbers ({err})") from None
    passed = math.isfinite(value) and bool(OPS[op](value, threshold))
    return Check(name, value, op, threshold, passed, paper, kind)


def relabel(checks: list[Check], kind: str) -> list[Check]:
    """The same checks as ``kind`` (see :data:`CHECK_KINDS`), e.g. a verdict function's
    checks of a frozen control, which are the measure's null and not evidence."""
    if kind not in CHECK_KINDS:
        raise ValueError(f"kind must be one of {CHECK_KINDS}, got {kind!r}")
    return [replace(c, kind=kind) for c in checks]


def _jsonable(x: Any) -> Any:
    if isinstance(x, Mapping):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if hasattr(x, "tolist"):  # numpy / torch scalars and arrays
        return _jsonable(x.tolist())
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, (str, int, float, bool)) or x is None:
        return x
    return str(x)


def repo_root() -> Path:
    """The checkout this package lives in (the folder holding ``notebooks/``), else the
    working directory (an installed, non-editable package)."""
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
    atomic_write_bytes(path, json.dumps(_jsonable(obj), indent=2, sort_keys=False).encode())


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


def finish(
    notebook: str,
    *,
    title: str,
    claim: str,
    paper_ref: str,
    checks: list[Check],
    params: Mapping[str, Any],
    started: float,
    extra: Mapping[str, Any] | None = None,
    findings: list[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Write the notebook's results file and enforce its checks and findings.

    ``started`` is ``time.time()`` at the top of the notebook. ``findings``: the verdicts
    this chapter records (:func:`geomem_utils.findings.verdict`), one per finding the
    register assigns to it; they are written under ``"findings"``, and a regression (a
    finding the register expects reproduced, recorded lower), an unknown, foreign,
    duplicate or missing id, or evidence naming a check that is absent, not of kind
    "finding", or (for "reproduced") failed, raises :class:`ClaimCheckFailed`. At the
    ``smoke`` profile checks and findings are recorded but not enforced (a smoke run is
    too short to reproduce). A failed check of kind "finding" that only findings recorded
    as partly / not reproduced name as evidence is reported (``reported_failures``), not
    raised: a finding that does not reproduce is a result, not a broken notebook.
    """
    from . import findings as _findings

    if not checks:
        raise ValueError("finish() needs at least one check: a claim without a check proves nothing")
    findings = [dict(f) for f in (findings or [])]
    profile = str(params.get("PROFILE", "ci"))
    problems = _findings.problems(notebook, findings, [asdict(c) for c in checks])
    # A failed evidence check that only findings reported as not (fully) reproduced name is
    # the report itself ("not reproduced at this size", our number next to the paper's), not
    # a crash; every other failed check fails the notebook.
    reported = _findings.reported_failures(findings, [asdict(c) for c in checks])
    failed = [c for c in checks if not c.passed and c.name not in reported]
    passed = not failed and not problems
    record = {
        "notebook": notebook,
        "title": title,
        "claim": claim,
        "paper_ref": paper_ref,
        "passed": passed,
        "reported_failures": sorted(reported),
        "enforced": profile != "smoke",
        "checks": [asdict(c) for c in checks],
        "findings": findings,
        "findings_problems": problems,
        "params": dict(params),
        "profile": profile,
        "runtime_s": round(time.time() - started, 2),
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "versions": versions(),
        "extra": dict(extra or {}),
    }
    out = from_root(str(params.get("RESULTS_DIR", "build/results"))) / f"{notebook}.json"
    atomic_write_json(out, record)
    if (failed or problems) and profile != "smoke":
        lines = [f"{c.name}: {c.value:.4g} not {c.op} {c.threshold:g}" for c in failed]
        lines += [f"finding {p}" for p in problems]
        raise ClaimCheckFailed(f"{notebook}: claim check failed ({'; '.join(lines)})")
    return record


# ---------------------------------------------------------------------------- run cache

def _key_jsonable(x: Any) -> Any:
    # Like _jsonable, but NaN and +-inf keep distinct spellings (_jsonable maps them all
    # to None, which would give {"lr": nan} and {"lr": None} the same key).
    if isinstance(x, float) and not math.isfinite(x):
        return f"float:{x!r}"
    if isinstance(x, Mapping):
        return {str(k): _key_jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_key_jsonable(v) for v in x]
    if hasattr(x, "tolist") and not isinstance(x, (str, bytes)):
        return _key_jsonable(x.tolist())
    return _jsonable(x)


#: What the fingerprint covers: every Python file of the package (the simplest honest
#: choice: any module a run imports can change its numbers).
_PACKAGE = Path(__file__).resolve().parent


@functools.lru_cache(maxsize=None)
def code_fingerprint(package: Path = _PACKAGE) -> str:
    """A hash of the package's source: every ``*.py`` under it, by relative path and bytes.

    Computed once per process (about a millisecond: a few hundred KB of source). Editing
    any module of the package changes it, so runs made by the old code are recomputed.
    """
    h = hashlib.sha256()
    for f in sorted(package.rglob("*.py")):
        if "__pycache__" in f.parts:
            continue
        h.update(f.relative_to(package).as_posix().encode() + b"\0")
        h.update(f.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def run_context(device: str = "cpu") -> dict[str, Any]:
    """Where and how a run computes, beyond its configuration: the device (with the GPU's
    name on CUDA), its dtype/autocast (bf16 autocast on CUDA, float32 elsewhere, as in
    :func:`geomem_utils.train.train`) and the Mamba backend ``backend="auto"`` resolves to."""
    from .models.mamba import resolve_backend

    import torch

    device = str(device)
    kind = device.split(":")[0]
    out: dict[str, Any] = {"device": kind, "dtype": "float32", "autocast": "bf16" if kind == "cuda" else "off",
                           "torch": torch.__version__}
    if kind == "cuda":
        out["device_name"] = torch.cuda.get_device_name(torch.device(device)) if torch.cuda.is_available() else "?"
    out["mamba_backend"] = resolve_backend("auto")
    return out


def config_key(config: Mapping[str, Any], device: str = "cpu") -> str:
    """A stable hash of everything that changes a run's numbers: its full configuration,
    :func:`run_context` (device, dtype/autocast, Mamba backend), the library versions
    (:func:`versions`: a new torch changes kernels) and :func:`code_fingerprint`."""
    blob = json.dumps({"config": _key_jsonable(config), "context": run_context(device), "versions": versions(),
                       "code": code_fingerprint()}, sort_keys=True)
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
) -> dict[str, Any]:
    """Return ``compute()``'s result for ``config``, from the cache when a valid entry exists.

    ``device`` is where ``compute`` runs (``"cpu"``, ``"cuda"``, ``"mps"``): it is part
    of the key with everything else of :func:`config_key`, so a run made on a GPU is
    never served to a CPU run, nor one made by other code or other library versions.

    The result must be a dict of tensors, numbers, strings, lists and dicts (loadable with
    ``torch.load(weights_only=True)``). Entries are written atomically; an entry that
    fails to load or whose stored key differs is reported with a warning and recomputed.
    Set ``GEOMEM_CACHE=off`` to bypass the cache.
    """
    if os.environ.get("GEOMEM_CACHE") == "off":
        return compute()
    key = config_key(config, device)
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
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666 & ~_umask())
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
        torch.save({"key": key, "config": _jsonable(config), "result": result}, buf)
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
