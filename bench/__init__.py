"""Benchmarks of the book: time to accuracy, training throughput, the whole book, Mamba
scans, live widgets. Run with ``python -m bench.run`` (``make bench``); results land in
``bench/results/*.json`` and the page ``bench/results/README.md``.

Timings are medians over repeats and ratios measured inside one process, because the
machines the book runs on are shared and noisy; every record carries the load average.
Nothing here is a unit test: the tests only check that the pieces agree (same loss).
"""
