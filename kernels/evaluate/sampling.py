"""Uniform neighbour sampling in plain torch, behind PyG's ``NeighborLoader``.

PyG's ``NeighborSampler`` delegates the sampling step to pyg-lib or torch-sparse, and
neither has a wheel for every torch build (none for the CPU torch this project pins). This
subclass replaces only that step, so batching, feature slicing and edge-id mapping stay
PyG's own. It covers what teacher training needs: homogeneous graphs, directional
subgraphs, sampling without replacement, no temporal or weighted sampling.
"""
from __future__ import annotations

import torch
from torch import Tensor
from torch_geometric.sampler import NeighborSampler, SamplerOutput
from torch_geometric.sampler.base import SubgraphType


class TorchNeighborSampler(NeighborSampler):
    """``NeighborSampler`` whose per-hop sampling is vectorised torch (no compiled extension)."""

    def _sample(self, seed: Tensor, seed_time: Tensor | None = None, **kwargs) -> SamplerOutput:
        unsupported = {
            "heterogeneous graphs": isinstance(seed, dict), "disjoint": self.disjoint,
            "replace": self.replace, "temporal sampling": self.node_time is not None or self.edge_time is not None,
            "weighted sampling": self.edge_weight is not None,
            "induced subgraphs": self.subgraph_type == SubgraphType.induced,
            "backward sampling": self.sample_direction != "forward",
        }
        if any(unsupported.values()):
            names = [name for name, used in unsupported.items() if used]
            raise NotImplementedError(f"TorchNeighborSampler does not support {names}; install pyg-lib")

        # CSC: the in-neighbours (message sources) of node v are row[colptr[v]:colptr[v + 1]].
        colptr, row = self.colptr, self.row
        local = torch.full((colptr.numel() - 1,), -1, dtype=torch.long)
        nodes = seed.long()
        local[nodes] = torch.arange(nodes.numel())
        frontier, rows, cols, edges = nodes, [], [], []
        num_sampled_nodes, num_sampled_edges = [nodes.numel()], []
        for fanout in self.num_neighbors.get_mapped_values():
            pos, target = _sample_in_edges(colptr, frontier, fanout)
            source = row[pos]
            new = torch.unique(source[local[source] < 0])
            local[new] = torch.arange(nodes.numel(), nodes.numel() + new.numel())
            nodes = torch.cat([nodes, new])
            rows.append(local[source])
            cols.append(local[target])
            edges.append(pos)
            num_sampled_nodes.append(new.numel())
            num_sampled_edges.append(pos.numel())
            frontier = new
        return SamplerOutput(node=nodes, row=torch.cat(rows), col=torch.cat(cols), edge=torch.cat(edges),
                             batch=None, num_sampled_nodes=num_sampled_nodes, num_sampled_edges=num_sampled_edges)


def _sample_in_edges(colptr: Tensor, frontier: Tensor, fanout: int) -> tuple[Tensor, Tensor]:
    """Up to ``fanout`` random in-edges (CSC positions) of each frontier node, and their targets.

    All in-edges of the frontier are laid out group by group, each edge gets a random key,
    and the first ``fanout`` edges of each group in key order are kept; ``fanout < 0``
    keeps every edge.
    """
    start = colptr[frontier]
    degree = colptr[frontier + 1] - start
    group = torch.repeat_interleave(torch.arange(frontier.numel()), degree)
    rank = torch.arange(group.numel()) - torch.repeat_interleave(torch.cumsum(degree, 0) - degree, degree)
    pos = start[group] + rank
    if fanout >= 0 and bool((degree > fanout).any()):
        order = torch.argsort(torch.rand(group.numel()))
        order = order[torch.argsort(group[order], stable=True)]  # by group, random within group
        keep = rank < fanout  # rank is positional, so it holds for the reordered layout too
        pos, group = pos[order][keep], group[order][keep]
    return pos, frontier[group]
