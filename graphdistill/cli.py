"""``graphdistill``: one command per experiment, run through the Dagster asset graph.

    graphdistill list                                    datasets, methods (parameters, defaults, ranges), settings
    graphdistill train cora gat [--hidden 16 --lr 0.005]  a teacher and its report
    graphdistill condense cora clustgdd --ratio 0.3 [--seeds 2 --archs gcn sgc]
                                                         a condensed graph and its report
    graphdistill distil cora glnn --teacher sage [--loss js --temperature 2]
                                                         a student (and its teacher, if missing) and its report
    graphdistill leaderboard [--graph]                   every node- (graph-) classification result
    graphdistill materialize ASSET --partition KEY       any one partition
    graphdistill demo                                    Cora end to end, in a few minutes
    graphdistill dev [--port 3000]                       the web UI and daemon; Ctrl-C stops both

A setting that ``settings.yaml`` does not hold is added to ``$GRAPHDISTILL_HOME/settings.local.yaml``
under a readable name and materialized like a configured one (lineage, checks, warehouse rows,
the UI). Upstream partitions already materialized are reused. ``-v`` shows Dagster's DEBUG lines.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from graphdistill.experiments import (
    UsageError,
    choose,
    condense_experiment,
    describe_config,
    distil_experiment,
    parse_params,
    train_experiment,
)
from graphdistill.runs import ASSETS, Runner, RunFailed, Step
from resources.settings import Settings, SettingError, load_settings, user_settings_path
from resources.terminal import hide_library_notices


def check_partition(settings: Settings, asset: str, partition: str | None) -> str | None:
    """``partition`` if it is a key of ``asset`` (``<dataset>|<setting>`` for a setting family);
    otherwise a ``UsageError`` naming the bad part and the closest valid names."""
    sections = ASSETS[choose(asset, list(ASSETS), "asset")].sections
    if not sections:
        if partition:
            raise UsageError(f"{asset} has no partitions; drop --partition")
        return None
    shape = "|".join(["<dataset>", "<setting>"][:len(sections)])
    parts = partition.split("|") if partition else []
    if len(parts) != len(sections):
        raise UsageError(f"{asset} needs --partition {shape}, got {partition!r}")
    for part, section, what in zip(parts, sections, (None, "setting")):
        name = section.replace("_", " ").rstrip("s")
        choose(part, list(getattr(settings, section)), f"{name} {what}" if what else name)
    if len(parts) == 2 and not settings.applies(sections[1], *parts):
        keys = [k for k in settings.partition_keys(sections[1]) if k.endswith(f"|{parts[1]}")]
        raise UsageError(f"{sections[1]} setting {parts[1]!r} does not apply to dataset {parts[0]!r}; "
                         f"its partitions: {keys}")
    return partition


def list_everything(settings: Settings) -> str:
    """Datasets, every method with its parameters (defaults and ranges), and configured settings."""
    from kernels.condense import CONDENSERS
    from kernels.evaluate import TrainConfig
    from kernels.losses import KD_LOSSES
    from kernels.models import MODELS
    from kernels.students import STUDENTS

    lines = [f"datasets: {', '.join(settings.datasets)}", f"graph datasets: {', '.join(settings.graph_datasets)}", ""]
    for title, registry in (("models (graphdistill train)", MODELS), ("condensers (graphdistill condense)", CONDENSERS),
                            ("student methods (graphdistill distil)", STUDENTS)):
        lines.append(f"{title}:")
        lines += [f"  {name}: {' '.join(describe_config(registry.get(name).config_cls))}" for name in registry.names()]
    lines.append(f"training (train, and distil's train): {' '.join(describe_config(TrainConfig))}")
    lines.append(f"KD losses (distil --loss): {', '.join(KD_LOSSES.names())}")
    lines.append("")
    for title, table in (("teacher settings", settings.teachers), ("student settings", settings.students),
                         ("condensation settings", settings.condensation),
                         ("graph distillation settings", settings.graph_distillation)):
        lines.append(f"{title}: {', '.join(table)}")
    lines.append("partition keys: <dataset>|<setting>, e.g. cora|clustgdd-r0.5")
    return "\n".join(lines)


def _result_table(asset: str, partition: str) -> str:
    """The warehouse rows of one report partition: mean ± sample std over seeds."""
    from resources import local_resources
    from resources.tables import markdown_table

    rows = local_resources()["warehouse"].query(
        "SELECT metric, avg(value) AS mean, stddev_samp(value) AS std, count(*) AS n FROM results "
        "WHERE asset = ? AND partition = ? GROUP BY metric ORDER BY metric", [asset, partition])
    body = []
    for r in rows.iter_rows(named=True):
        percent = "acc" in r["metric"] or r["metric"] == "ratio_bytes"
        scale = 100 if percent else 1
        value = f"{scale * r['mean']:.2f}" + (f" ± {scale * r['std']:.2f}" if r["n"] > 1 else "")
        body.append([r["metric"], value + (" %" if percent else ""), r["n"]])
    return markdown_table(["metric", "value", "seeds"], body)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="graphdistill", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-v", "--verbose", action="store_true", help="show Dagster's DEBUG lines")
    verbs = parser.add_subparsers(dest="verb", required=True)
    verbs.add_parser("list", help="datasets, methods with their parameters, configured settings")
    run = verbs.add_parser("materialize", help="materialize one partition of an asset")
    run.add_argument("asset")
    run.add_argument("--partition", help="<dataset>|<setting> (or <dataset>)")
    for verb, thing in (("train", "model"), ("condense", "method"), ("distil", "method")):
        sub = verbs.add_parser(verb, help=f"{verb} on a dataset; other '--name value' pairs are {thing} parameters "
                                          f"(see `graphdistill list`)")
        sub.add_argument("dataset")
        sub.add_argument(thing)
        sub.add_argument("--force", action="store_true", help="rematerialize upstream partitions too")
        if verb == "condense":
            sub.add_argument("--seeds", type=int, help="report seeds (default: the configured protocol's)")
            sub.add_argument("--archs", nargs="+", help="report architectures, the first is the headline")
            sub.add_argument("--epochs", type=int, help="report training epochs")
        if verb == "distil":
            sub.add_argument("--teacher", default="sage", help="teacher setting (default: sage)")
            sub.add_argument("--loss", help="KD loss (a kd_loss name)")
    board = verbs.add_parser("leaderboard", help="rebuild and print the leaderboard")
    board.add_argument("--graph", action="store_true", help="the graph-classification leaderboard (TU datasets)")
    dev = verbs.add_parser("dev", help="the web UI and daemon (dagster dev); Ctrl-C stops them within seconds")
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=3000)
    demo = verbs.add_parser("demo", help="Cora end to end: teachers, a condensed graph, a student, the table")
    demo.add_argument("--dataset", default="cora")
    demo.add_argument("--report-seeds", type=int, default=2, help="seeds of the condensed graph's GCN report")
    demo.add_argument("--report-epochs", type=int, default=600, help="epochs of each report training")
    return parser


def _experiment(args: argparse.Namespace, extra: Sequence[str], settings: Settings):
    params = parse_params(extra)
    if args.verb == "train":
        return train_experiment(settings, args.dataset, args.model, params), "teacher"
    if args.verb == "condense":
        return condense_experiment(settings, args.dataset, args.method, params), "condensation"
    if args.loss:
        params["kd_loss"] = args.loss
    return distil_experiment(settings, args.dataset, args.method, args.teacher, params), "student"


def _run_experiment(args: argparse.Namespace, extra: Sequence[str]) -> int:
    experiment, family = _experiment(args, extra, load_settings())
    origin = f"new, added to {user_settings_path()}" if experiment.added else "already configured"
    print(f"{family} setting {experiment.key!r} ({origin}): {experiment.entry}")
    runner = Runner(verbose=args.verbose, force=args.force)
    runner.ensure("dataset", experiment.dataset)
    report_config = None
    if family == "student":
        runner.ensure("teacher", f"{experiment.dataset}|{experiment.entry['teacher']}")
        assets = ["student", "student_report"]
    elif family == "teacher":
        assets = ["teacher", "teacher_report"]
    else:
        assets = ["condensed_graph", "condensation_report"]
        overrides = {k: getattr(args, k) for k in ("archs", "seeds", "epochs") if getattr(args, k) is not None}
        report_config = {"ops": {"condensation_report": {"config": overrides}}} if overrides else None
    runner.run(Step(assets, experiment.partition, report_config))
    print(f"\n{assets[1]} {experiment.partition}\n")
    print(_result_table(assets[1], experiment.partition))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    hide_library_notices()
    args, extra = _parser().parse_known_args(argv)
    if extra and args.verb not in ("train", "condense", "distil"):
        _parser().error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        if args.verb == "list":
            print(list_everything(load_settings()))
            return 0
        if args.verb in ("train", "condense", "distil"):
            return _run_experiment(args, extra)
        if args.verb == "dev":
            from graphdistill.dev import run_dev

            return run_dev(args.host, args.port)
        if args.verb == "demo":
            from graphdistill.demo import run_demo

            return run_demo(args.dataset, report_seeds=args.report_seeds, report_epochs=args.report_epochs,
                            verbose=args.verbose)
        if args.verb == "leaderboard":
            board = "graph_leaderboard" if args.graph else "leaderboard"
            Runner(verbose=args.verbose).run(Step([board], None))
            from dagster import AssetKey, DagsterInstance

            with DagsterInstance.get() as instance:
                event = instance.get_latest_materialization_event(AssetKey(board))
            print(event.asset_materialization.metadata["leaderboard"].value)
            return 0
        partition = check_partition(load_settings(), args.asset, args.partition)
        Runner(verbose=args.verbose).run(Step([args.asset], partition))
        return 0
    except (UsageError, SettingError) as err:
        print(f"graphdistill: {err}", file=sys.stderr)
        return 2
    except RunFailed as err:
        print(f"graphdistill: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
