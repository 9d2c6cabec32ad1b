"""`make demo`: materialize the Cora pipeline (dataset -> every teacher -> reports -> leaderboard).

Runs are recorded in the Dagster instance at $DAGSTER_HOME, so `make dev` shows them afterwards.
"""
from __future__ import annotations

import sys
import time

from dagster import DagsterInstance, MultiPartitionKey, materialize

from dg_assets import all_asset_checks, all_assets
from dg_assets.datasets import dataset
from dg_assets.evaluation import leaderboard, teacher_report
from dg_assets.teachers import teacher
from resources import graphdistill_home, local_resources
from resources.settings import load_settings

DATASET = "cora"


def main() -> int:
    resources = local_resources()
    instance = DagsterInstance.get()
    graph = [*all_assets, *all_asset_checks]

    def run(selection, key):
        return materialize(graph, selection=selection, partition_key=key, resources=resources, instance=instance)

    start = time.perf_counter()
    run([dataset], DATASET)
    for setting in load_settings().teachers:
        print(f"training teacher {DATASET}|{setting} ...", flush=True)
        run([teacher, teacher_report], MultiPartitionKey({"dataset": DATASET, "setting": setting}))
    board = run([leaderboard], None).asset_materializations_for_node("leaderboard")[0].metadata["leaderboard"]

    home = graphdistill_home()
    print(f"\nCora pipeline done in {time.perf_counter() - start:.0f} s (CPU)\n")
    print(board.value)
    print(f"\nartifacts:  {home / 'artifacts'}")
    print(f"warehouse:  {home / 'warehouse.duckdb'}  (table `results`)")
    print(f"runs:       {home / 'dagster'}  (open with `make dev`)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
