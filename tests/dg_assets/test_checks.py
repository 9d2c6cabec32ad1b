"""Asset checks fail on planted faults and pass on clean data (invoked directly, no run needed)."""
import copy

import pytest
import torch

from dg_assets import checks
from kernels.condense.graph import CondensedGraph


def _planted(graph, **changes):
    bad = copy.copy(graph)
    for key, value in changes.items():
        bad[key] = value
    return bad


def test_dataset_checks_pass_on_a_clean_graph(small_graph):
    for check in (checks.splits_are_disjoint, checks.labels_in_range, checks.features_are_finite,
                  checks.edges_in_range):
        assert check(small_graph).passed, check.name


def test_dataset_checks_catch_planted_faults(small_graph):
    test_mask = small_graph.test_mask.clone()
    test_mask[small_graph.train_mask.nonzero()[0]] = True  # a training node leaks into test
    assert not checks.splits_are_disjoint(_planted(small_graph, test_mask=test_mask)).passed

    y = small_graph.y.clone()
    y[0] = -1
    assert not checks.labels_in_range(_planted(small_graph, y=y)).passed

    x = small_graph.x.clone()
    x[3, 2] = float("nan")
    result = checks.features_are_finite(_planted(small_graph, x=x))
    assert not result.passed and result.metadata["non_finite_values"].value == 1

    edge_index = small_graph.edge_index.clone()
    edge_index[1, 0] = small_graph.num_nodes  # one past the last node
    result = checks.edges_in_range(_planted(small_graph, edge_index=edge_index))
    assert not result.passed and result.metadata["bad_edges"].value == 1


def _condensed(edge_index, edge_weight, y=(0, 1, 2, 0)):
    return CondensedGraph(x=torch.randn(len(y), 4), y=torch.tensor(y), edge_index=torch.tensor(edge_index),
                          edge_weight=torch.tensor(edge_weight), method="test", params={}, stats={"budget": 4})


@pytest.mark.parametrize("edge_index, edge_weight", [
    ([[0, 1], [1, 2]], [1.0, 1.0]),  # 0->1 and 1->2 without their reverses
    ([[0, 1], [1, 0]], [1.0, -1.0]),  # asymmetric, negative weight
    ([[0, 1, 2], [1, 0, 2]], [1.0, 1.0, 1.0]),  # a self-loop
])
def test_condensed_adjacency_check_catches_planted_faults(edge_index, edge_weight):
    assert checks.adjacency_is_symmetric_and_nonnegative(_condensed([[0, 1], [1, 0]], [0.5, 0.5])).passed
    assert not checks.adjacency_is_symmetric_and_nonnegative(_condensed(edge_index, edge_weight)).passed


def test_condensed_budget_class_and_finiteness_checks(small_graph):
    good = _condensed([[0, 1], [1, 0]], [0.5, 0.5])
    assert checks.exact_node_budget(good).passed and checks.every_class_present(good, small_graph).passed
    assert not checks.exact_node_budget(_condensed([[0], [1]], [1.0], y=(0, 1, 2))).passed
    assert not checks.every_class_present(_condensed([[0], [1]], [1.0], y=(0, 1, 1, 0)), small_graph).passed
    bad = _condensed([[0, 1], [1, 0]], [float("inf"), float("inf")])
    assert not checks.condensed_features_are_finite(bad).passed


def test_student_check_compares_with_a_plain_mlp_on_the_same_nodes(small_graph):
    from kernels.evaluate import TrainConfig, train_node_classifier
    from kernels.students import distill
    from resources.device import TorchDevice
    from resources.settings import SettingsStore

    resources = {"settings": SettingsStore(), "device": TorchDevice(kind="cpu")}
    teacher = train_node_classifier("gcn", {"hidden": 16}, small_graph, TrainConfig(epochs=60), seed=0)
    student = distill("glnn", {"lam": 0.0, "hidden": 64, "train": {"epochs": 150}}, small_graph, teacher)
    result = checks.student_not_worse_than_plain_mlp(student, small_graph, **resources)
    assert result.passed, result.metadata

    untrained = train_node_classifier("mlp", {"hidden": 8}, small_graph, TrainConfig(epochs=1, lr=1e-6), seed=0)
    result = checks.student_not_worse_than_plain_mlp(untrained, small_graph, **resources)
    assert not result.passed and result.severity.value == "ERROR"
