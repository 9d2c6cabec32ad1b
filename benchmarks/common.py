"""Shared pieces of the benchmark scripts: device choice, the warehouse, resuming, mean ± std."""
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


def stored_rows(results: DuckDBWarehouse, asset: str, dataset: str, seeds: int,
                setting: str | None = None) -> list[dict]:
    """The rows of seeds ``0..seeds-1`` an earlier run of a benchmark left for ``dataset``
    (and ``setting``), in seed order.

    ``--resume`` starts from them: a benchmark writes its rows after every seed, so a run
    stopped part-way (a CPU session ends; a GPU lease runs out) keeps its finished seeds and
    the next run adds the missing ones instead of starting over.
    """
    sql = "SELECT * EXCLUDE (asset, partition) FROM results WHERE asset = ? AND dataset = ? AND seed < ?"
    params = [asset, dataset, seeds]
    if setting is not None:
        sql, params = sql + " AND setting = ?", params + [setting]
    return results.query(sql + " ORDER BY seed, setting, metric", params).to_dicts()


def mean_pm(values: list[float]) -> str:
    """Percent mean ± sample std over seeds."""
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{100 * statistics.mean(values):.2f} ± {100 * std:.2f}"
