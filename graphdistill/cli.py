"""``graphdistill``: the project's command line, a thin layer over the Dagster definitions.

``graphdistill list`` shows what can be materialized (datasets and every configured setting
per family); ``graphdistill materialize ASSET --partition KEY`` runs one partition through
Dagster with the asset's own job, so lineage, checks and warehouse rows are those of a run
launched from the UI. Unknown assets, datasets and settings are refused before Dagster
starts, naming the closest valid choices.
"""
from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Sequence

from resources.settings import Settings, load_settings

# The settings family behind each partitioned asset's second dimension, and the job that
# materializes it (None: the asset's only dimension is a dataset).
FAMILIES = {
    "dataset": ("datasets", None, "datasets_job"),
    "teacher": ("datasets", "teachers", "teachers_job"),
    "teacher_report": ("datasets", "teachers", "teachers_job"),
    "student": ("datasets", "students", "students_job"),
    "student_report": ("datasets", "students", "students_job"),
    "condensed_graph": ("datasets", "condensation", "condensation_job"),
    "condensation_report": ("datasets", "condensation", "condensation_job"),
    "graph_dataset": ("graph_datasets", None, None),
    "distilled_graphs": ("graph_datasets", "graph_distillation", "graph_distillation_job"),
    "graph_distillation_report": ("graph_datasets", "graph_distillation", "graph_distillation_job"),
}


class UsageError(ValueError):
    """A command-line value that names nothing configured; the message lists what does."""


def _choose(value: str, choices: Sequence[str], what: str) -> str:
    if value in choices:
        return value
    close = difflib.get_close_matches(value, choices, n=3, cutoff=0.5)
    hint = f"did you mean {', '.join(map(repr, close))}? " if close else ""
    raise UsageError(f"unknown {what} {value!r}; {hint}choose one of: {', '.join(choices)}")


def check_partition(settings: Settings, asset: str, partition: str | None) -> str | None:
    """``partition`` if it is a key of ``asset`` (``<dataset>|<setting>`` for two dimensions);
    otherwise a ``UsageError`` naming the bad part and the closest valid names."""
    if asset == "leaderboard":
        if partition:
            raise UsageError("leaderboard has no partitions; drop --partition")
        return None
    first, second, _ = FAMILIES[_choose(asset, [*FAMILIES, "leaderboard"], "asset")]
    if not partition:
        raise UsageError(f"{asset} is partitioned; pass --partition "
                         f"{'<dataset>|<setting>' if second else '<dataset>'}")
    parts = partition.split("|")
    if len(parts) != (2 if second else 1):
        raise UsageError(f"partition {partition!r} of {asset} must look like "
                         f"{'<dataset>|<setting>' if second else '<dataset>'}")
    _choose(parts[0], list(getattr(settings, first)), first.replace("_", " ").rstrip("s"))
    if second:
        _choose(parts[1], list(getattr(settings, second)), f"{second.replace('_', ' ').rstrip('s')} setting")
    return partition


def list_settings(settings: Settings) -> str:
    """Every partition name a user can pass, family by family."""
    sections = [("datasets", settings.datasets), ("teacher settings", settings.teachers),
                ("student settings", settings.students), ("condensation settings", settings.condensation),
                ("graph datasets", settings.graph_datasets),
                ("graph distillation settings", settings.graph_distillation)]
    lines = []
    for title, table in sections:
        lines.append(f"{title} ({len(table)}):")
        for key, entry in table.items():
            described = entry.model_dump(exclude_defaults=True) if hasattr(entry, "model_dump") else entry
            lines.append(f"  {key:<40} {described}")
    lines.append("partition keys: <dataset>|<setting>, e.g. cora|clustgdd-r0.5")
    return "\n".join(lines)


def materialize(asset: str, partition: str | None) -> bool:
    """Run ``asset`` (``partition``) in this process with its job, recorded in the instance
    at ``$DAGSTER_HOME``; returns whether the run succeeded."""
    from dagster import AssetKey, DagsterInstance, MultiPartitionKey

    from definitions import defs

    _, second, job_name = FAMILIES.get(asset, (None, None, None))
    job = defs.resolve_job_def(job_name) if job_name else defs.resolve_implicit_global_asset_job_def()
    key = partition
    if partition and second:
        dataset, setting = partition.split("|")
        key = MultiPartitionKey({"dataset": dataset, "setting": setting})
    with DagsterInstance.get() as instance:
        result = job.execute_in_process(instance=instance, partition_key=key, asset_selection=[AssetKey(asset)],
                                        raise_on_error=False)
    return result.success


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="graphdistill", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    verbs = parser.add_subparsers(dest="verb", required=True)
    verbs.add_parser("list", help="datasets and configured settings (the partition names)")
    run = verbs.add_parser("materialize", help="materialize one partition of an asset through Dagster")
    run.add_argument("asset", help=f"one of: {', '.join([*FAMILIES, 'leaderboard'])}")
    run.add_argument("--partition", help="<dataset>|<setting> (or <dataset>)")
    args = parser.parse_args(argv)

    settings = load_settings()
    if args.verb == "list":
        print(list_settings(settings))
        return 0
    try:
        partition = check_partition(settings, args.asset, args.partition)
    except UsageError as err:
        print(f"graphdistill: {err}", file=sys.stderr)
        return 2
    return 0 if materialize(args.asset, partition) else 1


if __name__ == "__main__":
    sys.exit(main())
