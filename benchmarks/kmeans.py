"""k-means of ClustGDD's per-class pools: the torch implementation against scikit-learn.

    .venv/bin/python -m benchmarks.kmeans [--device auto]

Times repeated calls on random pools of the sizes ClustGDD clusters (a Cora class, a class
of sbm-arxiv at r = 0.005, of ogbn-products at r = 0.001) and prints a table; scikit-learn
(installed with mlxtend) runs on CPU only. Run it on a quiet machine.
"""
from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import torch

from benchmarks.common import pick_device
from kernels.condense.kmeans import kmeans

# label -> (points, clusters, dimensions, calls)
POOLS = {"Cora class": (20, 10, 7, 7), "sbm-arxiv r=0.005 class": (2300, 11, 40, 40),
         "products r=0.001 class": (4200, 50, 47, 10)}


def sklearn_kmeans(points: torch.Tensor, k: int, generator: torch.Generator) -> None:
    from sklearn.cluster import KMeans

    seed = int(torch.randint(2**31 - 1, (1,), generator=generator))
    KMeans(n_clusters=k, n_init=1, max_iter=50, random_state=seed, algorithm="lloyd").fit(points.double().numpy())


def seconds(run: Callable[[torch.Generator], object], calls: int) -> float:
    run(torch.Generator().manual_seed(0))  # warm-up: imports, allocator
    start = time.perf_counter()
    for call in range(calls):
        run(torch.Generator().manual_seed(call))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    args = parser.parse_args()
    device = pick_device(args.device)
    print(f"| pool (points, clusters, dims) | calls | torch ({device}) s | scikit-learn (cpu) s |")
    print("|---|---|---|---|")
    for label, (n, k, d, calls) in POOLS.items():
        points = torch.randn(n, d, generator=torch.Generator().manual_seed(0))
        ours = seconds(lambda gen: kmeans(points.to(device), k, generator=gen), calls)
        theirs = seconds(lambda gen: sklearn_kmeans(points, k, gen), calls)
        print(f"| {label} ({n:,}, {k}, {d}) | {calls} | {ours:.3f} | {theirs:.3f} |", flush=True)


if __name__ == "__main__":
    main()
