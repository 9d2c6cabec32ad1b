"""Stochastic block model graphs with class-correlated features, for scale tests.

PyG's ``stochastic_blockmodel_graph`` builds a dense N x N probability matrix, which is
impossible at ogbn-arxiv scale (~170k nodes); this sampler draws each edge's endpoints
directly, so memory is linear in the number of edges.
"""
from __future__ import annotations

from typing import Literal

import torch
from pydantic import BaseModel, ConfigDict, Field
from torch_geometric.data import Data
from torch_geometric.utils import coalesce, remove_self_loops, to_undirected

from kernels.data.splits import FractionSplit, PerClassSplit, SplitConfig, apply_split


class SyntheticSBMConfig(BaseModel):
    """Size and difficulty of a synthetic graph.

    Args:
        num_nodes: number of nodes (default: 2000).
        avg_degree: expected undirected degree; the graph has about
            ``num_nodes * avg_degree / 2`` undirected edges (default: 8).
        num_classes: number of blocks = classes (default: 5).
        num_features: feature dimension (default: 64).
        homophily: probability that an edge stays inside its source's class (default: 0.8).
        cross_class: whether an edge that leaves its class goes to a node of another class
            (edge homophily = ``homophily``, down to 0: heterophilous graphs) instead of to
            any node (edge homophily >= 1 / ``num_classes``) (default: False).
        feature_signal: scale of the class centroids relative to unit noise (default: 0.5).
        seed: generator seed (default: 0).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    format: Literal["synthetic-sbm"] = "synthetic-sbm"
    num_nodes: int = Field(2000, ge=10)
    avg_degree: float = Field(8.0, gt=0)
    num_classes: int = Field(5, ge=2)
    num_features: int = Field(64, ge=1)
    homophily: float = Field(0.8, ge=0, le=1)
    cross_class: bool = False
    feature_signal: float = Field(0.5, ge=0)
    seed: int = 0
    split: SplitConfig = FractionSplit()


def synthetic_sbm(cfg: SyntheticSBMConfig) -> Data:
    """Sample an SBM graph of the configured homophily; returns ``Data(x, y, edge_index, *_mask)``."""
    gen = torch.Generator().manual_seed(cfg.seed)
    n, c = cfg.num_nodes, cfg.num_classes
    y = torch.randint(0, c, (n,), generator=gen)
    # Nodes grouped by class so "a random node of class k" is one index into `by_class`.
    by_class = torch.argsort(y, stable=True)
    counts = torch.bincount(y, minlength=c)
    offsets = torch.cumsum(counts, 0) - counts

    m = int(n * cfg.avg_degree / 2)
    src = torch.randint(0, n, (m,), generator=gen)
    same = torch.rand(m, generator=gen) < cfg.homophily
    pick = (torch.rand(m, generator=gen) * counts[y[src]]).long()
    dst_same = by_class[offsets[y[src]] + pick]
    if cfg.cross_class:
        other = (y[src] + torch.randint(1, c, (m,), generator=gen)) % c
        pick_other = (torch.rand(m, generator=gen) * counts[other]).long()
        dst_out = by_class[offsets[other] + pick_other]
    else:
        dst_out = torch.randint(0, n, (m,), generator=gen)
    dst = torch.where(same, dst_same, dst_out)

    edge_index, _ = remove_self_loops(torch.stack([src, dst]))
    edge_index = coalesce(to_undirected(edge_index, num_nodes=n), num_nodes=n)

    centroids = torch.randn(c, cfg.num_features, generator=gen) * cfg.feature_signal
    x = centroids[y] + torch.randn(n, cfg.num_features, generator=gen)
    data = Data(x=x, y=y, edge_index=edge_index, num_nodes=n)
    return apply_split(data, cfg.split)


__all__ = ["SyntheticSBMConfig", "synthetic_sbm", "PerClassSplit", "FractionSplit"]
