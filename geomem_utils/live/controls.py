"""The book's ipywidgets controls: each retrains a model and redraws its figure on change.

- :func:`node2vec_widget` (``02_spectral_bias``): Node2Vec on a tiny graph, redrawn with
  :func:`~geomem_utils.figures.spectral.node2vec_spectral_figure`;
- :func:`build_widgets` (``05_playground``): the playground's controls, any model family on
  any playground graph, redrawn with :func:`~geomem_utils.figures.playground.playground_figure`;
  :func:`timed_redraw` is one control change, timed (the chapter's latency check, ``bench/widgets.py``).

Each draws a fresh figure into an ``Output`` widget (plotly's ``FigureWidget`` needs
``anywidget``, which the book does not install). Nothing trains until a control moves, so
building a widget headless (the book's executor) never waits.
"""

from __future__ import annotations

import time
from typing import Any

import plotly.graph_objects as go

from geomem_utils.science import graphs as _graphs
from geomem_utils.science.graphs import Graph
from geomem_utils.runs.playground import (
    DEFAULTS, GRAPH_LABELS, GRAPHS, MODEL_LABELS, MODELS, PlaygroundRun, check_settings,
    make_graph, train_embedding,
)
from geomem_utils.figures.playground import playground_figure
from geomem_utils.figures.spectral import node2vec_spectral_figure
from geomem_utils.validate import ConfigError, show


# ----------------------------------------------------------------------------- Node2Vec (02)

def node2vec_widget(graph_name: str = "star", width: int = 100, lr: float = 0.01, steps: int = 10_000,
                    init_std: float = 1.0, self_edges: bool = False, seed: int = 0, tied: bool = True,
                    draw_initial: bool = False):
    """Controls that retrain Node2Vec and redraw :func:`node2vec_spectral_figure` on change.

    Returns an ``ipywidgets.VBox``; nothing trains until a control moves (``observe``),
    so building it never blocks a headless run. ``draw_initial=True`` draws the initial
    state into the widget's output at once (for a live kernel); in the static book the
    same function draws the figure outside the widget instead.
    """
    import ipywidgets as w
    from IPython.display import display

    style = {"description_width": "90px"}
    controls = {
        "graph_name": w.Dropdown(options=list(_graphs.TINY_GRAPHS), value=graph_name, description="graph", style=style),
        "width": w.IntSlider(value=width, min=2, max=256, step=2, description="width m", continuous_update=False, style=style),
        "lr": w.FloatLogSlider(value=lr, base=10, min=-4, max=-0.5, step=0.25, description="lr", continuous_update=False, style=style),
        "steps": w.IntSlider(value=steps, min=100, max=30_000, step=100, description="steps", continuous_update=False, style=style),
        "init_std": w.FloatLogSlider(value=init_std, base=10, min=-3, max=1, step=0.25, description="init std", continuous_update=False, style=style),
        "self_edges": w.Checkbox(value=self_edges, description="self-edges u→u", style=style),
        "tied": w.Checkbox(value=tied, description="tied (V Vᵀ)", style=style),
        "seed": w.BoundedIntText(value=seed, min=0, max=2**31 - 1, description="seed", style=style),
    }
    status = w.HTML("<i>Move a control to retrain Node2Vec (needs a live kernel); the figure draws below.</i>")
    out = w.Output()

    def redraw(_change: Any = None) -> None:
        kw = {k: c.value for k, c in controls.items()}
        status.value = "<i>training…</i>"
        t0 = time.perf_counter()
        fig = node2vec_spectral_figure(**kw)
        with out:
            out.clear_output(wait=True)
            display(fig)
        status.value = f"<i>retrained and redrawn in {time.perf_counter() - t0:.2f} s</i>"

    for c in controls.values():
        c.observe(redraw, names="value")
    box = w.VBox([w.HBox([w.VBox(list(controls.values())[:4]), w.VBox(list(controls.values())[4:])]), status, out])
    if draw_initial:
        redraw()
    return box


# ----------------------------------------------------------------------------- the playground (05)

def timed_redraw(graph: Graph | str = "star", model: str = "node2vec",
                 **kw: Any) -> tuple[PlaygroundRun, go.Figure, dict[str, float]]:
    """Retrain and redraw once, as a control change does; return the run, the figure and
    the wall and CPU seconds it took (``wall_s``, ``cpu_s``)."""
    t0, c0 = time.perf_counter(), time.process_time()
    run = train_embedding(graph, model, **kw)
    fig = playground_figure(run)
    return run, fig, {"wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0}



class _Controller:
    """Holds the controls of :func:`build_widgets` and retrains on change."""

    def __init__(self, controls: dict[str, Any], status: Any, bar: Any, out: Any, device: str) -> None:
        self.controls, self.status, self.bar, self.out, self.device = controls, status, bar, out, device
        self.last_run: PlaygroundRun | None = None
        self.last_figure: go.Figure | None = None
        self.quiet = False

    def values(self) -> dict[str, Any]:
        return {k: c.value for k, c in self.controls.items()}

    def _progress(self, done: int, total: int) -> None:
        self.bar.max = max(1, total)
        self.bar.value = min(done, total)

    def sync_enabled(self) -> None:
        g = self.controls["graph"].value
        self.controls["degree"].disabled = self.controls["path_length"].disabled = g != "path_star"
        self.controls["size"].disabled = g not in ("cycle_n", "grid_n")

    def set_model_defaults(self) -> None:
        d = DEFAULTS[self.controls["model"].value]
        self.quiet = True
        try:
            for k in ("lr", "init_std", "steps", "width"):
                self.controls[k].value = getattr(d, k)
        finally:
            self.quiet = False

    def retrain(self, _change: Any = None) -> PlaygroundRun | None:
        """Train with the current control values and draw the figure into the output."""
        from IPython.display import display

        if self.quiet:
            return None
        v = self.values()
        self.status.value = f"<i>training {MODEL_LABELS[v['model']]}…</i>"
        t0 = time.perf_counter()
        try:
            g = make_graph(v["graph"], v["degree"], v["path_length"], v["size"])
            run = train_embedding(g, v["model"], v["tied"], v["self_edges"], v["lr"], v["init_std"], v["steps"],
                                  v["width"], v["seed"], progress=self._progress, device=self.device)
            fig = playground_figure(run)
        except ValueError as err:  # ConfigError and ConfigTypeError are ValueErrors
            self.status.value = f"<b>cannot train:</b> {err}"
            return None
        self.last_run, self.last_figure = run, fig
        with self.out:
            self.out.clear_output(wait=True)
            display(fig)
        self.status.value = (f"<i>retrained and redrawn in {time.perf_counter() - t0:.2f} s "
                             f"(training {run.train_s:.2f} s): top-k recovery {run.top_k:.0f}%, "
                             f"alignment {run.alignment:.2f}</i>")
        return run


def build_widgets(graph: str = "star", model: str = "net", tied: bool = True, self_edges: bool = False,
                  seed: int = 0, degree: int = 4, path_length: int = 5, size: int = 6,
                  draw_initial: bool = False, device: str = "cpu") -> Any:
    """The playground's controls: an ``ipywidgets.VBox`` that retrains and redraws on change.

    Sliders use ``continuous_update=False`` (one retrain per release); choosing a model
    resets lr, init scale, steps and width to its :data:`DEFAULTS`. Nothing trains until
    a control moves or "retrain" is pressed, unless ``draw_initial=True``, so building it
    headless (the book's executor) never blocks. The controller is ``box.playground``
    (``.controls``, ``.retrain()``, ``.last_run``, ``.last_figure``).
    """
    import ipywidgets as w

    if not isinstance(graph, str) or graph not in GRAPHS:
        raise ConfigError(f"graph must be one of {list(GRAPHS)}, got {show(graph)}")
    if not isinstance(model, str) or model not in MODELS:
        raise ConfigError(f"model must be one of {list(MODELS)}, got {show(model)}")
    d = DEFAULTS[model]
    check_settings(model, tied, self_edges, d.lr, d.init_std, d.steps, d.width, seed)
    make_graph(graph, degree, path_length, size)  # named errors for a bad size, before any widget exists
    style = {"description_width": "90px"}
    lay = w.Layout(width="300px")

    def slider(cls: Any, **kw: Any) -> Any:
        return cls(continuous_update=False, style=style, layout=lay, **kw)

    controls = {
        "graph": w.Dropdown(options=[(GRAPH_LABELS[k], k) for k in GRAPHS], value=graph, description="graph",
                            style=style, layout=lay),
        "degree": slider(w.IntSlider, value=degree, min=1, max=40, description="arms d"),
        "path_length": slider(w.IntSlider, value=path_length, min=2, max=20, description="length l"),
        "size": slider(w.IntSlider, value=size, min=3, max=14, description="size n"),
        "model": w.Dropdown(options=[(MODEL_LABELS[k], k) for k in MODELS], value=model, description="model",
                            style=style, layout=lay),
        "tied": w.Checkbox(value=bool(tied), description="tied embeddings", style=style),
        "self_edges": w.Checkbox(value=bool(self_edges), description="self-edges u→u", style=style),
        "lr": slider(w.FloatLogSlider, value=d.lr, base=10, min=-4, max=1, step=0.1, description="learning rate",
                     readout_format=".2g"),
        "init_std": slider(w.FloatLogSlider, value=d.init_std, base=10, min=-3, max=1, step=0.1,
                           description="init std", readout_format=".2g"),
        "steps": slider(w.IntSlider, value=d.steps, min=1, max=20_000, step=1, description="steps"),
        "width": slider(w.IntSlider, value=d.width, min=2, max=256, step=1, description="width m"),
        "seed": w.BoundedIntText(value=seed, min=0, max=2**31 - 1, description="seed", style=style, layout=lay),
    }
    # No icon: an icon font would be one more file for the static book to serve.
    button = w.Button(description="retrain", tooltip="train again with these settings")
    bar = w.IntProgress(value=0, min=0, max=1, description="progress", style=style, layout=lay)
    status = w.HTML("<i>Move a control or press <b>retrain</b> to train and draw here (needs a live kernel: "
                    "<code>make lab</code>). Tiny graphs take about a second; the Transformer and Mamba a little "
                    "more per step. The figure below this widget shows these defaults.</i>")
    out = w.Output()
    ctl = _Controller(controls, status, bar, out, device)
    ctl.sync_enabled()

    def on_graph(_change: Any) -> None:
        ctl.sync_enabled()
        ctl.retrain()

    def on_model(_change: Any) -> None:
        ctl.set_model_defaults()
        ctl.retrain()

    for k, c in controls.items():
        c.observe(on_graph if k == "graph" else on_model if k == "model" else ctl.retrain, names="value")
    button.on_click(lambda _b: ctl.retrain())
    names = list(controls)
    left = w.VBox([controls[k] for k in names[:7]])
    right = w.VBox([controls[k] for k in names[7:]] + [w.HBox([button]), bar])
    box = w.VBox([w.HBox([left, right]), status, out])
    box.playground = ctl  # type: ignore[attr-defined]
    if draw_initial:
        ctl.retrain()
    return box
