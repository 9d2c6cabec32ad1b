"""Condensation benchmark: each condensation setting on each dataset under the standard protocol.

    .venv/bin/python -m benchmarks.condensation [--datasets cora citeseer] [--settings clustgdd-r0.5 ...]
                                                [--seeds 5] [--epochs 600] [--archs gcn] [--device auto]

Protocol (GCond's): train the architecture on the condensed graph only, select the epoch on
the real graph's validation nodes, report real test accuracy, mean ± std over seeds. Rows
go to `results` with ``asset = 'benchmark_condensation'``.
"""
from __future__ import annotations

import argparse

from benchmarks.common import mean_pm, pick_device, warehouse
from kernels.condense import condense
from kernels.data import load_dataset
from kernels.evaluate import TrainConfig
from kernels.evaluate.condensed import evaluate_condensed
from resources import graphdistill_home
from resources.home import data_root
from resources.provenance import code_version
from resources.settings import load_settings


def main() -> None:
    settings = load_settings()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=["cora", "citeseer"])
    parser.add_argument("--settings", nargs="+", default=list(settings.condensation))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=600)
    parser.add_argument("--archs", nargs="+", default=["gcn"])
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    args = parser.parse_args()
    device, results = pick_device(args.device), warehouse()
    cfg = TrainConfig(epochs=args.epochs, patience=args.epochs, lr=0.01, weight_decay=5e-4)

    print(f"| dataset | setting | nodes | edges | condense s | {' | '.join(args.archs)} |  "
          f"({device}, {args.seeds} seeds, {args.epochs} epochs)")
    print("|---|---|---|---|---|" + "---|" * len(args.archs))
    for name in args.datasets:
        data = load_dataset(name, settings.dataset(name), data_root(), graphdistill_home() / "pyg")
        for key in args.settings:
            setting = settings.condensation_setting(key)
            graph = condense(setting.method, setting.params, data, device=device)
            rows, cells = [], []
            for arch in args.archs:
                out = evaluate_condensed(graph, data, arch=arch, cfg=cfg, seeds=range(args.seeds), device=device)
                cells.append(mean_pm(out["test_acc"]))
                rows += [{"dataset": name, "setting": key, "method": setting.method, "metric": f"test_acc@{arch}",
                          "value": acc, "seed": seed, "seconds": graph.stats["seconds"], "device": str(device),
                          "code_version": code_version()} for seed, acc in zip(out["seeds"], out["test_acc"])]
            results.replace_results("benchmark_condensation", f"{name}|{key}", rows)
            print(f"| {name} | {key} | {graph.num_nodes} | {graph.num_edges} | {graph.stats['seconds']:.1f} | "
                  f"{' | '.join(cells)} |", flush=True)


if __name__ == "__main__":
    main()
