"""The output of every condenser: a small weighted graph with labelled nodes."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor
from torch_geometric.data import Data
from torch_geometric.utils import remove_self_loops, to_undirected


@dataclass
class CondensedGraph:
    """A condensed graph, ready to train a GNN on.

    Attributes:
        x: node features ``[n', F]`` (float).
        y: labels ``[n']`` (long); ``-1`` marks an unlabelled node, which only the ``whole``
            reference row has (it keeps the full graph but only the training labels).
        edge_index: ``[2, E]``, both directions of every undirected edge, no self loops.
        edge_weight: ``[E]`` non-negative weights, equal for ``(i, j)`` and ``(j, i)``.
        method, params: the registry key and the validated config that produced it.
        stats: primitives only (budget, nodes, edges, bytes, original bytes, seconds, ...).
    """

    x: Tensor
    y: Tensor
    edge_index: Tensor
    edge_weight: Tensor
    method: str
    params: dict[str, Any]
    stats: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dense(cls, x: Tensor, y: Tensor, adj: Tensor, method: str, params: dict[str, Any],
                   threshold: float = 0.0) -> CondensedGraph:
        """Build from a dense ``[n', n']`` adjacency (symmetrised as ``(A + Aᵀ) / 2``, then
        clipped at zero), keeping entries above ``threshold``."""
        adj = ((adj + adj.t()) / 2).clamp(min=0)
        edge_index = adj.nonzero().t()
        return cls.from_edges(x, y, edge_index, adj[edge_index[0], edge_index[1]], method, params, threshold)

    @classmethod
    def from_edges(cls, x: Tensor, y: Tensor, edge_index: Tensor, edge_weight: Tensor, method: str,
                   params: dict[str, Any], threshold: float = 0.0) -> CondensedGraph:
        """Build from weighted edges, keeping weights above ``threshold``.

        The edges are symmetrised (mean of the two directions), negative weights clipped and
        self-loops dropped here, so every method's output meets the same invariants whatever
        its generator produced.
        """
        edge_index, edge_weight = to_undirected(edge_index, edge_weight.clamp(min=0), num_nodes=x.size(0),
                                                reduce="mean")
        edge_index, edge_weight = remove_self_loops(edge_index, edge_weight)
        keep = edge_weight > threshold
        return cls(x.detach().float(), y.long(), edge_index[:, keep].contiguous(), edge_weight[keep].detach().float(),
                   method, dict(params))

    @property
    def num_nodes(self) -> int:
        return int(self.x.size(0))

    @property
    def num_edges(self) -> int:
        """Undirected edges (each is stored in both directions)."""
        return int(self.edge_index.size(1)) // 2

    def nbytes(self) -> int:
        """Storage of features and structure, the quantity condensation shrinks."""
        return sum(t.element_size() * t.numel() for t in (self.x, self.edge_index, self.edge_weight))

    def to_data(self) -> Data:
        """A PyG ``Data`` whose ``train_mask`` marks the labelled nodes."""
        return Data(x=self.x, y=self.y, edge_index=self.edge_index, edge_weight=self.edge_weight,
                    train_mask=self.y >= 0, num_nodes=self.num_nodes)

    def summary(self) -> dict[str, Any]:
        """Flat primitives for asset metadata."""
        return {"method": self.method, **self.stats}

    def to_payload(self) -> dict[str, Any]:
        """Tensors and primitives only, so ``torch.load(weights_only=True)`` reads it back."""
        return {"x": self.x, "y": self.y, "edge_index": self.edge_index, "edge_weight": self.edge_weight,
                "method": self.method, "params": self.params, "stats": self.stats}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> CondensedGraph:
        return cls(**payload)
