"""Shared pieces of the benchmark scripts: device choice, the warehouse, mean ± std."""
from __future__ import annotations

import statistics

import torch

from resources import graphdistill_home
from resources.warehouse import DuckDBWarehouse

REAL_DATASETS = ["cora", "citeseer", "amazon-computers", "amazon-photo", "coauthor-cs"]


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def warehouse() -> DuckDBWarehouse:
    return DuckDBWarehouse(path=str(graphdistill_home() / "warehouse.duckdb"))


def mean_pm(values: list[float]) -> str:
    """Percent mean ± sample std over seeds."""
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{100 * statistics.mean(values):.2f} ± {100 * std:.2f}"
