"""A graph-classification dataset as a few flat tensors, so it stores as one safe artifact."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor
from torch_geometric.data import Data


@dataclass
class GraphCollection:
    """``len(ptr) - 1`` graphs; graph ``i`` owns nodes ``ptr[i]:ptr[i+1]`` and edges
    ``edge_ptr[i]:edge_ptr[i+1]`` (edge indices local to the graph)."""

    name: str
    x: Tensor
    node_label: Tensor
    edge_index: Tensor
    y: Tensor
    ptr: Tensor
    edge_ptr: Tensor

    @classmethod
    def from_graphs(cls, name: str, graphs: list[Data]) -> GraphCollection:
        nodes = torch.tensor([0] + [g.num_nodes for g in graphs]).cumsum(0)
        edges = torch.tensor([0] + [g.edge_index.size(1) for g in graphs]).cumsum(0)
        return cls(name, torch.cat([g.x for g in graphs]), torch.cat([g.node_label for g in graphs]),
                   torch.cat([g.edge_index for g in graphs], dim=1), torch.cat([g.y.view(-1) for g in graphs]),
                   nodes, edges)

    def __len__(self) -> int:
        return self.ptr.numel() - 1

    def graphs(self) -> list[Data]:
        out = []
        for i in range(len(self)):
            n0, n1, e0, e1 = self.ptr[i], self.ptr[i + 1], self.edge_ptr[i], self.edge_ptr[i + 1]
            out.append(Data(x=self.x[n0:n1], node_label=self.node_label[n0:n1],
                            edge_index=self.edge_index[:, e0:e1], y=self.y[i : i + 1], num_nodes=int(n1 - n0)))
        return out

    def summary(self) -> dict[str, Any]:
        counts = torch.bincount(self.y).tolist()
        return {"num_graphs": len(self), "num_nodes": int(self.x.size(0)), "num_edges": int(self.edge_index.size(1)),
                "num_features": int(self.x.size(1)), "num_classes": len(counts), "class_counts": str(counts)}

    def to_payload(self) -> dict[str, Any]:
        return {"name": self.name, "x": self.x, "node_label": self.node_label, "edge_index": self.edge_index,
                "y": self.y, "ptr": self.ptr, "edge_ptr": self.edge_ptr}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> GraphCollection:
        return cls(**payload)
