import pytest
import torch

from kernels.evaluate import TrainConfig, train_node_classifier
from kernels.students import STUDENTS, distill
from kernels.students.ffg2m import high_frequency_loss, low_frequency_loss
from kernels.students.inductive import held_out_nodes, observed_graph

FAST = {"hidden": 32, "train": {"epochs": 80, "patience": 80, "lr": 0.02}}


@pytest.fixture
def teacher(small_graph):
    return train_node_classifier("gcn", {"hidden": 16}, small_graph, TrainConfig(epochs=60, lr=0.02), seed=0)


@pytest.mark.parametrize("method", STUDENTS.names())
def test_student_learns_its_teachers_labels(method, small_graph, teacher):
    student = distill(method, FAST | {"lam": 0.0}, small_graph, teacher)
    agreement = (student.logits.argmax(-1) == teacher.logits.argmax(-1)).float().mean()
    assert agreement > 0.8
    assert student.model == "mlp" and student.metrics["teacher_test_acc"] == teacher.metrics["test_acc"]


def test_distillation_beats_the_plain_mlp(small_graph, teacher):
    mlp = train_node_classifier("mlp", {"hidden": 32}, small_graph, TrainConfig(**FAST["train"]), seed=0)
    student = distill("glnn", FAST | {"lam": 0.0}, small_graph, teacher)
    assert student.metrics["test_acc"] > mlp.metrics["test_acc"]


def test_inductive_split_hides_held_out_nodes_and_their_edges(small_graph):
    held = held_out_nodes(small_graph, 0.2, seed=0)
    assert int(held.sum()) == round(int(small_graph.test_mask.sum()) * 0.2)
    assert not (held & ~small_graph.test_mask).any()
    seen = observed_graph(small_graph, held)
    assert not held[seen.n_id].any()
    original = seen.n_id[seen.edge_index]
    assert not held[original].any()
    kept = (~held[small_graph.edge_index]).all(0).sum()
    assert seen.edge_index.size(1) == int(kept)


def test_inductive_student_reports_held_out_accuracy(small_graph, teacher):
    student = distill("glnn", FAST | {"mode": "inductive"}, small_graph, teacher)
    for key in ("ind_test_acc", "tran_test_acc", "teacher_ind_test_acc"):
        assert 0 <= student.metrics[key] <= 1
    assert student.logits.shape[0] == small_graph.num_nodes


def test_frequency_losses_vanish_only_when_the_student_matches():
    edges = torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])
    same = torch.tensor([[1.0, 0.0]] * 3)
    assert low_frequency_loss(same, same, edges).item() == pytest.approx(0.0, abs=1e-6)
    teacher = torch.tensor([[3.0, 0.0], [0.0, 0.0], [0.0, 1.0]])  # node 1: one near, one far neighbour
    assert high_frequency_loss(teacher, teacher, edges, 1.0).item() == pytest.approx(0.0, abs=1e-6)
    assert high_frequency_loss(same, teacher, edges, 1.0).item() > 0


@pytest.mark.parametrize("params, field", [({"lam": 2}, "lam"), ({"kd_loss": "emd"}, "emd"),
                                           ({"mode": "online"}, "mode"), ({"train": {"lr": 0}}, "lr")])
def test_bad_student_settings_are_named(params, field, small_graph, teacher):
    with pytest.raises(ValueError, match=field):
        distill("glnn", params, small_graph, teacher)


@pytest.mark.parametrize("mode", ["transductive", "inductive"])
def test_positional_features_reach_the_student(mode, small_graph, teacher):
    params = FAST | {"positional": "random_walk", "positional_dim": 4, "mode": mode}
    student = distill("glnn", params, small_graph, teacher)
    assert student.in_dim == small_graph.num_features + 4
    assert student.extra_features.shape == (small_graph.num_nodes, 4)
    out = student.module()(student.inputs(small_graph), None)
    assert torch.equal(out.argmax(-1), student.logits.argmax(-1))


def test_unknown_positional_encoding_is_named(small_graph, teacher):
    with pytest.raises(ValueError, match="deepwalk"):
        distill("glnn", {"positional": "deepwalk"}, small_graph, teacher)
