"""Condensation benchmark: a backfill of ``condensed_graph`` + ``condensation_report`` partitions.

    .venv/bin/python -m benchmarks.condensation [--datasets cora citeseer] [--settings clustgdd-r0.5 ...]
                                                [--seeds 5] [--epochs 600] [--patience N] [--archs gcn sgc ...]
                                                [--condense-only] [--resume] [--device auto]

Every number goes through the asset graph, the same path as the UI and ``graphdistill``:
each dataset x setting partition is materialized (with its checks and lineage) and its
``condensation_report`` runs the standard protocol (GCond's: train the architecture on the
condensed graph only, select the epoch on the real validation nodes, report real test
accuracy) with ``--seeds``/``--archs``/``--epochs``/``--patience`` as the report's run config.
The table is read back from the warehouse's ``condensation_report`` rows, the rows the
leaderboard shows. ``--resume`` skips a partition whose rows already hold this protocol
(same epochs and patience, every architecture, the seeds asked for). ``--condense-only``
materializes the condensed graphs alone and prints their seconds and memory, for timing
condensation on the large synthetic graph.
"""
from __future__ import annotations

import argparse

from benchmarks.common import applicable, backfill, mean_pm, warehouse
from graphdistill.runs import Runner, Step
from resources.settings import load_settings


def has_protocol(rows: dict[str, list[float]], archs: list[str], seeds: int, epochs: int, patience: int) -> bool:
    """Whether stored rows were measured with this protocol (``--resume`` keeps them)."""
    metrics = ["test_acc"] + [f"test_acc@{arch}" for arch in archs[1:]]
    return (rows.get("eval_epochs") == [epochs] and rows.get("eval_patience") == [patience]
            and all(len(rows.get(metric, [])) == seeds for metric in metrics))


def condensed_metadata(runner: Runner, partition: str) -> dict[str, float]:
    from dagster import AssetKey

    event = runner.instance.get_latest_materialization_event(AssetKey("condensed_graph"))
    assert event.asset_materialization.partition == partition
    return {k: v.value for k, v in event.asset_materialization.metadata.items()}


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
    parser.add_argument("--resume", action="store_true", help="keep partitions already measured with this protocol")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    args = parser.parse_args()
    runner, results = Runner(device=args.device), warehouse()
    patience = args.patience or args.epochs
    report = {"ops": {"condensation_report": {"config": {
        "archs": args.archs, "seeds": args.seeds, "epochs": args.epochs, "patience": patience}}}}

    archs = [] if args.condense_only else args.archs
    print(f"| dataset | setting | nodes | edges | % bytes | condense s | peak MiB | "
          f"{''.join(f'{arch} acc | {arch} eval s/seed | ' for arch in archs)} ({args.device}, {args.seeds} seeds, "
          f"{args.epochs} epochs, patience {patience})")
    print("|---|---|---|---|---|---|---|" + "---|---|" * len(archs))
    for name in args.datasets:
        runner.ensure("dataset", name)
        for key in applicable(settings, "condensation", name, args.settings):
            partition = f"{name}|{key}"
            if args.condense_only:
                runner.run(Step(["condensed_graph"], partition))
                meta = condensed_metadata(runner, partition)
                print(f"| {name} | {key} | {meta['nodes']} | {meta['edges']} | {100 * meta['ratio_bytes']:.2f} | "
                      f"{meta['wall_time_s']:.1f} | {meta['peak_memory_mb']:.0f} |", flush=True)
                continue
            rows = backfill(runner, results, ["condensed_graph", "condensation_report"], partition, report,
                            lambda rows: args.resume and has_protocol(rows, args.archs, args.seeds, args.epochs,
                                                                      patience))
            cells = []
            for position, arch in enumerate(args.archs):
                accuracies = rows[f"test_acc@{arch}" if position else "test_acc"]
                cells += [mean_pm(accuracies), f"{rows[f'eval_seconds@{arch}'][0] / args.seeds:.1f}"]
            print(f"| {name} | {key} | {rows['condensed_nodes'][0]:.0f} | {rows['condensed_edges'][0]:.0f} | "
                  f"{100 * rows['ratio_bytes'][0]:.2f} | {rows['condense_seconds'][0]:.1f} | "
                  f"{rows['condense_peak_memory_mb'][0]:.0f} | {' | '.join(cells)} |", flush=True)


if __name__ == "__main__":
    main()
