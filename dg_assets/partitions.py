"""Partitions of the asset graph, read from the settings file (the one place they are declared)."""

from dagster import MultiPartitionsDefinition, MultiToSingleDimensionPartitionMapping, StaticPartitionsDefinition

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
