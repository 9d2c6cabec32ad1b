"""Graph-level classifiers: a PyG message-passing encoder, a pooling readout and an MLP head.

Encoders: GCN (Kipf & Welling, "Semi-Supervised Classification with Graph Convolutional
Networks", https://arxiv.org/abs/1609.02907), GIN (Xu et al., "How Powerful are Graph
Neural Networks?", https://arxiv.org/abs/1810.00826) and GAT (Velickovic et al., "Graph
Attention Networks", https://arxiv.org/abs/1710.10903).

Every model maps ``(x, edge_index, batch) -> logits`` and exposes ``embed`` (node
embeddings) and ``readout`` so that a graph can be pooled over a subset of its nodes: the
roots of computation trees in Mirage's distilled graphs (``root_mask``).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from torch import Tensor, nn

from kernels.registry import Registry

Pooling = Literal["sum", "mean"]


class GraphModelConfig(BaseModel):
    """Shared knobs of every graph classifier.

    Args:
        hidden: channels of every layer (default: 64).
        layers: message-passing layers; a model trained on Mirage's depth-L trees needs exactly
            L, so that a root's embedding is its node's embedding in the real graph: fewer
            layers would still be exact, more read past the leaves (default: 3).
        dropout: dropout before the last linear layer of the head, as in GIN (default: 0.5).
        pooling: ``sum`` (``global_add_pool``) or ``mean``; ``mean`` removes the scale gap
            between training on a few tree roots and testing on all nodes (default: ``sum``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    hidden: int = Field(64, gt=0)
    layers: int = Field(3, ge=1)
    dropout: float = Field(0.5, ge=0, lt=1)
    pooling: Pooling = "sum"


class GCNGraphConfig(GraphModelConfig):
    """GCN: ``normalize`` is ``sym`` (Kipf & Welling's D^-1/2 (A+I) D^-1/2) or ``mean``
    (D^-1 (A+I), the row-normalised variant also given in that paper).

    ``mean`` weights an edge by the in-degree of its target only, which a depth-L computation
    tree reproduces exactly (every inner tree node has all its graph neighbours as children),
    so the root of a tree gets the node's embedding. ``sym`` also needs the source's degree,
    and a leaf of the tree has lost its neighbours: Mirage trees then see other weights than
    the real graphs (default: ``mean``).
    """

    normalize: Literal["sym", "mean"] = "mean"


class GATGraphConfig(GraphModelConfig):
    """GAT: ``heads`` attention heads per layer, averaged so every layer has ``hidden`` channels (default: 4)."""

    heads: int = Field(4, gt=0)


@dataclass(frozen=True)
class GraphModelSpec:
    name: str
    config_cls: type[GraphModelConfig]
    conv: Callable[[int, int, GraphModelConfig], nn.Module]


GRAPH_MODELS: Registry[GraphModelSpec] = Registry("graph model")


def register_graph_model(name: str, config_cls: type[GraphModelConfig]):
    return GRAPH_MODELS.register(name, lambda fn: GraphModelSpec(name, config_cls, fn))


class MeanGCNConv(nn.Module):
    """PyG ``GCNConv`` with D^-1 (A+I) edge weights: each node averages itself and its in-neighbours."""

    def __init__(self, in_dim: int, out_dim: int) -> None:
        from torch_geometric.nn import GCNConv

        super().__init__()
        self.conv = GCNConv(in_dim, out_dim, normalize=False)

    def forward(self, x: Tensor, edge_index: Tensor) -> Tensor:
        from torch_geometric.utils import add_remaining_self_loops, degree

        edge_index, _ = add_remaining_self_loops(edge_index, num_nodes=x.size(0))
        weight = degree(edge_index[1], x.size(0), dtype=x.dtype).reciprocal()[edge_index[1]]
        return self.conv(x, edge_index, weight)


@register_graph_model("gcn", GCNGraphConfig)
def gcn_conv(in_dim: int, out_dim: int, cfg: GCNGraphConfig) -> nn.Module:
    from torch_geometric.nn import GCNConv

    return GCNConv(in_dim, out_dim) if cfg.normalize == "sym" else MeanGCNConv(in_dim, out_dim)


@register_graph_model("gin", GraphModelConfig)
def gin_conv(in_dim: int, out_dim: int, cfg: GraphModelConfig) -> nn.Module:
    from torch_geometric.nn import MLP, GINConv

    # No batch norm: distilled trees and real graphs have different node distributions, so
    # statistics gathered on one would be wrong on the other.
    return GINConv(MLP([in_dim, out_dim, out_dim], norm=None))


@register_graph_model("gat", GATGraphConfig)
def gat_conv(in_dim: int, out_dim: int, cfg: GATGraphConfig) -> nn.Module:
    from torch_geometric.nn import GATConv

    return GATConv(in_dim, out_dim, heads=cfg.heads, concat=False)


def pool_nodes(h: Tensor, batch: Tensor, num_graphs: int, pooling: Pooling = "sum",
               root_mask: Tensor | None = None) -> Tensor:
    """Pool node embeddings ``h`` ``[n, d]`` per graph into ``[num_graphs, d]``.

    With ``root_mask`` only the marked nodes count (Mirage: the roots of the trees).
    """
    from torch_geometric.nn import global_add_pool, global_mean_pool

    if root_mask is not None:
        h, batch = h[root_mask], batch[root_mask]
    pool = global_add_pool if pooling == "sum" else global_mean_pool
    return pool(h, batch, size=num_graphs)


class GraphClassifier(nn.Module):
    """``layers`` convolutions with ReLU, a pooling readout, then Linear-ReLU-Dropout-Linear."""

    def __init__(self, convs: list[nn.Module], hidden: int, out_dim: int, cfg: GraphModelConfig) -> None:
        super().__init__()
        self.convs = nn.ModuleList(convs)
        self.pooling = cfg.pooling
        self.head = nn.Sequential(nn.Linear(hidden, hidden), nn.ReLU(), nn.Dropout(cfg.dropout),
                                  nn.Linear(hidden, out_dim))

    def embed(self, x: Tensor, edge_index: Tensor) -> Tensor:
        """Node embeddings after the last layer, ``[n, hidden]``."""
        for conv in self.convs:
            x = conv(x, edge_index).relu()
        return x

    def readout(self, h: Tensor, batch: Tensor, num_graphs: int, root_mask: Tensor | None = None) -> Tensor:
        return self.head(pool_nodes(h, batch, num_graphs, self.pooling, root_mask))

    def forward(self, x: Tensor, edge_index: Tensor, batch: Tensor, root_mask: Tensor | None = None,
                num_graphs: int | None = None) -> Tensor:
        """Logits ``[num_graphs, out_dim]``; ``root_mask`` restricts pooling to those nodes."""
        num_graphs = int(batch.max()) + 1 if num_graphs is None else num_graphs
        return self.readout(self.embed(x, edge_index), batch, num_graphs, root_mask)


def graph_model_config(name: str, params: dict) -> GraphModelConfig:
    spec = GRAPH_MODELS.get(name)
    try:
        return spec.config_cls(**params)
    except ValidationError as err:
        raise ValueError(f"graph model {name!r}: invalid parameters: {err}") from err


def build_graph_model(name: str, params: dict, in_dim: int, out_dim: int) -> GraphClassifier:
    """A ``GraphClassifier`` from a ``GRAPH_MODELS`` name and its config fields."""
    spec = GRAPH_MODELS.get(name)
    cfg = graph_model_config(name, params)
    dims = [in_dim] + [cfg.hidden] * cfg.layers
    convs = [spec.conv(a, b, cfg) for a, b in zip(dims[:-1], dims[1:])]
    return GraphClassifier(convs, cfg.hidden, out_dim, cfg)
