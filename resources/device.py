"""``TorchDevice``: which device a run uses, and its seeding and determinism."""
from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Literal

from dagster import ConfigurableResource

if TYPE_CHECKING:
    import torch


class TorchDevice(ConfigurableResource):
    """``auto`` picks CUDA when a GPU is visible, so the same definitions run on CPU machines.

    ``seed`` is added to each setting's own seed, so a whole deployment can be re-rolled;
    ``deterministic`` turns on PyTorch's deterministic algorithms (slower on GPU).
    """

    kind: Literal["auto", "cpu", "cuda"] = "auto"
    seed: int = 0
    deterministic: bool = False

    def torch_device(self) -> torch.device:
        import torch

        if self.kind == "cuda" and not torch.cuda.is_available():
            raise RuntimeError("TorchDevice(kind='cuda') but no CUDA device is visible; use 'auto' or 'cpu'")
        if self.kind == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        return torch.device(self.kind)

    @contextmanager
    def scope(self, seed: int) -> Iterator[torch.device]:
        """Seed python, numpy and torch with ``seed + self.seed`` and yield the device."""
        import numpy as np
        import torch

        full_seed = seed + self.seed
        random.seed(full_seed)
        np.random.seed(full_seed)
        torch.manual_seed(full_seed)
        previous = torch.are_deterministic_algorithms_enabled()
        torch.use_deterministic_algorithms(self.deterministic, warn_only=True)
        try:
            yield self.torch_device()
        finally:
            torch.use_deterministic_algorithms(previous)
