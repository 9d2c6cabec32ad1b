"""The whole training graph: the uncondensed reference row of every comparison.

It keeps every node and edge so a GNN sees exactly what full-graph training sees, but
only training labels: the others become ``-1`` (unlabelled) so no validation or test
label travels with a condensed artifact.
"""
from __future__ import annotations

import torch
from torch import Tensor
from torch_geometric.data import Data
from torch_geometric.utils import coalesce, remove_self_loops, to_undirected

from kernels.condense.graph import CondensedGraph
from kernels.condense.registry import CondenserConfig, register_condenser


@register_condenser("whole", CondenserConfig)
def whole(data: Data, cfg: CondenserConfig, budgets: Tensor, *, device, log,
          teacher_logits=None) -> CondensedGraph:
    """The full graph with training labels; ``ratio`` is validated but does not shrink it."""
    edge_index, _ = remove_self_loops(data.edge_index)
    edge_index = coalesce(to_undirected(edge_index, num_nodes=data.num_nodes), num_nodes=data.num_nodes)
    y = torch.where(data.train_mask, data.y, torch.full_like(data.y, -1))
    out = CondensedGraph(data.x, y, edge_index, torch.ones(edge_index.size(1), device=edge_index.device),
                         "whole", cfg.model_dump())
    out.stats = {"labelled": int(data.train_mask.sum())}
    return out
