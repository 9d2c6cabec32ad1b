"""Coreset baselines: keep real training nodes and the edges among them.

The selection runs class by class with the shared per-class budget, on teacher logits
when a teacher is given and otherwise on SGC features ``Â^hops X``, so the embedding
sees the graph even though the kept subgraph is only the induced one. These are the
Random / Herding / K-Center rows of the graph condensation tables (Jin et al., ICLR 2022,
"Graph Condensation for Graph Neural Networks", https://arxiv.org/abs/2110.07580).
"""
from __future__ import annotations

from collections.abc import Callable

import torch
from pydantic import Field
from torch import Tensor
from torch_geometric.data import Data
from torch_geometric.utils import coalesce, remove_self_loops, subgraph, to_undirected

from kernels.condense.budget import sample_per_class
from kernels.condense.graph import CondensedGraph
from kernels.condense.propagate import normalized_adjacency, sgc_features
from kernels.condense.registry import CondenserConfig, register_condenser

Select = Callable[[Tensor, int], Tensor]  # (embeddings of one class [n_c, d], k) -> k row ids


class CoresetConfig(CondenserConfig):
    """Embedding-based coresets.

    Args:
        hops: propagation steps of the SGC embedding when no teacher is given (default: 2).
    """

    hops: int = Field(2, ge=0)


def induced_graph(data: Data, nodes: Tensor, method: str, params: dict) -> CondensedGraph:
    """The kept nodes with their real features and labels and the unit-weight edges among them."""
    edge_index, _ = subgraph(nodes, data.edge_index, relabel_nodes=True, num_nodes=data.num_nodes)
    edge_index, _ = remove_self_loops(edge_index)
    # Symmetrised so a directed input graph still yields a valid undirected condensed one.
    edge_index = coalesce(to_undirected(edge_index, num_nodes=nodes.numel()), num_nodes=nodes.numel())
    weight = torch.ones(edge_index.size(1), device=edge_index.device)
    return CondensedGraph(data.x[nodes], data.y[nodes], edge_index, weight, method, params)


def _embeddings(data: Data, cfg: CoresetConfig, teacher_logits: Tensor | None) -> Tensor:
    if teacher_logits is not None:
        return teacher_logits
    return sgc_features(normalized_adjacency(data.edge_index, data.num_nodes), data.x, cfg.hops)


def _select_per_class(data: Data, emb: Tensor, budgets: Tensor, select: Select) -> Tensor:
    picks = []
    for c, k in enumerate(budgets.tolist()):
        pool = (data.train_mask & (data.y == c)).nonzero().view(-1)
        if k:
            picks.append(pool[select(emb[pool], k)])
    return torch.cat(picks)


def herding(emb: Tensor, k: int) -> Tensor:
    """Greedy herding (Welling, 2009): each pick brings the running mean closest to the class mean."""
    mean = emb.mean(0)
    chosen: list[int] = []
    total = torch.zeros_like(mean)
    available = torch.ones(emb.size(0), dtype=torch.bool, device=emb.device)
    for i in range(k):
        gap = (mean - (total + emb) / (i + 1)).norm(dim=1)
        gap[~available] = float("inf")
        pick = int(gap.argmin())
        chosen.append(pick)
        total += emb[pick]
        available[pick] = False
    return torch.tensor(chosen, device=emb.device)


def kcenter(emb: Tensor, k: int) -> Tensor:
    """Greedy k-center (Sener & Savarese, 2018): start at the node nearest the class mean,
    then repeatedly add the node farthest from every chosen one."""
    first = int((emb - emb.mean(0)).norm(dim=1).argmin())
    chosen = [first]
    dist = (emb - emb[first]).norm(dim=1)
    for _ in range(1, k):
        pick = int(dist.argmax())
        chosen.append(pick)
        dist = torch.minimum(dist, (emb - emb[pick]).norm(dim=1))
    return torch.tensor(chosen, device=emb.device)


@register_condenser("random", CondenserConfig)
def random_coreset(data: Data, cfg: CondenserConfig, budgets: Tensor, *, device, log,
                   teacher_logits=None) -> CondensedGraph:
    """Uniformly random training nodes per class."""
    gen = torch.Generator().manual_seed(cfg.seed)
    nodes = sample_per_class(data.y, data.train_mask, budgets, gen)
    return induced_graph(data, nodes, "random", cfg.model_dump())


@register_condenser("herding", CoresetConfig)
def herding_coreset(data: Data, cfg: CoresetConfig, budgets: Tensor, *, device, log,
                    teacher_logits=None) -> CondensedGraph:
    """Herding per class on teacher logits or SGC features."""
    nodes = _select_per_class(data, _embeddings(data, cfg, teacher_logits), budgets, herding)
    return induced_graph(data, nodes, "herding", cfg.model_dump())


@register_condenser("kcenter", CoresetConfig)
def kcenter_coreset(data: Data, cfg: CoresetConfig, budgets: Tensor, *, device, log,
                    teacher_logits=None) -> CondensedGraph:
    """K-center per class on teacher logits or SGC features."""
    nodes = _select_per_class(data, _embeddings(data, cfg, teacher_logits), budgets, kcenter)
    return induced_graph(data, nodes, "kcenter", cfg.model_dump())
