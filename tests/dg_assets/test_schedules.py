"""The nightly schedules request exactly the missing or stale partitions."""
from datetime import datetime

from dagster import build_schedule_context, materialize

from dg_assets import all_asset_checks, all_assets
from dg_assets.datasets import dataset
from dg_assets.schedules import nightly_datasets, nightly_teachers
from dg_assets.teachers import teacher
from resources import local_resources
from resources.settings import load_settings

GRAPH = [*all_assets, *all_asset_checks]


def _requested(schedule, instance) -> list[str]:
    from definitions import defs

    context = build_schedule_context(instance=instance, scheduled_execution_time=datetime(2026, 1, 1, 2),
                                     repository_def=defs.get_repository_def())
    return [r.partition_key for r in schedule.evaluate_tick(context).run_requests]


def test_dataset_schedule_requests_only_missing_partitions(tmp_path, instance):
    resources = local_resources(str(tmp_path / "home"), device="cpu")
    materialize(GRAPH, selection=[dataset], partition_key="sbm-small", resources=resources, instance=instance)
    assert _requested(nightly_datasets, instance) == [k for k in load_settings().datasets if k != "sbm-small"]


def test_teacher_becomes_stale_when_its_dataset_is_rematerialized(tmp_path, instance):
    resources = local_resources(str(tmp_path / "home"), device="cpu")
    key = "sbm-small|mlp"
    materialize(GRAPH, selection=[dataset], partition_key="sbm-small", resources=resources, instance=instance)
    materialize(GRAPH, selection=[teacher], partition_key=key, resources=resources, instance=instance)
    everything = teacher.partitions_def.get_partition_keys()
    assert set(_requested(nightly_teachers, instance)) == set(everything) - {"sbm-small|mlp"}

    materialize(GRAPH, selection=[dataset], partition_key="sbm-small", resources=resources, instance=instance)
    assert set(_requested(nightly_teachers, instance)) == set(everything)
