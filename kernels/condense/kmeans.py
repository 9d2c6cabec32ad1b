"""k-means for clustering node embeddings: scikit-learn on CPU, a batched torch Lloyd on GPU.

On CPU scikit-learn's Lloyd (k-means++ seeding, chunked distance computation in compiled
code) is the field's implementation. On a GPU the points stay on the device: k-means++
draws every centre there and the empty-cluster fill is vectorised, so neither waits on a
copy to the host per centre or per cluster (each such sync costs more than the arithmetic
on an arxiv-sized graph).
"""
from __future__ import annotations

import warnings

import torch
from torch import Tensor


def kmeans(points: Tensor, k: int, *, iters: int = 50, generator: torch.Generator) -> Tensor:
    """Partition ``points [n, d]`` into exactly ``k`` non-empty clusters.

    An emptied cluster takes the point farthest from its centre among those whose cluster
    keeps another member, so the number of clusters (the node budget downstream) never
    silently shrinks, even with duplicated points.

    Returns:
        ``[n]`` long cluster ids in ``[0, k)``, on ``points``' device.
    """
    n = points.size(0)
    if not 1 <= k <= n:
        raise ValueError(f"k-means needs 1 <= k <= n points, got k={k}, n={n}")
    if points.device.type == "cpu":
        centres, assign = _sklearn_lloyd(points, k, iters, generator)
    else:
        centres, assign = _torch_lloyd(points, k, iters, generator)
    return _fill_empty(points, centres, assign, k)


def _sklearn_lloyd(points: Tensor, k: int, iters: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    from sklearn.cluster import KMeans
    from sklearn.exceptions import ConvergenceWarning

    seed = int(torch.randint(2**31 - 1, (1,), generator=generator))
    model = KMeans(n_clusters=k, init="k-means++", n_init=1, max_iter=iters, random_state=seed, algorithm="lloyd")
    with warnings.catch_warnings():
        # Fewer distinct points than k: the empty clusters are filled below.
        warnings.simplefilter("ignore", ConvergenceWarning)
        labels = model.fit_predict(points.detach().double().numpy())
    return torch.from_numpy(model.cluster_centers_).to(points.dtype), torch.from_numpy(labels).long()


def _torch_lloyd(points: Tensor, k: int, iters: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    device_generator = torch.Generator(points.device).manual_seed(int(torch.randint(2**62, (1,), generator=generator)))
    centres = _plus_plus(points, k, device_generator)
    assign = torch.cdist(points, centres).argmin(1)
    for _ in range(iters):
        counts = torch.bincount(assign, minlength=k).to(points.dtype)
        sums = torch.zeros_like(centres).index_add_(0, assign, points)
        # An empty cluster keeps its centre; the fill after the loop gives it a point.
        centres = torch.where(counts[:, None] > 0, sums / counts.clamp(min=1)[:, None], centres)
        new = torch.cdist(points, centres).argmin(1)
        if torch.equal(new, assign):
            break
        assign = new
    return centres, assign


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
        picks[i] = torch.multinomial(weights, 1, generator=generator)[0]
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
    dist = (points - centres.to(points.device)[assign]).pow(2).sum(1)
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
