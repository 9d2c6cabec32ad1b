"""The output of every graph-classification condenser: a compact set of labelled, weighted graphs.

A distilled graph is the disjoint union of *pieces*: for Mirage each piece is one computation
tree (only its root is pooled), for a coreset each piece is one whole training graph (all
nodes pooled). Each piece is stored once however many distilled graphs use it, so the
payload is Mirage's compact form (tree graphs + tree ids per itemset + supports).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor
from torch_geometric.data import Data


def _tensor_bytes(t: Tensor) -> int:
    return t.numel() * t.element_size()


def graphs_nbytes(graphs: list[Data]) -> int:
    """Bytes of ``x``, ``edge_index`` and ``y`` of ``graphs``: what a model trains on."""
    return sum(_tensor_bytes(g.x) + _tensor_bytes(g.edge_index) + _tensor_bytes(g.y) for g in graphs)


@dataclass
class DistilledGraphs:
    """Distilled graph-classification training set.

    Attributes:
        method: the condenser's registry name.
        piece_x: node features of all pieces, ``[N, F]`` float.
        piece_edge_index: edges of all pieces in piece-local numbering, ``[2, E]``.
        piece_ptr, piece_edge_ptr: where each piece's nodes / edges start, ``[P + 1]``.
        root_mask: nodes pooled in the graph readout, ``[N]`` bool.
        piece_ids: per piece, the computation-tree id (Mirage) or the dataset index of the
            graph (coresets), ``[P]``.
        members: piece indices of every distilled graph, concatenated, ``[M]`` (a piece may
            repeat, e.g. a tree occurring twice in a multiset itemset).
        member_ptr: where each distilled graph's members start, ``[G + 1]``.
        labels: class of each distilled graph, ``[G]``.
        weights: support (Mirage) or 1 (coresets) of each distilled graph, ``[G]``.
        sample_weights: training draws graphs in proportion to these; ``None`` shuffles
            uniformly.
        info: primitives describing the run (seconds, sizes, per-class counts).
    """

    method: str
    piece_x: Tensor
    piece_edge_index: Tensor
    piece_ptr: Tensor
    piece_edge_ptr: Tensor
    root_mask: Tensor
    piece_ids: Tensor
    members: Tensor
    member_ptr: Tensor
    labels: Tensor
    weights: Tensor
    sample_weights: Tensor | None = None
    info: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_pieces(cls, method: str, pieces: list[Data], piece_ids: list[int], members: list[list[int]],
                    labels: list[int], weights: list[float], sample_weights: Tensor | None = None,
                    info: dict[str, Any] | None = None) -> DistilledGraphs:
        """Pack ``pieces`` (each with ``x``, ``edge_index``, ``root_mask``) and graph memberships."""
        if not members:
            raise ValueError(f"{method}: the distilled set is empty")
        sizes = torch.tensor([0] + [p.num_nodes for p in pieces])
        edges = torch.tensor([0] + [p.edge_index.size(1) for p in pieces])
        return cls(method=method, piece_x=torch.cat([p.x for p in pieces]).float(),
                   piece_edge_index=torch.cat([p.edge_index for p in pieces], dim=1).long(),
                   piece_ptr=sizes.cumsum(0), piece_edge_ptr=edges.cumsum(0),
                   root_mask=torch.cat([p.root_mask for p in pieces]).bool(),
                   piece_ids=torch.tensor(piece_ids, dtype=torch.long),
                   members=torch.tensor([m for ms in members for m in ms], dtype=torch.long),
                   member_ptr=torch.tensor([0] + [len(ms) for ms in members]).cumsum(0),
                   labels=torch.tensor(labels, dtype=torch.long),
                   weights=torch.tensor(weights, dtype=torch.float), sample_weights=sample_weights,
                   info=dict(info or {}))

    @property
    def num_graphs(self) -> int:
        return self.labels.numel()

    @property
    def num_pieces(self) -> int:
        return self.piece_ids.numel()

    def piece(self, p: int) -> Data:
        lo, hi = int(self.piece_ptr[p]), int(self.piece_ptr[p + 1])
        elo, ehi = int(self.piece_edge_ptr[p]), int(self.piece_edge_ptr[p + 1])
        return Data(x=self.piece_x[lo:hi], edge_index=self.piece_edge_index[:, elo:ehi],
                    root_mask=self.root_mask[lo:hi])

    def graph(self, i: int) -> Data:
        """Distilled graph ``i``: the disjoint union of its pieces, with ``y`` and ``root_mask``."""
        parts = [self.piece(int(p)) for p in self.members[self.member_ptr[i]:self.member_ptr[i + 1]]]
        offsets = torch.tensor([0] + [p.num_nodes for p in parts]).cumsum(0)
        return Data(x=torch.cat([p.x for p in parts]),
                    edge_index=torch.cat([p.edge_index + off for p, off in zip(parts, offsets)], dim=1),
                    root_mask=torch.cat([p.root_mask for p in parts]), y=self.labels[i].view(1))

    def graphs(self) -> list[Data]:
        return [self.graph(i) for i in range(self.num_graphs)]

    def nbytes(self) -> int:
        """Bytes of the stored tensors (pieces once each, memberships, labels, weights)."""
        return sum(_tensor_bytes(v) for v in self.to_payload().values() if isinstance(v, Tensor))

    def to_payload(self) -> dict[str, Any]:
        """Tensors and primitives only: loads with ``torch.load(weights_only=True)``."""
        return {"method": self.method, "piece_x": self.piece_x, "piece_edge_index": self.piece_edge_index,
                "piece_ptr": self.piece_ptr, "piece_edge_ptr": self.piece_edge_ptr, "root_mask": self.root_mask,
                "piece_ids": self.piece_ids, "members": self.members, "member_ptr": self.member_ptr,
                "labels": self.labels, "weights": self.weights, "sample_weights": self.sample_weights,
                "info": self.info}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> DistilledGraphs:
        return cls(**payload)
