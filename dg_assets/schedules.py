"""Nightly schedules that fill the benchmark grid: every missing or stale partition.

A partition is *stale* when its latest materialization ran an older code version of the
asset, or an upstream partition it reads was materialized after it. Adding a setting to
``settings.yaml`` adds partitions, which the next tick finds missing.
"""
from collections.abc import Sequence

from dagster import (
    AssetRecordsFilter,
    AssetsDefinition,
    DagsterInstance,
    DefaultScheduleStatus,
    RunRequest,
    ScheduleEvaluationContext,
    SkipReason,
    schedule,
)

from dg_assets.condensation import condensed_graph
from dg_assets.datasets import dataset
from dg_assets.graph_distillation import distilled_graphs, graph_dataset
from dg_assets.jobs import condensation_job, datasets_job, graph_distillation_job, students_job, teachers_job
from dg_assets.students import student
from dg_assets.teachers import teacher

NIGHTLY = "0 2 * * *"
CODE_VERSION_TAG = "dagster/code_version"


def _latest(instance: DagsterInstance, assets_def: AssetsDefinition) -> dict[str, tuple[float, str | None]]:
    """Partition key -> (timestamp, code version) of its latest materialization."""
    latest: dict[str, tuple[float, str | None]] = {}
    cursor = None
    while True:
        page = instance.fetch_materializations(AssetRecordsFilter(asset_key=assets_def.key), limit=1000,
                                               cursor=cursor)
        for record in page.records:  # newest first
            if record.partition_key is not None and record.partition_key not in latest:
                tags = record.asset_materialization.tags or {}
                latest[record.partition_key] = (record.timestamp, tags.get(CODE_VERSION_TAG))
        if not page.has_more:
            return latest
        cursor = page.cursor


def missing_or_stale(instance: DagsterInstance, assets_def: AssetsDefinition,
                     parents: Sequence[AssetsDefinition] = ()) -> list[str]:
    """Partition keys of ``assets_def`` that are unmaterialized or stale, in partition order."""
    mine = _latest(instance, assets_def)
    version = assets_def.code_versions_by_key[assets_def.key]
    parent_times = {parent.key: _latest(instance, parent) for parent in parents}
    requested = []
    for key in assets_def.partitions_def.get_partition_keys():
        if key not in mine or mine[key][1] != version:
            requested.append(key)
            continue
        for parent in parents:
            mapping = assets_def.get_partition_mapping(parent.key)
            upstream = mapping.get_upstream_mapped_partitions_result_for_partitions(
                assets_def.partitions_def.empty_subset().with_partition_keys([key]),
                assets_def.partitions_def, parent.partitions_def,
            ).partitions_subset.get_partition_keys()
            if any(parent_times[parent.key].get(up, (0.0, None))[0] > mine[key][0] for up in upstream):
                requested.append(key)
                break
    return requested


def grid_schedule(job, assets_def: AssetsDefinition, parents: Sequence[AssetsDefinition] = ()):
    @schedule(name=f"nightly_{job.name}", cron_schedule=NIGHTLY, job=job, execution_timezone="UTC",
              default_status=DefaultScheduleStatus.STOPPED,
              description=f"Every night: each missing or stale partition of {assets_def.key.to_user_string()}.")
    def _nightly(context: ScheduleEvaluationContext):
        keys = missing_or_stale(context.instance, assets_def, parents)
        if not keys:
            return SkipReason(f"every {assets_def.key.to_user_string()} partition is up to date")
        tick = context.scheduled_execution_time.isoformat()  # one run per partition per night
        return [RunRequest(run_key=f"{key}@{tick}", partition_key=key) for key in keys]

    return _nightly


nightly_datasets = grid_schedule(datasets_job, dataset)
nightly_teachers = grid_schedule(teachers_job, teacher, parents=[dataset])
nightly_students = grid_schedule(students_job, student, parents=[dataset, teacher])
nightly_condensation = grid_schedule(condensation_job, condensed_graph, parents=[dataset])
nightly_graph_distillation = grid_schedule(graph_distillation_job, distilled_graphs, parents=[graph_dataset])
all_schedules = [nightly_datasets, nightly_teachers, nightly_students, nightly_condensation,
                 nightly_graph_distillation]
