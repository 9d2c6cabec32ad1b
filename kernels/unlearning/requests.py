"""Deletion requests ("right to be forgotten") and the graph left once they are honoured.

A request names training elements only: a node that never entered training, or an edge
between two nodes that never did, left no trace in the weights that unlearning could
remove. Node ids stay stable in the retained graph, so every model's logits stay aligned
with ``data.y`` and the split masks, and forgetting can be measured node by node.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import torch
from pydantic import BaseModel, ConfigDict, Field, model_validator
from torch import Tensor
from torch_geometric.data import Data


class RequestConfig(BaseModel):
    """What to forget.

    Args:
        kind: ``nodes`` (a share of the training nodes), ``edges`` (a share of the graph's
            undirected edges, drawn among those touching a training node) or ``class``
            (every training node of one class).
        fraction: share of training nodes (``nodes``) or of undirected edges (``edges``),
            in (0, 1); required for those kinds.
        label: the class to forget; required for ``class``.
        seed: selection seed (default: 0).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["nodes", "edges", "class"]
    fraction: float | None = Field(None, gt=0, lt=1)
    label: int | None = Field(None, ge=0)
    seed: int = 0

    @model_validator(mode="after")
    def _needs_its_field(self) -> RequestConfig:
        if self.kind in ("nodes", "edges") and self.fraction is None:
            raise ValueError(f"a {self.kind!r} request needs 'fraction' in (0, 1); got fraction=None")
        if self.kind == "class" and self.label is None:
            raise ValueError("a 'class' request needs 'label' (the class to forget); got label=None")
        unused = "fraction" if self.kind == "class" else "label"
        if getattr(self, unused) is not None:
            raise ValueError(f"a {self.kind!r} request takes no {unused!r}; got {unused}={getattr(self, unused)}")
        return self


@dataclass
class UnlearningRequest:
    """The elements one request deletes.

    ``nodes`` are deleted node ids (empty for an edge request); ``edges`` is ``[2, k]``, one
    column per undirected edge with ``u < v``: the requested edges, or for node and class
    requests every edge incident to a deleted node. ``num_train_nodes`` and ``num_edges``
    (undirected) describe the graph the request was drawn from, so ``summary`` can report
    shares without it.
    """

    kind: str
    nodes: Tensor
    edges: Tensor
    config: dict[str, Any] = field(default_factory=dict)
    num_train_nodes: int = 0
    num_edges: int = 0

    def forget_nodes(self) -> Tensor:
        """The nodes whose predictions carry the deleted knowledge: the deleted nodes, or for
        an edge request the endpoints of the deleted edges."""
        if self.kind == "edges":
            return self.edges.reshape(-1).unique()
        return self.nodes

    def to_payload(self) -> dict[str, Any]:
        return {"kind": self.kind, "nodes": self.nodes, "edges": self.edges, "config": dict(self.config),
                "num_train_nodes": self.num_train_nodes, "num_edges": self.num_edges}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> UnlearningRequest:
        return cls(**payload)

    def summary(self) -> dict[str, Any]:
        return {"kind": self.kind, "deleted_nodes": int(self.nodes.numel()), "deleted_edges": int(self.edges.size(1)),
                "train_node_share": self.nodes.numel() / max(self.num_train_nodes, 1),
                "edge_share": self.edges.size(1) / max(self.num_edges, 1)}


def undirected_edges(edge_index: Tensor) -> Tensor:
    """Each undirected edge once, as a ``u < v`` column (self-loops dropped)."""
    u, v = edge_index
    keep = u < v
    return torch.stack([u[keep], v[keep]])


def incident_edges(edge_index: Tensor, nodes: Tensor, num_nodes: int) -> Tensor:
    """The undirected edges (``u < v`` columns) with at least one endpoint in ``nodes``."""
    edges = undirected_edges(edge_index)
    marked = torch.zeros(num_nodes, dtype=torch.bool, device=edges.device)
    marked[nodes] = True
    return edges[:, marked[edges].any(0)]


def _draw(candidates: Tensor, count: int, gen: torch.Generator, what: str) -> Tensor:
    """``count`` entries of ``candidates`` (columns, for edges), drawn with ``gen`` and kept
    in their original order."""
    available = candidates.size(-1)
    if count > available:
        raise ValueError(f"the request asks {count} of {available} {what}; lower 'fraction'")
    picked = torch.randperm(available, generator=gen)[:count].sort().values
    return candidates[..., picked.to(candidates.device)]


def select_request(data: Data, cfg: RequestConfig) -> UnlearningRequest:
    """Draw the elements ``cfg`` asks to forget, among training nodes and their edges.

    Deterministic for ``cfg.seed`` (a private ``torch.Generator``; the global RNG is left
    alone). Raises a ``ValueError`` naming the bad value when the request asks for more
    than exists or for a class the graph lacks.
    """
    gen = torch.Generator().manual_seed(cfg.seed)
    train = data.train_mask.nonzero().view(-1)
    edges = undirected_edges(data.edge_index)
    empty = torch.empty(0, dtype=torch.long, device=data.edge_index.device)
    if cfg.kind == "edges":
        candidates = incident_edges(data.edge_index, train, data.num_nodes)
        count = max(1, round(cfg.fraction * edges.size(1)))
        deleted = _draw(candidates, count, gen, "undirected edges incident to training nodes")
        nodes = empty
    else:
        if cfg.kind == "nodes":
            count = max(1, round(cfg.fraction * train.numel()))
            nodes = _draw(train, count, gen, "training nodes")
        else:
            classes = int(data.y.max()) + 1
            if cfg.label >= classes:
                raise ValueError(f"the request names class {cfg.label}; the graph has classes 0..{classes - 1}")
            nodes = train[data.y[train] == cfg.label]
            if nodes.numel() == 0:
                raise ValueError(f"class {cfg.label} has no training nodes to forget")
        deleted = incident_edges(data.edge_index, nodes, data.num_nodes)
    return UnlearningRequest(cfg.kind, nodes.cpu(), deleted.cpu(), cfg.model_dump(), int(train.numel()),
                             int(edges.size(1)))


def retained_graph(data: Data, request: UnlearningRequest) -> Data:
    """``data`` without the deleted knowledge: what a model that never saw it trains on.

    Deleted edges go in both directions; deleted nodes lose every incident edge and leave
    ``train_mask`` but keep their ids (and features), so logits stay aligned. The test mask
    is unchanged; a class request's class leaves ``val_mask`` too, so every method selects
    its epoch on the classes it keeps (a model that forgot the class cannot, and must not,
    be rewarded for predicting it). Edge attributes are filtered with the edges (PyG's
    ``edge_subgraph``, a shallow copy): ``data`` itself is never mutated.
    """
    n = data.num_nodes
    device = data.edge_index.device
    src, dst = data.edge_index
    deleted = request.edges.to(device)
    keys = torch.cat([deleted[0] * n + deleted[1], deleted[1] * n + deleted[0]])
    keep = ~torch.isin(src * n + dst, keys)
    gone = torch.zeros(n, dtype=torch.bool, device=device)
    gone[request.nodes.to(device)] = True
    keep &= ~(gone[src] | gone[dst])
    out = data.edge_subgraph(keep)
    out.train_mask = data.train_mask & ~gone.to(data.train_mask.device)
    if request.kind == "class":
        out.val_mask = data.val_mask & (data.y != int(request.config["label"]))
    return out
