"""Graph-level distillation: TU ``graph_dataset``, Mirage / coreset ``distilled_graphs`` and their report."""

import json
import statistics

from dagster import AssetExecutionContext, AssetIn, MaterializeResult, MetadataValue, asset

from dg_assets.gpu import GPU_OP_TAGS, GPU_POOL
from dg_assets.partitions import (
    distillation_reads_graph_dataset,
    graph_dataset_partitions,
    graph_dataset_x_distillation,
    split_key,
)
from dg_assets.versions import source_version
from resources.device import TorchDevice
from resources.provenance import code_version
from resources.raw_data import RawDataSource
from resources.reports import ReportStore
from resources.settings import SettingsStore
from resources.tables import format_mean_std, markdown_table
from resources.warehouse import DuckDBWarehouse


@asset(
    partitions_def=graph_dataset_partitions,
    kinds={"pytorch"},
    group_name="graph_distillation",
    owners=["team:graphdistill"],
    code_version=source_version("kernels/graphs/data.py", "kernels/graphs/dgcnn.py", "kernels/graphs/collection.py"),
)
def graph_dataset(context: AssetExecutionContext, settings: SettingsStore, raw_data: RawDataSource):
    """TU graph-classification dataset; node features are one-hot node labels (degree where none)."""
    from kernels.graphs.collection import GraphCollection

    name = context.partition_key
    graphs = raw_data.load_graphs(name, settings.settings().graph_dataset(name))
    collection = GraphCollection.from_graphs(name, graphs)
    context.add_output_metadata(collection.summary())
    return collection


@asset(
    partitions_def=graph_dataset_x_distillation,
    ins={"graph_dataset": AssetIn(partition_mapping=distillation_reads_graph_dataset)},
    kinds={"pytorch"},
    group_name="graph_distillation",
    owners=["team:graphdistill"],
    code_version=source_version("kernels/graph_condense"),
)
def distilled_graphs(context: AssetExecutionContext, graph_dataset, settings: SettingsStore):
    """Distilled training set per split seed (Mirage trees or a coreset); CPU work, no GNN training."""
    from kernels.graph_condense.per_split import distill_per_split

    _, key = split_key(context.partition_key)
    setting = settings.graph_distillation(key)
    seeds = range(settings.settings().graph_distillation_evaluation.seeds)
    distilled = distill_per_split(setting.method, setting.params, graph_dataset.graphs(), seeds,
                                  log=context.log.info)
    context.add_output_metadata(distilled.summary() | {"hyperparameters": json.dumps(setting.model_dump())})
    return distilled


ACCURACY_VS_BYTES_SQL = """
SELECT setting, avg(value) FILTER (metric = ?) AS acc, avg(value) FILTER (metric = 'distilled_bytes') AS bytes
FROM results WHERE asset = 'graph_distillation_report' AND dataset = ? GROUP BY setting
HAVING acc IS NOT NULL AND bytes IS NOT NULL ORDER BY setting
"""


def accuracy_vs_bytes(dataset: str, metric: str, warehouse: DuckDBWarehouse, reports: ReportStore) -> dict:
    """Every setting reported so far on ``dataset``: mean test accuracy against distilled bytes, as a PNG."""
    from kernels.evaluate.plots import scatter_png

    points = [(r["setting"], r["bytes"], 100 * r["acc"])
              for r in warehouse.query(ACCURACY_VS_BYTES_SQL, [metric, dataset]).iter_rows(named=True)]
    png = scatter_png(points, "distilled training set (bytes)", f"{metric} (%)",
                      f"{dataset}: accuracy vs bytes", log_x=True)
    return reports.write_png("accuracy_vs_bytes", png, folder=f"graph_distillation/{dataset}")


@asset(
    partitions_def=graph_dataset_x_distillation,
    ins={"graph_dataset": AssetIn(partition_mapping=distillation_reads_graph_dataset)},
    pool=GPU_POOL,
    op_tags=GPU_OP_TAGS,
    kinds={"pytorch", "duckdb"},
    group_name="graph_distillation",
    owners=["team:graphdistill"],
    code_version=source_version("kernels/graphs/train.py", "kernels/graphs/models.py",
                                "kernels/graph_condense/evaluate.py", "dg_assets/graph_distillation.py"),
)
def graph_distillation_report(context: AssetExecutionContext, distilled_graphs, graph_dataset,
                              device: TorchDevice, settings: SettingsStore, warehouse: DuckDBWarehouse,
                              reports: ReportStore) -> MaterializeResult:
    """GNNs trained on each seed's distilled set, scored on that seed's real test graphs; plot of accuracy vs bytes."""
    from kernels.graph_condense.evaluate import train_on_distilled
    from kernels.graphs import GraphTrainConfig

    dataset_name, setting_key = split_key(context.partition_key)
    protocol = settings.settings().graph_distillation_evaluation
    graphs = graph_dataset.graphs()
    classes = int(graph_dataset.y.max()) + 1
    summary = distilled_graphs.summary()
    common = {"dataset": dataset_name, "setting": setting_key, "method": distilled_graphs.method,
              "device": str(device.torch_device()), "code_version": code_version(), "run_id": context.run.run_id}
    rows = [common | {"metric": metric, "value": float(summary[field]), "seed": 0, "seconds": summary["seconds"]}
            for metric, field in (("bytes_fraction", "bytes_fraction"), ("distilled_bytes", "nbytes"),
                                  ("distill_seconds", "seconds"))]
    table = []
    with device.scope(0) as torch_device:
        for position, arch in enumerate(protocol.archs):
            train_cfg = GraphTrainConfig(epochs=protocol.epochs, lr=protocol.lr_for(arch))
            accs = []
            for seed, (split, distilled) in enumerate(zip(distilled_graphs.splits, distilled_graphs.distilled)):
                trained = train_on_distilled(arch, {"pooling": protocol.pooling}, distilled, graphs, split,
                                             train_cfg, num_classes=classes, seed=seed, device=torch_device)
                suffix = "" if position == 0 else f"@{arch}"
                for metric in ("val_acc", "test_acc", "test_auc"):
                    if metric in trained.metrics:
                        rows.append(common | {"metric": metric + suffix, "value": trained.metrics[metric],
                                              "seed": seed, "seconds": trained.seconds})
                accs.append(trained.metrics["test_acc"])
            std = statistics.stdev(accs) if len(accs) > 1 else None
            table.append([arch, format_mean_std(statistics.fmean(accs), std, len(accs)), len(accs)])
    written = warehouse.replace_results("graph_distillation_report", context.partition_key, rows)
    report = markdown_table(["architecture", "test acc (%)", "seeds"], table)
    plot = accuracy_vs_bytes(dataset_name, "test_acc", warehouse, reports)
    return MaterializeResult(metadata={"report": MetadataValue.md(report), "rows_written": written,
                                       "bytes_fraction": summary["bytes_fraction"]} | plot)
