"""How many condensed nodes a ratio buys, and how they are shared among classes.

Every condenser calls these two functions, so methods compared at one ratio spend
exactly the same budget.
"""
from __future__ import annotations

import torch
from torch import Tensor


def budget_size(num_train: int, ratio: float, num_classes: int) -> int:
    """``n' = int(num_train * ratio)``, raised to one node per class."""
    if not 0 < ratio <= 1:
        raise ValueError(f"ratio must be in (0, 1], got {ratio!r}")
    return min(num_train, max(int(num_train * ratio), num_classes))


def class_budgets(y_train: Tensor, budget: int, num_classes: int) -> Tensor:
    """Split ``budget`` nodes among classes in proportion to their training frequency.

    Classes with training nodes get at least one node and never more than they have;
    the remainder goes by largest fractional share (ties to the lower class id), so the
    result sums to ``budget`` exactly.

    Returns:
        ``[num_classes]`` long tensor.
    """
    counts = torch.bincount(y_train.cpu(), minlength=num_classes)
    present = counts > 0
    if budget < int(present.sum()) or budget > int(counts.sum()):
        raise ValueError(f"budget {budget} must be between {int(present.sum())} (one per class) and "
                         f"{int(counts.sum())} (all training nodes)")
    share = counts.double() * budget / counts.sum()
    out = torch.minimum(torch.maximum(share.floor().long(), present.long()), counts)
    # Largest remainder first; a class already at its count cannot take more.
    order = sorted(range(num_classes), key=lambda c: (-(share[c] - share[c].floor()).item(), c))
    while int(out.sum()) < budget:
        for c in order:
            if int(out.sum()) < budget and out[c] < counts[c]:
                out[c] += 1
    while int(out.sum()) > budget:  # the one-per-class floor overshot: take from the largest
        out[int(torch.argmax(out))] -= 1
    return out


def sample_per_class(y: Tensor, candidates: Tensor, budgets: Tensor, generator: torch.Generator) -> Tensor:
    """``budgets[c]`` random nodes of class ``c`` among ``candidates`` (a bool mask), class by class."""
    picks = []
    for c, k in enumerate(budgets.tolist()):
        pool = (candidates & (y == c)).nonzero().view(-1)
        perm = torch.randperm(pool.numel(), generator=generator)[:k].to(pool.device)
        picks.append(pool[perm])
    return torch.cat(picks)
