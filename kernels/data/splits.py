"""Train / validation / test splits stored as boolean node masks on ``Data``."""
from __future__ import annotations

from typing import Annotated, Literal, Union

import torch
from pydantic import BaseModel, ConfigDict, Field
from torch_geometric.data import Data


class PerClassSplit(BaseModel):
    """Seeded random split of ``train_per_class`` / ``val_per_class`` nodes per class, rest test.

    The protocol of "Pitfalls of GNN Evaluation" (Shchur et al., 2018), used by GLNN and the
    condensation papers for Amazon and Coauthor graphs.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["per-class"] = "per-class"
    train_per_class: int = Field(20, gt=0)
    val_per_class: int = Field(30, gt=0)
    seed: int = 0


class FractionSplit(BaseModel):
    """Seeded random split by fractions of all nodes (for large synthetic graphs)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["fraction"] = "fraction"
    train_fraction: float = Field(0.5, gt=0, lt=1)
    val_fraction: float = Field(0.25, gt=0, lt=1)
    seed: int = 0


SplitConfig = Annotated[Union[PerClassSplit, FractionSplit], Field(discriminator="kind")]


def _masks(num_nodes: int, train: torch.Tensor, val: torch.Tensor) -> tuple[torch.Tensor, ...]:
    train_mask = torch.zeros(num_nodes, dtype=torch.bool)
    val_mask = torch.zeros(num_nodes, dtype=torch.bool)
    train_mask[train] = True
    val_mask[val] = True
    return train_mask, val_mask, ~(train_mask | val_mask)


def apply_split(data: Data, split: PerClassSplit | FractionSplit) -> Data:
    """Set ``train_mask``, ``val_mask`` and ``test_mask`` on ``data`` (in place) and return it."""
    gen = torch.Generator().manual_seed(split.seed)
    n = data.num_nodes
    if isinstance(split, FractionSplit):
        if split.train_fraction + split.val_fraction >= 1:
            raise ValueError(
                f"train_fraction + val_fraction = {split.train_fraction + split.val_fraction} "
                "leaves no test nodes; the sum must be < 1"
            )
        perm = torch.randperm(n, generator=gen)
        n_train, n_val = int(n * split.train_fraction), int(n * split.val_fraction)
        masks = _masks(n, perm[:n_train], perm[n_train : n_train + n_val])
    else:
        need = split.train_per_class + split.val_per_class
        train, val = [], []
        for c in torch.unique(data.y).tolist():
            idx = (data.y == c).nonzero().view(-1)
            if idx.numel() < need:
                raise ValueError(
                    f"class {c} has {idx.numel()} nodes, fewer than train_per_class + "
                    f"val_per_class = {need}"
                )
            idx = idx[torch.randperm(idx.numel(), generator=gen)]
            train.append(idx[: split.train_per_class])
            val.append(idx[split.train_per_class : need])
        masks = _masks(n, torch.cat(train), torch.cat(val))
    data.train_mask, data.val_mask, data.test_mask = masks
    return data
