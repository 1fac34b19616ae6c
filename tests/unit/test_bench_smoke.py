"""The benchmarks' pieces agree with the book's (no timings are asserted here).

- the padded reference loop optimises the same loss as ``gm.train.train`` (step 0);
- the time-to-accuracy runner and the page writer work on a tiny case;
- the executor's peak-memory probe sees a child process's memory.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import report, tta  # noqa: E402
from bench.reference import pad_buckets, padded_loss, reference_train  # noqa: E402
from bench.throughput import mixture, token_counts  # noqa: E402
from geomem_utils.execute.report import PeakRSS  # noqa: E402
from geomem_utils.science.tasks import IGNORE  # noqa: E402
from geomem_utils.science.train import _batches, batch_loss, train  # noqa: E402


@pytest.fixture(scope="module")
def small():
    torch.set_num_threads(1)
    return mixture(degree=20)


def test_padded_reference_has_the_books_loss_at_step_0(small):
    data, fresh, tcfg = small
    model = fresh()
    rows = next(_batches([len(b) for b in data.buckets], 64, torch.Generator().manual_seed(0)))
    ours = batch_loss(model, data.buckets, rows)
    x_all, y_all = pad_buckets(data.buckets, data.vocab.PAD)
    offsets = [0, len(data.buckets[0])]
    idx = torch.cat([r + o for r, o in zip(rows, offsets)])
    theirs = padded_loss(model, x_all[idx], y_all[idx])
    assert x_all.shape[1] == max(b.seq_len for b in data.buckets)
    assert torch.allclose(ours, theirs, rtol=1e-5, atol=0), (float(ours), float(theirs))
    # and a wrong padding (a loss on the pads) would not agree: the check can fail
    y_bad = y_all[idx].clone()
    y_bad[y_bad == IGNORE] = data.vocab.PAD
    assert not torch.allclose(ours, padded_loss(model, x_all[idx], y_bad), rtol=1e-3)


def test_padding_keeps_every_real_token(small):
    data, _, _ = small
    x_all, y_all = pad_buckets(data.buckets, data.vocab.PAD)
    assert int((y_all != IGNORE).sum()) == sum(b.n_target_tokens for b in data.buckets)
    counts = token_counts(data.buckets, 64)
    assert counts["padded_tokens"] > counts["input_tokens"] > counts["target_tokens"] > 0


def test_both_loops_learn_the_same_task(small):
    data, fresh, tcfg = small
    cfg = replace(tcfg, steps=30, warmup_steps=5, eval_every=0, batch_size=64)
    ours = train(fresh(), data.buckets, cfg).losses
    ref = reference_train(fresh(), data.buckets, cfg, data.vocab.PAD)
    assert abs(ours[0] - ref[0]) < 0.05  # same init, same loss (different first batch)
    assert ours[-1] < 0.8 * ours[0] and ref[-1] < 0.8 * ref[0]


def test_time_to_accuracy_runs_and_reports_a_miss():
    torch.set_num_threads(1)
    r = tta.time_to_accuracy(degree=8, steps=20, eval_every=10, target=1.01)
    assert not r["reached"] and r["step"] is None and r["steps_run"] == 20
    assert [h["step"] for h in r["history"]] == [10, 20]
    assert 0.0 <= r["best"]["test_exact"] <= 1.0


def test_report_renders_without_records_and_with_one(tmp_path):
    assert "Not measured yet" in report.render({})
    rec = {"env": {"cpu": "x"}, "result": {"chapter_run": [], "larger": [], "goal_s": 20}}
    page = report.render({"tta": rec})
    assert "## Time to accuracy" in page


def test_peak_rss_probe_sees_a_child():
    code = "import time; b = bytearray(80 * 2**20); b[::4096] = b'x' * len(b[::4096]); time.sleep(0.8)"
    with PeakRSS(interval=0.1) as peak:
        subprocess.run([sys.executable, "-c", code], check=True)
    assert peak.mb is not None and peak.mb >= 80


def test_sweep_throughput_reads_each_committed_table_and_its_last_invocation(tmp_path) -> None:
    """Runs per hour per core: the last invocation's trained runs over its wall hours and
    workers; the training's from the median train_s of the rows that trained (a run loaded
    from the cache is not a training)."""
    import json

    import pandas as pd

    from bench import report, sweep_throughput

    pd.DataFrame({"train_s": [100.0, 300.0, 200.0, 0.05], "status": ["done"] * 4}).to_csv(tmp_path / "x-ci.csv",
                                                                                         index=False)
    (tmp_path / "x-ci.json").write_text(json.dumps({"kind": "path_star", "done": 3, "workers": 2, "wall_s": 360.0,
                                                    "started": "2026-12-07T00:00:00+00:00"}))
    (row,) = sweep_throughput.sweep_throughput(tmp_path)["rows"]
    assert row["runs_per_hour_per_core"] == 15.0  # 3 runs / 0.1 h / 2 workers
    assert row["train_s_median"] == 200.0 and row["training_runs_per_hour_per_core"] == 18.0
    assert row["runs"] == 4 and row["trained_by_last"] == 3
    text = "\n".join(report._sweeps({"result": sweep_throughput.sweep_throughput(tmp_path), "env": {}}))
    assert "| x-ci.csv | path_star | 4 | 3 | 2 |" in text
    # a later invocation that only re-stamped the rows from cached runs: the rate is the training one's
    (tmp_path / "x-ci.json").write_text(json.dumps({"kind": "path_star", "done": 0, "cached": 4, "workers": 1,
                                                    "wall_s": 2.0, "trained": {"done": 3, "workers": 2,
                                                                               "wall_s": 360.0}}))
    (row,) = sweep_throughput.sweep_throughput(tmp_path)["rows"]
    assert row["runs_per_hour_per_core"] == 15.0 and row["trained_by_last"] == 3 and row["kind"] == "path_star"
