"""The numbers of the reproducibility page, written from the committed benchmark files.

``book/reproducibility.md`` states no measured number itself: it includes the paragraphs
this module writes into ``book/_generated/`` from ``bench/results/threads.json`` (the same
run on one and two threads) and ``bench/results/full_profile_gpu.json`` (the full profile
on one GPU). ``build_book.py`` runs it on every build; ``python book/reproducibility_numbers.py
[OUT_DIR]`` runs it alone.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
OUT = Path(__file__).resolve().parent / "_generated"
ORDINALS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth"]


def first_differing_digit(a: float, b: float, digits: int = 9) -> int:
    """1-based significant digit at which ``a`` and ``b`` first differ (``digits + 1`` if none)."""
    sa, sb = (f"{x:.{digits}g}".replace(".", "").replace("-", "").lstrip("0") for x in (a, b))
    return next((i + 1 for i, (x, y) in enumerate(zip(sa, sb)) if x != y), digits + 1)


def threads_paragraph(bench: dict) -> str:
    res = bench["result"]
    by_threads = {}
    for row in res["rows"]:
        by_threads.setdefault(row["threads"], row["final_loss"])
    one, two = by_threads[1], by_threads[2]
    k = first_differing_digit(one, two)
    where = (f"differ in the {ORDINALS[k - 1]} significant digit" if k <= len(ORDINALS)
             else "agree to nine significant digits")
    return (f"**The number of threads.** PyTorch splits a matrix product across the threads it is\n"
            f"given, and floating-point addition is not associative, so 1 and 2 threads may round\n"
            f"differently: after {res['steps']} training steps of the ci GPT on {res['graph']} the losses\n"
            f"{where} ({one:.{k + 1}g} with one thread, {two:.{k + 1}g} with two; `python -m\n"
            f"bench.run --only threads`, `bench/results/threads.json`). Such differences grow over a\n"
            f"long run: a chapter's curves on another machine are close to, not equal to, the\n"
            f"published ones. The claim checks are set with margins measured over several seeds so\n"
            f"that they hold anyway.\n")


def gpu_paragraph(run: dict) -> str:
    cfg = dict(run["config"])
    model = dict(tuple(kv) for kv in cfg["model"])
    last = max(run["history"], key=lambda r: r["step"])
    return (f"**CPU or GPU.** On CUDA the training loop uses bf16 autocast and cuBLAS / fused attention\n"
            f"kernels, so the numbers differ from the CPU run from the first step on, and the GPU's\n"
            f"own kernels are not guaranteed to be bit-reproducible either. The full profile was run\n"
            f"on one {run['device']} (G({cfg['degree']}, {cfg['path_length']}), GPT {model['n_layers']} x "
            f"{model['width']}: {100 * last['test_exact']:.1f}% held-out exact match at step "
            f"{last['step']:,}, {run['wall_s']:.0f} s;\n"
            f"`bench/results/full_profile_gpu.json`); the ci profile's claims are checked on CPU.\n")


def write(out: Path = OUT, results: Path = RESULTS) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "reproducibility_threads.md": threads_paragraph(json.loads((results / "threads.json").read_text())),
        "reproducibility_gpu.md": gpu_paragraph(json.loads((results / "full_profile_gpu.json").read_text())),
    }
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8")
    return [out / name for name in files]


if __name__ == "__main__":
    print("\n".join(str(p) for p in write(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)))
