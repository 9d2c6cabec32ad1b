"""Mirage: distil a graph-classification training set into frequent sets of computation trees.

Gupta et al., "Mirage: Model-Agnostic Graph Distillation for Graph Classification",
ICLR 2024, https://arxiv.org/abs/2310.09486.

A depth-L message-passing GNN sees a graph only through the depth-L computation trees of its
nodes, and their frequency distribution is skewed. Mirage therefore (1) names every node's
tree by an exact canonical id, (2) turns each training graph into the transaction of its
tree ids, (3) mines per class the tree sets that are frequent (FP-growth), and (4) keeps each
set as a small graph: the disjoint union of its trees, labelled by the class and weighted by
its support. A GNN trained on it pools only the tree roots, whose embeddings equal those
of the original nodes for a GNN of exactly L layers whose aggregation over a node's
in-neighbours needs nothing beyond them (GIN, GAT, GCN with D^-1 (A+I) weights). No GNN is
trained during distillation, so it is model-agnostic and runs on CPU.
"""
from __future__ import annotations

from collections import Counter
from typing import Literal

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field
from torch import Tensor
from torch_geometric.data import Batch, Data

from kernels.graph_condense.distilled import DistilledGraphs
from kernels.graph_condense.registry import Log, register_graph_condenser
from kernels.graphs.data import graph_labels


class MirageConfig(BaseModel):
    """Mirage settings.

    Args:
        depth: computation-tree depth L; a GNN trained on the trees gets exactly L layers
            (``kernels/graph_condense/evaluate.py``), as only then is a root's embedding its
            node's embedding in the real graph (default: 3).
        theta: minimum support of a tree set within its class, in (0, 1] (default: 0.1).
        top_k: keep at most this many tree sets per class, highest support first; ``None``
            keeps all (default: ``None``).
        max_len: largest tree set mined; ``None`` means no limit (default: ``None``).
        itemsets: ``all`` frequent sets, or only ``maximal`` ones (mlxtend ``fpmax``), which
            drops the many subsets of a large frequent set (default: ``all``).
        multiset: count repeated trees: item ``(t, k)`` means "tree ``t`` occurs at least
            ``k`` times", and a mined set keeps ``k`` copies of ``t`` (default: ``False``).
        drop_shared: drop a class's tree set when its support in some other class is at
            least as high, generalising the paper's two-class rule (default: ``True``).
        sample_by_support: training draws a tree set with probability proportional to its
            support, each class's total being its share of training graphs; ``False``
            shuffles uniformly (default: ``True``).
        seed: recorded with the setting; the distillation itself is deterministic (default: 0).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    depth: int = Field(3, ge=1)
    theta: float = Field(0.1, gt=0, le=1)
    top_k: int | None = Field(None, ge=1)
    max_len: int | None = Field(None, ge=1)
    itemsets: Literal["all", "maximal"] = "all"
    multiset: bool = False
    drop_shared: bool = True
    sample_by_support: bool = True
    seed: int = 0


class TreeCodebook:
    """Exact ids of rooted computation trees, comparable across every graph it colours.

    Level 0 ids are the node labels. The level-``d`` id of node ``v`` names the pair
    (level ``d-1`` id of ``v``, sorted level ``d-1`` ids of its neighbours): a
    Weisfeiler-Lehman colour kept in a dict keyed by the pair itself rather than by a hash,
    so two nodes share an id exactly when their unrolled depth-``d`` trees (each neighbour
    expanded again, the parent included) are isomorphic as rooted labelled trees.
    """

    def __init__(self, depth: int) -> None:
        self.depth = depth
        self._ids: list[dict[tuple[int, tuple[int, ...]], int]] = [{} for _ in range(depth)]
        self._keys: list[list[tuple[int, tuple[int, ...]]]] = [[] for _ in range(depth)]

    def colour(self, node_label: Tensor, edge_index: Tensor) -> Tensor:
        """Depth-``depth`` tree id of every node, ``[n]``; messages flow ``edge_index[0] -> [1]``."""
        colour = node_label.long().numpy()
        src, dst = edge_index.numpy()
        counts = np.bincount(dst, minlength=colour.size)
        cuts = np.cumsum(counts)[:-1]
        for level in range(self.depth):
            ids, keys = self._ids[level], self._keys[level]
            # Sorting edges by target, then by the source's colour, lists every node's
            # neighbour multiset in canonical order.
            order = np.lexsort((colour[src], dst))
            groups = np.split(colour[src][order], cuts)
            new = np.empty_like(colour)
            for v, (own, nbrs) in enumerate(zip(colour.tolist(), groups)):
                key = (own, tuple(nbrs.tolist()))
                tree_id = ids.get(key)
                if tree_id is None:
                    tree_id = ids[key] = len(keys)
                    keys.append(key)
                new[v] = tree_id
            colour = new
        return torch.from_numpy(colour)

    def num_trees(self) -> int:
        """Distinct trees of full depth seen so far."""
        return len(self._keys[-1])

    def root_label(self, tree_id: int, level: int) -> int:
        for lvl in range(level, 0, -1):
            tree_id = self._keys[lvl - 1][tree_id][0]
        return tree_id

    def tree(self, tree_id: int, num_features: int) -> Data:
        """Tree ``tree_id`` (of depth ``depth``) as a graph: node 0 is the root, edges point
        child -> parent, ``x`` is the one-hot node label and only the root is in ``root_mask``."""
        labels: list[int] = []
        edges: list[tuple[int, int]] = []
        stack = [(tree_id, self.depth, -1)]
        while stack:
            tid, level, parent = stack.pop()
            me = len(labels)
            labels.append(self.root_label(tid, level))
            if parent >= 0:
                edges.append((me, parent))
            if level > 0:
                stack.extend((child, level - 1, me) for child in self._keys[level - 1][tid][1])
        x = torch.nn.functional.one_hot(torch.tensor(labels), num_features).float()
        edge_index = torch.tensor(edges, dtype=torch.long).t().reshape(2, -1)
        root_mask = torch.zeros(len(labels), dtype=torch.bool)
        root_mask[0] = True
        return Data(x=x, edge_index=edge_index, root_mask=root_mask)


def transactions(tree_ids: list[Tensor], multiset: bool) -> list[set]:
    """Each graph's set of items: tree ids, or ``(id, k)`` for ``k = 1..count`` with ``multiset``."""
    if not multiset:
        return [set(ids.tolist()) for ids in tree_ids]
    return [{(t, k) for t, n in Counter(ids.tolist()).items() for k in range(1, n + 1)} for ids in tree_ids]


def mine_frequent(matrix: np.ndarray, theta: float, max_len: int | None,
                  maximal: bool) -> list[tuple[tuple[int, ...], float]]:
    """Frequent column sets of a boolean transaction ``matrix`` ``[graphs, items]`` with FP-growth.

    Han et al., "Mining Frequent Patterns without Candidate Generation", SIGMOD 2000.

    Returns:
        ``(sorted column indices, support)`` pairs with support ``>= theta``.
    """
    import pandas as pd
    from mlxtend.frequent_patterns import fpgrowth, fpmax

    frequent = np.flatnonzero(matrix.mean(0) >= theta)  # prune before building the frame
    if frequent.size == 0:
        return []
    frame = pd.DataFrame(matrix[:, frequent], columns=range(frequent.size))
    mine = fpmax if maximal else fpgrowth
    found = mine(frame, min_support=theta, max_len=max_len, use_colnames=False)
    return [(tuple(sorted(int(frequent[c]) for c in items)), float(sup))
            for items, sup in zip(found["itemsets"], found["support"])]


@register_graph_condenser("mirage", MirageConfig)
def mirage(cfg: MirageConfig, graphs: list[Data], log: Log) -> DistilledGraphs:
    """Distil training ``graphs`` (each with ``node_label`` and one-hot ``x``) with Mirage.

    Returns:
        ``DistilledGraphs`` with one graph per kept (class, tree set), its pieces the distinct
        trees (``piece_ids`` their codebook ids) and ``weights`` the supports.
    """
    num_features = graphs[0].x.size(1)
    for g in graphs:
        onehot = torch.nn.functional.one_hot(g.node_label.long(), num_features).to(g.x.dtype)
        if g.x.size(1) != num_features or not torch.equal(g.x, onehot):
            raise ValueError("mirage needs node features that are exactly the one-hot node labels "
                             "(load the dataset with use_node_attr=False)")
    codebook = TreeCodebook(cfg.depth)
    batch = Batch.from_data_list([Data(node_label=g.node_label, edge_index=g.edge_index, num_nodes=g.num_nodes)
                                  for g in graphs])
    colours = codebook.colour(batch.node_label, batch.edge_index)
    per_graph = list(colours.split(batch.ptr.diff().tolist()))
    baskets = transactions(per_graph, cfg.multiset)
    items = sorted(set().union(*baskets))
    column = {item: c for c, item in enumerate(items)}
    matrix = np.zeros((len(graphs), len(items)), dtype=bool)
    for row, basket in enumerate(baskets):
        matrix[row, [column[i] for i in basket]] = True
    labels = graph_labels(graphs).numpy()
    classes = np.unique(labels)
    log(f"mirage: {len(graphs)} training graphs, {codebook.num_trees()} distinct depth-{cfg.depth} trees")

    kept: list[tuple[int, tuple[int, ...], float]] = []
    counts: dict[str, int] = {}
    for cls in classes:
        rows = matrix[labels == cls]
        found = mine_frequent(rows, cfg.theta, cfg.max_len, cfg.itemsets == "maximal")
        mined = len(found)
        if cfg.drop_shared:
            others = [matrix[labels == o] for o in classes if o != cls]
            found = [(s, sup) for s, sup in found if all(o[:, list(s)].all(1).mean() < sup for o in others)]
        found.sort(key=lambda f: (-f[1], -len(f[0]), f[0]))  # deterministic: support, then size
        found = found[:cfg.top_k] if cfg.top_k else found
        if not found:
            raise ValueError(f"mirage: class {int(cls)} keeps no frequent tree set at theta={cfg.theta} "
                             f"(mined {mined}, drop_shared={cfg.drop_shared}); lower theta")
        counts[f"itemsets_class_{int(cls)}"] = len(found)
        kept.extend((int(cls), s, sup) for s, sup in found)

    piece_of: dict[int, int] = {}
    pieces, piece_ids, members = [], [], []
    for _, itemset, _ in kept:
        copies = Counter()
        for col in itemset:
            item = items[col]
            tree_id, k = item if cfg.multiset else (item, 1)
            copies[tree_id] = max(copies[tree_id], k)
        graph_members = []
        for tree_id, k in sorted(copies.items()):
            if tree_id not in piece_of:
                piece_of[tree_id] = len(pieces)
                pieces.append(codebook.tree(tree_id, num_features))
                piece_ids.append(tree_id)
            graph_members += [piece_of[tree_id]] * k
        members.append(graph_members)

    out_labels = [c for c, _, _ in kept]
    supports = torch.tensor([sup for _, _, sup in kept], dtype=torch.float)
    sample_weights = None
    if cfg.sample_by_support:
        cls_of = torch.tensor(out_labels)
        prior = {int(c): float((labels == c).mean()) for c in classes}
        totals = {int(c): float(supports[cls_of == c].sum()) for c in classes}
        sample_weights = torch.tensor([sup * prior[c] / totals[c] for c, _, sup in kept], dtype=torch.float)
    info = {"depth": cfg.depth, "theta": cfg.theta, "seed": cfg.seed, "num_trees": len(pieces),
            "distinct_trees": codebook.num_trees()} | counts
    return DistilledGraphs.from_pieces("mirage", pieces, piece_ids, members, out_labels, supports.tolist(),
                                       sample_weights, info)
