"""Score a distilled set: train a GNN on it, test on real graphs, and choose among sets on validation.

Mirage's guarantee (a tree root's embedding equals its node's embedding in the real graph)
holds only when the GNN has exactly as many layers as the trees are deep, so a distilled set
that records a tree ``depth`` fixes the model's layer count; coresets of real graphs leave
the model's configured layers alone. Choosing a distillation setting (θ, depth, itemset
count) is model selection, so it reads validation accuracy only, never the test graphs.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor
from torch_geometric.data import Data

from kernels.graph_condense.distilled import DistilledGraphs
from kernels.graphs.train import GraphTrainConfig, Log, TrainedGraphModel, train_graph_classifier


def model_params(distilled: DistilledGraphs, params: Mapping[str, Any]) -> dict[str, Any]:
    """``params`` with ``layers`` set to the tree depth when ``distilled`` is made of depth-L trees."""
    depth = distilled.info.get("depth")
    return dict(params) | ({"layers": int(depth)} if depth is not None else {})


def train_on_distilled(arch: str, params: Mapping[str, Any], distilled: DistilledGraphs, graphs: list[Data],
                       split: tuple[Tensor, Tensor, Tensor], cfg: GraphTrainConfig, *, num_classes: int,
                       seed: int, device: torch.device | str = "cpu", log: Log = lambda _: None) -> TrainedGraphModel:
    """Train ``arch`` on ``distilled`` (support-weighted draws when it has sample weights) on
    ``device``; select the epoch on ``graphs[split[1]]`` and test on ``graphs[split[2]]``."""
    _, val, test = split
    return train_graph_classifier(arch, model_params(distilled, params), distilled.graphs(),
                                  [graphs[i] for i in val.tolist()], [graphs[i] for i in test.tolist()], cfg,
                                  sample_weights=distilled.sample_weights, num_classes=num_classes, seed=seed,
                                  device=device, log=log)


def pick_by_validation(runs: Mapping[str, TrainedGraphModel]) -> str:
    """The key of the run with the best validation accuracy; ties keep the earliest key, so
    listing candidates from smallest to largest prefers the smaller distilled set."""
    if not runs:
        raise ValueError("no runs to choose from")
    return max(runs, key=lambda key: runs[key].metrics["val_acc"])
