"""GraphSAGE whose layers project before they aggregate where that is cheaper.

Mean aggregation is linear, so ``W · mean_j x_j + b == mean_j (W x_j) + b``. PyG's
``SAGEConv`` aggregates the input first, which on Coauthor CS means averaging 6,805
bag-of-words columns over every edge and then multiplying the dense result; projecting to
the hidden width first makes the aggregation 26× narrower and lets the layer read CSR
features (``SAGEConv`` rejects them), so full-batch epochs cost a fraction. Parameters and
their names are PyG's, so stored teachers load into either class.
"""
from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.nn import SAGEConv
from torch_geometric.nn import models as pyg_models


class SAGEConvProjectingFirst(SAGEConv):
    """``SAGEConv`` computing ``lin_l`` before ``propagate`` when the input is wider than
    the output or sparse; otherwise PyG's own forward."""

    def forward(self, x: Any, edge_index: Any, size: Any = None) -> Tensor:
        if not isinstance(x, Tensor) or self.project:
            return super().forward(x, edge_index, size)
        if x.layout == torch.strided and self.lin_l.in_channels <= self.lin_l.out_channels:
            return super().forward(x, edge_index, size)
        projected = x @ self.lin_l.weight.t()
        out = self.propagate(edge_index, x=(projected, projected), size=size)
        if self.lin_l.bias is not None:
            out = out + self.lin_l.bias
        if self.root_weight:
            out = out + self.lin_r(x)
        return F.normalize(out, p=2.0, dim=-1) if self.normalize else out


class GraphSAGE(pyg_models.GraphSAGE):
    """PyG's ``GraphSAGE`` built from ``SAGEConvProjectingFirst`` layers."""

    def init_conv(self, in_channels: Any, out_channels: int, **kwargs: Any) -> nn.Module:
        return SAGEConvProjectingFirst(in_channels, out_channels, **kwargs)
