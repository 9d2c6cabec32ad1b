"""Chain benchmark: condensed graph -> teacher -> MLP student against the full-graph chain.

    .venv/bin/python -m benchmarks.chains [--datasets cora citeseer amazon-computers]
                                          [--chains glnn-gcn-on-clustgdd-r0.5 ...] [--seeds 5] [--resume]
                                          [--device auto]

A chain is a student setting whose teacher setting names a condensed graph
(``condensed: clustgdd-r0.5``); its counterpart is the student of the same method and params
whose teacher of the same model trained on the real graph (``Settings.chain_counterparts``).
Every number goes through the asset graph: the condensed graph, both teachers with their
``teacher_report`` and both students with their ``student_report`` over ``--seeds`` seeds are
materialized as partitions, and the table is the leaderboard's chain table (``chain_costs``),
read back from the warehouse: student test accuracy, total seconds of one seed (condensing +
teacher + student), the student's full-graph inference time, and the bytes of the graph each
teacher trained on. Selection is on validation accuracy only.
"""
from __future__ import annotations

import argparse

from benchmarks.common import applicable, backfill, pick_device, warehouse
from dg_assets.evaluation import chain_costs
from graphdistill.runs import Runner
from resources.settings import load_settings
from resources.tables import format_mean_std


def main() -> None:
    settings = load_settings()
    pairs = settings.chain_counterparts()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=["cora", "citeseer", "amazon-computers"])
    parser.add_argument("--chains", nargs="+", default=list(pairs), choices=list(pairs))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--resume", action="store_true", help="keep partitions whose report holds these seeds")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    args = parser.parse_args()
    runner, results = Runner(device=args.device), warehouse()
    seeds = {report: {"ops": {report: {"config": {"seeds": args.seeds}}}} for report in ("teacher_report", "student_report")}
    has_seeds = lambda rows: args.resume and len(rows.get("test_acc", [])) == args.seeds  # noqa: E731

    for name in args.datasets:
        runner.ensure("dataset", name)
        for chain in applicable(settings, "students", name, args.chains):
            for student in (chain, pairs[chain]):
                teacher = settings.students[student].teacher
                if settings.teachers[teacher].condensed:
                    runner.ensure("condensed_graph", f"{name}|{settings.teachers[teacher].condensed}")
                backfill(runner, results, ["teacher", "teacher_report"], f"{name}|{teacher}", seeds["teacher_report"],
                         has_seeds)
                backfill(runner, results, ["student", "student_report"], f"{name}|{student}", seeds["student_report"],
                         has_seeds)

    print(f"| dataset | chain | test acc (%) | total s | full-graph student | test acc (%) | total s | "
          f"time ratio | teacher graph bytes ratio |  ({pick_device(args.device)}, {args.seeds} seeds)")
    print("|---|---|---|---|---|---|---|---|---|")
    for row in chain_costs(results, settings):
        if row["dataset"] not in args.datasets or row["chain"]["setting"] not in args.chains:
            continue
        chain, full = row["chain"], row["full"]
        accs = [format_mean_std(p["acc"]["mean"], p["acc"]["std"], p["acc"]["runs"]) for p in (chain, full)]
        print(f"| {row['dataset']} | {chain['setting']} | {accs[0]} | {chain['seconds']:.1f} | {full['setting']} | "
              f"{accs[1]} | {full['seconds']:.1f} | {chain['seconds'] / full['seconds']:.2f} | "
              f"{chain['bytes'] / full['bytes']:.4f} |", flush=True)


if __name__ == "__main__":
    main()
