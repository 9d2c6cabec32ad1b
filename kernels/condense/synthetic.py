"""Building blocks of the learned condensers (GCond, DosCond, GCDM).

Synthetic features start as real training nodes and a structure generator maps them to
a dense, differentiable adjacency. The generator starts almost edgeless: an untrained
MLP with a neutral bias puts ``sigmoid(~0) = 0.5`` on every pair, a complete graph that
averages all classes together and that the short CPU-sized runs never manage to undo
(it was why GCond, DosCond and GCDM used to score far below a random coreset). Starting
from ``edge_prior`` the condensed graph begins as its coreset and matching adds the
edges it needs.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch_geometric.data import Data

from kernels.condense.budget import sample_per_class
from kernels.condense.graph import CondensedGraph
from kernels.condense.propagate import dense_normalized


def initial_nodes(data: Data, budgets: Tensor, seed: int) -> tuple[Tensor, Tensor]:
    """Features and labels of ``budgets[c]`` random training nodes of each class."""
    nodes = sample_per_class(data.y, data.train_mask, budgets, torch.Generator().manual_seed(seed))
    return data.x[nodes].clone(), data.y[nodes].clone()


class StructureGenerator(nn.Module):
    """GCond's parameterised graph: ``A'_ij = sigmoid((f([x_i; x_j]) + f([x_j; x_i])) / 2)``.

    ``f`` is an MLP on concatenated feature pairs. Its first layer on ``[x_i; x_j]``
    equals ``U x_i + V x_j``, so it is computed per node and broadcast over pairs, which
    needs ``n'² x hidden`` memory instead of ``n'² x 2F``. The output bias starts at
    ``logit(edge_prior)`` so every pair starts near ``edge_prior``.
    """

    def __init__(self, in_dim: int, hidden: int = 128, layers: int = 3, edge_prior: float = 0.01) -> None:
        super().__init__()
        self.left = nn.Linear(in_dim, hidden)
        self.right = nn.Linear(in_dim, hidden, bias=False)
        self.mlp = nn.Sequential(*[m for _ in range(layers - 2) for m in (nn.ReLU(), nn.Linear(hidden, hidden))],
                                 nn.ReLU(), nn.Linear(hidden, 1))
        nn.init.constant_(self.mlp[-1].bias, math.log(edge_prior / (1 - edge_prior)))

    def forward(self, x: Tensor) -> Tensor:
        pair = self.mlp(self.left(x)[:, None, :] + self.right(x)[None, :, :]).squeeze(-1)
        adj = torch.sigmoid((pair + pair.t()) / 2)
        return adj * (1 - torch.eye(adj.size(0), device=adj.device, dtype=adj.dtype))


class SyntheticGraph(nn.Module):
    """Learnable features ``X'`` (fixed labels ``y'``) and, optionally, a structure generator.

    Without a generator the graph is edgeless (GCond-X / GCDM-X): message passing then
    sees only each node's self loop.
    """

    def __init__(self, data: Data, budgets: Tensor, seed: int, generator_hidden: int | None,
                 edge_prior: float = 0.01) -> None:
        super().__init__()
        x, y = initial_nodes(data, budgets, seed)
        self.x = nn.Parameter(x)
        self.register_buffer("y", y)
        self.generator = (None if generator_hidden is None else
                          StructureGenerator(data.num_features, generator_hidden, edge_prior=edge_prior).to(x.device))

    def optimizer(self, lr_features: float, lr_structure: float) -> torch.optim.Adam:
        """Adam over ``X'`` and the generator, each with its own learning rate."""
        groups = [{"params": [self.x], "lr": lr_features}]
        if self.generator is not None:
            groups.append({"params": self.generator.parameters(), "lr": lr_structure})
        return torch.optim.Adam(groups)

    def adjacency(self) -> Tensor:
        """The raw ``[n', n']`` weights in ``[0, 1)``, zero diagonal."""
        if self.generator is None:
            return self.x.new_zeros(self.x.size(0), self.x.size(0))
        return self.generator(self.x)

    def propagated(self, hops: int) -> Tensor:
        """``Â'^hops X'`` with GCN's normalisation, differentiable in ``X'`` and the generator."""
        z = self.x
        if self.generator is None:
            return z  # Â' = I
        adj = dense_normalized(self.adjacency())
        for _ in range(hops):
            z = adj @ z
        return z

    def condensed(self, method: str, params: dict, threshold: float) -> CondensedGraph:
        with torch.no_grad():
            return CondensedGraph.from_dense(self.x, self.y, self.adjacency(), method, params, threshold=threshold)
