"""Teacher accuracy on the real benchmark datasets: test accuracy mean ± std over seeds.

    .venv/bin/python -m benchmarks.teachers [--datasets cora citeseer ...] [--teachers gcn sage ...]
                                               [--seeds 5] [--device auto]

Each (dataset, teacher setting) is trained with seeds ``setting.seed + 0..seeds-1``; the
checkpoint is selected on validation accuracy only. Rows go to the warehouse `results`
table with ``asset = 'benchmark_teachers'`` (a partition's rows are replaced on re-run).
"""
from __future__ import annotations

import argparse
import statistics

from benchmarks.common import REAL_DATASETS, mean_pm, pick_device, warehouse
from kernels.data import load_dataset
from kernels.evaluate import measure, train_node_classifier
from resources import graphdistill_home
from resources.home import data_root
from resources.provenance import code_version
from resources.settings import load_settings


def main() -> None:
    settings = load_settings()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=REAL_DATASETS)
    parser.add_argument("--teachers", nargs="+", default=list(settings.teachers))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    args = parser.parse_args()
    device = pick_device(args.device)
    home = graphdistill_home()
    results = warehouse()

    print(f"| dataset | teacher | test acc (%) | val acc (%) | s / run |  ({device}, {args.seeds} seeds)")
    print("|---|---|---|---|---|")
    for name in args.datasets:
        data = load_dataset(name, settings.dataset(name), data_root(), home / "pyg")
        for key in args.teachers:
            setting = settings.teacher(key)
            _, train_cfg = setting.validated(key)
            rows, tests, vals, secs = [], [], [], []
            for offset in range(args.seeds):
                seed = setting.seed + offset
                with measure(device) as run:
                    trained = train_node_classifier(setting.model, setting.params, data, train_cfg,
                                                    seed=seed, device=device)
                tests.append(trained.metrics["test_acc"])
                vals.append(trained.metrics["val_acc"])
                secs.append(run.seconds)
                rows += [{"dataset": name, "setting": key, "method": setting.model, "metric": metric,
                          "value": trained.metrics[metric], "seed": seed, "seconds": run.seconds,
                          "device": str(device), "code_version": code_version()}
                         for metric in ("val_acc", "test_acc")]
            results.replace_results("benchmark_teachers", f"{name}|{key}", rows)
            print(f"| {name} | {key} | {mean_pm(tests)} | {mean_pm(vals)} | {statistics.mean(secs):.1f} |", flush=True)


if __name__ == "__main__":
    main()
