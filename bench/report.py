"""``bench/results/README.md``: the benchmark page, written from the JSON records.

The page is plain Markdown (tables), so that the book can include it as is. Every number
on it comes from a record in ``bench/results/``; a section whose record is missing is
left out with a line saying how to produce it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .common import RESULTS, read_records


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in rows]
    return out + [""]


def _fmt(x: Any, nd: int = 1) -> str:
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:,.{nd}f}"
    return str(x)


def _env_line(rec: dict[str, Any]) -> str:
    e = rec.get("env", {})
    return (f"*Measured {e.get('date', '?')} on {e.get('cpu', '?')} ({e.get('cpus', '?')} CPUs), torch "
            f"{e.get('torch', '?')}, {e.get('torch_threads', '?')} threads (OMP_NUM_THREADS="
            f"{e.get('OMP_NUM_THREADS') or 'unset'}), OMP_WAIT_POLICY="
            f"{e.get('OMP_WAIT_POLICY') or 'default'}; load average {e.get('loadavg')} at the start, "
            f"{rec.get('loadavg_end')} at the end.*")


def _goals(r: dict[str, dict[str, Any]]) -> list[str]:
    rows = []
    if "tta" in r:
        runs = [x for x in r["tta"]["result"]["chapter_run"] if not x.get("head_at_targets_only")]
        walls = sorted(x["wall_s"] for x in runs if x["reached"])
        cpus = sorted(x["cpu_s"] for x in runs if x["reached"])
        med = walls[len(walls) // 2] if walls else None
        medc = cpus[len(cpus) // 2] if cpus else None
        rows.append(["G(100, 5) to 90% held-out", "≤ 20 s", f"{_fmt(med)} s wall, {_fmt(medc)} s CPU (median of {len(runs)} seeds, {len(walls)} reached)",
                     "yes" if med is not None and med <= 20 else ("CPU time yes" if medc is not None and medc <= 20 else "no")])
    if "throughput" in r:
        run = r["throughput"]["result"]["runs"][0]
        sp = run["speedup_vs_reference"]["median_of_ratios"]
        rows.append([f"our loop vs padded reference, tokens/s ({run['graph']})", "≥ 2x", f"{sp:.2f}x", "yes" if sp >= 2 else "no"])
    if "widgets" in r:
        w = r["widgets"]["result"]
        cpu = max(x["cpu_s"] for x in w["rows"])
        rows.append(["playground, one control change (tiny graphs)", "≤ 1 s",
                     f"{w['worst_median_wall_s']:.2f} s wall, {cpu:.2f} s CPU (slowest model)",
                     "yes" if w["worst_median_wall_s"] <= 1 else ("CPU time yes" if cpu <= 1 else "no")])
    if "live" in r:
        lv = r["live"]["result"]
        worst = max(x["wall_s"]["median"] for x in lv["rows"] if x["panel"] != "node2vec" and x.get("default", True))
        rows.append(["in-page retrain + redraw, default settings (headless Chromium)", f"≤ {lv['goal_s']:.0f} s",
                     f"{worst:.2f} s (slowest panel at its default, median of {lv['repeats']})",
                     "yes" if worst <= lv["goal_s"] else "no"])
    if "book" in r:
        b = r["book"]["result"]
        cold = b["cold"]["wall_s"]  # what the reader waits for: the executor's wall time, notebooks side by side
        rows.append(["whole book at ci, cache cold", "≤ 10 min", f"{cold / 60:.1f} min", "yes" if cold <= 600 else "no"])
        if b.get("max_peak_rss_mb") is not None:
            rows.append(["peak RSS of any notebook at ci", "≤ 4 GiB", f"{b['max_peak_rss_mb'] / 1024:.2f} GiB",
                         "yes" if b["max_peak_rss_mb"] <= 4096 else "no"])
    for name, how in (("largest", "book's loop"), ("largest_fast_head", "head at targets only")):
        if name in r:
            rows.append([f"largest G(d, 5) to 90% held-out in 10 min ({how})", "report",
                         str(r[name]["result"]["largest_reached"]), ""])
    return _table(["goal", "target", "measured", "met"], rows) if rows else []


def _tta(rec: dict[str, Any]) -> list[str]:
    res = rec["result"]
    rows = []
    for x in res["chapter_run"] + res["larger"]:
        share = x["eval_wall_s"] / x["total_wall_s"] if x["total_wall_s"] else 0
        rows.append([x["graph"], "targets" if x.get("head_at_targets_only") else "all", x["seed"], x["schedule_steps"], x["n_held_out"], "yes" if x["reached"] else "no",
                     x["step"] if x["reached"] else f"best {x['best']['test_exact']:.0%} at {x['best']['step']}",
                     _fmt(x["wall_s"]), _fmt(x["cpu_s"]), _fmt(x["ms_per_step_wall"]), _fmt(x["ms_per_step_cpu"]),
                     f"{share:.0%}"])
    return [
        "## Time to accuracy", "",
        "The chapter's run (`profile_run(\"ci\", degree=d)`: 2 x 128 GPT, lr 1e-3, batch 256, cosine over "
        "*schedule* steps), trained by `gm.train.train` until held-out exact match reaches 90%, evaluated every "
        "25 (G(100, 5)) or 50 steps. Seconds count from the start (data, model, training, evaluation). "
        "*head*: `all` is the book's loop as the chapters run it; `targets` turns on "
        "`TrainConfig(head_at_targets_only=True)` (output head at target positions only; the same run up to "
        "float rounding).", "",
        *_table(["graph", "head", "seed", "schedule", "held-out leaves", "reached", "step", "wall s", "CPU s",
                 "ms/step wall", "ms/step CPU", "time in eval"], rows),
        _env_line(rec), "",
    ]


def _throughput(rec: dict[str, Any]) -> list[str]:
    res = rec["result"]
    peak = res["peak"]
    lines = ["## Training throughput", "",
             f"Our loop (`gm.train.train`, one forward per length bucket) against a plain loop that pads every "
             f"example to the longest (`bench/reference.py`), same model, data, optimiser and schedule; "
             f"medians over repeats, run alternately. Peak: a {peak['n']} x {peak['n']} float32 matmul at "
             f"{peak['gflops_wall']} GFLOP/s ({peak['threads']} threads; {peak['gflops_per_cpu_s']} GFLOP per "
             f"CPU-second). MFU = model FLOPs (counted by `FlopCounterMode`, no padding) per second / peak.", ""]
    for run in res["runs"]:
        b = run["batch"]
        rows = []
        for name, x in run["loops"].items():
            rows.append([name, _fmt(1000 * x["s_per_step_wall"]["median"]), _fmt(1000 * x["s_per_step_cpu"]["median"]),
                         _fmt(x["steps_per_s"], 2), _fmt(x["input_tokens_per_s"], 0), _fmt(x["computed_tokens_per_s"], 0),
                         _fmt(x["model_gflops_per_s"]), f"{x['mfu']:.0%}", f"{x['mfu_cpu_time']:.0%}"])
        sp = run["speedup_vs_reference"]
        lines += [f"**{run['graph']}**: a batch of {b['examples']} examples is {b['input_tokens']:.0f} input tokens "
                  f"({b['target_tokens']:.0f} targets); padded, {b['padded_tokens']:.0f} "
                  f"({b['padding_waste']:.0%} padding). Model FLOPs per step "
                  f"{run['flops_per_step']['model_flops'] / 1e9:.2f} G (padded: "
                  f"{run['flops_per_step']['padded_flops'] / 1e9:.2f} G).", "",
                  *_table(["loop", "ms/step", "CPU ms/step", "steps/s", "real tokens/s", "computed tokens/s",
                           "model GFLOP/s", "MFU", "MFU (CPU time)"], rows),
                  f"Speed-up of our loop over the reference: {sp['median_of_ratios']:.2f}x (median of per-repeat "
                  f"ratios; {sp['cpu_time']:.2f}x in CPU time); with the head at targets only: "
                  f"{run['fast_head_speedup']['vs_reference']:.2f}x, {run['fast_head_speedup']['median_of_ratios']:.2f}x "
                  f"the book's default loop.", ""]
    return lines + [_env_line(rec), ""]


def _profile(rec: dict[str, Any]) -> list[str]:
    lines = ["## Where a step's time goes", "",
             "`torch.profiler` over steps of `gm.train.train` on the ci mixture: self CPU time by operator.", ""]
    for run in rec["result"]["runs"]:
        g = run["groups"]
        lines += [f"**{run['graph']}** ({run['ms_per_step_profiled']} ms per profiled step): "
                  + ", ".join(f"{k} {v:.0%}" for k, v in g.items())
                  + f"; the optimiser step spans {run['optimiser_share']:.0%}.", "",
                  *_table(["operator", "share", "calls per step"],
                          [[f"`{o['op']}`", f"{o['share']:.1%}", o["calls_per_step"]] for o in run["top_ops"]])]
    return lines + [_env_line(rec), ""]


def _threads(rec: dict[str, Any]) -> list[str]:
    res = rec["result"]
    rows = [[x["setting"], _fmt(x.get("ms_per_step_wall")), _fmt(x.get("ms_per_step_cpu")), x.get("loadavg"),
             _fmt(x.get("final_loss"), 7) if "final_loss" in x else x.get("error")] for x in res["rows"]]
    return ["## Thread settings" + (f", {rec['label']}" if rec.get("label") else ""), "",
            f"One training step of the ci run ({res['graph']}, batch 256), each setting in a fresh process, "
            f"{res['steps']} steps. The final loss shows that the thread count changes the last digits of a run.", "",
            *_table(["setting", "ms/step wall", "CPU ms/step", "load average", f"loss after {res['steps']} steps"], rows),
            _env_line(rec), ""]


def _mamba(rec: dict[str, Any]) -> list[str]:
    res = rec["result"]
    scan = res["scan"]
    rows = [[x["length"], x["batch"], _fmt(x["sequential_ms"]["median"]), _fmt(x["parallel_ms"]["median"]),
             f"{x['parallel_speedup']:.2f}x", f"{x['max_abs_logit_diff']:.1e}"] for x in scan["rows"]]
    m = scan["model"]
    lines = ["## Mamba: sequential vs parallel scan", "",
             f"A training step (forward + backward) of a {m['n_layers']} x {m['width']} Mamba (d_state "
             f"{m['d_state']}, expand {m['expand']}, mambapy blocks) on random tokens.", "",
             *_table(["length", "batch", "sequential ms", "parallel ms", "parallel speed-up", "max logit difference"], rows)]
    ssm = scan["mamba_ssm"]
    lines += [f"mamba_ssm (CUDA kernels): {ssm['skipped']}." if "skipped" in ssm else
              "mamba_ssm on " + ssm["device"] + ": " + ", ".join(f"length {x['length']}: {x['ms']['median']:.2f} ms"
                                                                 for x in ssm["rows"]) + ".", ""]
    ps = res["path_star_step"]
    rows = [[name, _fmt(x["ms_per_step"]["median"]), _fmt(x["cpu_ms_per_step"]), f"{x.get('x_gpt', 1.0):.1f}x"]
            for name, x in ps["loops"].items()]
    lines += [f"A training step of the ci mixture on {ps['graph']} (batch {ps['batch']}, `gm.train.train`):", "",
              *_table(["model", "ms/step", "CPU ms/step", "x GPT"], rows), _env_line(rec), ""]
    return lines


def _widgets(rec: dict[str, Any]) -> list[str]:
    res = rec["result"]
    rows = [[x["graph"], x["model"], x.get("steps", ""), _fmt(x["wall_s"]["median"], 2), _fmt(x["cpu_s"], 2),
             _fmt(x.get("train_s"), 2), _fmt(x.get("figure_s"), 2)] for x in res["rows"]]
    return ["## Live widgets", "",
            f"One control change of the playground at its defaults: retrain and redraw ({res['source']}); "
            f"median of {res['repeats']}. Goal: at most {res['goal_s']:.0f} s.", "",
            *_table(["graph", "model", "steps", "wall s", "CPU s", "training s", "figure s"], rows), _env_line(rec), ""]


def _live(rec: dict[str, Any]) -> list[str]:
    res = rec["result"]
    rows = [[x["chapter"], x["model"], x["settings"], _fmt(x["wall_s"]["median"], 2), _fmt(x["wall_s"]["min"], 2),
             _fmt(x["wall_s"]["max"], 2)] for x in res["rows"]]
    return ["## In-page training", "",
            f"Retrain + redraw of each panel's default run in headless Chromium, as the page's own clock measures it "
            f"({res['note']}); median of {res['repeats']} presses of *retrain* after a warm-up. Goal: at most "
            f"{res['goal_s']:.0f} s. `python -m bench.run --only live` (needs the built book).", "",
            *_table(["chapter", "model", "settings", "median s", "min s", "max s"], rows), "",
            "The page's Transformer and Mamba trained in Node.js (training alone, no drawing) on the tiny star:", "",
            *_table(["model", "width", "steps", "median s", "min s", "max s"],
                    [[x["model"], x["width"], x["steps"], _fmt(x["wall_s"]["median"], 2), _fmt(x["wall_s"]["min"], 2),
                      _fmt(x["wall_s"]["max"], 2)] for x in res.get("node", [])]), _env_line(rec), ""]


def _book(rec: dict[str, Any]) -> list[str]:
    res = rec["result"]
    warm = {x["notebook"]: x for x in res["warm"]["notebooks"]}
    rows = []
    for x in res["cold"]["notebooks"]:
        w = warm.get(x["notebook"], {})
        peak = max([v for v in (x.get("peak_rss_mb"), w.get("peak_rss_mb")) if v is not None], default=None)
        rows.append([x["notebook"], _fmt(x["wall_s"]), _fmt(w.get("wall_s")), _fmt(peak, 0),
                     "pass" if x["ok"] else f"FAIL: {x.get('error')}"])
    tot = res["notebook_wall_s"]
    rows.append(["sum of the notebooks", _fmt(tot["cold"]), _fmt(tot["warm"]), _fmt(res.get("max_peak_rss_mb"), 0), ""])
    rows.append(["**the whole book (executor's wall)**", _fmt(res["cold"]["wall_s"]), _fmt(res["warm"]["wall_s"]), "", ""])
    return ["## The whole book", "",
            "Every notebook at the ci profile through the executor, with a fresh cache (cold), then again (warm). "
            "The executor runs notebooks side by side (one per core, at most two; one thread per kernel), so the "
            "book's wall time is below the sum of the notebooks', and a notebook's own time depends on which "
            "shared runs the other lane trained first. "
            f"CPU time of everything the executor ran: {res['cold']['cpu_s']} s cold, {res['warm']['cpu_s']} s warm.", "",
            *_table(["notebook", "cold s", "warm s", "peak RSS MiB", "verdict (cold)"], rows), _env_line(rec), ""]


def _largest(rec: dict[str, Any]) -> list[str]:
    res = rec["result"]
    rows = [[x["graph"], x["schedule_steps"], "yes" if x["reached"] else "no", x["step"], _fmt(x["wall_s"]),
             _fmt(x["cpu_s"]), f"{x['best']['test_exact']:.0%} at {x['best']['step']}", _fmt(x["total_wall_s"])]
            for x in res["rows"]]
    title = "## The largest path-star in 10 minutes" + (", head at targets only" if res.get("head_at_targets_only") else "")
    return [title, "",
            f"The ci run on ever larger G(d, 5) with a {res['budget_s'] // 60}-minute budget each "
            f"({res.get('budget_clock', 'wall')} clock, {rec.get('env', {}).get('torch_threads')} thread(s), head at "
            f"{'targets only' if res.get('head_at_targets_only') else 'every position'}), evaluated every 100 steps; "
            f"largest to reach 90% held-out: **{res['largest_reached']}**.", "",
            *_table(["graph", "schedule", "reached", "step", "wall s", "CPU s", "best", "ran s"], rows), _env_line(rec), ""]


def _compile(rec: dict[str, Any]) -> list[str]:
    x = rec["result"]
    return ["## torch.compile on CPU", "",
            f"{x['graph']}: compiling took {x['compile_s_wall']} s (wall); then {x['compiled_ms_per_step']} ms per step "
            f"compiled vs {x['eager_ms_per_step']} eager ({x['compiled_cpu_ms_per_step']} vs {x['eager_cpu_ms_per_step']} "
            f"CPU ms). Break-even after {x['break_even_steps']} steps; losses identical: {x['same_losses']} "
            f"(largest difference {x['max_loss_diff']:.1e}).", "", _env_line(rec), ""]


def _recipes(rec: dict[str, Any]) -> list[str]:
    res = rec["result"]
    rows = [[x["lr"], x["steps"], x["seed"], _fmt(x["first_step"]), _fmt(x["first_cpu_s"]),
             f"{x['final']:.0%}", "–" if x["min_after_first"] is None else f"{x['min_after_first']:.0%}"]
            for x in res["rows"]]
    return ["## Faster recipes? (a proposal)", "",
            f"The ci run on {res['graph']} (2 x 128 GPT, batch 256, warm-up 100, cosine to lr/10 over *schedule* "
            f"steps) trained to the end; the first row is the book's recipe.", "",
            *_table(["lr", "schedule", "seed", f"first step at {res['target']:.0%}", "CPU s to it", "at the end",
                     "lowest after"], rows), _env_line(rec), ""]


def _gpu(rec: dict[str, Any]) -> list[str]:
    hist = [[h["step"], f"{h['test_exact']:.1%}", f"{h.get('train_exact', float('nan')):.1%}", f"{h['loss']:.3f}"]
            for h in rec.get("history", [])]
    c = rec.get("config", {})
    return ["## Paper scale on one GPU", "",
            f"`bench/full_profile_gpu.py`: the full profile, G({c.get('degree')}, {c.get('path_length')}) with "
            f"{rec.get('n_params', 0) / 1e6:.1f} M parameters, on {rec.get('device')} (torch {rec.get('torch')}): "
            f"{rec.get('steps_run')} steps in {rec.get('wall_s')} s ({rec.get('s_per_step')} s/step).", "",
            *_table(["step", "held-out exact", "train exact", "loss"], hist)]


def _sweeps(rec: dict[str, Any]) -> list[str]:
    res = rec["result"]
    rows = [[x["table"], x["kind"], x["runs"], x["trained_by_last"], x["workers"], _fmt(x["wall_s"], 0),
             _fmt(x["runs_per_hour_per_core"]), _fmt(x["train_s_median"]), _fmt(x["training_runs_per_hour_per_core"])]
            for x in res["rows"]]
    return ["## Sweep throughput", "",
            f"Runs per hour per core of the committed sweep tables ({res['folder']}), read from each table and the "
            "summary of the invocation that last trained its runs (carried on by a later one that only re-stamped "
            "the rows): that invocation's runs trained over its wall hours and "
            "workers (Dask, evaluations and waits included), and the training loop alone (3600 s over the median "
            "`train_s` of the rows that trained, one core each). `python -m bench.run --only sweeps`; no fast path "
            "(several seeds as one batched model) exists yet, so these are the plain loop's rates.", "",
            *_table(["table", "kind", "rows", "trained by the last run", "workers", "its wall s", "runs/h/core",
                     "median train s", "training runs/h/core"], rows), _env_line(rec), ""]


SECTIONS = [("tta", _tta), ("throughput", _throughput), ("profile", _profile), ("threads", _threads),
            ("threads_loaded", _threads), ("mamba", _mamba), ("widgets", _widgets), ("live", _live), ("book", _book), ("largest", _largest),
            ("largest_fast_head", _largest), ("compile", _compile), ("recipes", _recipes),
            ("full_profile_gpu", _gpu), ("sweeps", _sweeps)]


def render(records: dict[str, dict[str, Any]]) -> str:
    lines = ["# Benchmarks", "",
             "How fast the book trains and runs, measured by `make bench` (`python -m bench.run`; the whole book "
             "with `--book`, the largest path-star with `--largest`). Wall times on a shared machine are inflated "
             "by other processes; CPU times and ratios measured in one process are the steadier numbers, and every "
             "table gives the load average it was measured under (compare it with the number of CPUs).", ""]
    lines += _goals(records)
    for name, fn in SECTIONS:
        if name in records:
            try:
                lines += fn(records[name])
            except (KeyError, TypeError, ValueError, ZeroDivisionError) as err:
                lines += [f"*(record `{name}.json` could not be read: {err})*", ""]
    missing = [n for n, _ in SECTIONS if n not in records]
    if missing:
        lines += ["Not measured yet: " + ", ".join(f"`{m}`" for m in missing) + ".", ""]
    return "\n".join(lines)


def write_readme(folder: Path | None = None) -> Path:
    folder = folder or RESULTS
    path = folder / "README.md"
    from geomem_utils.files import atomic_write_bytes

    atomic_write_bytes(path, render(read_records(folder)).encode())
    return path
