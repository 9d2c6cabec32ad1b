"""Jobs per asset family, so a backfill can target one stage of the grid."""

from dagster import AssetSelection, define_asset_job

from dg_assets.partitions import (
    dataset_partitions,
    dataset_x_condensation,
    dataset_x_request,
    dataset_x_student,
    dataset_x_teacher,
    dataset_x_unlearning,
    graph_dataset_x_distillation,
)

datasets_job = define_asset_job(
    "datasets_job", selection=AssetSelection.groups("datasets"), partitions_def=dataset_partitions,
    description="Load and store every configured dataset partition.",
)
teachers_job = define_asset_job(
    "teachers_job", selection=AssetSelection.groups("teachers"), partitions_def=dataset_x_teacher,
    description="Train and evaluate teachers for dataset x teacher-setting partitions.",
)
students_job = define_asset_job(
    "students_job", selection=AssetSelection.groups("students"), partitions_def=dataset_x_student,
    description="Distil and evaluate students for dataset x student-setting partitions.",
)
condensation_job = define_asset_job(
    "condensation_job", selection=AssetSelection.groups("condensation"), partitions_def=dataset_x_condensation,
    description="Condense and evaluate dataset x condensation-setting partitions.",
)
unlearning_requests_job = define_asset_job(
    "unlearning_requests_job", selection=AssetSelection.assets("unlearning_request"), partitions_def=dataset_x_request,
    description="Draw the deletion requests of dataset x request-setting partitions.",
)
unlearning_job = define_asset_job(
    "unlearning_job", selection=AssetSelection.assets("unlearned_model", "unlearning_report"),
    partitions_def=dataset_x_unlearning,
    description="Unlearn and evaluate dataset x unlearning-setting partitions (their requests must exist).",
)
graph_distillation_job = define_asset_job(
    "graph_distillation_job", selection=AssetSelection.assets("distilled_graphs", "graph_distillation_report"),
    partitions_def=graph_dataset_x_distillation,
    description="Distil and evaluate TU graph datasets x graph-distillation settings.",
)
