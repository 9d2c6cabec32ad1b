"""The inductive ("production") setting of GLNN: some test nodes arrive only at inference."""
from __future__ import annotations

from typing import Any

import torch
from torch import Tensor
from torch_geometric.data import Data

from kernels.evaluate.train import Log, TrainConfig, TrainedModel, train_node_classifier


def held_out_nodes(data: Data, fraction: float, seed: int) -> Tensor:
    """Boolean mask of ``fraction`` of the test nodes (seeded), hidden from all training."""
    if not 0 < fraction < 1:
        raise ValueError(f"inductive fraction must be in (0, 1), got {fraction}")
    test = data.test_mask.nonzero().view(-1)
    gen = torch.Generator().manual_seed(seed)
    chosen = test[torch.randperm(test.numel(), generator=gen)[: int(round(test.numel() * fraction))].to(test.device)]
    mask = torch.zeros(data.num_nodes, dtype=torch.bool, device=data.test_mask.device)
    mask[chosen] = True
    return mask


def observed_graph(data: Data, held_out: Tensor) -> Data:
    """The graph seen at training time: held-out nodes and every edge touching them removed.

    Nodes are relabelled; ``n_id`` maps them back to the full graph.
    """
    observed = data.subgraph(~held_out)
    observed.n_id = (~held_out).nonzero().view(-1)
    return observed


def train_observed_teacher(model: str, params: dict[str, Any], train: TrainConfig, data: Data, fraction: float,
                           seed: int, *, device: torch.device | str = "cpu",
                           log: Log = lambda _: None) -> TrainedModel:
    """The teacher of an inductive student: ``model`` trained on the observed graph of
    ``seed``'s split, so nothing it learns comes from a held-out node or edge."""
    seen = observed_graph(data, held_out_nodes(data, fraction, seed))
    return train_node_classifier(model, params, seen, train, seed=seed, device=device, log=log)
