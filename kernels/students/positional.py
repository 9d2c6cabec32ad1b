"""Positional features for students (the "position" part of NOSMOG).

Tian et al., "Learning MLPs on Graphs: A Unified View of Effectiveness, Robustness, and
Efficiency", ICLR 2023, https://openreview.net/forum?id=Cs3r5KLdoj. An MLP cannot see where
a node sits in the graph; concatenating a structural embedding to its features gives it
that much, computed once, so inference stays a single MLP pass. NOSMOG uses DeepWalk;
random-walk node2vec needs torch-cluster, so the encoders here are PyG's Laplacian
eigenvector and random-walk return-probability encodings, which need no extension.
"""
from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor
from torch_geometric.data import Data
from torch_geometric.utils import scatter

from kernels.registry import Registry

Encoder = Callable[[Data, int], Tensor]
POSITIONAL: Registry[Encoder] = Registry("positional encoding")


@POSITIONAL.register("laplacian", lambda fn: fn)
def laplacian(data: Data, dim: int) -> Tensor:
    """The ``dim`` eigenvectors of the normalised Laplacian after the trivial one."""
    from torch_geometric.transforms import AddLaplacianEigenvectorPE

    graph = Data(edge_index=data.edge_index, num_nodes=data.num_nodes)
    return AddLaplacianEigenvectorPE(dim, attr_name="pe", is_undirected=True)(graph).pe


@POSITIONAL.register("random_walk", lambda fn: fn)
def random_walk(data: Data, dim: int) -> Tensor:
    """Return probabilities of 1..``dim``-step random walks."""
    from torch_geometric.transforms import AddRandomWalkPE

    graph = Data(edge_index=data.edge_index, num_nodes=data.num_nodes)
    return AddRandomWalkPE(dim, attr_name="pe")(graph).pe


def positional_features(kind: str, data: Data, dim: int) -> Tensor:
    return POSITIONAL.get(kind)(data, dim).float()


def extend_to_new_nodes(pe_seen: Tensor, seen_ids: Tensor, full: Data) -> Tensor:
    """Encodings for the full graph: observed nodes keep theirs; a new node takes the mean of
    its observed neighbours' (zeros without any), as NOSMOG does for inductive nodes."""
    pe = torch.zeros(full.num_nodes, pe_seen.size(1))
    pe[seen_ids] = pe_seen
    known = torch.zeros(full.num_nodes, dtype=torch.bool)
    known[seen_ids] = True
    src, dst = full.edge_index
    useful = known[src] & ~known[dst]
    mean = scatter(pe[src[useful]], dst[useful], dim=0, dim_size=full.num_nodes, reduce="mean")
    pe[~known] = mean[~known]
    return pe
