"""Unlearning: ``unlearning_request`` -> ``unlearned_model`` -> ``unlearning_report``.

A deletion request is drawn from a dataset's training elements; an unlearned model removes
its influence from a teacher with one method (``retrain`` from scratch is the reference);
the report says what each model kept and forgot, next to its reference, in the warehouse.
"""

import json
import statistics

from dagster import AssetExecutionContext, AssetIn, MaterializeResult, MetadataValue, Output, asset

from dg_assets.gpu import GPU_OP_TAGS, GPU_POOL
from dg_assets.partitions import (
    dataset_x_request,
    dataset_x_unlearning,
    report_reads_model_and_reference,
    request_reads_dataset,
    split_key,
    unlearning_reads_dataset,
    unlearning_reads_request,
    unlearning_reads_teacher,
)
from dg_assets.seeds import ReportSeedsConfig, unlearned_at_seed
from dg_assets.versions import source_version
from resources.device import TorchDevice
from resources.provenance import code_version
from resources.settings import SettingsStore
from resources.tables import format_mean_std, markdown_table
from resources.warehouse import DuckDBWarehouse


# What an unlearned model and its report both read: the dataset, the teacher and the request
# their setting names.
UNLEARNING_INPUTS = {"dataset": AssetIn(partition_mapping=unlearning_reads_dataset),
                     "teacher": AssetIn(partition_mapping=unlearning_reads_teacher),
                     "unlearning_request": AssetIn(partition_mapping=unlearning_reads_request)}


@asset(
    partitions_def=dataset_x_request,
    ins={"dataset": AssetIn(partition_mapping=request_reads_dataset)},
    kinds={"pytorch"},
    group_name="unlearning",
    owners=["team:graphdistill"],
    code_version=source_version("kernels/unlearning/requests.py"),
)
def unlearning_request(context: AssetExecutionContext, dataset, settings: SettingsStore):
    """The training nodes, edges or class a deletion request removes (seeded, deterministic)."""
    from kernels.unlearning import select_request

    _, key = split_key(context.partition_key)
    cfg = settings.unlearning_request(key).validated(key)
    request = select_request(dataset, cfg)
    return Output(request, metadata=request.summary() | {"hyperparameters": json.dumps(cfg.model_dump())})


@asset(
    partitions_def=dataset_x_unlearning,
    ins=UNLEARNING_INPUTS,
    pool=GPU_POOL,
    op_tags=GPU_OP_TAGS,
    kinds={"pytorch"},
    group_name="unlearning",
    owners=["team:graphdistill"],
    code_version=source_version("kernels/unlearning"),
)
def unlearned_model(context: AssetExecutionContext, dataset, teacher, unlearning_request, device: TorchDevice,
                    settings: SettingsStore):
    """The teacher with the request's knowledge removed, by the setting's unlearning method."""
    _, key = split_key(context.partition_key)
    setting = settings.unlearning(key)
    model = unlearned_at_seed(dataset, teacher, unlearning_request, key, settings, device, 0, context.log.info)
    return Output(model, metadata={k: round(v, 4) for k, v in model.metrics.items()} | model.run
                  | {"method": setting.method, "teacher": setting.teacher, "request": setting.request,
                     "hyperparameters": json.dumps(setting.model_dump())})


@asset(
    partitions_def=dataset_x_unlearning,
    ins={"unlearned_model": AssetIn(partition_mapping=report_reads_model_and_reference), **UNLEARNING_INPUTS},
    pool=GPU_POOL,
    op_tags=GPU_OP_TAGS,
    kinds={"duckdb"},
    group_name="unlearning",
    owners=["team:graphdistill"],
    code_version=source_version("kernels/unlearning/evaluate.py", "dg_assets/unlearning.py"),
)
def unlearning_report(context: AssetExecutionContext, config: ReportSeedsConfig, unlearned_model, dataset, teacher,
                      unlearning_request, device: TorchDevice, settings: SettingsStore,
                      warehouse: DuckDBWarehouse) -> MaterializeResult:
    """What the unlearned model kept (retained test accuracy) and forgot (membership or link
    inference AUC, forget-set accuracy), its distance to the ``retrain`` reference and its
    seconds against the reference's, per seed (over ``seeds`` seeds), in the warehouse."""
    from kernels.unlearning.evaluate import unlearning_scores

    dataset_name, key = split_key(context.partition_key)
    setting = settings.unlearning(key)
    reference_key = f"{dataset_name}|{settings.settings().unlearning_reference(key)}"
    # The input holds this partition's model and its reference (one model when it is the reference).
    models = unlearned_model if isinstance(unlearned_model, dict) else {context.partition_key: unlearned_model}
    common = {"dataset": dataset_name, "setting": key, "method": setting.method, "code_version": code_version(),
              "run_id": context.run.run_id}
    rows, values = [], {}
    for offset in range(config.seeds):
        model, reference = models[context.partition_key], models[reference_key]
        if offset:
            at_seed = lambda k: unlearned_at_seed(dataset, teacher, unlearning_request, k, settings,  # noqa: E731
                                                  device, offset, context.log.info)
            model, reference = at_seed(key), at_seed(split_key(reference_key)[1])
        scores = unlearning_scores(model.logits, reference.logits, dataset, unlearning_request, seed=offset)
        scores |= {"seconds": model.metrics["seconds"], "retrain_seconds": reference.metrics["seconds"],
                   "speedup_over_retrain": reference.metrics["seconds"] / max(model.metrics["seconds"], 1e-9)}
        if offset == 0:  # the teacher before unlearning, for scale
            before = unlearning_scores(teacher.logits, reference.logits, dataset, unlearning_request)
            scores |= {f"teacher_{metric}": value for metric, value in before.items()}
        rows += [common | {"metric": metric, "value": float(value), "seed": model.run["seed"],
                           "seconds": model.metrics["seconds"], "device": model.run.get("device")}
                 for metric, value in scores.items()]
        for metric, value in scores.items():
            values.setdefault(metric, []).append(value)
        context.log.info(f"seed {offset + 1}/{config.seeds}: " + ", ".join(
            f"{metric} {value:.4f}" for metric, value in scores.items() if not metric.startswith("teacher_")))
    written = warehouse.replace_results("unlearning_report", context.partition_key, rows)
    table = markdown_table(["metric", f"mean over {config.seeds} seeds"],
                           [[metric, f"{statistics.mean(v):.4f}"] for metric, v in values.items()])
    return MaterializeResult(metadata={"report": MetadataValue.md(table), "rows_written": written,
                                       "seeds": config.seeds, "reference": reference_key}
                             | {metric: round(statistics.mean(values[metric]), 4) for metric in values
                                if not metric.startswith("teacher_")})


UNLEARNING_SQL = """
SELECT dataset, setting, method, metric, avg(value) AS mean, stddev_samp(value) AS std, count(*) AS runs
FROM results WHERE asset = 'unlearning_report' GROUP BY ALL ORDER BY dataset, setting
"""
ATTACKS = ("membership_auc", "edge_auc")


def unlearning_rows(warehouse: DuckDBWarehouse, settings) -> list[dict]:
    """Per dataset and unlearning setting (with its teacher and request), each reported
    metric's mean, std and run count: ``{metric: (mean, std, runs)}`` under ``"metrics"``."""
    rows: dict[tuple[str, str], dict] = {}
    for r in warehouse.query(UNLEARNING_SQL).iter_rows(named=True):
        setting = settings.unlearning.get(r["setting"])
        if setting is None:  # a setting since removed from the settings file
            continue
        row = rows.setdefault((r["dataset"], r["setting"]), {
            "dataset": r["dataset"], "setting": r["setting"], "method": r["method"], "teacher": setting.teacher,
            "request": setting.request, "metrics": {}})
        row["metrics"][r["metric"]] = (r["mean"], r["std"], r["runs"])
    return sorted(rows.values(), key=lambda row: (row["dataset"], row["request"], row["teacher"],
                                                  row["method"] != "retrain", row["method"]))


def unlearning_markdown(rows: list[dict]) -> str:
    """``unlearning_rows`` as a table: retained test accuracy, the attack's AUC (membership for
    node and class requests, link for edge requests), distance to ``retrain`` and speed."""
    def cell(row: dict, metric: str, percent: bool = False) -> str:
        if metric not in row["metrics"]:
            return "–"
        mean, std, runs = row["metrics"][metric]
        if percent:
            return format_mean_std(mean, std, runs)
        return f"{mean:.3f}" + (f" ± {std:.3f}" if runs > 1 and std is not None else "")

    body = [[row["dataset"], row["request"], row["teacher"], row["method"], cell(row, "retained_test_acc", True),
             next((f"{cell(row, attack)} ({attack.split('_')[0]})" for attack in ATTACKS if attack in row["metrics"]),
                  "–"),
             cell(row, "distance_to_retrain"), cell(row, "seconds"), cell(row, "speedup_over_retrain"),
             row["metrics"].get("retained_test_acc", (0, 0, 0))[2]] for row in rows]
    return markdown_table(["dataset", "request", "teacher", "method", "retained test acc (%)", "attack AUC",
                           "distance to retrain", "seconds", "x faster than retrain", "seeds"], body)
