"""Graphs of the paper and their spectra (the paper's §2-§4).

Introduced in ``00_tasks``. A :class:`Graph` is a fixed set of nodes ``0..n-1`` and
undirected edges; for the rooted families (path-star, tree-star) each edge is stored
parent -> child, and the root-to-leaf paths are kept. The spectral object of the paper
is ``M = D^-1 A + (D^-1 A)^T`` (= ``-L + 2I`` with ``L = (I - D^-1 A) + (I - D^-1 A)^T``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import scipy.sparse as sp

from geomem_utils.validate import ConfigError, ConfigTypeError, check_int, show

#: Refuse graphs above this many nodes up front (a dense spectrum or a model's vocabulary
#: of that size would not fit a laptop); the error says how much memory it would need.
MAX_NODES = 2_000_000

TINY_GRAPHS = ("star", "grid", "cycle", "irregular")

#: Normalised spectra of the tiny graphs as printed in the paper's release.
SPEC_SPECTRA: dict[str, list[float]] = {
    "star": [1, 1, 1, .787, .413, .413, .413, 0, -.413, -.413, -.413, -.787, -1, -1, -1, -1.082],
    "grid": [1, 1, .646, .423, .42, 0, 0, 0, 0, -.42, -.423, -.646, -1, -1, -1.274],
    "cycle": [1, 1, .732, .732, .338, .338, -.114, -.114, -.547, -.547, -.886, -.886, -1.071, -1.071],
    "irregular": [1, .888, .795, .41, .33, .04, -.15, -.315, -.333, -.333, -.333, -.565, -.616, -.857, -.972],
}


@dataclass(frozen=True)
class Graph:
    """A fixed graph with node ids ``0..n_nodes-1``.

    ``edges``: (E, 2) int64, one row per undirected edge (parent -> child for rooted graphs).
    ``paths``: root-to-leaf node lists (rooted graphs only), one per leaf.
    ``branch``: (n_nodes,) the index of the root's neighbour ("arm") each node hangs
    from, -1 for the root and for graphs without a root.
    """

    name: str
    n_nodes: int
    edges: np.ndarray
    root: int | None = None
    paths: tuple[tuple[int, ...], ...] = ()
    branch: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    params: dict = field(default_factory=dict)

    @property
    def n_edges(self) -> int:
        return int(self.edges.shape[0])

    @property
    def leaves(self) -> np.ndarray:
        return np.array([p[-1] for p in self.paths], dtype=np.int64)

    @property
    def first_hops(self) -> np.ndarray:
        """v1 of each path: the node right after the root."""
        return np.array([p[1] for p in self.paths], dtype=np.int64)

    def to_networkx(self) -> nx.Graph:
        g = nx.Graph()
        g.add_nodes_from(range(self.n_nodes))
        g.add_edges_from(map(tuple, self.edges.tolist()))
        return g

    def neighbours(self) -> list[np.ndarray]:
        adj = adjacency(self)
        return [adj.indices[adj.indptr[u]: adj.indptr[u + 1]] for u in range(self.n_nodes)]


def _check_size(n_nodes: int, what: str) -> None:
    if n_nodes > MAX_NODES:
        # Embedding table + logits of one batch row dominate: 4 bytes x n x (width + n).
        if n_nodes < 10**12:
            count, gib = f"{n_nodes:,}", f"{4 * n_nodes * (128 + n_nodes) / 2**30:,.1f}"
        else:  # too large for a float (or a readable number): give the order of magnitude
            digits = int(n_nodes.bit_length() * 0.30103)
            count, gib = f"about 10**{digits}", f"more than 10**{max(0, 2 * digits - 9)}"
        raise ConfigError(
            f"{what} would have {count} nodes (limit {MAX_NODES:,}); one row of logits over "
            f"that vocabulary plus a width-128 embedding would need {gib} GiB"
        )


def _check_seed(name: str, seed: object) -> int | None:
    """A seed is None or a non-negative integer (numpy's rule), named in the error."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ConfigTypeError(f"{name} must be a non-negative integer or None, got {type(seed).__name__} {show(seed)}")
    if seed < 0:
        raise ConfigError(f"{name} must be a non-negative integer or None, got {show(seed)}")
    return int(seed)


def size_of(family: str, degree: int, path_length: int) -> int:
    """Node count of ``path_star``/``tree_star(degree, path_length)``, checked without building it.

    Raises the same errors as the constructors (a bad degree or length, or a graph over
    :data:`MAX_NODES` with its memory estimate), so a run can be refused up front.
    """
    d = check_int("degree", degree, 1)
    length = check_int("path_length", path_length, 2)
    if family == "path_star":
        n = 1 + d * (length - 1)
    elif family == "tree_star":
        if length > 40:
            raise ConfigError(f"path_length must be <= 40 for a tree-star, got {show(length)}")
        n = 1 + d * (2 ** (length - 1) - 1)
    else:
        raise ConfigError(f"family must be 'path_star' or 'tree_star', got {family!r}")
    _check_size(n, f"{family}(degree={show(d)}, path_length={show(length)})")
    return n


def _relabel(n_nodes: int, seed: int | None) -> np.ndarray:
    """perm[canonical id] = published id; identity when ``seed`` is None."""
    seed = _check_seed("seed", seed)
    if seed is None:
        return np.arange(n_nodes, dtype=np.int64)
    return np.random.default_rng(seed).permutation(n_nodes).astype(np.int64)


def path_star(degree: int, path_length: int, seed: int | None = 0) -> Graph:
    """Path-star G(d, l): a root with ``degree`` arms of ``path_length - 1`` new nodes each.

    ``path_length`` (l) counts the root, so ``n = 1 + d (l - 1)``. Node ids are randomly
    permuted with ``seed`` (the root is generally not id 0); ``seed=None`` keeps the
    canonical ids (root 0, arm i = 1 + i(l-1) ... ).
    """
    d = check_int("degree", degree, 1)
    length = check_int("path_length", path_length, 2)
    n = 1 + d * (length - 1)
    _check_size(n, f"path_star(degree={show(d)}, path_length={show(length)})")
    perm = _relabel(n, seed)
    arms = np.arange(1, n).reshape(d, length - 1)  # canonical ids, arm i in row i
    chains = np.concatenate([np.zeros((d, 1), dtype=np.int64), arms], axis=1)  # (d, l)
    chains = perm[chains]
    edges = np.stack([chains[:, :-1].reshape(-1), chains[:, 1:].reshape(-1)], axis=1)
    branch = np.full(n, -1, dtype=np.int64)
    branch[chains[:, 1:]] = np.arange(d)[:, None]
    return Graph(
        name=f"G({d}, {length})", n_nodes=n, edges=edges, root=int(perm[0]),
        paths=tuple(tuple(int(x) for x in row) for row in chains), branch=branch,
        params={"family": "path_star", "degree": d, "path_length": length, "seed": seed},
    )


def tree_star(degree: int, path_length: int, seed: int | None = 0) -> Graph:
    """Tree-star T(d, l): a root of degree d, then every non-leaf node has 2 children.

    Levels counted like the path-star (the root is level 1, leaves are level l), so each
    arm is a binary tree with ``2**(l-1) - 1`` nodes and ``2**(l-2)`` leaves.
    """
    d = check_int("degree", degree, 1)
    length = check_int("path_length", path_length, 2)
    if length > 40:
        raise ConfigError(f"path_length must be <= 40 for a tree-star, got {show(length)}")
    per_arm = 2 ** (length - 1) - 1
    n = 1 + d * per_arm
    _check_size(n, f"tree_star(degree={show(d)}, path_length={show(length)})")
    perm = _relabel(n, seed)
    edges: list[tuple[int, int]] = []
    paths: list[tuple[int, ...]] = []
    branch = np.full(n, -1, dtype=np.int64)
    for arm in range(d):
        base = 1 + arm * per_arm  # heap order inside the arm: children of k are 2k+1, 2k+2
        for k in range(per_arm):
            branch[perm[base + k]] = arm
            for c in (2 * k + 1, 2 * k + 2):
                if c < per_arm:
                    edges.append((base + k, base + c))
        edges.append((0, base))
        first_leaf = per_arm // 2
        for leaf in range(first_leaf, per_arm):
            chain, k = [], leaf
            while True:
                chain.append(base + k)
                if k == 0:
                    break
                k = (k - 1) // 2
            paths.append(tuple([0] + chain[::-1]))
    e = perm[np.array(edges, dtype=np.int64)]
    return Graph(
        name=f"T({d}, {length})", n_nodes=n, edges=e, root=int(perm[0]),
        paths=tuple(tuple(int(perm[x]) for x in p) for p in paths), branch=branch,
        params={"family": "tree_star", "degree": d, "path_length": length, "seed": seed},
    )


def cycle_graph(n: int) -> Graph:
    """The cycle 0-1-...-(n-1)-0, edges ``(i, i+1 mod n)`` in order (``n = 15``: the tiny cycle)."""
    n = check_int("n", n, 3, MAX_NODES)
    edges = np.array(list(nx.utils.pairwise(range(n), cyclic=True)), dtype=np.int64)
    return Graph(name=f"C({n})", n_nodes=n, edges=edges, branch=np.full(n, -1, dtype=np.int64),
                 params={"family": "cycle", "size": n})


def grid_graph(side: int) -> Graph:
    """The ``side x side`` grid, row-major ids; the row edges first, then the column edges
    (``side = 4``: the tiny grid)."""
    s = check_int("side", side, 2, int(np.sqrt(MAX_NODES)))
    edges = [(r * s + c, r * s + c + 1) for r in range(s) for c in range(s - 1)]
    edges += [(r * s + c, (r + 1) * s + c) for r in range(s - 1) for c in range(s)]
    return Graph(name=f"grid {s}×{s}", n_nodes=s * s, edges=np.array(edges, dtype=np.int64),
                 branch=np.full(s * s, -1, dtype=np.int64), params={"family": "grid", "size": s})


def tiny_graph(name: str) -> Graph:
    """The four tiny graphs of the paper's figures (§3-§4), with fixed canonical ids.

    ``star``: path-star d=4, l=5 (root 0); ``grid``: 4x4 row-major; ``cycle``: 15 nodes;
    ``irregular``: the 12-cycle 0..11 with chords (1,3), (5,8), plus K4 on 12..15.
    """
    if not isinstance(name, str):
        raise ConfigTypeError(f"name must be a str, got {type(name).__name__} {show(name)}")
    if name not in TINY_GRAPHS:
        raise ConfigError(f"name must be one of {list(TINY_GRAPHS)}, got {name!r}")
    if name == "irregular":
        edges = cycle_graph(12).edges.tolist() + [[1, 3], [5, 8]]
        edges += [[a, b] for a in range(12, 16) for b in range(a + 1, 16)]
        g = Graph(name=name, n_nodes=16, edges=np.array(edges, dtype=np.int64), branch=np.full(16, -1, dtype=np.int64))
    else:
        g = {"star": lambda: path_star(4, 5, seed=None), "grid": lambda: grid_graph(4),
             "cycle": lambda: cycle_graph(15)}[name]()
    return Graph(**{**g.__dict__, "name": name, "params": {"family": "tiny", "name": name}})


def adjacency(g: Graph, self_edges: bool = False) -> sp.csr_matrix:
    """Symmetric 0/1 adjacency A (n x n), optionally with self-loops u -> u."""
    u, v = g.edges[:, 0], g.edges[:, 1]
    rows = np.concatenate([u, v])
    cols = np.concatenate([v, u])
    a = sp.coo_matrix((np.ones(rows.size), (rows, cols)), shape=(g.n_nodes, g.n_nodes)).tocsr()
    a.data[:] = 1.0
    if self_edges:
        a = (a + sp.identity(g.n_nodes, format="csr")).tocsr()
    return a


def degrees(g: Graph) -> np.ndarray:
    return np.asarray(adjacency(g).sum(axis=1)).ravel().astype(np.int64)


def sym_transition(g: Graph, self_edges: bool = False) -> np.ndarray:
    """``M = D^-1 A + (D^-1 A)^T`` as a dense (n, n) array (= ``-L + 2I`` of the paper's §4)."""
    a = adjacency(g, self_edges).toarray()
    deg = a.sum(axis=1, keepdims=True)
    deg[deg == 0] = 1.0
    p = a / deg
    return p + p.T


def neg_laplacian(g: Graph, self_edges: bool = False) -> np.ndarray:
    """``-L`` with ``L = (I - D^-1 A) + (I - D^-1 A)^T``."""
    return sym_transition(g, self_edges) - 2.0 * np.eye(g.n_nodes)


def spectrum(g: Graph, self_edges: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Eigenpairs of ``M``, eigenvalues sorted descending; eigenvectors as columns."""
    vals, vecs = np.linalg.eigh(sym_transition(g, self_edges))
    order = np.argsort(-vals, kind="stable")
    return vals[order], vecs[:, order]


def normalised_spectrum(g: Graph, self_edges: bool = False) -> np.ndarray:
    """The paper's normalised spectrum (§4): eigenvalues of ``M`` descending, the top one dropped, divided by the largest left."""
    vals = spectrum(g, self_edges)[0][1:]
    return vals / vals[0]
