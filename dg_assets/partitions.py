"""Partitions of the asset graph, read from the settings file (the one place they are declared)."""

from dagster import (
    DimensionPartitionMapping,
    IdentityPartitionMapping,
    MultiPartitionMapping,
    MultiPartitionsDefinition,
    MultiToSingleDimensionPartitionMapping,
    StaticPartitionMapping,
    StaticPartitionsDefinition,
)

from resources.settings import load_settings

_SETTINGS = load_settings()

dataset_partitions = StaticPartitionsDefinition(list(_SETTINGS.datasets))
teacher_setting_partitions = StaticPartitionsDefinition(list(_SETTINGS.teachers))

# Keys look like "cora|gcn": Dagster joins dimension keys in sorted dimension-name order.
dataset_x_teacher = MultiPartitionsDefinition(
    {"dataset": dataset_partitions, "setting": teacher_setting_partitions}
)

# A dataset x setting partition reads the dataset partition of the same name.
from_dataset = MultiToSingleDimensionPartitionMapping(partition_dimension_name="dataset")

student_setting_partitions = StaticPartitionsDefinition(list(_SETTINGS.students))
dataset_x_student = MultiPartitionsDefinition(
    {"dataset": dataset_partitions, "setting": student_setting_partitions}
)

# A student partition "cora|glnn-sage" reads the teacher partition "cora|sage" named in its setting.
_students_by_teacher: dict[str, list[str]] = {}
for _key, _student in _SETTINGS.students.items():
    _students_by_teacher.setdefault(_student.teacher, []).append(_key)
from_teacher = MultiPartitionMapping({
    "dataset": DimensionPartitionMapping("dataset", IdentityPartitionMapping()),
    "setting": DimensionPartitionMapping("setting", StaticPartitionMapping(_students_by_teacher)),
})

condensation_setting_partitions = StaticPartitionsDefinition(list(_SETTINGS.condensation))
dataset_x_condensation = MultiPartitionsDefinition(
    {"dataset": dataset_partitions, "setting": condensation_setting_partitions}
)

graph_dataset_partitions = StaticPartitionsDefinition(list(_SETTINGS.graph_datasets))
graph_dataset_x_distillation = MultiPartitionsDefinition(
    {"dataset": graph_dataset_partitions, "setting": StaticPartitionsDefinition(list(_SETTINGS.graph_distillation))}
)
