"""Graph coresets: keep a few real training graphs per class (baselines for Mirage).

``random`` samples uniformly; ``herding`` (Welling, "Herding Dynamical Weights to Learn",
ICML 2009, https://dl.acm.org/doi/10.1145/1553374.1553517) greedily matches the class mean
embedding; ``kcenter`` (Sener & Savarese, "Active Learning for Convolutional Neural
Networks: A Core-Set Approach", https://arxiv.org/abs/1708.00489) greedily covers the class
in embedding space; ``full`` keeps every training graph. Embeddings need no training: the
mean over nodes of the features propagated ``hops`` times (mean over self and neighbours),
concatenated over hops, as in the setting of "Graph Condensation for Graph Neural Networks"
(Jin et al., https://arxiv.org/abs/2110.07580) baselines.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from pydantic import BaseModel, ConfigDict, Field, model_validator
from torch import Tensor
from torch_geometric.data import Batch, Data

from kernels.graph_condense.distilled import DistilledGraphs, graphs_nbytes
from kernels.graph_condense.registry import Log, register_graph_condenser
from kernels.graphs.data import graph_labels


class CoresetConfig(BaseModel):
    """How many graphs a coreset keeps.

    Args:
        per_class: graphs kept per class (all of a smaller class), e.g. Mirage's tree-set
            count, for an equal-count comparison (default: ``None``).
        byte_budget: alternatively, add graphs class by class in rank order while the
            ``x + edge_index + y`` bytes stay within this budget (default: ``None``).
        hops: propagation steps of the training-free embedding (default: 2).
        seed: draws of ``random`` and the first centre of ``kcenter`` (default: 0).

    Exactly one of ``per_class`` and ``byte_budget`` is given.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    per_class: int | None = Field(None, ge=1)
    byte_budget: int | None = Field(None, gt=0)
    hops: int = Field(2, ge=0)
    seed: int = 0

    @model_validator(mode="after")
    def _one_budget(self) -> CoresetConfig:
        if (self.per_class is None) == (self.byte_budget is None):
            raise ValueError(f"give exactly one of per_class and byte_budget, got per_class={self.per_class}, "
                             f"byte_budget={self.byte_budget}")
        return self


class FullConfig(BaseModel):
    """The whole training set (no fields)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def graph_embeddings(graphs: list[Data], hops: int) -> Tensor:
    """``[len(graphs), F * (hops + 1)]``: node features mean-propagated 0..hops times, mean-pooled."""
    from torch_geometric.nn import global_mean_pool
    from torch_geometric.utils import add_self_loops, scatter

    batch = Batch.from_data_list([Data(x=g.x.float(), edge_index=g.edge_index, num_nodes=g.num_nodes)
                                  for g in graphs])
    edge_index, _ = add_self_loops(batch.edge_index, num_nodes=batch.num_nodes)
    h, pooled = batch.x, [global_mean_pool(batch.x, batch.batch, len(graphs))]
    for _ in range(hops):
        h = scatter(h[edge_index[0]], edge_index[1], dim=0, dim_size=batch.num_nodes, reduce="mean")
        pooled.append(global_mean_pool(h, batch.batch, len(graphs)))
    return torch.cat(pooled, dim=1)


def random_order(emb: Tensor, gen: torch.Generator) -> Tensor:
    return torch.randperm(emb.size(0), generator=gen)


def herding_order(emb: Tensor, gen: torch.Generator) -> Tensor:
    """Greedy: each pick brings the running mean of the picks closest to the class mean."""
    target, total = emb.mean(0), torch.zeros(emb.size(1))
    free = torch.ones(emb.size(0), dtype=torch.bool)
    order = []
    for k in range(emb.size(0)):
        dist = ((total + emb) / (k + 1) - target).norm(dim=1).masked_fill(~free, float("inf"))
        pick = int(dist.argmin())
        order.append(pick)
        free[pick], total = False, total + emb[pick]
    return torch.tensor(order, dtype=torch.long)


def kcenter_order(emb: Tensor, gen: torch.Generator) -> Tensor:
    """Greedy k-center: from a random first centre, each pick is the graph farthest from the picks."""
    first = int(torch.randint(emb.size(0), (1,), generator=gen))
    nearest = (emb - emb[first]).norm(dim=1)
    order = [first]
    for _ in range(emb.size(0) - 1):
        pick = int(nearest.argmax())
        order.append(pick)
        nearest = torch.minimum(nearest, (emb - emb[pick]).norm(dim=1))
    return torch.tensor(order, dtype=torch.long)


def _select(cfg: CoresetConfig, graphs: list[Data], order: Callable[[Tensor, torch.Generator], Tensor]) -> list[int]:
    """Training-list positions kept: each class ranked by ``order``, then cut by the budget."""
    labels = graph_labels(graphs)
    emb = graph_embeddings(graphs, cfg.hops)
    gen = torch.Generator().manual_seed(cfg.seed)
    ranked = []
    for cls in labels.unique().tolist():
        idx = (labels == cls).nonzero().view(-1)
        limit = cfg.per_class or idx.numel()
        ranked.append(idx[order(emb[idx], gen)][:limit].tolist())
    if cfg.per_class is not None:
        return sorted(i for r in ranked for i in r)
    # Round robin over classes keeps them balanced; a class stops at its first graph that no
    # longer fits, so every class's selection is a prefix of its ranking.
    chosen, used, cursor = [], 0, [0] * len(ranked)
    active = set(range(len(ranked)))
    while active:
        for c in sorted(active):
            if cursor[c] == len(ranked[c]):
                active.discard(c)
                continue
            i = ranked[c][cursor[c]]
            size = graphs_nbytes([graphs[i]])
            if used + size > cfg.byte_budget:
                active.discard(c)
                continue
            chosen.append(i)
            used, cursor[c] = used + size, cursor[c] + 1
    if not chosen:
        raise ValueError(f"byte_budget={cfg.byte_budget} is smaller than any training graph")
    return sorted(chosen)


def _as_distilled(method: str, graphs: list[Data], keep: list[int], info: dict[str, Any]) -> DistilledGraphs:
    pieces = [Data(x=graphs[i].x, edge_index=graphs[i].edge_index,
                   root_mask=torch.ones(graphs[i].num_nodes, dtype=torch.bool)) for i in keep]
    labels = graph_labels(graphs)[keep].tolist()
    return DistilledGraphs.from_pieces(method, pieces, keep, [[p] for p in range(len(keep))], labels,
                                       [1.0] * len(keep), None, info)


def _coreset(method: str, order: Callable[[Tensor, torch.Generator], Tensor]):
    def condense(cfg: CoresetConfig, graphs: list[Data], log: Log) -> DistilledGraphs:
        keep = _select(cfg, graphs, order)
        log(f"{method}: kept {len(keep)} of {len(graphs)} training graphs")
        return _as_distilled(method, graphs, keep, {"seed": cfg.seed})

    condense.__doc__ = f"``{method}`` coreset of the training graphs."
    return condense


for _name, _order in (("random", random_order), ("herding", herding_order), ("kcenter", kcenter_order)):
    register_graph_condenser(_name, CoresetConfig, selects_graphs=True)(_coreset(_name, _order))


@register_graph_condenser("full", FullConfig, selects_graphs=True)
def full(cfg: FullConfig, graphs: list[Data], log: Log) -> DistilledGraphs:
    """Every training graph, unchanged: the upper reference for the distilled sets."""
    return _as_distilled("full", graphs, list(range(len(graphs))), {})
