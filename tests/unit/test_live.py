"""geomem_utils.live.panels (kernel-free panels), playground_grid.static_grid, and the book's widget-state rule."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import numpy as np
import pytest

from geomem_utils.live import panels, grid as playground_grid
from geomem_utils.validate import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def _data(html: str) -> dict:
    m = re.search(r'<script type="application/json">(.*)</script></div>$', html, re.S)
    assert m, html[:200]
    return json.loads(m.group(1))


def test_panel_html_round_trips_and_cannot_end_its_script_early() -> None:
    panel = panels.LivePanel("node2vec", {"text": "a </script><script>alert(1)</script> b", "x": [1.5, 2]})
    html = panel.to_html()
    assert html.count("</script>") == 1  # only the real end tag
    assert _data(html) == panel.data
    assert 'data-geomem-live="node2vec"' in html
    assert len(repr(panel)) < 200  # the text/plain output does not repeat the data


def test_panel_rejects_unknown_kinds_and_bad_settings() -> None:
    with pytest.raises(ConfigError, match="kind"):
        panels.LivePanel("nope", {})
    with pytest.raises(ConfigError, match="graph"):
        panels.node2vec_panel(graph="torus")
    with pytest.raises(ConfigError, match="steps"):
        panels.node2vec_panel(steps=50_000)
    with pytest.raises(ConfigError, match="lr"):
        panels.node2vec_panel(lr=0.0)
    with pytest.raises(ValueError, match="missing"):
        panels.playground_panel({"graphs": {}})


def test_node2vec_panel_carries_the_tiny_graphs() -> None:
    d = _data(panels.node2vec_panel(graph="grid", lr=0.05, steps=2000).to_html())
    assert set(d["graphs"]) == {"star", "grid", "cycle", "irregular"}
    assert d["graphs"]["star"]["n"] == 17 and len(d["graphs"]["star"]["edges"]) == 16
    assert d["defaults"]["graph"] == "grid" and d["defaults"]["lr"] == 0.05


def test_static_grid_covers_its_axes_with_keys_the_page_reads() -> None:
    grid = playground_grid.static_grid(graphs=("star", "path_star"), models=("node2vec", "assoc"),
                                       scales=(0.02, 1.0), steps={"node2vec": 60, "assoc": 3}, n_snapshots=3)
    names = grid["graph_order"]
    assert names == ["star", "G(3, 4)"]
    # the page's key: graph | model | edges (0/1) | index of the scale
    want = {f"{g}|{m}|{e}|{k}" for g in names for m in ("node2vec", "assoc") for e in (0, 1) for k in (0, 1)}
    assert set(grid["runs"]) == want
    run = grid["runs"]["G(3, 4)|node2vec|1|1"]
    n = grid["graphs"]["G(3, 4)"]["n"]
    assert run["settings"]["self_edges"] is True and run["settings"]["init_std"] == 1.0
    assert run["steps"][0] == 0 and run["steps"][-1] == 60
    assert len(run["pcs"]) == len(run["prof"]) == len(run["align"]) == len(run["steps"])
    assert np.array(run["pcs"][-1]).shape == (2, n) and len(run["prof"][-1]) == n - 1
    assert len(grid["graphs"]["G(3, 4)"]["spectrum"]) == n - 1
    # the views differ: initial scale and self-edges change what is drawn
    assert run["pcs"][-1] != grid["runs"]["G(3, 4)|node2vec|0|1"]["pcs"][-1]
    assert grid["runs"]["star|assoc|0|0"]["align"][-1] != grid["runs"]["star|node2vec|0|0"]["align"][-1]
    json.dumps(grid, allow_nan=False)  # what the page embeds


def test_static_grid_names_bad_inputs() -> None:
    with pytest.raises(ConfigError, match="unknown"):
        playground_grid.static_grid(graphs=("torus",))
    with pytest.raises(ConfigError, match="scales"):
        playground_grid.static_grid(graphs=("star",), scales=(0.0,))


def _build_book():
    spec = importlib.util.spec_from_file_location("build_book", ROOT / "book" / "build_book.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_widget_state_dropped_only_when_no_widget_is_shown() -> None:
    bb = _build_book()
    view = {"output_type": "display_data", "data": {bb.WIDGET_VIEW: {"model_id": "x"}}}

    def nb(tags):
        return {"metadata": {"widgets": {"state": 1}},
                "cells": [{"cell_type": "code", "metadata": {"tags": tags}, "outputs": [view]}]}

    hidden, shown = nb(["remove-output"]), nb([])
    assert bb.drop_hidden_widget_state(hidden) and "widgets" not in hidden["metadata"]
    assert not bb.drop_hidden_widget_state(shown) and "widgets" in shown["metadata"]


def test_knob_panel_carries_the_table_rows_and_its_rule() -> None:
    """04's knob panel: the 15-cycle, every row of the knob table as a preset with its own
    learning rate, initial scale, weight decay and dropout, and the table's direction rule."""
    from geomem_utils.chapters import puzzle, puzzle_figures
    from geomem_utils.science import graphs, margins

    data = _data(puzzle_figures.knob_panel().to_html())
    assert data["graph"]["n"] == 15 and len(data["graph"]["edges"]) == 15
    assert [r["label"] for r in data["rows"]] == [row for row, *_ in puzzle.KNOBS]
    wd_row = next(r for r in data["rows"] if r["weight_decay"] > 0)
    assert wd_row["init_std"] == 1.0 and wd_row["weight_decay"] == 10.0
    assert next(r for r in data["rows"] if r["dropout"] > 0)["dropout"] == 0.4
    assert data["rows"][0]["init_std"] == 0.02  # OneLayerNet's default N(0, 0.02^2)
    assert (data["evals"], data["late_fraction"], data["geometric_top1"]) == (
        puzzle.KNOB_EVALS, puzzle.LATE_FRACTION, margins.GEOMETRIC_TOP1)
    assert data["defaults"]["width"] <= 64 and data["defaults"]["steps"] <= 2000
    cycle = graphs.tiny_graph("cycle")
    with pytest.raises(ConfigError, match="rows"):
        panels.knob_panel(cycle, "x", [{"label": "a", "lr": 1e-2}], 40, 0.8, 75.0)
    with pytest.raises(ConfigError, match="width"):
        panels.knob_panel(cycle, "x", [], 40, 0.8, 75.0, width=4)


def test_playground_panel_names_the_families_the_page_retrains() -> None:
    grid = playground_grid.static_grid(("star",), models=("net", "gpt", "mamba"), scales=(0.02,),
                                       steps={"net": 3, "gpt": 2, "mamba": 2}, n_snapshots=2)
    data = _data(panels.playground_panel(grid).to_html())
    assert data["live"]["models"] == ["net", "gpt", "mamba"]
    assert data["live"]["elsewhere"] == {}
