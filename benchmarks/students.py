"""Student benchmark: a backfill of ``student`` + ``student_report`` partitions over seeds.

    .venv/bin/python -m benchmarks.students [--datasets cora ...] [--students glnn-sage ...]
                                            [--seeds 5] [--resume] [--device auto]

Every number goes through the asset graph, the same path as the UI and ``graphdistill``:
each student's teacher partition is materialized where it is not yet, then the student
partition (with its check and lineage) and its ``student_report``, which scores it and, for
each of the ``--seeds - 1`` following seeds, retrains the teacher at that seed (inductive
students: on that seed's observed graph) and distils again; students of one teacher at one
seed share it. Beside each student the report holds its teacher's accuracy and that of an MLP
of the student's size trained on labels alone. Model selection is on validation accuracy
only. ``--resume`` skips a partition whose report already holds the seeds asked for. A last
table chooses, per dataset, method and seed, among the settings of that method in the
warehouse on validation accuracy (e.g. VQGraph's tokenizer norm) and reports the chosen
students' test accuracy.
"""
from __future__ import annotations

import argparse
import statistics

import polars as pl

from benchmarks.common import REAL_DATASETS, applicable, backfill, mean_pm, pick_device, warehouse
from graphdistill.runs import Runner
from resources.settings import load_settings
from resources.tables import students_chosen_markdown

SHOWN = ("test_acc", "val_acc", "ind_test_acc", "teacher_test_acc", "vq_teacher_test_acc", "mlp_test_acc")


def main() -> None:
    settings = load_settings()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=REAL_DATASETS)
    parser.add_argument("--students", nargs="+", default=list(settings.students))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--resume", action="store_true", help="keep partitions whose report holds these seeds")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    args = parser.parse_args()
    runner, results = Runner(device=args.device), warehouse()
    report = {"ops": {"student_report": {"config": {"seeds": args.seeds}}}}

    print(f"| dataset | student | mode | {' | '.join(SHOWN)} | s / run |  ({pick_device(args.device)}, "
          f"{args.seeds} seeds)")
    print("|---|---|---|" + "---|" * (len(SHOWN) + 1))
    for name in args.datasets:
        runner.ensure("dataset", name)
        for key in applicable(settings, "students", name, args.students):
            setting = settings.student(key)
            runner.ensure("teacher", f"{name}|{setting.teacher}")
            rows = backfill(runner, results, ["student", "student_report"], f"{name}|{key}", report,
                            lambda rows: args.resume and len(rows.get("test_acc", [])) == args.seeds)
            cells = [mean_pm(rows[m]) if m in rows else "–" for m in SHOWN]
            print(f"| {name} | {key} | {setting.validated(key).mode} | {' | '.join(cells)} | "
                  f"{statistics.mean(rows['seconds']):.1f} |", flush=True)
    print_chosen_on_validation(results, args.datasets)


def print_chosen_on_validation(results, datasets: list[str]) -> None:
    """Per dataset and student method with several settings reported (this run's or earlier
    ones), the setting chosen per seed on validation accuracy and its test accuracy."""
    chosen = results.students_chosen_on_validation("student_report").filter(pl.col("dataset").is_in(datasets))
    if chosen.height:
        print("\n" + students_chosen_markdown(chosen.iter_rows(named=True)), flush=True)


if __name__ == "__main__":
    main()
