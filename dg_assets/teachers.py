"""The ``teacher`` asset: a trained GNN (or MLP baseline) per dataset x teacher setting."""

import json

from dagster import AssetExecutionContext, AssetIn, Output, asset

from dg_assets.checks import TEACHER_CHECKS
from dg_assets.evaluation import training_curves
from dg_assets.gpu import GPU_OP_TAGS, GPU_POOL
from dg_assets.partitions import dataset_x_teacher, split_key, teacher_reads_condensed, teacher_reads_dataset
from dg_assets.seeds import train_teacher
from dg_assets.versions import source_version
from resources.device import TorchDevice
from resources.reports import ReportStore
from resources.settings import SettingsStore


@asset(
    partitions_def=dataset_x_teacher,
    ins={"dataset": AssetIn(partition_mapping=teacher_reads_dataset),
         # Only a chain teacher ("gcn-on-clustgdd-r0.5") maps to a condensed graph; the others read None.
         "condensed_graph": AssetIn(partition_mapping=teacher_reads_condensed)},
    pool=GPU_POOL,
    op_tags=GPU_OP_TAGS,
    kinds={"pytorch"},
    group_name="teachers",
    owners=["team:graphdistill"],
    code_version=source_version("kernels/models", "kernels/evaluate/train.py", "kernels/evaluate/sampling.py",
                                "kernels/evaluate/condensed.py"),
    check_specs=TEACHER_CHECKS.specs,
)
def teacher(context: AssetExecutionContext, dataset, condensed_graph, device: TorchDevice, settings: SettingsStore,
            reports: ReportStore):
    """Trained teacher GNN with its soft logits on the real graph, selected on validation
    accuracy only; trained on the real graph, or on the condensed graph its setting names."""
    from kernels.data.stats import content_hash
    from kernels.evaluate import measure

    _, key = split_key(context.partition_key)
    setting = settings.teacher(key)
    with device.scope(setting.seed) as dev, measure(dev) as run:
        trained = train_teacher(dataset, condensed_graph, key, setting, seed=setting.seed + device.seed, device=dev,
                                log=context.log.info)
    trained.run = run.metadata() | {"seed": setting.seed + device.seed, "data_hash": content_hash(dataset)}
    if setting.condensed:
        trained.run["condensed"] = setting.condensed
    yield Output(trained, metadata={k: round(v, 4) for k, v in trained.metrics.items()} | trained.run
                 | {"model": setting.model, "hyperparameters": json.dumps(setting.model_dump())}
                 | training_curves(context, trained, reports))
    yield from TEACHER_CHECKS.results(trained, dataset=dataset, settings=settings, device=device)

