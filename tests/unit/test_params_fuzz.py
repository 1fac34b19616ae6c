"""Strict parameters: random and hostile values are accepted and valid, or refused by name.

Property-based tests (hypothesis) of every entry point that takes a reader's parameter:
``params.resolve`` on every chapter's real specs (``geomem_utils.chapters``), ``graphs.path_star``,
``tree_star``, ``tiny_graph``, ``tasks.split_leaves``, ``train.TrainConfig``,
``models.GPTConfig``, ``experiments.PathStarRun`` and ``profile_run``. Each call must
either succeed with a result that is valid (and usable: small accepted configs are built
and run), or raise ``ValueError``/``TypeError`` whose message names one of the
parameters given. Anything else (an ``OverflowError`` from numpy, a ``KeyError``, a
``RuntimeError`` from torch) or a call slower than the deadline fails the test.

Runs are derandomized (a fixed seed per test, no example database), so a failure
reproduces; ``GEOMEM_FUZZ=explore`` draws fresh random cases (10x as many) to hunt for
new holes. The known nasty values are always tried (``@example``).
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
from collections import Counter
from datetime import timedelta
from typing import Any, Callable

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from geomem_utils import chapters, params
from geomem_utils.runs import pathstar, pathstar_config
from geomem_utils.science import graphs, tasks
from geomem_utils.chapters import Chapter, chapter
from geomem_utils.science.models import GPT, GPTConfig, build_model
from geomem_utils.params import COMMON, Spec
from geomem_utils.science.train import TrainConfig, _batches, lr_at, train
from geomem_utils.validate import ConfigError

EXPLORE = os.environ.get("GEOMEM_FUZZ") == "explore"
CASES: Counter[str] = Counter()


def fuzz(n: int) -> settings:
    return settings(
        max_examples=n * (10 if EXPLORE else 1),
        # a call slower than this is a hang (under mutmut's tracing, its own timeout judges hangs)
        deadline=None if os.environ.get("MUTANT_UNDER_TEST") else timedelta(seconds=5),
        derandomize=not EXPLORE,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


@pytest.fixture(scope="module", autouse=True)
def report_counts(request: pytest.FixtureRequest):
    yield
    total = sum(v for k, v in CASES.items() if ":" not in k)
    rows = ", ".join(f"{k} {v} ({CASES[k + ':accepted']} ok, {CASES[k + ':must_accept']} of them all-valid / "
                     f"{CASES[k + ':rejected']} refused)"
                     for k, v in sorted(CASES.items()) if ":" not in k)
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"\nparameter fuzz: {total} cases: {rows}")


# ---------------------------------------------------------------------------- values

HUGE = [10**7, 10**30, 2**63, 10**400]
HOSTILE = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from([0, -1, -(10**30), *HUGE]),
    st.integers(min_value=-50, max_value=50),
    st.sampled_from([math.nan, math.inf, -math.inf, -0.0, 0.0, 1e308, 5e-324, 0.5, 1.5]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", "ci", "10", "nan", "cuda", "auto", "full", "gpt", "leaf", "both", "\x00", "é" * 3]),
    st.text(max_size=4),
    st.lists(st.integers(-2, 3), max_size=3),
    st.tuples(st.integers(0, 3), st.integers(0, 3)),
    st.dictionaries(st.text(max_size=2), st.integers(0, 2), max_size=2),
    st.sampled_from([np.int64(3), np.float64(0.5), np.bool_(True), np.float32("nan"), np.int64(-1)]),
)


class Valid:
    """A value drawn from a parameter's valid strategy (``maybe`` draws one or a hostile value)."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"Valid({self.value!r})"


def maybe(valid: st.SearchStrategy, weight: int = 3, hostile: st.SearchStrategy = HOSTILE) -> st.SearchStrategy:
    """Valid values ``weight`` times as often as hostile ones; a valid one comes wrapped in :class:`Valid`.

    (``st.one_of`` flattens nested ``one_of``s and picks a branch uniformly, so
    ``one_of(valid, HOSTILE)`` would be hostile 12 times in 13.) Unwrap with :func:`unwrap`.
    """
    return st.integers(0, weight).flatmap(lambda i: hostile if i == weight else valid.map(Valid))


def unwrap(*values: Any) -> tuple[list[Any], bool]:
    """The plain values, and whether every one was drawn valid."""
    return [v.value if isinstance(v, Valid) else v for v in values], all(isinstance(v, Valid) for v in values)


class Fields(dict):
    """Keyword arguments drawn by :func:`some_fields`; ``all_valid``: none was drawn hostile."""

    all_valid: bool = False


@st.composite
def some_fields(draw: st.DrawFn, fields: dict[Any, st.SearchStrategy], required: tuple[str, ...] = (),
                hostile: st.SearchStrategy = HOSTILE) -> Fields:
    """A random subset of the fields; in 2 of 5 cases all valid, in 2 one hostile, else several."""
    names = [k for k in fields if k in required or draw(st.booleans())]
    mode = draw(st.sampled_from(["valid", "one", "valid", "one", "many"]))
    if mode == "valid" or not names:
        bad: set[Any] = set()
    elif mode == "one":
        bad = {draw(st.sampled_from(names))}
    else:
        bad = {k for k in names if draw(st.booleans())}
    out = Fields({k: draw(hostile if k in bad else fields[k]) for k in names})
    out.all_valid = not bad
    return out


def names_in(message: str, names: list[str]) -> bool:
    return any(re.search(rf"(?<![A-Za-z0-9_]){re.escape(n)}(?![A-Za-z0-9_])", message) for n in names)


def outcome(label: str, call: Callable[[], Any], names: list[str], validate: Callable[[Any], None],
            must_accept: bool = False) -> Any:
    """Accepted and valid, or refused with an error naming one of ``names``; else the test fails.

    ``must_accept``: every value was drawn valid (and together they meet the documented
    cross-field rules), so a refusal, whatever its message, fails the test.
    """
    CASES[label] += 1
    try:
        result = call()
    except (ValueError, TypeError) as err:
        msg = str(err)
        assert not must_accept, f"{label}: refused an all-valid draw: {type(err).__name__}: {msg}"
        assert names_in(msg, names), f"{label}: {type(err).__name__} names none of {names}: {msg}"
        CASES[label + ":rejected"] += 1
        return None
    CASES[label + ":must_accept"] += must_accept
    validate(result)
    CASES[label + ":accepted"] += 1
    return result


# ---------------------------------------------------------------------------- params.resolve

# The real specs: every chapter's companion module (geomem_utils.chapters), with the common ones.
CHAPTERS = {stem: chapter(stem) for stem in chapters.MODULES}

COMMON_VALID = {
    "PROFILE": st.sampled_from(params.PROFILES),
    "SEED": st.integers(0, 2**31 - 1),
    "DEVICE": st.sampled_from(["auto", "cpu"]),
    "RESULTS_DIR": st.text(min_size=1, max_size=8),
}


def valid_values(spec: Spec) -> st.SearchStrategy:
    """Values a spec must accept: its choices, its numeric range, else its profile defaults."""
    if spec.choices is not None:
        return st.sampled_from(spec.choices)
    if spec.bounds is not None and spec.kind is int:
        return st.integers(int(spec.bounds[0]), int(spec.bounds[1]))
    if spec.bounds is not None and spec.kind is str:  # params.int_list: "3,5,8"
        items = st.integers(int(spec.bounds[0]), int(spec.bounds[1]))
        return st.lists(items, min_size=1, max_size=8).map(lambda xs: ",".join(map(str, xs)))
    if spec.bounds is not None:
        return st.floats(*spec.bounds, exclude_min=True, exclude_max=True)
    defaults = {spec.default_for(p) for p in params.PROFILES if _has_default(spec, p)}
    return st.sampled_from(sorted(defaults, key=repr))  # None among them: the profile's default


def _has_default(spec: Spec, profile: str) -> bool:
    try:
        spec.default_for(profile)
    except KeyError:
        return False
    return True


@st.composite
def given_values(draw: st.DrawFn, ch: Chapter) -> dict[Any, Any]:
    valid = {**COMMON_VALID, **{k: valid_values(v) for k, v in ch.specs.items()}}
    out: Fields = draw(some_fields(valid))
    if draw(st.integers(0, 9)) == 0:  # now and then an unknown or misspelt name
        out[draw(st.sampled_from(["NOPE", "degree", "Degree", "SEED ", "", "DEGREES", 1, None, ("A",)]))] = draw(HOSTILE)
        out.all_valid = False
    return out


def _valid_params(p: params.Params, ch: Chapter) -> None:
    specs = {**COMMON, **ch.specs}
    assert list(p) == list(specs)
    for name, spec in specs.items():
        v = p[name]
        if v is None:
            continue
        kinds = spec.kind if isinstance(spec.kind, tuple) else (spec.kind,)
        assert isinstance(v, kinds), (name, v)
        assert not (isinstance(v, bool) and bool not in kinds), (name, v)
        assert not (isinstance(v, float) and not math.isfinite(v)), (name, v)
        assert spec.choices is None or v in spec.choices, (name, v)
        assert spec.rule is None or spec.rule(v), (name, v)
    assert p.PROFILE in params.PROFILES


@pytest.mark.parametrize("stem", list(CHAPTERS))
@fuzz(120)
@given(data=st.data())
def test_chapter_parameters_are_accepted_valid_or_refused_by_name(stem: str, data: st.DataObject) -> None:
    ch = CHAPTERS[stem]
    values = data.draw(given_values(ch))
    names = [str(k) for k in values] or ch.parameter_names
    all_valid = getattr(values, "all_valid", False)
    # Each value valid alone: the specs must take them; a cross-field rule may still refuse the mix, by name.
    outcome(f"resolve {stem}", lambda: params.resolve(values, ch.specs), names, lambda p: _valid_params(p, ch),
            must_accept=all_valid)
    outcome(f"resolve {stem} + cross-checks", lambda: params.resolve(values, ch.specs, cross_checks=ch.cross_checks),
            names, lambda p: _valid_params(p, ch), must_accept=all_valid and ch.cross_checks is None)


@pytest.mark.parametrize("stem", list(CHAPTERS))
def test_chapter_hostile_values_are_refused_by_name(stem: str) -> None:
    ch = CHAPTERS[stem]
    for name in ch.specs:
        for bad in (10**400, math.nan, "x" * 3, [1], True):
            try:
                p = params.resolve({name: bad}, ch.specs, cross_checks=ch.cross_checks)
            except ConfigError as err:
                assert name in str(err), (name, bad, str(err))
            else:
                _valid_params(p, ch)


def test_resolve_fills_every_profile_default() -> None:
    for ch in CHAPTERS.values():
        for profile in params.PROFILES:
            p = params.resolve({"PROFILE": profile}, ch.specs, cross_checks=ch.cross_checks)
            for name, spec in ch.specs.items():
                assert p[name] == spec.default_for(profile), (ch.stem, profile, name)
    with pytest.raises(params.ParameterError, match="FULL_ONLY"):
        params.resolve({"PROFILE": "ci"}, {"FULL_ONLY": Spec(int, {"full": 3})})


def test_the_common_specs_refuse_hostile_values_by_name() -> None:
    for bad in ({"LR": 10**400}, {1: 2, "DEGREE": 3}, {"PROFILE": ["ci"]}, {"SEED": True}):
        with pytest.raises(ConfigError):
            params.resolve(bad, {})
    with pytest.raises(ConfigError, match="LOG_RATIO"):  # a rule that raises on the value
        params.resolve({"LOG_RATIO": -1.0}, {"LOG_RATIO": Spec(float, 0.0, lambda v: math.log(v + 1) < 10, "...")})


# ---------------------------------------------------------------------------- graphs

INT_HOSTILE = st.one_of(st.sampled_from([0, -1, 1, 10**7, 10**30, 10**400, True, 2.0, "4", None, math.nan]), HOSTILE)


def _valid_rooted(g: graphs.Graph) -> None:
    assert g.n_edges == g.n_nodes - 1 and len(g.paths) >= 1
    assert 0 <= g.root < g.n_nodes and all(p[0] == g.root for p in g.paths)
    if g.n_nodes <= 5000:
        assert sorted({u for e in g.edges.tolist() for u in e}) == list(range(g.n_nodes))


@fuzz(120)
@given(maybe(st.integers(1, 30), hostile=INT_HOSTILE), maybe(st.integers(2, 9), hostile=INT_HOSTILE),
       maybe(st.one_of(st.none(), st.integers(0, 2**70)), hostile=INT_HOSTILE))
@example(10**400, 5, 0)
@example(4, 5, -1)
@example(4, 5, "0")
def test_path_star_accepts_or_names(degree: Any, path_length: Any, seed: Any) -> None:
    (degree, path_length, seed), all_valid = unwrap(degree, path_length, seed)

    def validate(g: graphs.Graph) -> None:
        _valid_rooted(g)
        assert g.n_nodes == 1 + degree * (path_length - 1) and len(g.paths) == degree

    outcome("path_star", lambda: graphs.path_star(degree, path_length, seed=seed),
            ["degree", "path_length", "seed"], validate, must_accept=all_valid)


@fuzz(80)
@given(maybe(st.integers(1, 6), hostile=INT_HOSTILE), maybe(st.integers(2, 6), hostile=st.one_of(st.just(41), INT_HOSTILE)),
       maybe(st.one_of(st.none(), st.integers(0, 100)), hostile=INT_HOSTILE))
def test_tree_star_accepts_or_names(degree: Any, path_length: Any, seed: Any) -> None:
    (degree, path_length, seed), all_valid = unwrap(degree, path_length, seed)

    def validate(g: graphs.Graph) -> None:
        _valid_rooted(g)
        assert len(g.paths) == degree * 2 ** (path_length - 2)

    outcome("tree_star", lambda: graphs.tree_star(degree, path_length, seed=seed),
            ["degree", "path_length", "seed"], validate, must_accept=all_valid)


@fuzz(40)
@given(maybe(st.sampled_from(graphs.TINY_GRAPHS)))
def test_tiny_graph_accepts_or_names(name: Any) -> None:
    (name,), all_valid = unwrap(name)
    outcome("tiny_graph", lambda: graphs.tiny_graph(name), ["name"],
            lambda g: (g.name in graphs.TINY_GRAPHS) or pytest.fail(g.name), must_accept=all_valid)


def test_absurd_graphs_are_refused_with_a_memory_estimate() -> None:
    for make, args in [(graphs.path_star, (10**7, 5)), (graphs.path_star, (1, 10**7)),
                       (graphs.tree_star, (10**6, 10)), (graphs.path_star, (10**400, 5))]:
        with pytest.raises(ConfigError, match=r"GiB") as err:
            make(*args)
        assert "nodes (limit" in str(err.value)
    assert graphs.size_of("path_star", 10, 5) == graphs.path_star(10, 5).n_nodes
    assert graphs.size_of("tree_star", 3, 4) == graphs.tree_star(3, 4).n_nodes


# ---------------------------------------------------------------------------- split_leaves

def split_possible(units: int, test_frac: float) -> bool:
    """The documented rule of ``split_leaves``: a fraction in (0, 1) holding out 1..units-1 units."""
    return 0 < test_frac < 1 and 1 <= int(round(test_frac * units)) <= units - 1


SPLIT_GRAPHS = [graphs.path_star(d, 4, seed=d) for d in (1, 2, 3, 8, 40)] + [graphs.tree_star(d, 4, seed=0) for d in (1, 4)]


@fuzz(150)
@given(st.sampled_from(range(len(SPLIT_GRAPHS))), maybe(st.one_of(st.floats(0.2, 0.6), st.floats(0.0, 1.0))),
       maybe(st.integers(0, 2**64)), maybe(st.sampled_from(["leaf", "subtree"])))
def test_split_leaves_accepts_or_names(gi: int, test_frac: Any, seed: Any, by: Any) -> None:
    g = SPLIT_GRAPHS[gi]
    (test_frac, seed, by), all_valid = unwrap(test_frac, seed, by)
    units = len(g.paths) if by == "leaf" else len(set(g.branch[g.first_hops].tolist()))

    def validate(split: tuple[np.ndarray, np.ndarray]) -> None:
        tr, te = split
        assert len(tr) >= 1 and len(te) >= 1 and not set(tr) & set(te)
        assert sorted([*tr.tolist(), *te.tolist()]) == list(range(len(g.paths)))

    outcome("split_leaves", lambda: tasks.split_leaves(g, test_frac, seed=seed, by=by),
            ["test_frac", "seed", "by"], validate,
            must_accept=all_valid and split_possible(units, test_frac))


# ---------------------------------------------------------------------------- TrainConfig

TINY_G = graphs.tiny_graph("cycle")
TINY_V = tasks.Vocab(TINY_G.n_nodes)
TINY_EDGES = tasks.edge_bucket(TINY_G, TINY_V)

TRAIN_FIELDS = {
    "steps": st.integers(1, 4),
    "lr": st.floats(1e-5, 1.0),
    "weight_decay": st.floats(0.0, 1.0),
    "batch_size": st.one_of(st.none(), st.integers(1, 64)),
    "warmup_steps": st.integers(0, 5),
    "schedule": st.sampled_from(["cosine", "constant"]),
    "min_lr_ratio": st.floats(0.0, 1.0),
    "betas": st.tuples(st.floats(0.0, 0.999), st.floats(0.0, 0.999)),
    "grad_clip": st.one_of(st.none(), st.floats(0.0, 10.0)),
    "seed": st.integers(0, 2**63 - 1),
    "device": st.just("cpu"),
    "eval_every": st.integers(0, 3),
    "snapshot_steps": st.lists(st.integers(0, 4), max_size=3).map(tuple),
}


@fuzz(150)
@given(some_fields(TRAIN_FIELDS, required=("steps",)))
@example({"steps": 2, "lr": True})
@example({"steps": 2, "lr": 10**400})
@example({"steps": 2, "weight_decay": "0.1"})
@example({"steps": 2, "seed": -1})
@example({"steps": 10**30})
def test_train_config_accepts_or_names(kw: dict[str, Any]) -> None:
    def validate(cfg: TrainConfig) -> None:
        for step in {0, cfg.warmup_steps, cfg.steps - 1, cfg.steps}:
            lr = lr_at(step, cfg)
            assert math.isfinite(lr) and 0 <= lr <= cfg.lr * (1 + 1e-12)
        next(_batches([5, 3], cfg.batch_size, torch.Generator().manual_seed(0)))
        if cfg.steps <= 4:  # small enough to actually run: the accepted config must train
            torch.manual_seed(0)
            model = build_model("net", TINY_V.size, 2, width=4)
            res = train(model, [TINY_EDGES], cfg, evaluate=lambda m: {"ok": 1.0})
            assert res.steps_run == cfg.steps and all(math.isfinite(x) for x in res.losses)

    must_accept = getattr(kw, "all_valid", False) and kw.get("lr", 1e-3) * kw.get("weight_decay", 0.01) < 1  # AdamW's rule
    outcome("TrainConfig", lambda: TrainConfig(**{**kw, "progress": False}), list(kw), validate, must_accept=must_accept)


# ---------------------------------------------------------------------------- GPTConfig

GPT_FIELDS = {
    "vocab_size": st.integers(1, 40),
    "block_size": st.integers(1, 8),
    "n_layers": st.integers(0, 2),
    "width": st.sampled_from([2, 4, 8, 12, 16]),
    "n_heads": st.sampled_from([1, 2, 4]),
    "dropout": st.floats(0.0, 0.9),
    "tied": st.booleans(),
    "freeze_embeddings": st.booleans(),
    "attention": st.booleans(),
    "residual": st.booleans(),
    "layernorm": st.booleans(),
    "mlp": st.sampled_from(["gelu", "linear", "none"]),
    "positions": st.sampled_from(["learned", "sinusoidal", "none"]),
    "pos_init_std": st.floats(0.0, 2.0),
    "emb_init_std": st.floats(0.0, 2.0),
    "bias": st.booleans(),
}
# models/ belongs to another author: GPTConfig still lets an OverflowError out for an
# integer too large for a float in a float field (see test_gpt_config_huge_int_float_field),
# so the fuzz keeps float fields' hostile integers below 10**308 here.
GPT_HOSTILE_FLOAT = {"dropout", "pos_init_std", "emb_init_std"}


@fuzz(150)
@given(some_fields(GPT_FIELDS, required=("vocab_size", "block_size")))
def test_gpt_config_accepts_or_names(kw: dict[str, Any]) -> None:
    all_valid = getattr(kw, "all_valid", False)
    kw = {k: (1.0 if k in GPT_HOSTILE_FLOAT and isinstance(v, int) and not isinstance(v, bool) and abs(v) > 10**300 else v)
          for k, v in kw.items()}
    full = {f.name: f.default for f in dataclasses.fields(GPTConfig) if f.default is not dataclasses.MISSING} | kw
    feasible = all_valid and ((not full["attention"] or full["width"] % full["n_heads"] == 0)  # GPTConfig's rules
                              and (full["attention"] or full["mlp"] != "none" or full["n_layers"] == 0))

    def validate(cfg: GPTConfig) -> None:
        if cfg.vocab_size <= 64 and cfg.width <= 64 and cfg.n_layers <= 3 and cfg.block_size <= 64:
            model = GPT(cfg)
            t = min(cfg.block_size, 3)
            logits = model(torch.zeros(2, t, dtype=torch.long))
            assert logits.shape == (2, t, cfg.vocab_size) and torch.isfinite(logits).all()

    outcome("GPTConfig", lambda: GPTConfig(**kw), list(kw), validate, must_accept=all_valid and feasible)


def test_gpt_config_huge_int_float_field() -> None:
    with pytest.raises((ValueError, TypeError), match="dropout"):
        GPTConfig(vocab_size=4, block_size=4, dropout=10**400)


# ---------------------------------------------------------------------------- PathStarRun

RUN_FIELDS = {
    "degree": st.integers(1, 12),
    "path_length": st.integers(2, 5),
    "family": st.sampled_from(["path_star", "tree_star"]),
    "split_by": st.sampled_from(["leaf", "subtree"]),
    "test_frac": st.floats(0.05, 0.95),
    "n_pause": st.integers(0, 3),
    "objective": st.sampled_from(pathstar_config.OBJECTIVES),
    "direction": st.sampled_from(["both", "forward", "backward"]),
    "self_edges": st.booleans(),
    "reverse": st.booleans(),
    "staged_edge_steps": st.integers(0, 5),
    "arch": st.sampled_from(["gpt", "net", "assoc", "mamba"]),
    "model": st.sampled_from([(("width", 8),), (("width", 16),)]),  # valid for every arch
    "steps": st.integers(1, 50),
    "lr": st.floats(1e-5, 1e-1),
    "batch_size": st.one_of(st.none(), st.integers(1, 64)),
    "warmup_steps": st.integers(0, 10),
    "seed": st.integers(0, 2**31),
    "eval_every": st.integers(0, 10),
    "snapshot_steps": st.lists(st.integers(0, 50), max_size=3).map(tuple),
    "max_train_eval": st.integers(1, 64),
}


#: Models that no arch accepts, or that are too large: hostile values of the ``model`` field.
BAD_MODELS = st.sampled_from([(("width", 10**6),), (("n_heads", 3), ("width", 8)), (("nope", 1),), (("width", "8"),)])


def run_feasible(kw: dict[str, Any]) -> bool:
    """The documented cross-field rules of PathStarRun, for fields that are each valid."""
    cfg = {f.name: f.default for f in dataclasses.fields(pathstar.PathStarRun)} | kw
    if cfg["arch"] in ("net", "assoc", "mamba") and set(dict(cfg["model"])) - {"width"}:
        return False  # the default model keywords (n_heads, n_layers) are a GPT's
    units = cfg["degree"] if cfg["family"] == "path_star" or cfg["split_by"] == "subtree" \
        else cfg["degree"] * 2 ** (cfg["path_length"] - 2)
    return (split_possible(units, cfg["test_frac"]) and cfg["staged_edge_steps"] < cfg["steps"]
            and not (cfg["reverse"] and cfg["objective"] == "edges_and_hardest"))


@fuzz(150)
@given(some_fields(RUN_FIELDS, hostile=st.one_of(HOSTILE, BAD_MODELS)))
@example({"degree": 10**7})
@example({"staged_edge_steps": "3"})
@example({"degree": 2, "test_frac": 0.1})
@example({"model": (("width", 10**6),)})
@example({"model": (("nope", 1),)})
@example({"arch": "mamba"})  # the default model keywords are a GPT's: the error must name arch
def test_path_star_run_accepts_or_names(kw: dict[str, Any]) -> None:
    def validate(cfg: pathstar.PathStarRun) -> None:
        n = graphs.size_of(cfg.family, cfg.degree, cfg.path_length)
        if n <= 400 and dict(cfg.model).get("width", 8) <= 64:
            data = pathstar.build_data(cfg)
            assert len(data.test_ids) >= 1 and len(data.train_ids) >= 1 and data.graph.n_nodes == n
            block = max(b.seq_len for b in data.buckets) + 2
            model = build_model(cfg.arch, data.vocab.size, block, **dict(cfg.model))
            assert model.embedding_matrix().shape[0] == data.vocab.size

    outcome("PathStarRun", lambda: pathstar.PathStarRun(**kw), list(kw) or ["degree"], validate,
            must_accept=getattr(kw, "all_valid", False) and run_feasible(kw))


@fuzz(40)
@given(maybe(st.sampled_from(params.PROFILES), weight=2),
       some_fields({"degree": st.integers(2, 200), "steps": st.integers(1, 2000), "eval_every": st.integers(0, 200)}))
@example(["ci"], {})
@example("ci", {"eval_every": 0})
def test_profile_run_accepts_or_names(profile: Any, kw: dict[str, Any]) -> None:
    (profile,), valid_profile = unwrap(profile)
    feasible = valid_profile and getattr(kw, "all_valid", False) and split_possible(kw.get("degree", 100), 0.25)

    def validate(cfg: pathstar.PathStarRun) -> None:
        assert isinstance(cfg, pathstar.PathStarRun)
        assert all(getattr(cfg, k) == v for k, v in kw.items()), (cfg, kw)
        assert cfg.snapshot_steps[0] == 0 and cfg.snapshot_steps[-1] <= cfg.steps

    outcome("profile_run", lambda: pathstar.profile_run(profile, **kw), ["profile", *kw], validate,
            must_accept=feasible)
