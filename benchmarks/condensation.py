"""Condensation benchmark: each condensation setting on each dataset under the standard protocol.

    .venv/bin/python -m benchmarks.condensation [--datasets cora citeseer] [--settings clustgdd-r0.5 ...]
                                                [--seeds 5] [--epochs 600] [--patience N] [--archs gcn sgc ...]
                                                [--condense-only] [--device auto]

Protocol (GCond's): train the architecture on the condensed graph only, select the epoch on
the real graph's validation nodes, report real test accuracy, mean ± std over seeds. Beside
accuracy: condensation and evaluation seconds, peak memory (the CUDA allocator's peak on a
GPU; on CPU the process's peak resident set, an upper bound for the setting) and the
condensed graph's size against the original. ``--condense-only`` skips the training, for
timing condensation on the large synthetic graph. Rows go to `results` with
``asset = 'benchmark_condensation'``.
"""
from __future__ import annotations

import argparse

from benchmarks.common import mean_pm, pick_device, warehouse
from kernels.condense import condense
from kernels.data import load_dataset
from kernels.evaluate import TrainConfig
from kernels.evaluate.condensed import evaluate_condensed
from kernels.evaluate.measure import measure
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
    parser.add_argument("--patience", type=int, default=None,
                        help="stop a training after this many epochs without a better validation score "
                             "(default: never, the protocol's full run)")
    parser.add_argument("--archs", nargs="+", default=["gcn"])
    parser.add_argument("--condense-only", action="store_true", help="time condensation, train nothing")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    args = parser.parse_args()
    device, results = pick_device(args.device), warehouse()
    cfg = TrainConfig(epochs=args.epochs, patience=args.patience or args.epochs, lr=0.01, weight_decay=5e-4)

    archs = [] if args.condense_only else args.archs
    print(f"| dataset | setting | nodes | edges | % bytes | condense s | peak MiB | "
          f"{''.join(f'{arch} acc | {arch} eval s | ' for arch in archs)} ({device}, {args.seeds} seeds, "
          f"{args.epochs} epochs, patience {cfg.patience})")
    print("|---|---|---|---|---|---|---|" + "---|---|" * len(archs))
    for name in args.datasets:
        data = load_dataset(name, settings.dataset(name), data_root(), graphdistill_home() / "pyg")
        for key in args.settings:
            setting = settings.condensation_setting(key)
            with measure(device) as condensing:
                graph = condense(setting.method, setting.params, data, device=device)
            common = {"dataset": name, "setting": key, "method": setting.method, "device": str(device),
                      "code_version": code_version()}
            rows = [{**common, "metric": metric, "value": value} for metric, value in (
                ("condense_seconds", condensing.seconds), ("condense_peak_memory_mb", condensing.peak_memory_mb),
                ("ratio_bytes", graph.stats["ratio_bytes"]), ("nodes", graph.num_nodes),
                ("edges", graph.num_edges))]
            cells = []
            for arch in archs:
                out = evaluate_condensed(graph, data, arch=arch, cfg=cfg, seeds=range(args.seeds), device=device)
                cells += [mean_pm(out["test_acc"]), f"{out['seconds'] / args.seeds:.1f}"]
                rows += [{**common, "metric": f"test_acc@{arch}", "value": acc, "seed": seed}
                         for seed, acc in zip(out["seeds"], out["test_acc"])]
                rows.append({**common, "metric": f"eval_seconds_per_seed@{arch}", "value": out["seconds"] / args.seeds})
            results.replace_results("benchmark_condensation", f"{name}|{key}", rows)
            size = f"{graph.num_nodes} | {graph.num_edges} | {100 * graph.stats['ratio_bytes']:.2f}"
            print(f"| {name} | {key} | {size} | "
                  f"{condensing.seconds:.1f} | {condensing.peak_memory_mb:.0f} | {' | '.join(cells)}"
                  f"{' |' if cells else ''}", flush=True)

if __name__ == "__main__":
    main()
