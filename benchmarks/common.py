"""Shared pieces of the benchmark scripts: device choice, the warehouse, backfills, resuming, mean ± std."""
from __future__ import annotations

import statistics
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import torch

from resources import graphdistill_home
from resources.settings import Settings
from resources.warehouse import DuckDBWarehouse

if TYPE_CHECKING:
    from graphdistill.runs import Runner

REPORT_ROWS_SQL = """
SELECT metric, seed, value, seconds FROM results WHERE asset = ? AND partition = ? ORDER BY metric, seed
"""

REAL_DATASETS = ["cora", "citeseer", "amazon-computers", "amazon-photo", "coauthor-cs"]


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def warehouse() -> DuckDBWarehouse:
    return DuckDBWarehouse(path=str(graphdistill_home() / "warehouse.duckdb"))


def applicable(settings: Settings, section: str, dataset: str, keys: list[str]) -> list[str]:
    """The settings of ``keys`` that apply to ``dataset`` (its partitions); the others are
    named on stderr, so a benchmark over every setting skips ``cora|clustgdd-r0.001``."""
    kept = [key for key in keys if settings.applies(section, dataset, key)]
    if len(kept) < len(keys):
        print(f"{dataset}: skipping {[key for key in keys if key not in kept]} (not configured for it)", file=sys.stderr)
    return kept


def report_rows(results: DuckDBWarehouse, report: str, partition: str) -> dict[str, list[float]]:
    """The rows ``report`` wrote for ``partition``: metric -> values in seed order; under
    ``"seconds"`` the seconds of each seed's ``test_acc`` row."""
    rows: dict[str, list[float]] = {}
    for metric, _, value, seconds in results.query(REPORT_ROWS_SQL, [report, partition]).rows():
        rows.setdefault(metric, []).append(value)
        if metric == "test_acc":
            rows.setdefault("seconds", []).append(seconds)
    return rows


def backfill(runner: Runner, results: DuckDBWarehouse, assets: list[str], partition: str,
             run_config: dict[str, Any], keep: Callable[[dict[str, list[float]]], bool]) -> dict[str, list[float]]:
    """Materialize ``assets`` (the last one a report) of ``partition`` through the asset graph,
    unless ``keep`` accepts the report rows already stored (``--resume``); returns the rows."""
    from graphdistill.runs import Step

    rows = report_rows(results, assets[-1], partition)
    if not keep(rows):
        runner.run(Step(assets, partition, run_config))
        rows = report_rows(results, assets[-1], partition)
    return rows


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
