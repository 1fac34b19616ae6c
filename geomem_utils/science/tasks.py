"""Tasks and their token formats (the paper's §2, Fig. 1).

Introduced in ``00_tasks``. One token per node (ids ``0..n-1``) plus four specials:
``[EDGE]``, ``[PATH]``, ``[PAUSE]``, ``[PAD]``.

- Edge memorisation: ``[EDGE] u v``, loss on ``v`` only.
- Path finding (in weights): ``[PATH] leaf [PAUSE]*k`` then the target ``root v1 ... leaf``.
- Hardest token: the same prefix and ``root``, loss on ``v1`` only.
- In context (Bachmann & Nagarajan): ``[EDGE] u v`` for every edge of a freshly labelled
  graph (shuffled), then ``[PATH] start goal [PAUSE]*k`` and the target ``start ... goal``.

A :class:`Bucket` holds same-length sequences in next-token form: ``inputs = seq[:, :-1]``,
``targets = seq[:, 1:]`` with ``-100`` where no loss is taken.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from geomem_utils.science.graphs import Graph, _check_seed, path_star
from geomem_utils.validate import ConfigError, check_int, check_number, show

IGNORE = -100
SPECIALS = ("[EDGE]", "[PATH]", "[PAUSE]", "[PAD]")


@dataclass(frozen=True)
class Vocab:
    """Node tokens ``0..n_nodes-1`` followed by the specials."""

    n_nodes: int

    @property
    def EDGE(self) -> int:  # noqa: N802 - token names read like the paper's
        return self.n_nodes

    @property
    def PATH(self) -> int:  # noqa: N802
        return self.n_nodes + 1

    @property
    def PAUSE(self) -> int:  # noqa: N802
        return self.n_nodes + 2

    @property
    def PAD(self) -> int:  # noqa: N802
        return self.n_nodes + 3

    @property
    def size(self) -> int:
        return self.n_nodes + len(SPECIALS)

    def decode(self, tokens) -> list[str]:
        """Token ids -> readable strings (node ids as numbers, specials by name)."""
        return [str(t) if t < self.n_nodes else SPECIALS[t - self.n_nodes] for t in map(int, tokens)]


@dataclass
class Bucket:
    """Same-length sequences in next-token form; ``kind`` says which task they come from."""

    kind: str
    inputs: torch.Tensor  # (N, T) long
    targets: torch.Tensor  # (N, T) long, IGNORE where no loss

    def __len__(self) -> int:
        return int(self.inputs.shape[0])

    @property
    def seq_len(self) -> int:
        return int(self.inputs.shape[1])

    @property
    def n_target_tokens(self) -> int:
        return int((self.targets != IGNORE).sum())

    def to(self, device: str | torch.device) -> "Bucket":
        return Bucket(self.kind, self.inputs.to(device), self.targets.to(device))

    def subset(self, rows: torch.Tensor) -> "Bucket":
        return Bucket(self.kind, self.inputs[rows], self.targets[rows])


def bucket_from_sequences(kind: str, seqs: np.ndarray, loss_mask: np.ndarray) -> Bucket:
    """(N, T+1) full sequences and a (N, T+1) mask of the tokens to predict -> Bucket."""
    seqs_t = torch.as_tensor(np.asarray(seqs), dtype=torch.long)
    mask_t = torch.as_tensor(np.asarray(loss_mask), dtype=torch.bool)
    targets = torch.where(mask_t[:, 1:], seqs_t[:, 1:], torch.full_like(seqs_t[:, 1:], IGNORE))
    return Bucket(kind, seqs_t[:, :-1].contiguous(), targets.contiguous())


# ---------------------------------------------------------------------------- edges

DIRECTIONS = ("both", "forward", "backward")


def edge_pairs(g: Graph, direction: str = "both", self_edges: bool = False) -> np.ndarray:
    """(E', 2) (u, v) pairs to memorise. ``forward`` = parent -> child as stored."""
    if direction not in DIRECTIONS:
        raise ConfigError(f"direction must be one of {list(DIRECTIONS)}, got {direction!r}")
    fwd, bwd = g.edges, g.edges[:, ::-1]
    parts = {"both": [fwd, bwd], "forward": [fwd], "backward": [bwd]}[direction]
    if self_edges:
        nodes = np.arange(g.n_nodes)
        parts.append(np.stack([nodes, nodes], axis=1))
    return np.concatenate(parts, axis=0).astype(np.int64)


def edge_bucket(g: Graph, vocab: Vocab, direction: str = "both", self_edges: bool = False) -> Bucket:
    """``[EDGE] u v`` for every edge (both directions by default); loss on ``v``."""
    pairs = edge_pairs(g, direction, self_edges)
    seqs = np.concatenate([np.full((len(pairs), 1), vocab.EDGE), pairs], axis=1)  # (E', 3)
    mask = np.zeros_like(seqs, dtype=bool)
    mask[:, 2] = True
    return bucket_from_sequences("edge", seqs, mask)


def edge_queries(g: Graph, vocab: Vocab) -> torch.Tensor:
    """``[EDGE] u`` for every node u: (n_nodes, 2), the input of top-k edge recovery."""
    nodes = np.arange(g.n_nodes)
    return torch.as_tensor(np.stack([np.full_like(nodes, vocab.EDGE), nodes], axis=1), dtype=torch.long)


# ---------------------------------------------------------------------------- paths

SPLITS = ("leaf", "subtree")


def check_split(n_units: int, test_frac: float, by: str = "leaf") -> int:
    """How many of ``n_units`` leaves (or arms) ``test_frac`` holds out; raises unless 1..n-1.

    Used by :func:`split_leaves` and to refuse a run up front (``experiments.PathStarRun``).
    """
    check_number("test_frac", test_frac, 0.0, 1.0, lo_open=True, hi_open=True, numpy=False)
    n_test = int(round(test_frac * n_units))
    if n_test < 1 or n_test >= n_units:
        raise ConfigError(
            f"test_frac={test_frac} of {n_units} {'leaves' if by == 'leaf' else 'arms'} leaves "
            f"{n_test} held out: need at least one held-out and one training {('leaf' if by == 'leaf' else 'arm')} "
            f"(raise the degree or change test_frac)"
        )
    return n_test


def split_leaves(
    g: Graph, test_frac: float = 0.25, seed: int = 0, by: str = "leaf"
) -> tuple[np.ndarray, np.ndarray]:
    """Indices into ``g.paths`` for (train, held-out), seeded.

    ``by="leaf"`` holds out a random ``test_frac`` of the leaves; ``by="subtree"`` (tree-star)
    holds out every leaf under a random ``test_frac`` of the root's arms, so their first
    hops never appear as a path target in training.
    """
    if not g.paths:
        raise ConfigError(f"graph {g.name} has no root-to-leaf paths to split")
    if seed is None or _check_seed("seed", seed) is None:  # a split must be reproducible
        raise ConfigError("seed must be a non-negative integer (a split is always seeded), got None")
    if by not in SPLITS:
        raise ConfigError(f"by must be 'leaf' or 'subtree', got {show(by)}")
    n_paths = len(g.paths)
    groups = np.arange(n_paths) if by == "leaf" else g.branch[g.first_hops]
    units = np.unique(groups)
    n_test = check_split(len(units), test_frac, by)
    rng = np.random.default_rng(seed)
    test_units = rng.choice(units, size=n_test, replace=False)
    is_test = np.isin(groups, test_units)
    return np.flatnonzero(~is_test), np.flatnonzero(is_test)


def path_sequences(
    g: Graph, vocab: Vocab, path_ids: np.ndarray, n_pause: int = 1, reverse: bool = False
) -> tuple[np.ndarray, int]:
    """Full sequences ``[PATH] leaf [PAUSE]*k root ... leaf`` (N, 2 + k + l); prefix length."""
    check_int("n_pause", n_pause, 0)
    paths = np.array([g.paths[i] for i in path_ids], dtype=np.int64).reshape(len(path_ids), -1)  # (N, l)
    if reverse:
        paths = paths[:, ::-1]
    goal = paths[:, -1:] if not reverse else paths[:, :1]
    n = len(path_ids)
    prefix = np.concatenate(
        [np.full((n, 1), vocab.PATH), goal, np.full((n, n_pause), vocab.PAUSE)], axis=1
    ).astype(np.int64)
    return np.concatenate([prefix, paths], axis=1), prefix.shape[1]


def path_bucket(
    g: Graph, vocab: Vocab, path_ids: np.ndarray, n_pause: int = 1,
    objective: str = "path", reverse: bool = False,
) -> Bucket:
    """Path examples; ``objective="path"``: loss on every target token, ``"hardest"``: on ``v1`` only.

    With ``reverse=True`` the target runs leaf -> root while the prefix still names the
    leaf: ``[PATH] leaf [PAUSE]*k leaf ... root`` (the reversal-curse control).
    """
    seqs, p = path_sequences(g, vocab, path_ids, n_pause, reverse=False)
    if reverse:
        seqs = np.concatenate([seqs[:, :p], seqs[:, p:][:, ::-1]], axis=1)
    mask = np.zeros_like(seqs, dtype=bool)
    if objective == "path":
        mask[:, p:] = True
        kind = "path_reverse" if reverse else "path"
    elif objective == "hardest":
        if reverse:
            raise ConfigError("objective='hardest' is defined for the forward path only")
        seqs, mask = seqs[:, : p + 2], mask[:, : p + 2]
        mask[:, p + 1] = True  # v1, the node after the root
        kind = "hardest"
    else:
        raise ConfigError(f"objective must be 'path' or 'hardest', got {objective!r}")
    return bucket_from_sequences(kind, seqs, mask)


@dataclass
class PathQueries:
    """Prefixes to decode from and the answers they should produce (greedy evaluation)."""

    prefixes: torch.Tensor  # (N, P)
    answers: torch.Tensor  # (N, L)
    path_ids: np.ndarray


def path_queries(
    g: Graph, vocab: Vocab, path_ids: np.ndarray, n_pause: int = 1, reverse: bool = False
) -> PathQueries:
    seqs, p = path_sequences(g, vocab, path_ids, n_pause)
    answers = seqs[:, p:][:, ::-1] if reverse else seqs[:, p:]
    return PathQueries(torch.as_tensor(seqs[:, :p]), torch.as_tensor(np.ascontiguousarray(answers)), np.asarray(path_ids))


# ---------------------------------------------------------------------------- in context

IN_CONTEXT_VARIANTS = ("forward", "teacherless", "reverse")


def in_context_bucket(
    degree: int, path_length: int, n_labels: int, n_examples: int, seed: int,
    variant: str = "forward", n_pause: int = 0,
) -> tuple[Bucket, Vocab]:
    """Bachmann & Nagarajan's in-context path-star: a fresh labelling per example.

    Each example draws ``n`` distinct labels out of ``n_labels`` for G(d, l), lists its
    edges (parent -> child) in random order as ``[EDGE] u v``, then ``[PATH] start goal``
    and ``n_pause`` pauses, and the target path ``start ... goal`` (``reverse``: goal ...
    start). ``teacherless`` replaces the target-side *inputs* by ``[PAUSE]`` so that every
    target token must be predicted without seeing the earlier ones.
    """
    if variant not in IN_CONTEXT_VARIANTS:
        raise ConfigError(f"variant must be one of {list(IN_CONTEXT_VARIANTS)}, got {variant!r}")
    g = path_star(degree, path_length, seed=None)
    if n_labels < g.n_nodes:
        raise ConfigError(f"n_labels must be >= the {g.n_nodes} nodes of G({degree}, {path_length}), got {n_labels}")
    vocab = Vocab(n_labels)
    rng = np.random.default_rng(seed)
    n_e = g.n_edges
    labels = np.argsort(rng.random((n_examples, n_labels)), axis=1)[:, : g.n_nodes]  # (N, n) distinct labels
    order = np.argsort(rng.random((n_examples, n_e)), axis=1)  # edge shuffles
    edges = labels[:, g.edges][np.arange(n_examples)[:, None], order]  # (N, E, 2)
    edge_tokens = np.concatenate([np.full((n_examples, n_e, 1), vocab.EDGE), edges], axis=2).reshape(n_examples, -1)
    goal_path = rng.integers(0, degree, size=n_examples)
    paths = labels[np.arange(n_examples)[:, None], np.array(g.paths)[goal_path]]  # (N, l)
    query = np.stack([np.full(n_examples, vocab.PATH), paths[:, 0], paths[:, -1]], axis=1)
    prefix = np.concatenate([edge_tokens, query, np.full((n_examples, n_pause), vocab.PAUSE)], axis=1)
    target = paths[:, ::-1] if variant == "reverse" else paths
    seqs = np.concatenate([prefix, target], axis=1)
    p = prefix.shape[1]
    mask = np.zeros_like(seqs, dtype=bool)
    mask[:, p:] = True
    bucket = bucket_from_sequences(f"in_context_{variant}", seqs, mask)
    if variant == "teacherless":
        bucket.inputs[:, p:] = vocab.PAUSE  # inputs[:, t] predicts seqs[:, t+1]
    return bucket, vocab
