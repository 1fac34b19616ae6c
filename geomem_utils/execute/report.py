"""What the executor reports about a run: peak memory, progress, failures, the run log.

:class:`PeakRSS` measures the kernel's peak resident memory; :func:`progress_bar` is
papermill's per-notebook progress (a live bar on a terminal, a line a minute in CI logs);
:class:`LaneStatus` is the progress of notebooks run side by side (one line per lane, fed by
each worker's :func:`lane_progress`);
:func:`failure_report` turns a failing cell into a readable message (the cell's first
lines, the end of its traceback, the partial notebook's path); :func:`record_run` adds a
run's row to ``OUT/_runs.json`` (wall time, peak memory, threads, error), from which
:func:`last_wall_times` reads the order of the next run's lanes.
"""

from __future__ import annotations

import json
import os
import platform
import re
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, TextIO

from geomem_utils.execute.inputs import ROOT, root_relative
from geomem_utils.files import atomic_write_json
from geomem_utils.runs.cache import file_lock


def _children_maxrss_mb() -> float:
    """``RUSAGE_CHILDREN``'s ``ru_maxrss`` in MiB (KiB on Linux, bytes on macOS); 0 where absent."""
    try:
        import resource  # not on Windows
    except ImportError:
        return 0.0
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return rss / 2**20 if sys.platform == "darwin" else rss / 1024


class PeakRSS:
    """Peak resident memory (MiB) of this process's descendants (the kernel) during a block.

    Polls every ``interval`` seconds: the high-water mark ``VmHWM`` of each descendant in
    ``/proc`` on Linux, else (macOS, Windows) the resident size of each descendant through
    ``psutil``; and takes ``RUSAGE_CHILDREN``'s ``ru_maxrss`` when it rose during the block
    (a reaped kernel; ``resource``, not on Windows). ``mb`` stays None when nothing could
    be measured.
    """

    def __init__(self, interval: float = 0.25, use_proc: bool | None = None) -> None:
        self.interval, self.mb = interval, None
        self.use_proc = Path("/proc/self/status").exists() if use_proc is None else use_proc
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    @staticmethod
    def _descendants_hwm_kb() -> int:
        parent: dict[int, int] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                parent[int(stat.parent.name)] = int(fields[1])
            except (OSError, IndexError, ValueError):
                continue
        mine, frontier = set(), {os.getpid()}
        while frontier:
            frontier = {p for p, pp in parent.items() if pp in frontier and p not in mine}
            mine |= frontier
        peak = 0
        for pid in mine:
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]))
            except (OSError, ValueError, IndexError):
                continue
        return peak

    @staticmethod
    def _descendants_rss_kb() -> int:
        try:
            import psutil
        except ImportError:
            return 0
        peak = 0
        try:
            children = psutil.Process().children(recursive=True)
        except psutil.Error:
            return 0
        for child in children:
            try:
                peak = max(peak, child.memory_info().rss // 1024)
            except psutil.Error:
                continue
        return peak

    def _poll(self) -> None:
        probe = self._descendants_hwm_kb if self.use_proc else self._descendants_rss_kb
        while not self._stop.wait(self.interval):
            kb = probe()
            if kb:
                self.mb = max(self.mb or 0.0, kb / 1024)

    def __enter__(self) -> "PeakRSS":
        self._before = _children_maxrss_mb()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        after = _children_maxrss_mb()
        if after > self._before:
            self.mb = max(self.mb or 0.0, after)
        if self.mb is not None:
            self.mb = round(self.mb, 1)


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def failure_report(stem: str, err: BaseException, wall: float, out: Path, head: int = 4, tail: int = 12) -> str:
    """``STEM failed after N s: Ename: evalue`` then the failing cell's first lines, the end
    of the traceback and the partially executed notebook's path."""
    ename = getattr(err, "ename", None)
    if ename:
        first = f"{ename}: {getattr(err, 'evalue', '')}"
    else:
        text = str(err).strip()
        first = f"{type(err).__name__}: {text.splitlines()[-1] if text else ''}"
    lines = [f"{stem} failed after {wall:.0f} s: {first}"]
    source = getattr(err, "source", None)
    if source:
        src = source.splitlines()
        where = f"cell {getattr(err, 'cell_index', '?')}"
        if getattr(err, "exec_count", None) is not None:
            where += f" (In [{err.exec_count}])"
        lines.append(f"  failing {where}:")
        lines += [f"    | {line}" for line in src[:head]] + (["    | ..."] if len(src) > head else [])
    tb = getattr(err, "traceback", None)
    if tb:
        tb_lines = [ln for ln in _ANSI.sub("", "\n".join(tb)).splitlines() if ln.strip()]
        lines.append("  end of the traceback:")
        lines += [f"    {line}" for line in tb_lines[-tail:]]
    if out.exists():
        lines.append(f"  partially executed notebook: {root_relative(out)}")
    return "\n".join(lines)


class _LineProgress:
    """A file for tqdm where it is not a terminal: each refresh becomes one plain line."""

    def write(self, text: str) -> None:
        text = _ANSI.sub("", text).replace("\r", "").strip()
        if text:
            print(text, file=sys.stderr, flush=True)

    def flush(self) -> None:
        pass


def progress_bar(stem: str, enabled: bool | None | dict[str, Any] = None) -> dict[str, Any] | bool:
    """papermill's per-notebook progress (cells done / total, elapsed): a live bar on a
    terminal, a line at most every minute elsewhere (readable CI logs), or none; a dict
    (:func:`lane_progress`, a lane's reporter) is papermill's as it is."""
    if isinstance(enabled, dict):
        return enabled
    if enabled is False:
        return False
    if sys.stderr.isatty():
        return {"desc": f"[execute] {stem}", "file": sys.stderr, "leave": False,
                "bar_format": "{desc}: {bar:20} {n_fmt}/{total_fmt} cells, {elapsed} elapsed"}
    if enabled is None:
        return False
    return {"desc": f"[execute] {stem}", "file": _LineProgress(), "mininterval": 60, "ascii": True,
            "bar_format": "{desc}: {n_fmt}/{total_fmt} cells, {elapsed} elapsed"}


class _LaneWriter:
    """A file for tqdm in a worker process: each refresh (``n/total``) becomes a message
    ``(stem, n, total, started)`` on the queue that the parent's :class:`LaneStatus` reads."""

    def __init__(self, queue: Any, stem: str) -> None:
        self.queue, self.stem, self.started = queue, stem, time.time()
        queue.put((stem, 0, 0, self.started))  # the lane shows the notebook before its first cell

    def write(self, text: str) -> None:
        counts = re.findall(r"(\d+)/(\d+)", text)
        if counts:
            self.queue.put((self.stem, int(counts[-1][0]), int(counts[-1][1]), self.started))

    def flush(self) -> None:
        pass


def lane_progress(stem: str, queue: Any) -> dict[str, Any]:
    """papermill's progress for a notebook run in a worker process: every cell reported on
    ``queue`` (a worker's output would interleave with the other lane's; the parent draws)."""
    return {"file": _LaneWriter(queue, stem), "bar_format": "{n}/{total}", "mininterval": 0, "miniters": 1,
            "ascii": True}


def _clock(seconds: float) -> str:
    minutes, s = divmod(int(max(0.0, seconds)), 60)
    h, m = divmod(minutes, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class LaneStatus:
    """One status line per lane while notebooks run side by side (``make book``): ``[execute]
    lane 1: 03_implicit_reasoning, cell 12/58, 4:05 elapsed``.

    The workers' own progress is off (two bars would overwrite each other); they report each
    cell (:func:`lane_progress`) and the parent calls :meth:`update`, :meth:`finish` and
    :meth:`show`. On a terminal the lines are redrawn in place; elsewhere (CI logs) they are
    printed every ``every`` seconds, so a long notebook still shows that it moves. ``clock``
    is ``time.time`` (the workers' start times are wall times), a fake one in tests.
    """

    def __init__(self, stream: TextIO | None = None, tty: bool | None = None, every: float = 30.0,
                 clock: Callable[[], float] = time.time) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.every, self.clock = every, clock
        self.lanes: dict[str, dict[str, Any]] = {}
        self.finished: set[str] = set()
        self._drawn = 0
        self._last = clock()

    def update(self, stem: str, n: int, total: int, started: float) -> None:
        """A worker's report: ``stem`` is at cell ``n`` of ``total`` and started at ``started``."""
        if stem in self.finished:
            return  # a late message of a notebook already done
        lane = self.lanes.get(stem, {}).get("lane")
        if lane is None:
            taken = {v["lane"] for v in self.lanes.values()}
            lane = next(i for i in range(1, len(taken) + 2) if i not in taken)
        self.lanes[stem] = {"lane": lane, "n": n, "total": total, "started": started}

    def finish(self, stem: str) -> None:
        self.finished.add(stem)
        self.lanes.pop(stem, None)

    def lines(self) -> list[str]:
        now = self.clock()
        return [f"[execute] lane {v['lane']}: {stem}, cell {v['n']}/{v['total'] or '?'}, "
                f"{_clock(now - v['started'])} elapsed"
                for stem, v in sorted(self.lanes.items(), key=lambda kv: kv[1]["lane"])]

    def clear(self) -> None:
        """Erase the lines drawn on a terminal (before another message is printed)."""
        if self.tty and self._drawn:
            self.stream.write("\x1b[1A\x1b[2K" * self._drawn)
            self.stream.flush()
            self._drawn = 0

    def show(self) -> None:
        """Redraw on a terminal; elsewhere print the lines when ``every`` seconds have passed."""
        lines = self.lines()
        if self.tty:
            self.clear()
            if lines:
                self.stream.write("\n".join(lines) + "\n")
                self.stream.flush()
            self._drawn = len(lines)
            return
        now = self.clock()
        if lines and now - self._last >= self.every:
            self._last = now
            self.stream.write("\n".join(lines) + "\n")
            self.stream.flush()


def record_run(out_dir: Path, row: dict[str, Any]) -> None:
    """Add ``row`` to ``OUT/_runs.json`` (replacing the notebook's previous row), under a lock."""
    with file_lock(out_dir / "._runs.lock"):  # notebooks running side by side share the log
        _update_run_log(out_dir, row)


def _update_run_log(out_dir: Path, row: dict[str, Any]) -> None:
    log_path = out_dir / "_runs.json"
    log: dict[str, Any] = {"runs": []}
    if log_path.exists():
        try:
            log = json.loads(log_path.read_text())
        except json.JSONDecodeError:
            log = {"runs": []}
    runs = [r for r in log.get("runs", []) if r.get("notebook") != row["notebook"]]
    runs.append(row)
    log = {
        "runs": sorted(runs, key=lambda r: r["notebook"]),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version()},
    }
    atomic_write_json(log_path, log)


def last_wall_times(out_dir: Path) -> dict[str, float]:
    """Each notebook's last recorded wall time: from ``OUT/_runs.json``, else from the
    committed cold build of ``bench/results/book.json``; {} when neither is readable."""
    for path, rows in ((Path(out_dir) / "_runs.json", lambda d: d["runs"]),
                       (ROOT / "bench" / "results" / "book.json", lambda d: d["result"]["cold"]["notebooks"])):
        try:
            times = {r["notebook"]: float(r["wall_s"]) for r in rows(json.loads(path.read_text()))}
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if times:
            return times
    return {}
