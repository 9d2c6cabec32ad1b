import dataclasses
import math

import pytest
import torch

from kernels.evaluate import TrainConfig, TrainedModel, train_node_classifier
from kernels.evaluate.train import RepresentationObjective, accuracy
from kernels.losses import kd_loss
from kernels.models import build_model
from kernels.students import STUDENTS, distill
from kernels.students.ffg2m import high_frequency_loss, low_frequency_loss
from kernels.students.inductive import held_out_nodes, observed_graph, train_observed_teacher
from kernels.students.registry import student_config
from kernels.students.vqgraph import (VQGraphConfig, VQTokenizer, feature_reconstruction_loss, pair_scores, quantize,
                                      restart_unused_codes, sparse_adjacency, token_similarities, with_sparse_features)

FAST = {"hidden": 32, "train": {"epochs": 80, "patience": 80, "lr": 0.02}}
VQ_FAST = FAST | {"codebook_size": 32, "token_dim": 16, "tokenizer_train": {"epochs": 60, "patience": 60, "lr": 0.02}}
FAST_BY_METHOD = {"vqgraph": VQ_FAST}


@pytest.fixture
def teacher(small_graph):
    return train_node_classifier("gcn", {"hidden": 16}, small_graph, TrainConfig(epochs=60, lr=0.02), seed=0)


@pytest.mark.parametrize("method", STUDENTS.names())
def test_student_learns_its_teachers_labels(method, small_graph, teacher):
    student = distill(method, FAST_BY_METHOD.get(method, FAST) | {"lam": 0.0}, small_graph, teacher)
    agreement = (student.logits.argmax(-1) == teacher.logits.argmax(-1)).float().mean()
    assert agreement > 0.8
    assert student.model == "mlp" and student.metrics["teacher_test_acc"] == teacher.metrics["test_acc"]


@pytest.mark.parametrize("method", ["glnn", "ffg2m"])
def test_logit_standardization_teaches_an_under_confident_teacher(method, small_graph, teacher):
    # The teacher's logits / 1000: the same argmax, soft labels all but uniform.
    flat = dataclasses.replace(teacher, logits=teacher.logits / 1000)
    agreement = {}
    for standardize in (False, True):
        student = distill(method, FAST | {"lam": 0.0, "logit_standardization": standardize}, small_graph, flat)
        agreement[standardize] = (student.logits.argmax(-1) == teacher.logits.argmax(-1)).float().mean().item()
    assert agreement[True] > 0.9 and agreement[True] > agreement[False]


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


def test_inductive_students_can_share_the_observed_teacher(small_graph, teacher):
    params = FAST | {"mode": "inductive", "seed": 1}
    shared = train_observed_teacher("gcn", {"hidden": 16}, TrainConfig(**teacher.train), small_graph, 0.2, 1)
    retrained = distill("glnn", params, small_graph, teacher)
    reused = distill("glnn", params, small_graph, teacher, observed_teacher=shared)
    assert torch.equal(reused.logits, retrained.logits)
    assert reused.metrics["teacher_test_acc"] == retrained.metrics["teacher_test_acc"]
    with pytest.raises(ValueError, match="observed graph"):  # the teacher of the full graph
        distill("glnn", params, small_graph, teacher, observed_teacher=teacher)


def test_frequency_losses_vanish_only_when_the_student_matches():
    edges = torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])
    same = torch.tensor([[1.0, 0.0]] * 3)
    assert low_frequency_loss(same, same, edges).item() == pytest.approx(0.0, abs=1e-6)
    teacher = torch.tensor([[3.0, 0.0], [0.0, 0.0], [0.0, 1.0]])  # node 1: one near, one far neighbour
    assert high_frequency_loss(teacher, teacher, edges, 1.0).item() == pytest.approx(0.0, abs=1e-6)
    assert high_frequency_loss(same, teacher, edges, 1.0).item() > 0


def test_low_frequency_loss_per_node_does_not_weight_hubs_by_degree():
    """A hub (node 0) with three incoming edges and a leaf (node 1) with one."""
    edges = torch.tensor([[1, 2, 3, 0], [0, 0, 0, 1]])
    student = torch.zeros(4, 2)  # uniform everywhere
    teacher = torch.tensor([[0.0, 0.0]] + [[math.log(3.0), 0.0]] * 3)  # leaves of the hub say (3/4, 1/4)
    kl = 0.75 * math.log(1.5) + 0.25 * math.log(0.5)  # KL((3/4, 1/4) || uniform)
    assert low_frequency_loss(student, teacher, edges, "edge").item() == pytest.approx(3 * kl / 4, rel=1e-5)
    assert low_frequency_loss(student, teacher, edges, "node").item() == pytest.approx(kl / 2, rel=1e-5)


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


def test_quantizer_picks_the_nearest_codeword_and_passes_gradients_straight_through():
    codebook = torch.tensor([[0.0, 0.0], [1.0, 1.0], [-2.0, 0.0]])
    z = torch.tensor([[0.9, 1.2], [-1.5, 0.1], [0.1, -0.2]], requires_grad=True)
    quantized, tokens, _ = quantize(z, codebook, commitment=0.25)
    assert tokens.tolist() == [1, 2, 0]
    assert torch.equal(quantized, codebook[tokens])
    (quantized * torch.tensor([1.0, 2.0])).sum().backward()
    assert torch.equal(z.grad, torch.tensor([[1.0, 2.0]] * 3))


def test_pair_scores_are_the_dot_products_of_every_pair_in_their_order():
    h = torch.randn(6, 3, requires_grad=True)
    pairs = torch.tensor([[4, 0, 2, 4, 1, 0], [1, 5, 2, 1, 3, 0]])  # unsorted, (4, 1) twice
    labels = torch.tensor([1.0, 0.0, 1.0, 0.0, 0.0, 1.0])  # a structure loss reads scores by position
    expected = (h[pairs[0]] * h[pairs[1]]).sum(-1)
    scores = pair_scores(h, pairs)
    assert torch.allclose(scores, expected)
    torch.nn.functional.binary_cross_entropy_with_logits(scores, labels).backward()
    grad, h.grad = h.grad, None
    torch.nn.functional.binary_cross_entropy_with_logits(expected, labels).backward()
    assert torch.allclose(grad, h.grad, atol=1e-6)


def test_sparse_feature_reconstruction_equals_the_dense_error_and_gradient():
    decoder = torch.nn.Linear(4, 30)
    z = torch.randn(12, 4, requires_grad=True)
    x = (torch.rand(12, 30) < 0.1).float() * torch.rand(12, 30)
    dense = feature_reconstruction_loss(decoder, z, x)
    dense.backward()
    grads = [z.grad.clone(), decoder.weight.grad.clone(), decoder.bias.grad.clone()]
    z.grad = decoder.weight.grad = decoder.bias.grad = None
    sparse = feature_reconstruction_loss(decoder, z, x.to_sparse_csr())
    sparse.backward()
    assert torch.allclose(sparse, torch.nn.functional.mse_loss(decoder(z), x), atol=1e-6)
    assert torch.allclose(sparse, dense, atol=1e-6)
    for grad, param in zip(grads, [z, decoder.weight, decoder.bias]):
        assert torch.allclose(grad, param.grad, atol=1e-6)


@pytest.mark.parametrize("conv", ["sage", "gcn", "gat"])
def test_tokenizer_step_on_sparse_bag_of_words_equals_the_dense_step(conv, small_graph):
    words = torch.zeros_like(small_graph.x)
    words[torch.arange(words.size(0)), small_graph.x.argmax(-1)] = 1.0
    small_graph.x = words
    sparse = with_sparse_features(small_graph)
    assert sparse.x.layout == torch.sparse_csr and small_graph.x.layout == torch.strided
    cfg = VQGraphConfig(conv=conv, codebook_size=16, token_dim=8)
    net = VQTokenizer(16, 3, 16, cfg)
    losses, grads = [], []
    for data in (small_graph, sparse):
        torch.manual_seed(0)  # the same dropout and non-edges
        net.zero_grad()
        loss, _, _ = net.loss(data, sparse_adjacency(data), cfg)
        loss.backward()
        losses.append(loss.detach())
        grads.append(torch.cat([p.grad.flatten() for p in net.parameters()]))
    assert torch.allclose(losses[0], losses[1], atol=1e-5)
    assert torch.allclose(grads[0], grads[1], atol=1e-5)


def test_unused_codewords_restart_on_node_representations():
    codebook = torch.tensor([[0.0, 0.0], [5.0, 5.0], [9.0, 9.0]])
    z = torch.tensor([[0.1, 0.0], [0.0, 0.2]])
    restart_unused_codes(codebook, z, tokens=torch.tensor([0, 0]))
    assert torch.equal(codebook[0], torch.zeros(2))
    assert all(any(torch.equal(code, row) for row in z) for code in codebook[1:])


def test_token_kl_vanishes_only_when_the_assignments_match():
    codebook = torch.tensor([[0.0], [1.0]])
    teacher = token_similarities(torch.tensor([[0.5]]), codebook)  # equidistant: uniform over 2 tokens
    student = torch.tensor([[math.log(3.0), 0.0]])  # assigns 3/4 and 1/4
    token_kl = kd_loss("kl")
    assert token_kl(teacher, teacher, 1.0).item() == pytest.approx(0.0, abs=1e-7)
    assert token_kl(student, teacher, 1.0).item() == pytest.approx(0.5 * math.log(4 / 3), rel=1e-5)


@pytest.mark.parametrize("params, value", [({"codebook_size": 0}, "codebook_size"), ({"conv": "gin"}, "gin"),
                                           ({"layers": 1}, "layers")])
def test_bad_vqgraph_settings_are_named(params, value):
    with pytest.raises(ValueError, match=value):
        student_config("vqgraph", params)


def test_tokenizer_norms_keep_a_dense_count_feature_graph_from_collapsing():
    """Amazon-style bag-of-words counts on a dense graph: the raw encoder maps every node to one token."""
    from kernels.data.synthetic import SyntheticSBMConfig, synthetic_sbm
    from kernels.students.vqgraph import VQGraphConfig, sparse_adjacency, train_tokenizer

    graph = synthetic_sbm(SyntheticSBMConfig(
        num_nodes=300, avg_degree=30, num_classes=3, num_features=64, homophily=0.9, feature_signal=0.6, seed=0,
        split={"kind": "per-class", "train_per_class": 10, "val_per_class": 20}))
    graph.x = torch.poisson((graph.x - graph.x.min()).exp(), generator=torch.Generator().manual_seed(0))
    used, val_acc = {}, {}
    for norm in ("none", "batch", "layer"):
        cfg = VQGraphConfig(**VQ_FAST, tokenizer_norm=norm)
        logits, _, tokens = train_tokenizer(graph, cfg).predict(graph, sparse_adjacency(graph))
        used[norm], val_acc[norm] = tokens.unique().numel(), accuracy(logits, graph.y, graph.val_mask)
    for norm in ("batch", "layer"):
        assert used[norm] > used["none"] and val_acc[norm] > val_acc["none"] + 0.2, (used, val_acc)


def test_codebook_restarts_from_evaluation_mode_cover_the_tokens_the_student_matches():
    """Binary bag-of-words features (Amazon Photo's kind) under dropout: codewords restarted
    at training-mode representations sit where evaluation-mode nodes rarely fall."""
    from kernels.data.synthetic import SyntheticSBMConfig, synthetic_sbm
    from kernels.students.vqgraph import VQGraphConfig, sparse_adjacency, train_tokenizer

    graph = synthetic_sbm(SyntheticSBMConfig(
        num_nodes=300, avg_degree=10, num_classes=3, num_features=64, homophily=0.9, feature_signal=0.6, seed=0,
        split={"kind": "per-class", "train_per_class": 10, "val_per_class": 20}))
    graph.x = (graph.x > graph.x.median()).float()
    used = {}
    for restarts in ("train", "eval"):
        cfg = VQGraphConfig(**VQ_FAST | {"codebook_size": 64}, restart_codes_from=restarts)
        _, _, tokens = train_tokenizer(graph, cfg).predict(graph, sparse_adjacency(graph))
        used[restarts] = tokens.unique().numel()
    assert used["eval"] > 1.5 * used["train"], used


def test_vqgraph_student_round_trips_and_predicts_without_the_graph(small_graph, teacher, tmp_path):
    student = distill("vqgraph", VQ_FAST | {"mode": "inductive"}, small_graph, teacher)
    assert 0.5 < student.metrics["vq_teacher_test_acc"] <= 1 and student.metrics["vq_codes_used"] > 1
    assert 0 <= student.metrics["ind_test_acc"] <= 1
    torch.save(student.to_payload(), tmp_path / "student.pt")
    loaded = TrainedModel.from_payload(torch.load(tmp_path / "student.pt", weights_only=True))
    assert set(loaded.state_dict) == set(student.state_dict)  # the token projection stays behind
    out = loaded.module()(small_graph.x, None)
    assert torch.equal(out.argmax(-1), student.logits.argmax(-1))


def test_representation_objective_needs_a_model_that_exposes_its_hidden_layer(small_graph):
    class Hidden(RepresentationObjective):
        def forward(self, out, data, hidden):
            return out.sum() + hidden.sum()

    with pytest.raises(ValueError, match="'gcn'"):
        train_node_classifier("gcn", {}, small_graph, TrainConfig(epochs=1), objective=Hidden())


def test_mlp_exposes_its_hidden_layer_beside_unchanged_logits():
    net = build_model("mlp", {"hidden": 8, "layers": 2}, 5, 3, seed=0).eval()
    x = torch.randn(4, 5)
    out, hidden = net(x, None, return_hidden=True)
    assert torch.equal(out, net(x, None)) and hidden.shape == (4, 8)
