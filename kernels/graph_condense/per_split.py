"""Distil once per split seed: each seed's stratified split has its own training graphs,
and distillation may only ever see those (the inductive guarantee)."""
from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from torch import Tensor
from torch_geometric.data import Data

from kernels.graph_condense.distilled import DistilledGraphs
from kernels.graph_condense.registry import condense_graphs
from kernels.graphs.data import graph_labels, stratified_splits


@dataclass
class SplitDistillation:
    """For every split seed: the train / val / test graph indices and the distilled training set."""

    method: str
    seeds: list[int]
    splits: list[tuple[Tensor, Tensor, Tensor]]
    distilled: list[DistilledGraphs]

    def summary(self) -> dict[str, Any]:
        first = self.distilled[0].info

        def mean(key: str) -> float:
            return statistics.fmean(d.info[key] for d in self.distilled)

        return {"method": self.method, "split_seeds": len(self.seeds), "distilled_graphs": first["num_graphs"],
                "nbytes": int(mean("nbytes")), "bytes_fraction": round(mean("bytes_fraction"), 5),
                "seconds": round(mean("seconds"), 4)}

    def to_payload(self) -> dict[str, Any]:
        return {"method": self.method, "seeds": self.seeds, "splits": [list(s) for s in self.splits],
                "distilled": [d.to_payload() for d in self.distilled]}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> SplitDistillation:
        return cls(payload["method"], payload["seeds"], [tuple(s) for s in payload["splits"]],
                   [DistilledGraphs.from_payload(d) for d in payload["distilled"]])


def distill_per_split(method: str, params: dict[str, Any], graphs: list[Data], seeds: Sequence[int], *,
                      log: Callable[[str], None] = lambda _: None) -> SplitDistillation:
    """Stratified 80/10/10 split per seed, then ``condense_graphs`` on that split's training graphs."""
    labels = graph_labels(graphs)
    splits, distilled = [], []
    for seed in seeds:
        train, val, test = stratified_splits(labels, seed)
        splits.append((train, val, test))
        distilled.append(condense_graphs(method, params, graphs, train, log=log))
    return SplitDistillation(method, list(seeds), splits, distilled)
