"""Partitions of the asset graph, read from the settings file (the one place they are declared).

A setting's partitions are the ``<dataset>|<setting>`` pairs it applies to
(``Settings.partition_keys``), not the product of every dataset with every setting: a
setting may name its datasets, and only meaningful pairs are offered in the UI, in backfills
and in the nightly schedules.
"""

from dagster import StaticPartitionMapping, StaticPartitionsDefinition

from resources.settings import load_settings

_SETTINGS = load_settings()


def split_key(partition_key: str) -> tuple[str, str]:
    """``(dataset, setting)`` of a ``<dataset>|<setting>`` partition key."""
    dataset, _, setting = partition_key.partition("|")
    return dataset, setting


def _reads_dataset(partitions: StaticPartitionsDefinition) -> StaticPartitionMapping:
    """Each ``<dataset>|<setting>`` partition reads the partition of its dataset."""
    by_dataset: dict[str, list[str]] = {}
    for key in partitions.get_partition_keys():
        by_dataset.setdefault(split_key(key)[0], []).append(key)
    return StaticPartitionMapping(by_dataset)


dataset_partitions = StaticPartitionsDefinition(list(_SETTINGS.datasets))
dataset_x_teacher = StaticPartitionsDefinition(_SETTINGS.partition_keys("teachers"))
dataset_x_student = StaticPartitionsDefinition(_SETTINGS.partition_keys("students"))
dataset_x_condensation = StaticPartitionsDefinition(_SETTINGS.partition_keys("condensation"))
dataset_x_request = StaticPartitionsDefinition(_SETTINGS.partition_keys("unlearning_requests"))
dataset_x_unlearning = StaticPartitionsDefinition(_SETTINGS.partition_keys("unlearning"))
graph_dataset_partitions = StaticPartitionsDefinition(list(_SETTINGS.graph_datasets))
graph_dataset_x_distillation = StaticPartitionsDefinition(_SETTINGS.partition_keys("graph_distillation"))

teacher_reads_dataset = _reads_dataset(dataset_x_teacher)
student_reads_dataset = _reads_dataset(dataset_x_student)
condensation_reads_dataset = _reads_dataset(dataset_x_condensation)
distillation_reads_graph_dataset = _reads_dataset(graph_dataset_x_distillation)
request_reads_dataset = _reads_dataset(dataset_x_request)
unlearning_reads_dataset = _reads_dataset(dataset_x_unlearning)



def _reads_condensed(partitions: StaticPartitionsDefinition, teacher_of) -> StaticPartitionMapping:
    """Each partition whose teacher trains on a condensed graph reads that ``condensed_graph``
    partition; the others map to none (their ``condensed_graph`` input is ``None``)."""
    by_condensed: dict[str, list[str]] = {}
    for key in partitions.get_partition_keys():
        dataset, setting = split_key(key)
        condensed = _SETTINGS.teachers[teacher_of(setting)].condensed
        if condensed:
            by_condensed.setdefault(f"{dataset}|{condensed}", []).append(key)
    return StaticPartitionMapping(by_condensed)


# A chain teacher "cora|gcn-on-clustgdd-r0.5" reads the condensed graph "cora|clustgdd-r0.5";
# its students read it too, to retrain the teacher at further seeds for their reports.
teacher_reads_condensed = _reads_condensed(dataset_x_teacher, lambda key: key)
student_reads_condensed = _reads_condensed(dataset_x_student, lambda key: _SETTINGS.students[key].teacher)


def _reads_setting_field(partitions: StaticPartitionsDefinition, field) -> StaticPartitionMapping:
    """Each ``<dataset>|<setting>`` partition reads ``<dataset>|<field(setting)>`` upstream."""
    downstream: dict[str, list[str]] = {}
    for key in partitions.get_partition_keys():
        dataset, setting = split_key(key)
        downstream.setdefault(f"{dataset}|{field(setting)}", []).append(key)
    return StaticPartitionMapping(downstream)


# A student partition "cora|glnn-sage" reads the teacher partition "cora|sage" named in its setting.
student_reads_teacher = _reads_setting_field(dataset_x_student, lambda key: _SETTINGS.students[key].teacher)
# "cora|d2dgn-forget-nodes-2pct" reads teacher "cora|gcn" and request "cora|forget-nodes-2pct";
# its report reads that unlearned model and the "cora|retrain-forget-nodes-2pct" reference.
unlearning_reads_teacher = _reads_setting_field(dataset_x_unlearning, lambda key: _SETTINGS.unlearning[key].teacher)
unlearning_reads_request = _reads_setting_field(dataset_x_unlearning, lambda key: _SETTINGS.unlearning[key].request)
_model_and_reference: dict[str, set[str]] = {}
for _key in dataset_x_unlearning.get_partition_keys():
    _dataset, _setting = split_key(_key)
    _model_and_reference.setdefault(_key, set()).add(_key)
    _model_and_reference.setdefault(f"{_dataset}|{_SETTINGS.unlearning_reference(_setting)}", set()).add(_key)
report_reads_model_and_reference = StaticPartitionMapping(_model_and_reference)
