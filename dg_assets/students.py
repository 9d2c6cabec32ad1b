"""The ``student`` asset: an MLP distilled from a teacher, per dataset x student setting."""

import json

from dagster import AssetExecutionContext, AssetIn, Output, asset

from dg_assets.checks import STUDENT_CHECKS
from dg_assets.evaluation import training_curves
from dg_assets.gpu import GPU_OP_TAGS, GPU_POOL
from dg_assets.partitions import dataset_x_student, split_key, student_reads_dataset, student_reads_teacher
from dg_assets.versions import source_version
from resources.device import TorchDevice
from resources.reports import ReportStore
from resources.settings import SettingsStore


@asset(
    partitions_def=dataset_x_student,
    ins={"dataset": AssetIn(partition_mapping=student_reads_dataset), "teacher": AssetIn(partition_mapping=student_reads_teacher)},
    pool=GPU_POOL,
    op_tags=GPU_OP_TAGS,
    kinds={"pytorch"},
    group_name="students",
    owners=["team:graphdistill"],
    code_version=source_version("kernels/students", "kernels/losses", "kernels/evaluate/train.py"),
    check_specs=STUDENT_CHECKS.specs,
)
def student(context: AssetExecutionContext, dataset, teacher, device: TorchDevice, settings: SettingsStore,
            reports: ReportStore):
    """Graph-free MLP student distilled from its teacher, selected on validation accuracy only."""
    from kernels.evaluate import measure
    from kernels.evaluate.latency import inference_seconds
    from kernels.students import distill

    _, key = split_key(context.partition_key)
    setting = settings.student(key)
    cfg = setting.validated(key)
    seed = cfg.seed + device.seed
    with device.scope(cfg.seed) as dev, measure(dev) as run:
        trained = distill(setting.method, setting.params | {"seed": seed}, dataset, teacher, device=dev,
                          log=context.log.info)
    # Full-graph inference time of both models, so reports can weigh accuracy against speed.
    graph = dataset.edge_index
    trained.metrics["inference_ms"] = 1000 * inference_seconds(trained.module(), trained.inputs(dataset), graph)
    trained.metrics["teacher_inference_ms"] = 1000 * inference_seconds(teacher.module(), dataset.x, graph)
    trained.run = run.metadata() | {"seed": seed, "teacher": setting.teacher}
    yield Output(trained, metadata={k: round(v, 4) for k, v in trained.metrics.items()} | trained.run
                 | {"method": setting.method, "mode": cfg.mode, "hyperparameters": json.dumps(setting.model_dump())}
                 | training_curves(context, trained, reports))
    yield from STUDENT_CHECKS.results(trained, dataset=dataset, settings=settings, device=device)
