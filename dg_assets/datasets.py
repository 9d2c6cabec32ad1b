"""The ``dataset`` asset: one partition per configured dataset."""

from dagster import AssetExecutionContext, Output, asset

from dg_assets.checks import DATASET_CHECKS
from dg_assets.partitions import dataset_partitions
from dg_assets.versions import source_version
from resources.raw_data import RawDataSource
from resources.settings import SettingsStore


@asset(
    partitions_def=dataset_partitions,
    io_manager_key="graph_io_manager",
    kinds={"pytorch", "parquet"},
    group_name="datasets",
    owners=["team:graphdistill"],
    code_version=source_version("kernels/data"),
    check_specs=DATASET_CHECKS.specs,
)
def dataset(context: AssetExecutionContext, settings: SettingsStore, raw_data: RawDataSource):
    """Node-classification graph with features, labels and fixed splits, stored as Parquet."""
    from kernels.data import graph_summary

    name = context.partition_key
    params = settings.dataset(name)
    context.log.info(f"loading {name!r} ({params['format']}) from data root {raw_data.data_root}")
    data = raw_data.load(name, params)
    summary = graph_summary(data)
    split_seed = params.get("split", {}).get("seed", params.get("seed", "public"))
    yield Output(data, metadata=summary | {"split_seed": str(split_seed), "format": params["format"]})
    yield from DATASET_CHECKS.results(data)
