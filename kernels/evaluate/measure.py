"""Wall time and peak memory of a block of work, on CPU or CUDA."""
from __future__ import annotations

import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch


@dataclass
class RunMeasurement:
    """Filled in when the ``measure`` block exits.

    ``peak_memory_mb`` is the CUDA allocator's peak on a GPU; on CPU it is the process's
    peak resident set size (a high-water mark of the whole process, not of this block).
    """

    device: str
    seconds: float = 0.0
    peak_memory_mb: float = 0.0

    def metadata(self) -> dict[str, float | str]:
        return {"device": self.device, "wall_time_s": round(self.seconds, 3),
                "peak_memory_mb": round(self.peak_memory_mb, 1)}


@contextmanager
def measure(device: torch.device | str = "cpu") -> Iterator[RunMeasurement]:
    device = torch.device(device)
    run = RunMeasurement(device=str(device))
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    start = time.perf_counter()
    try:
        yield run
    finally:
        if device.type == "cuda":
            torch.cuda.synchronize(device)
            run.peak_memory_mb = torch.cuda.max_memory_allocated(device) / 2**20
        else:
            run.peak_memory_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        run.seconds = time.perf_counter() - start
