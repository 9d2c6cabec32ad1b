"""k-means (Lloyd) with k-means++ seeding, in torch, for clustering node embeddings."""
from __future__ import annotations

import torch
from torch import Tensor


def kmeans(points: Tensor, k: int, *, iters: int = 50, generator: torch.Generator) -> Tensor:
    """Partition ``points [n, d]`` into exactly ``k`` non-empty clusters.

    An emptied cluster is re-seeded with the point farthest from its centre, so the
    number of clusters (the node budget downstream) never silently shrinks.

    Returns:
        ``[n]`` long cluster ids in ``[0, k)``.
    """
    n = points.size(0)
    if not 1 <= k <= n:
        raise ValueError(f"k-means needs 1 <= k <= n points, got k={k}, n={n}")
    centres = _plus_plus(points, k, generator)
    assign = torch.cdist(points, centres).argmin(1)
    for _ in range(iters):
        assign = _fill_empty(points, centres, assign, k)
        sums = torch.zeros_like(centres).index_add_(0, assign, points)
        centres = sums / torch.bincount(assign, minlength=k).clamp(min=1)[:, None].to(points.dtype)
        new = torch.cdist(points, centres).argmin(1)
        if torch.equal(new, assign):
            break
        assign = new
    return _fill_empty(points, centres, assign, k)


def _plus_plus(points: Tensor, k: int, generator: torch.Generator) -> Tensor:
    """k-means++: each new centre drawn with probability proportional to squared distance."""
    first = int(torch.randint(points.size(0), (1,), generator=generator))
    centres = [points[first]]
    dist = (points - points[first]).pow(2).sum(1)
    for _ in range(1, k):
        # Duplicated points leave zero mass; fall back to uniform so sampling stays valid.
        weights = dist if float(dist.sum()) > 0 else torch.ones_like(dist)
        pick = int(torch.multinomial(weights.cpu().double(), 1, generator=generator))
        centres.append(points[pick])
        dist = torch.minimum(dist, (points - points[pick]).pow(2).sum(1))
    return torch.stack(centres)


def _fill_empty(points: Tensor, centres: Tensor, assign: Tensor, k: int) -> Tensor:
    assign = assign.clone()
    for c in range(k):
        if not (assign == c).any():
            counts = torch.bincount(assign, minlength=k)
            dist = (points - centres[assign]).pow(2).sum(1)
            dist[counts[assign] <= 1] = -1  # never empty another cluster to fill this one
            assign[int(dist.argmax())] = c
    return assign
