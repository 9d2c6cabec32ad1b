"""The graph-classification condenser family and its single entry point ``condense_graphs``.

The entry point hands a method only the training graphs, so no condenser can see a
validation or test graph (the inductive guarantee holds by construction).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from pydantic import BaseModel
from torch import Tensor
from torch_geometric.data import Data

from kernels.graph_condense.distilled import DistilledGraphs, graphs_nbytes
from kernels.registry import Registry

Log = Callable[[str], None]
CondenseFn = Callable[[Any, list[Data], Log], DistilledGraphs]


@dataclass(frozen=True)
class GraphCondenserSpec:
    """``selects_graphs``: pieces are whole training graphs whose ``piece_ids`` are positions
    in the training list, mapped back to dataset indices by ``condense_graphs``."""

    name: str
    config_cls: type[BaseModel]
    fn: CondenseFn
    selects_graphs: bool = False


GRAPH_CONDENSERS: Registry[GraphCondenserSpec] = Registry("graph condenser")


def register_graph_condenser(name: str, config_cls: type[BaseModel], *, selects_graphs: bool = False):
    return GRAPH_CONDENSERS.register(name, lambda fn: GraphCondenserSpec(name, config_cls, fn, selects_graphs))


def graph_condenser_config(method: str, params: dict[str, Any]) -> BaseModel:
    """The validated config of ``method``; a bad field is a ``ValueError`` naming it and its value."""
    return GRAPH_CONDENSERS.config(method, params)


def condense_graphs(method: str, params: dict[str, Any], graphs: list[Data], train_idx: Tensor, *,
                    log: Log = lambda _: None) -> DistilledGraphs:
    """Condense the training graphs ``graphs[train_idx]`` with ``method``.

    Args:
        method: a ``GRAPH_CONDENSERS`` name (``mirage``, ``random``, ``herding``, ``kcenter``, ``full``).
        params: that method's config fields.
        graphs: the whole dataset; only ``train_idx`` entries are passed on.
        train_idx: indices of the training graphs.
        log: progress lines.

    Returns:
        ``DistilledGraphs`` whose ``info`` adds ``seconds``, ``nbytes``, ``train_nbytes``,
        ``bytes_fraction``, ``num_graphs`` and ``train_graphs``.
    """
    spec = GRAPH_CONDENSERS.get(method)
    cfg = graph_condenser_config(method, params)
    train_idx = torch.as_tensor(train_idx, dtype=torch.long).view(-1)
    if train_idx.numel() == 0:
        raise ValueError("train_idx is empty")
    if int(train_idx.min()) < 0 or int(train_idx.max()) >= len(graphs):
        raise ValueError(f"train_idx must lie in [0, {len(graphs)}), got range "
                         f"[{int(train_idx.min())}, {int(train_idx.max())}]")
    train = [graphs[i] for i in train_idx.tolist()]
    start = time.perf_counter()
    out = spec.fn(cfg, train, log)
    seconds = time.perf_counter() - start
    if spec.selects_graphs:
        out.piece_ids = train_idx[out.piece_ids]
    train_bytes = graphs_nbytes(train)
    out.info |= {"method": spec.name, "seconds": round(seconds, 4), "nbytes": out.nbytes(),
                 "train_nbytes": train_bytes, "bytes_fraction": out.nbytes() / train_bytes,
                 "num_graphs": out.num_graphs, "train_graphs": len(train)}
    log(f"{spec.name}: {out.num_graphs} graphs, {out.nbytes()} bytes "
        f"({100 * out.info['bytes_fraction']:.2f}% of the training set) in {seconds:.2f}s")
    return out
