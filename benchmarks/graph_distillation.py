"""Graph-level distillation benchmark: Mirage and coresets vs full data on TU datasets.

    .venv/bin/python -m benchmarks.graph_distillation [--datasets MUTAG NCI1] [--settings mirage-l2 ...]
                                                      [--seeds 10] [--epochs 100] [--archs gin gcn gat]

Every split seed is reported (no top-k seed selection); the epoch is selected on validation
graphs only. Rows go to `results` with ``asset = 'benchmark_graph_distillation'``.
"""
from __future__ import annotations

import argparse

from benchmarks.common import mean_pm, warehouse
from kernels.graph_condense.per_split import distill_per_split
from kernels.graphs import GraphTrainConfig, load_tu_dataset, train_graph_classifier
from resources import graphdistill_home
from resources.home import data_root
from resources.provenance import code_version
from resources.settings import load_settings


def main() -> None:
    settings = load_settings()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=["MUTAG", "NCI1"])
    parser.add_argument("--settings", nargs="+", default=list(settings.graph_distillation))
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--archs", nargs="+", default=["gin", "gcn", "gat"])
    args = parser.parse_args()
    results = warehouse()

    print(f"| dataset | setting | graphs | bytes (% of train) | distill s | {' | '.join(args.archs)} |  "
          f"(cpu, {args.seeds} split seeds, {args.epochs} epochs)")
    print("|---|---|---|---|---|" + "---|" * len(args.archs))
    for name in args.datasets:
        graphs = load_tu_dataset(name, settings.graph_dataset(name), data_root(), graphdistill_home() / "pyg")
        classes = max(int(g.y) for g in graphs) + 1
        for key in args.settings:
            setting = settings.graph_distillation_setting(key)
            split_sets = distill_per_split(setting.method, setting.params, graphs, range(args.seeds))
            summary, rows, cells = split_sets.summary(), [], []
            for arch in args.archs:
                accs = []
                for seed, ((_, val, test), distilled) in enumerate(zip(split_sets.splits, split_sets.distilled)):
                    trained = train_graph_classifier(
                        arch, {}, distilled.graphs(), [graphs[i] for i in val.tolist()],
                        [graphs[i] for i in test.tolist()], GraphTrainConfig(epochs=args.epochs),
                        sample_weights=distilled.sample_weights, num_classes=classes, seed=seed)
                    accs.append(trained.metrics["test_acc"])
                    rows.append({"dataset": name, "setting": key, "method": setting.method,
                                 "metric": f"test_acc@{arch}", "value": accs[-1], "seed": seed,
                                 "seconds": summary["seconds"], "device": "cpu", "code_version": code_version()})
                cells.append(mean_pm(accs))
            results.replace_results("benchmark_graph_distillation", f"{name}|{key}", rows)
            print(f"| {name} | {key} | {summary['distilled_graphs']} | {100 * summary['bytes_fraction']:.2f} | "
                  f"{summary['seconds']:.2f} | {' | '.join(cells)} |", flush=True)


if __name__ == "__main__":
    main()
