"""The condenser family: one registry entry per method, one entry point (``condense``).

A method receives the real graph, its validated config and the per-class node budget
already fixed by ``class_budgets``; budget arithmetic, seeding, device moves and the
common statistics live here so that methods differ only in how they synthesise.
"""
from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from pydantic import BaseModel, ConfigDict, field_validator
from torch import Tensor
from torch_geometric.data import Data

from kernels.condense.budget import budget_size, class_budgets
from kernels.condense.graph import CondensedGraph
from kernels.registry import Registry

Log = Callable[[str], None]


class CondenserConfig(BaseModel):
    """Knobs every condenser shares.

    Args:
        ratio: condensation ratio ``r`` in ``(0, 1]``; the budget is
            ``int(#train nodes * r)`` nodes, at least one per class (required).
        seed: seed of every random choice and initialisation (default: 0).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    ratio: float
    seed: int = 0

    @field_validator("ratio")
    @classmethod
    def _ratio_in_range(cls, ratio: float) -> float:
        if not 0 < ratio <= 1:
            raise ValueError(f"ratio must be in (0, 1], got {ratio!r}")
        return ratio


@dataclass(frozen=True)
class CondenserSpec:
    """``fn(data, cfg, budgets, *, device, log, teacher_logits) -> CondensedGraph``."""

    name: str
    config_cls: type[CondenserConfig]
    fn: Callable[..., CondensedGraph]
    needs_teacher: bool = False


CONDENSERS: Registry[CondenserSpec] = Registry("condenser")


def register_condenser(name: str, config_cls: type[CondenserConfig], needs_teacher: bool = False):
    return CONDENSERS.register(name, lambda fn: CondenserSpec(name, config_cls, fn, needs_teacher))


def condenser_config(method: str, params: dict[str, Any]) -> CondenserConfig:
    """Validate ``params`` for ``method``; errors name the method and the bad field and value."""
    return CONDENSERS.config(method, params)


def condense(method: str, params: dict[str, Any], data: Data, *, device: torch.device | str = "cpu",
             log: Log = lambda _: None, teacher_logits: Tensor | None = None) -> CondensedGraph:
    """Condense ``data`` (its training nodes) with ``method``.

    Args:
        method: a ``CONDENSERS`` name.
        params: the method's config fields (``ratio`` required).
        data: ``Data`` with ``x``, ``y``, ``edge_index`` and the three split masks.
        device: where the work runs; the result is on the CPU.
        log: progress lines.
        teacher_logits: ``[N, C]`` soft labels, required by methods flagged
            ``needs_teacher`` and used by the coresets when given.

    Returns:
        ``CondensedGraph`` whose ``stats`` hold ``budget``, ``nodes``, ``edges``, ``bytes``,
        ``original_bytes``, ``ratio_bytes`` and ``seconds``.
    """
    spec = CONDENSERS.get(method)
    cfg = condenser_config(method, params)
    if spec.needs_teacher and teacher_logits is None:
        raise ValueError(f"condenser {method!r} needs teacher_logits")
    num_classes = int(data.y.max()) + 1
    y_train = data.y[data.train_mask]
    budgets = class_budgets(y_train, budget_size(y_train.numel(), cfg.ratio, num_classes), num_classes)
    device = torch.device(device)
    log(f"{spec.name}: {y_train.numel()} training nodes -> {int(budgets.sum())} nodes "
        f"(per class {budgets.tolist()})")

    start = time.perf_counter()
    fork = [device.index or 0] if device.type == "cuda" else []
    # Seeding must not leak into the caller's stream; the shallow copy keeps the caller's
    # tensors where they are.
    with torch.random.fork_rng(devices=fork):
        torch.manual_seed(cfg.seed)
        out = spec.fn(copy.copy(data).to(device), cfg, budgets, device=device, log=log,
                      teacher_logits=None if teacher_logits is None else teacher_logits.to(device))
    seconds = time.perf_counter() - start

    graph = CondensedGraph(out.x.cpu(), out.y.cpu(), out.edge_index.cpu(), out.edge_weight.cpu(), spec.name,
                           cfg.model_dump(), out.stats)
    original = sum(t.element_size() * t.numel() for t in (data.x, data.edge_index))
    graph.stats = {**out.stats, "budget": int(budgets.sum()), "nodes": graph.num_nodes,
                   "edges": graph.num_edges, "bytes": graph.nbytes(), "original_bytes": original,
                   "ratio_bytes": graph.nbytes() / original, "seconds": round(seconds, 4)}
    log(f"{spec.name}: {graph.num_nodes} nodes, {graph.num_edges} edges in {seconds:.2f}s")
    return graph
