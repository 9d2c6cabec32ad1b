"""k-means (Lloyd, k-means++ seeding) in torch, on the device the embeddings live on.

Nothing waits on a copy to the host per centre or per cluster: k-means++ draws every centre
on the device and the empty-cluster fill is vectorised (on a GPU each such sync cost more
than the arithmetic on an arxiv-sized graph). On CPU this is as fast as scikit-learn's
Lloyd on ClustGDD's per-class pools and faster end to end (no float64 copy, no second
OpenMP runtime beside torch's; docs/performance.md has the measurements).
"""
from __future__ import annotations

import torch
from torch import Tensor


def kmeans(points: Tensor, k: int, *, iters: int = 50, generator: torch.Generator) -> Tensor:
    """Partition ``points [n, d]`` into exactly ``k`` non-empty clusters.

    An emptied cluster takes the point farthest from its centre among those whose cluster
    keeps another member, so the number of clusters (the node budget downstream) never
    silently shrinks, even with duplicated points. ``generator`` draws the seeding on CPU;
    on another device it seeds a generator there.

    Returns:
        ``[n]`` long cluster ids in ``[0, k)``, on ``points``' device.
    """
    n = points.size(0)
    if not 1 <= k <= n:
        raise ValueError(f"k-means needs 1 <= k <= n points, got k={k}, n={n}")
    if points.device != generator.device:
        generator = torch.Generator(points.device).manual_seed(int(torch.randint(2**62, (1,), generator=generator)))
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
    """k-means++ on the points' device: each new centre drawn with probability proportional
    to its squared distance from the nearest chosen centre (uniform once every point is a
    centre's duplicate)."""
    n = points.size(0)
    picks = torch.empty(k, dtype=torch.long, device=points.device)
    picks[0] = torch.randint(n, (1,), generator=generator, device=points.device)
    dist = (points - points[picks[0]]).pow(2).sum(1)
    for i in range(1, k):
        weights = torch.where(dist.sum() > 0, dist, torch.ones_like(dist))
        picks[i] = torch.multinomial(weights.double(), 1, generator=generator)[0]
        dist = torch.minimum(dist, (points - points[picks[i]]).pow(2).sum(1))
    return points[picks].clone()


def _fill_empty(points: Tensor, centres: Tensor, assign: Tensor, k: int) -> Tensor:
    """Give every empty cluster one point, all at once: the farthest points from their
    centres, never a cluster's closest member (so no cluster empties in turn)."""
    counts = torch.bincount(assign, minlength=k)
    empty = (counts == 0).nonzero().view(-1)
    if empty.numel() == 0:
        return assign
    n = points.size(0)
    dist = (points - centres[assign]).pow(2).sum(1)
    nearest = torch.zeros(k, dtype=dist.dtype, device=dist.device).scatter_reduce_(
        0, assign, dist, "amin", include_self=False)
    at_min = dist == nearest[assign]
    index = torch.arange(n, device=dist.device)
    keeper = torch.full((k,), n, device=dist.device).scatter_reduce_(0, assign[at_min], index[at_min], "amin")
    movable = dist.clone()
    movable[keeper[keeper < n]] = -1
    moved = movable.topk(empty.numel()).indices
    assign = assign.clone()
    assign[moved] = empty
    return assign
