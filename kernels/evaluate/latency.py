"""Inference latency of a node classifier on a whole graph (median of repeats after a warm-up)."""
from __future__ import annotations

import statistics
import time

import torch
from torch import Tensor, nn


@torch.no_grad()
def inference_seconds(net: nn.Module, x: Tensor, edge_index: Tensor, repeats: int = 3) -> float:
    """Seconds to predict every node in one full-graph pass (the graph is given)."""
    net.eval()
    net(x, edge_index)  # warm-up: allocator and thread pool, not inference
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        net(x, edge_index)
        times.append(time.perf_counter() - start)
    return statistics.median(times)
