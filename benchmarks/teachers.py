"""Teacher benchmark: a backfill of ``teacher`` + ``teacher_report`` partitions over seeds.

    .venv/bin/python -m benchmarks.teachers [--datasets cora citeseer ...] [--teachers gcn sage ...]
                                            [--seeds 5] [--resume] [--device auto]

Every number goes through the asset graph, the same path as the UI and ``graphdistill``:
each dataset x teacher partition is materialized (with its check and lineage) and its
``teacher_report`` scores it and retrains the setting at the ``--seeds - 1`` following seeds
(the report's ``seeds`` run config); checkpoints are selected on validation accuracy only.
The table is read back from the warehouse's ``teacher_report`` rows, the rows the leaderboard
shows. ``--resume`` skips a partition whose report already holds the seeds asked for.
"""
from __future__ import annotations

import argparse
import statistics

from benchmarks.common import REAL_DATASETS, applicable, backfill, mean_pm, pick_device, warehouse
from graphdistill.runs import Runner
from resources.settings import load_settings


def main() -> None:
    settings = load_settings()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=REAL_DATASETS)
    parser.add_argument("--teachers", nargs="+", default=list(settings.teachers))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--resume", action="store_true", help="keep partitions whose report holds these seeds")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    args = parser.parse_args()
    runner, results = Runner(device=args.device), warehouse()
    report = {"ops": {"teacher_report": {"config": {"seeds": args.seeds}}}}

    print(f"| dataset | teacher | test acc (%) | val acc (%) | s / run |  ({pick_device(args.device)}, "
          f"{args.seeds} seeds)")
    print("|---|---|---|---|---|")
    for name in args.datasets:
        runner.ensure("dataset", name)
        for key in applicable(settings, "teachers", name, args.teachers):
            rows = backfill(runner, results, ["teacher", "teacher_report"], f"{name}|{key}", report,
                            lambda rows: args.resume and len(rows.get("test_acc", [])) == args.seeds)
            print(f"| {name} | {key} | {mean_pm(rows['test_acc'])} | {mean_pm(rows['val_acc'])} | "
                  f"{statistics.mean(rows['seconds']):.1f} |", flush=True)


if __name__ == "__main__":
    main()
