"""Unlearning benchmark: a backfill of ``unlearned_model`` + ``unlearning_report`` partitions.

    .venv/bin/python -m benchmarks.unlearning [--datasets cora citeseer amazon-photo coauthor-cs]
                                              [--settings d2dgn-forget-nodes-2pct ...] [--seeds 5]
                                              [--resume] [--device auto]

Every number goes through the asset graph: per dataset, the teacher and the deletion request
partitions each setting names are materialized where they are not yet, then each setting's
``retrain`` reference, then every unlearned model with its ``unlearning_report``, which for
``--seeds - 1`` further seeds retrains the teacher and repeats the unlearning and the
reference at that seed (shared within the run). The table is the leaderboard's unlearning
table, read back from the warehouse: retained test accuracy, the attack's AUC (membership
inference for node and class requests, link inference for edge requests), the mean
total-variation distance to the ``retrain`` model's predictions, seconds, and the speed-up
over ``retrain`` measured in the same report. Epochs are chosen on validation nodes only.
"""
from __future__ import annotations

import argparse

from benchmarks.common import applicable, backfill, pick_device, warehouse
from dg_assets.unlearning import unlearning_markdown, unlearning_rows
from graphdistill.runs import Runner
from resources.settings import load_settings


def main() -> None:
    settings = load_settings()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=["cora", "citeseer", "amazon-photo", "coauthor-cs"])
    parser.add_argument("--settings", nargs="+", default=list(settings.unlearning), choices=list(settings.unlearning))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--resume", action="store_true", help="keep partitions whose report holds these seeds")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    args = parser.parse_args()
    runner, results = Runner(device=args.device), warehouse()
    report = {"ops": {"unlearning_report": {"config": {"seeds": args.seeds}}}}

    for name in args.datasets:
        runner.ensure("dataset", name)
        for key in applicable(settings, "unlearning", name, args.settings):
            setting = settings.unlearning[key]
            runner.ensure("teacher", f"{name}|{setting.teacher}")
            runner.ensure("unlearning_request", f"{name}|{setting.request}")
            runner.ensure("unlearned_model", f"{name}|{settings.unlearning_reference(key)}")
            backfill(runner, results, ["unlearned_model", "unlearning_report"], f"{name}|{key}", report,
                     lambda rows: args.resume and len(rows.get("retained_test_acc", [])) == args.seeds)
    rows = [row for row in unlearning_rows(results, settings)
            if row["dataset"] in args.datasets and row["setting"] in args.settings]
    print(f"({pick_device(args.device)}, {args.seeds} seeds)\n\n{unlearning_markdown(rows)}", flush=True)


if __name__ == "__main__":
    main()
