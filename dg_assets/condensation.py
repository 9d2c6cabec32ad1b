"""Graph condensation: ``condensed_graph`` and its ``condensation_report``, per dataset x setting."""

import json

from dagster import AssetExecutionContext, AssetIn, Config, MaterializeResult, MetadataValue, Output, asset

from dg_assets.checks import CONDENSED_GRAPH_CHECKS
from dg_assets.gpu import GPU_OP_TAGS, GPU_POOL
from dg_assets.partitions import condensation_reads_dataset, dataset_x_condensation, split_key
from dg_assets.versions import source_version
from resources.device import TorchDevice
from resources.provenance import code_version
from resources.settings import CondensationEvaluation, SettingsStore
from resources.tables import markdown_table
from resources.warehouse import DuckDBWarehouse


@asset(
    partitions_def=dataset_x_condensation,
    ins={"dataset": AssetIn(partition_mapping=condensation_reads_dataset)},
    pool=GPU_POOL,
    op_tags=GPU_OP_TAGS,
    kinds={"pytorch"},
    group_name="condensation",
    owners=["team:graphdistill"],
    code_version=source_version("kernels/condense"),
    check_specs=CONDENSED_GRAPH_CHECKS.specs,
)
def condensed_graph(context: AssetExecutionContext, dataset, device: TorchDevice, settings: SettingsStore):
    """Tiny synthetic graph that trains GNNs almost as well as the real training graph."""
    from kernels.condense import condense
    from kernels.evaluate import measure

    _, key = split_key(context.partition_key)
    setting = settings.condensation(key)
    cfg = setting.validated(key)
    with device.scope(cfg.seed) as dev, measure(dev) as run:
        graph = condense(setting.method, setting.params, dataset, device=dev, log=context.log.info)
    graph.stats["peak_memory_mb"] = round(run.peak_memory_mb, 1)  # travels with the graph to its report
    yield Output(graph, metadata=graph.summary() | run.metadata()
                 | {"ratio": cfg.ratio, "seed": cfg.seed, "hyperparameters": json.dumps(cfg.model_dump())})
    yield from CONDENSED_GRAPH_CHECKS.results(graph, dataset=dataset)


class CondensationReportConfig(Config):
    """Run-time overrides of the settings file's ``condensation_evaluation`` protocol, e.g. a
    quick look before the full protocol: ``archs: [gcn]``, ``seeds: 2``. Left empty, the
    configured protocol runs. The report's metadata and log say which protocol ran."""

    archs: list[str] | None = None
    seeds: int | None = None
    epochs: int | None = None
    patience: int | None = None  # stop a training this many epochs after its best validation epoch


@asset(
    partitions_def=dataset_x_condensation,
    ins={"dataset": AssetIn(partition_mapping=condensation_reads_dataset)},
    pool=GPU_POOL,
    op_tags=GPU_OP_TAGS,
    kinds={"pytorch", "duckdb"},
    group_name="condensation",
    owners=["team:graphdistill"],
    code_version=source_version("kernels/evaluate/condensed.py", "dg_assets/condensation.py"),
)
def condensation_report(context: AssetExecutionContext, config: CondensationReportConfig, condensed_graph, dataset,
                        device: TorchDevice, settings: SettingsStore,
                        warehouse: DuckDBWarehouse) -> MaterializeResult:
    """Condensed-graph accuracy under the standard protocol, across architectures, in the warehouse."""
    from kernels.evaluate import TrainConfig
    from kernels.evaluate.condensed import evaluate_condensed

    dataset_name, setting_key = split_key(context.partition_key)
    overrides = {k: v for k, v in config.model_dump().items() if v is not None and k != "patience"}
    protocol = CondensationEvaluation(**settings.settings().condensation_evaluation.model_dump() | overrides)
    patience = config.patience or protocol.epochs
    context.log.info(f"protocol: {', '.join(protocol.archs)} x {protocol.seeds} seeds x {protocol.epochs} epochs, "
                     f"patience {patience}"
                     f"{' (run-config overrides: ' + ', '.join(overrides) + ')' if overrides else ''}")
    cfg = TrainConfig(epochs=protocol.epochs, patience=patience, lr=0.01, weight_decay=5e-4)
    stats, method = condensed_graph.stats, condensed_graph.method
    common = {"dataset": dataset_name, "setting": setting_key, "method": method,
              "code_version": code_version(), "run_id": context.run.run_id}
    rows = [common | {"metric": metric, "value": float(stats[stat]), "seed": 0, "seconds": stats["seconds"]}
            for metric, stat in (("ratio_bytes", "ratio_bytes"), ("condensed_nodes", "nodes"),
                                 ("condensed_edges", "edges"), ("condense_seconds", "seconds"),
                                 ("condense_peak_memory_mb", "peak_memory_mb")) if stat in stats]
    rows.append(common | {"metric": "ratio", "value": float(condensed_graph.params["ratio"]), "seed": 0})
    # The protocol travels with the accuracies, so a quick run is never mistaken for a full one.
    rows += [common | {"metric": metric, "value": float(value), "seed": 0}
             for metric, value in (("eval_epochs", protocol.epochs), ("eval_patience", patience))]
    table, headline = [], {}
    with device.scope(0) as dev:
        for position, arch in enumerate(protocol.archs):
            result = evaluate_condensed(condensed_graph, dataset, arch=arch, cfg=cfg,
                                        seeds=range(protocol.seeds), device=dev, log=context.log.info)
            metric = "test_acc" if position == 0 else f"test_acc@{arch}"
            headline.setdefault("test_acc", round(result["test_acc_mean"], 4))
            rows += [common | {"metric": metric, "value": acc, "seed": seed, "seconds": result["seconds"],
                               "device": str(dev)} for seed, acc in zip(result["seeds"], result["test_acc"])]
            rows.append(common | {"metric": f"eval_seconds@{arch}", "value": result["seconds"], "seed": 0,
                                  "device": str(dev)})
            table.append([arch, f"{100 * result['test_acc_mean']:.2f} ± {100 * result['test_acc_std']:.2f}",
                          f"{result['seconds']:.1f}"])
    written = warehouse.replace_results("condensation_report", context.partition_key, rows)
    report = markdown_table(["architecture", "test acc (%)", "eval seconds"], table)
    return MaterializeResult(metadata=headline | {
        "report": MetadataValue.md(report), "rows_written": written,
        "protocol": f"{', '.join(protocol.archs)} x {protocol.seeds} seeds x {protocol.epochs} epochs",
        "condensed_nodes": stats["nodes"], "ratio_bytes": round(stats["ratio_bytes"], 5)})
