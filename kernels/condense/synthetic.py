"""Building blocks of the learned condensers (GCond, DosCond, GCDM).

Synthetic features start as real training nodes, a structure generator maps them to a
dense adjacency, and a plain GCN runs on either a sparse real adjacency or the dense
synthetic one, so gradients reach the synthetic features and the generator.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.data import Data

from kernels.condense.budget import sample_per_class


def initial_nodes(data: Data, budgets: Tensor, seed: int) -> tuple[Tensor, Tensor]:
    """Features and labels of ``budgets[c]`` random training nodes of each class."""
    nodes = sample_per_class(data.y, data.train_mask, budgets, torch.Generator().manual_seed(seed))
    return data.x[nodes].clone(), data.y[nodes].clone()


class MatchingGCN(nn.Module):
    """Layers of ``Â H W`` (ReLU between, optional dropout) on a given normalised adjacency.

    ``Â`` is sparse for the real graph and dense for the synthetic one; the same
    weights see both, which is what gradient and distribution matching compare.
    """

    def __init__(self, in_dim: int, hidden: int, out_dim: int, layers: int = 2, dropout: float = 0.0) -> None:
        super().__init__()
        dims = [in_dim] + [hidden] * (layers - 1) + [out_dim]
        self.lins = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.dropout = dropout

    def layer_outputs(self, x: Tensor, adj: Tensor) -> list[Tensor]:
        outs = []
        for i, lin in enumerate(self.lins):
            x = adj @ lin(x)
            if i < len(self.lins) - 1:
                x = F.dropout(F.relu(x), self.dropout, self.training)
            outs.append(x)
        return outs

    def forward(self, x: Tensor, adj: Tensor) -> Tensor:
        return self.layer_outputs(x, adj)[-1]


class StructureGenerator(nn.Module):
    """GCond's parameterised graph: ``A'_ij = sigmoid((f([x_i; x_j]) + f([x_j; x_i])) / 2)``.

    ``f`` is an MLP on concatenated feature pairs. Its first layer on ``[x_i; x_j]``
    equals ``U x_i + V x_j``, so it is computed per node and broadcast over pairs, which
    needs ``n'² x hidden`` memory instead of ``n'² x 2F``.
    """

    def __init__(self, in_dim: int, hidden: int = 128, layers: int = 3) -> None:
        super().__init__()
        self.left = nn.Linear(in_dim, hidden)
        self.right = nn.Linear(in_dim, hidden, bias=False)
        self.mlp = nn.Sequential(*[m for _ in range(layers - 2) for m in (nn.ReLU(), nn.Linear(hidden, hidden))],
                                 nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, x: Tensor) -> Tensor:
        pair = self.mlp(self.left(x)[:, None, :] + self.right(x)[None, :, :]).squeeze(-1)
        adj = torch.sigmoid((pair + pair.t()) / 2)
        return adj * (1 - torch.eye(adj.size(0), device=adj.device, dtype=adj.dtype))
