"""Accuracy against homophily: where graph methods stop paying off.

    .venv/bin/python -m benchmarks.homophily [--datasets sbm-h0.1 ... sbm-h0.9] [--seeds 3]
                                             [--epochs 600] [--resume] [--device auto]

ClustGDD and the GLNN family assume homophily: neighbours share labels. On synthetic graphs
that differ only in homophily (``sbm-h<h>``: an edge stays in its class with probability h,
otherwise it goes to another class), a backfill through the asset graph measures the MLP,
GCN and SAGE teachers (``teacher_report``), the GLNN student of the SAGE teacher
(``student_report``) and GCN trained on the ClustGDD graph at r = 0.5
(``condensation_report``), each over ``--seeds`` seeds. It prints test accuracy against the
graph's measured edge homophily and writes the plot to ``<home>/reports/accuracy_vs_homophily.png``.
``--resume`` keeps report partitions that already hold the seeds asked for.
"""
from __future__ import annotations

import argparse

from benchmarks.common import backfill, mean_pm, pick_device, warehouse
from graphdistill.runs import Runner

DATASETS = ["sbm-h0.1", "sbm-h0.3", "sbm-h0.5", "sbm-h0.7", "sbm-h0.9"]
# Row label -> (assets to materialize, partition setting).
METHODS = {
    "MLP": (["teacher", "teacher_report"], "mlp"),
    "GCN": (["teacher", "teacher_report"], "gcn"),
    "SAGE": (["teacher", "teacher_report"], "sage"),
    "GLNN (SAGE -> MLP)": (["student", "student_report"], "glnn-sage"),
    "GCN on ClustGDD r=0.5": (["condensed_graph", "condensation_report"], "clustgdd-r0.5"),
}


def edge_homophily(runner: Runner, dataset: str) -> float:
    """The ``homophily`` the dataset asset measured when it was materialized."""
    from dagster import AssetKey, AssetRecordsFilter

    [record] = runner.instance.fetch_materializations(
        AssetRecordsFilter(asset_key=AssetKey("dataset"), asset_partitions=[dataset]), limit=1).records
    return float(record.asset_materialization.metadata["homophily"].value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=DATASETS)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=600, help="epochs of each condensed-graph GCN training")
    parser.add_argument("--resume", action="store_true", help="keep partitions whose report holds these seeds")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    args = parser.parse_args()
    runner, results = Runner(device=args.device), warehouse()
    seeds = {"seeds": args.seeds}
    configs = {"teacher_report": seeds, "student_report": seeds,
               "condensation_report": {"archs": ["gcn"], "epochs": args.epochs, "patience": args.epochs} | seeds}

    print(f"| dataset | edge homophily | {' | '.join(METHODS)} |  ({pick_device(args.device)}, {args.seeds} seeds, "
          f"test accuracy %)")
    print("|---|---|" + "---|" * len(METHODS))
    curves: dict[str, list[tuple[float, float]]] = {label: [] for label in METHODS}
    for name in args.datasets:
        runner.ensure("dataset", name)
        homophily = edge_homophily(runner, name)
        cells = []
        for label, (assets, setting) in METHODS.items():
            if assets[0] == "student":
                runner.ensure("teacher", f"{name}|sage")
            report = assets[-1]
            rows = backfill(runner, results, assets, f"{name}|{setting}",
                            {"ops": {report: {"config": configs[report]}}},
                            lambda rows: args.resume and len(rows.get("test_acc", [])) == args.seeds)
            cells.append(mean_pm(rows["test_acc"]))
            curves[label].append((homophily, 100 * sum(rows["test_acc"]) / len(rows["test_acc"])))
        print(f"| {name} | {homophily:.3f} | {' | '.join(cells)} |", flush=True)
    write_plot(curves)


def write_plot(curves: dict[str, list[tuple[float, float]]]) -> None:
    from kernels.evaluate.plots import curves_png
    from resources import local_resources

    png = curves_png(curves, "edge homophily", "test accuracy (%)", "accuracy against homophily (synthetic SBM)")
    written = local_resources()["reports"].write_png("accuracy_vs_homophily", png)
    print(f"\nplot: {written['accuracy_vs_homophily_png'].value}")


if __name__ == "__main__":
    main()
