"""Student accuracy: each student setting against its teacher and a plain MLP, over seeds.

    .venv/bin/python -m benchmarks.students [--datasets cora ...] [--students glnn-sage ...]
                                            [--seeds 5] [--device auto] [--resume]

For every seed the student's teacher is trained with that seed (once per dataset, shared by
the students of that teacher), then distilled; inductive students share instead their
teacher retrained on the seed's observed graph, and no full-graph teacher is trained for them.
Model selection is on validation accuracy only. Rows go to `results` with
``asset = 'benchmark_students'``, written after every seed; ``--resume`` keeps the seeds a
stopped run finished and runs only the missing ones (a CS seed takes over ten minutes on CPU).
A last table chooses, per dataset, method and seed, among the settings of that method stored
in the warehouse on validation accuracy (e.g. VQGraph's tokenizer norm) and reports the
chosen students' test accuracy.
"""
from __future__ import annotations

import argparse
import functools
import json
from collections import defaultdict

import polars as pl

from benchmarks.common import REAL_DATASETS, mean_pm, pick_device, stored_rows, warehouse
from kernels.data import load_dataset
from kernels.evaluate import TrainConfig, measure, train_node_classifier
from kernels.students import distill
from kernels.students.inductive import train_observed_teacher
from resources import graphdistill_home
from resources.home import data_root
from resources.provenance import code_version
from resources.settings import load_settings
from resources.tables import students_chosen_markdown

ASSET = "benchmark_students"
SHOWN = ("test_acc", "val_acc", "ind_test_acc", "teacher_test_acc", "vq_teacher_test_acc", "mlp_test_acc")


def main() -> None:
    settings = load_settings()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=REAL_DATASETS)
    parser.add_argument("--students", nargs="+", default=list(settings.students))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--resume", action="store_true", help="keep the seeds already in the warehouse for each "
                        "dataset and student, and run the rest")
    args = parser.parse_args()
    device, results = pick_device(args.device), warehouse()

    print(f"| dataset | student | mode | {' | '.join(SHOWN)} | s / run |  ({device}, {args.seeds} seeds)")
    print("|---|---|---|" + "---|" * (len(SHOWN) + 1))
    for name in args.datasets:
        data = load_dataset(name, settings.dataset(name), data_root(), graphdistill_home() / "pyg")
        # Students of one seed share their teacher and their plain-MLP baseline.
        trained = functools.cache(lambda model, params, train, seed: train_node_classifier(
            model, json.loads(params), data, TrainConfig.model_validate_json(train), seed=seed, device=device))
        observed = functools.cache(lambda model, params, train, seed, fraction: train_observed_teacher(
            model, json.loads(params), TrainConfig.model_validate_json(train), data, fraction, seed, device=device))
        for key in args.students:
            setting = settings.student(key)
            cfg = setting.validated(key)
            teacher_setting = settings.teacher(setting.teacher)
            _, teacher_train = teacher_setting.validated(setting.teacher)
            rows = stored_rows(results, ASSET, name, args.seeds, key) if args.resume else []
            seconds = {row["seed"]: row["seconds"] for row in rows}
            for seed in [seed for seed in range(args.seeds) if seed not in seconds]:
                teacher_key = (teacher_setting.model, json.dumps(teacher_setting.params, sort_keys=True),
                               teacher_train.model_dump_json(), seed)
                seen_teacher = observed(*teacher_key, cfg.inductive_fraction) if cfg.mode == "inductive" else None
                teacher = seen_teacher or trained(*teacher_key)
                mlp = trained("mlp", json.dumps({"hidden": cfg.hidden, "dropout": cfg.dropout}, sort_keys=True),
                              TrainConfig(**cfg.train).model_dump_json(), seed)
                with measure(device) as run:
                    student = distill(setting.method, setting.params | {"seed": seed}, data, teacher, device=device,
                                      observed_teacher=seen_teacher)
                metrics = student.metrics | {"mlp_test_acc": mlp.metrics["test_acc"]}
                seconds[seed] = run.seconds
                rows += [{"dataset": name, "setting": key, "method": setting.method, "metric": metric,
                          "value": metrics[metric], "seed": seed, "seconds": run.seconds, "device": str(device),
                          "code_version": code_version()} for metric in SHOWN if metric in metrics]
                results.replace_results(ASSET, f"{name}|{key}", rows)
            scores = defaultdict(list)
            for row in rows:
                scores[row["metric"]].append(row["value"])
            cells = [mean_pm(scores[m]) if scores[m] else "–" for m in SHOWN]
            print(f"| {name} | {key} | {cfg.mode} | {' | '.join(cells)} | "
                  f"{sum(seconds.values()) / len(seconds):.1f} |", flush=True)
    print_chosen_on_validation(results, args.datasets)


def print_chosen_on_validation(results, datasets: list[str]) -> None:
    """Per dataset and student method with several settings stored (this run's or earlier
    ones), the setting chosen per seed on validation accuracy and its test accuracy."""
    chosen = results.students_chosen_on_validation(ASSET).filter(pl.col("dataset").is_in(datasets))
    if chosen.height:
        print("\n" + students_chosen_markdown(chosen.iter_rows(named=True)), flush=True)


if __name__ == "__main__":
    main()
